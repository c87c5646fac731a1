"""CAT benchmark: our engine (levelwise.learners.cat) against catsim 0.21, same run.

Run from the repo root: ``.venv/bin/python benchmarks/cat_vs_catsim.py``
(``--examinees N`` per condition, default 500; ``--seed``; ``--quick``: 100
examinees, 1,000-item 2PL bank only; ``--no-posthoc``: skip the DKT post-hoc
simulation; ``--setup-only``: build the catsim venv and stop).

catsim (PyPI, BSD-3) is not a project dependency: it lives in
``benchmarks/.venv-catsim`` (git-ignored), created on first use with
``pip install catsim==0.21.*``. This script re-runs itself there with
``--catsim-runner DIR`` (that mode imports catsim only, never levelwise).

Both engines see the same banks, the same examinees θ ~ N(0, 1) and the same
response world: examinee ``i`` answers item ``j`` right iff ``U[i, j] < P_ij``
for one shared uniform matrix ``U``. Both select by maximum information and
stop at SE ≤ target or 50 items. catsim estimates θ by ML
(``NumericalSearchEstimator``, bounded search with Dodd's heuristic) and its
SE is ``catsim.irt.see`` at that ML estimate; ours is EAP (N(0, 1) prior; SE
= posterior sd). Rows:

* ``catsim``: ``MaxInfoSelector()`` (no exposure control);
* ``ours max-info``: ``randomesque=1``, no cap, no balancing;
* ``ours controlled``: ``randomesque=5``, ``max_exposure=0.25``, content
  balancing over 4 content areas (items assigned round-robin, target 25 %
  each).

Banks: ``2PL-500``, ``2PL-1000``, ``3PL-1000`` draw a ~ e^N(0, 0.25) + 0.5,
b ~ N(0, 1), c ~ U(0, 0.25) (3PL); the ``cs`` banks follow catsim's own
generator (a ~ N(1.2, 0.25), b ~ N(0, 1), c ~ N(0.25, 0.02)), less informative.

Timing: wall time of each ``select``/``next_item`` call only (perf_counter),
ms per call, median over the run. Exposure = max over items of the share of
examinees that saw the item.

Post-hoc (DKT Synthetic-5 v0, 4,000 learners × 50 items, generator
difficulties from the info file, a = 1, c = 0.25): correlation with the full
50-item EAP estimate of a 10-item CAT (max-info on the learner's recorded
answers) vs a random fixed 10-item form.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-catsim"
CATSIM = "catsim==0.21.*"
MAX_ITEMS = 50
DKT = BENCH.parent.parent / "shared" / "data" / "synthetic5_dkt"


def catsim_runner(workdir: Path) -> None:
    """Run every condition in ``workdir/conditions.json`` through catsim."""
    import catsim  # only in the catsim venv
    from catsim.estimation import NumericalSearchEstimator
    from catsim.irt import see
    from catsim.item_bank import ItemBank
    from catsim.selection import MaxInfoSelector

    conditions = json.loads((workdir / "conditions.json").read_text())
    out = {"version": catsim.__version__ if hasattr(catsim, "__version__") else "?"}
    for cond in conditions:
        data = np.load(workdir / f"{cond['bank']}.npz")
        items = np.column_stack(
            [data["a"], data["b"], data["c"], np.ones_like(data["a"])]
        )
        bank = ItemBank(items)
        thetas, uniform = data["theta"], data["uniform"]
        prob = data["c"] + (1 - data["c"]) / (
            1 + np.exp(-data["a"] * (thetas[:, None] - data["b"]))
        )
        selector, estimator = MaxInfoSelector(), NumericalSearchEstimator()
        lengths, estimates, given, times = [], [], [], []
        for i in range(len(thetas)):
            administered: list[int] = []
            responses: list[bool] = []
            est = 0.0
            while len(administered) < MAX_ITEMS:
                if administered and see(est, items[administered]) <= cond["se"]:
                    break
                t0 = time.perf_counter()
                item = selector.select(
                    item_bank=bank, administered_items=administered, est_theta=est
                )
                times.append(time.perf_counter() - t0)
                administered.append(int(item))
                responses.append(bool(uniform[i, item] < prob[i, item]))
                est = float(
                    estimator.estimate(
                        item_bank=bank,
                        administered_items=administered,
                        response_vector=responses,
                        est_theta=est,
                    )
                )
            lengths.append(len(administered))
            estimates.append(est)
            given.extend(administered)
        out[cond["name"]] = {
            "lengths": lengths,
            "estimates": estimates,
            "given": given,
            "ms": float(np.median(times) * 1000),
        }
    (workdir / "catsim.json").write_text(json.dumps(out))


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('catsim'))",
        ],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", CATSIM, "numpy"], check=True
        )
    return python


def make_bank(
    rng: np.random.Generator, n: int, guess: bool, like_catsim: bool
) -> dict[str, Any]:
    """Our bank (a ~ e^N(0, 0.25) + 0.5, c ~ U(0, 0.25)) or catsim's generator's."""
    if (
        like_catsim
    ):  # catsim ItemBank.generate_item_bank: (b, a) ~ N((0, 1.2), (1, .25))
        return {
            "a": np.abs(rng.normal(1.2, 0.25, n)),
            "b": rng.normal(0.0, 1.0, n),
            "c": rng.normal(0.25, 0.02, n).clip(0) if guess else np.zeros(n),
        }
    return {
        "a": np.exp(rng.normal(0.0, 0.25, n)) + 0.5,
        "b": rng.normal(0.0, 1.0, n),
        "c": rng.uniform(0.0, 0.25, n) if guess else np.zeros(n),
    }


def synthetic5_bank() -> dict[str, Any]:
    """A 3PL bank calibrated (by our MML-EM) from synthetic-5's 4,000 x 50 answers."""
    from levelwise.learners.calibrate import calibrate

    answers = np.loadtxt(DKT / "naive_c5_q50_s4000_v0.csv", delimiter=",", dtype=int)
    fitted = calibrate(answers, model="3pl")
    return {"a": fitted.a, "b": fitted.b, "c": fitted.c}


