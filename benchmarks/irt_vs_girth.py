"""2PL item calibration: our MML/EM against girth's ``twopl_mml``, same data.

Run from the repo root: ``.venv/bin/python benchmarks/irt_vs_girth.py``
(``--examinees``, ``--items``, ``--seed``; ``--repeats R``: time the fastest
of R fits per side; ``--setup-only``: build the girth venv and stop).

girth (PyPI, MIT) lives in its own virtual environment,
``benchmarks/.venv-girth``, created on first use and reused afterwards, so
nothing is installed into the project venv. The responses are simulated once
here (seeded, complete data), saved to a temporary ``.npy`` and read by a
small runner in the girth venv, which fits ``girth.twopl_mml`` with its
default options and writes the estimates and the fit time to JSON.

Fit time: girth's ``twopl_mml`` call alone, ours ``calibrate(model="2pl")``
(which also computes standard errors and fit statistics); the import, data
generation and file I/O are outside both clocks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from levelwise.learners.calibrate import calibrate, simulate_responses

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-girth"
GIRTH = "girth==0.8.0"

RUNNER = """
import json, sys, time
from importlib.metadata import version
import numpy as np
import girth

data = np.load(sys.argv[1]).astype(int)  # items x examinees; bool breaks on numpy 2
best, result = float("inf"), None
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    result = girth.twopl_mml(data)
    best = min(best, time.perf_counter() - start)
json.dump(
    {
        "a": np.ravel(result["Discrimination"]).tolist(),
        "b": np.ravel(result["Difficulty"]).tolist(),
        "seconds": best,
        "version": version("girth"),
    },
    open(sys.argv[2], "w"),
)
"""


def ensure_venv() -> Path:
    """Create ``benchmarks/.venv-girth`` with girth unless it already works."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import girth"], capture_output=True)
    if probe.returncode != 0:
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", GIRTH], check=True)
    return python


def run_girth(
    python: Path, y: npt.NDArray[np.int64], repeats: int
) -> dict[str, object]:
    """Fit girth's 2PL MML on ``y`` in its venv; return its JSON output."""
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "responses.npy", Path(tmp) / "girth.json"
        np.save(data, y.T)
        cmd = [str(python), "-c", RUNNER, str(data), str(out), str(repeats)]
        subprocess.run(cmd, check=True)
        result: dict[str, object] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examinees", type=int, default=2000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()
    python = ensure_venv()
    if args.setup_only:
        return

    rng = np.random.default_rng(args.seed)
    a = rng.uniform(0.7, 2.0, args.items)
    b = rng.uniform(-2.0, 2.0, args.items)
    theta = rng.standard_normal(args.examinees)
    y = simulate_responses(a, b, np.zeros(args.items), theta, rng)

    girth = run_girth(python, y, args.repeats)
    ga, gb = np.asarray(girth["a"]), np.asarray(girth["b"])
    ours_s = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        cal = calibrate(y, model="2pl")
        ours_s = min(ours_s, time.perf_counter() - start)

    def corr(x: npt.NDArray[np.float64], z: npt.NDArray[np.float64]) -> float:
        return float(np.corrcoef(x, z)[0, 1])

    def rmse(x: npt.NDArray[np.float64], z: npt.NDArray[np.float64]) -> float:
        return float(np.sqrt(np.mean((x - z) ** 2)))

    print(
        f"2PL, {args.examinees} examinees x {args.items} items, seed {args.seed}; "
        f"girth {girth['version']}, best of {args.repeats} fits"
    )
    print(f"ours: {cal.n_iter} EM cycles, converged={cal.converged}")
    print(f"{'':24}{'a':>10}{'b':>10}")
    print(f"{'corr(ours, girth)':24}{corr(cal.a, ga):10.4f}{corr(cal.b, gb):10.4f}")
    mad_a, mad_b = np.abs(cal.a - ga).mean(), np.abs(cal.b - gb).mean()
    print(f"{'mean |ours - girth|':24}{mad_a:10.4f}{mad_b:10.4f}")
    print(f"{'max |ours - girth|':24}{np.abs(cal.a - ga).max():10.4f}", end="")
    print(f"{np.abs(cal.b - gb).max():10.4f}")
    for name, (ea, eb) in {"ours": (cal.a, cal.b), "girth": (ga, gb)}.items():
        print(f"{'corr(' + name + ', truth)':24}{corr(ea, a):10.4f}{corr(eb, b):10.4f}")
        print(
            f"{'RMSE ' + name + ' vs truth':24}{rmse(ea, a):10.4f}{rmse(eb, b):10.4f}"
        )
    seconds = float(girth["seconds"])  # type: ignore[arg-type]
    print(f"fit time: ours {ours_s:.3f} s, girth {seconds:.3f} s, ", end="")
    print(f"ours/girth = {ours_s / seconds:.2f}")


if __name__ == "__main__":
    main()