def run_ours(
    data: dict[str, Any], se: float, controlled: bool, seed: int
) -> dict[str, Any]:
    from levelwise.learners import cat

    n = len(data["a"])
    bank = cat.ItemBank.from_arrays(
        data["a"], data["b"], data["c"], dimension=np.arange(n) % 4
    )
    settings = cat.CatSettings(
        se_target=se,
        max_items=MAX_ITEMS,
        randomesque=5 if controlled else 1,
        max_exposure=0.25 if controlled else None,
        content_targets=(0.25,) * 4 if controlled else None,
    )
    rng, exposure = np.random.default_rng(seed), cat.Exposure.empty(bank)
    thetas, uniform = data["theta"], data["uniform"]
    lengths, estimates, times = [], [], []
    for i in range(len(thetas)):
        state = cat.start(bank, settings)
        while True:
            t0 = time.perf_counter()
            item = cat.next_item(bank, settings, state, rng, exposure)
            if item is None:
                break
            times.append(time.perf_counter() - t0)
            p = data["c"][item] + (1 - data["c"][item]) / (
                1 + np.exp(-data["a"][item] * (thetas[i] - data["b"][item]))
            )
            state = cat.ask(bank, state, item)
            state = cat.answer(bank, settings, state, item, uniform[i, item] < p)
        exposure = cat.record(exposure, state)
        lengths.append(len(state.items))
        estimates.append(state.theta[0])
    return {
        "lengths": lengths,
        "estimates": estimates,
        "exposure": float(exposure.rates.max()),
        "ms": float(np.median(times) * 1000),
    }


def summarise(res: dict[str, Any], thetas: np.ndarray) -> str:
    lengths, est = np.asarray(res["lengths"]), np.asarray(res["estimates"])
    err = est - thetas
    if "exposure" not in res:
        counts = np.bincount(res["given"])
        res["exposure"] = counts.max() / len(thetas)
    reached = float((lengths < MAX_ITEMS).mean() * 100)
    return (
        f"{np.median(lengths):6.1f} | {np.percentile(lengths, 90):5.1f} | "
        f"{reached:5.1f} | {np.sqrt((err**2).mean()):.3f} | {err.mean():+.3f} | "
        f"{res['exposure'] * 100:5.1f} | {res['ms']:.3f}"
    )


def posthoc(seed: int) -> None:
    from levelwise.learners import cat
    from levelwise.learners.irt import estimate_ability

    answers = np.loadtxt(DKT / "naive_c5_q50_s4000_v0.csv", delimiter=",", dtype=int)
    info = np.loadtxt(DKT / "naive_c5_q50_s4000_v0_info.txt")
    b = info[:, 3]
    a, c = np.ones_like(b), np.full_like(b, 0.25)
    bank = cat.ItemBank.from_arrays(a, b, c)
    settings = cat.CatSettings(se_target=None, max_items=10, randomesque=1)
    rng = np.random.default_rng(seed)
    form = rng.choice(len(b), 10, replace=False)
    full, adaptive, fixed = [], [], []
    for row in answers:
        full.append(estimate_ability(a, b, c, row).theta)
        fixed.append(estimate_ability(a[form], b[form], c[form], row[form]).theta)
        state = cat.start(bank, settings)
        while (item := cat.next_item(bank, settings, state, rng)) is not None:
            state = cat.ask(bank, state, item)
            state = cat.answer(bank, settings, state, item, bool(row[item]))
        adaptive.append(state.theta[0])
    r_cat = np.corrcoef(full, adaptive)[0, 1]
    r_fixed = np.corrcoef(full, fixed)[0, 1]
    print(f"\nPost-hoc, DKT Synthetic-5 v0 ({len(answers)} learners, 50 items):")
    print(f"  r(10-item CAT, full 50-item EAP)         = {r_cat:.3f}")
    print(f"  r(random fixed 10-item form, full EAP)   = {r_fixed:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examinees", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-posthoc", action="store_true")
    parser.add_argument("--setup-only", action="store_true")
    parser.add_argument("--catsim-runner", type=Path)
    args = parser.parse_args()
    if args.catsim_runner:
        catsim_runner(args.catsim_runner)
        return
    python = ensure_venv()
    if args.setup_only:
        return
    n_exam = 100 if args.quick else args.examinees
    rng = np.random.default_rng(args.seed)
    specs = [("2PL-1000", 1000, False, False)]
    if not args.quick:
        specs = [
            ("2PL-500", 500, False, False),
            *specs,
            ("3PL-1000", 1000, True, False),
            ("2PL-1000cs", 1000, False, True),
            ("3PL-1000cs", 1000, True, True),
        ]
    banks: dict[str, dict[str, Any]] = {}
    conditions = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        made = [(name, make_bank(rng, n, g, cs)) for name, n, g, cs in specs]
        if not args.quick and (DKT / "naive_c5_q50_s4000_v0.csv").exists():
            made.append(("synthetic5-calibrated", synthetic5_bank()))
        for name, data in made:
            n = len(data["b"])
            data["theta"] = rng.normal(0.0, 1.0, n_exam)
            data["uniform"] = rng.random((n_exam, n))
            np.savez(work / f"{name}.npz", **data)
            banks[name] = data
            for se in (0.3, 0.4):
                conditions.append({"name": f"{name} SE<={se}", "bank": name, "se": se})
        (work / "conditions.json").write_text(json.dumps(conditions))
        subprocess.run(
            [str(python), __file__, "--catsim-runner", str(work)],
            check=True,
            cwd=BENCH,
            stdout=subprocess.DEVNULL,
        )
        theirs = json.loads((work / "catsim.json").read_text())
    print(f"catsim {theirs['version']}, {n_exam} examinees per condition, max 50 items")
    print(
        "\n| condition | engine | median items | p90 | % reached SE | RMSE | bias "
        "| max exposure % | ms/selection |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for k, cond in enumerate(conditions):
        data, se = banks[cond["bank"]], cond["se"]
        rows = {
            "catsim max-info (ML)": theirs[cond["name"]],
            "ours max-info (EAP)": run_ours(data, se, False, args.seed + k),
            "ours controlled (EAP)": run_ours(data, se, True, args.seed + k),
        }
        for engine, res in rows.items():
            line = summarise(res, data["theta"])
            print(f"| {cond['name']} | {engine} | {line} |")
    if not args.no_posthoc and DKT.exists():
        posthoc(args.seed)


if __name__ == "__main__":
    main()
