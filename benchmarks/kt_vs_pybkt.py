"""Knowledge tracing benchmark: our BKT against pyBKT 1.4.3 (C++ build), same run.

Run from the repo root: ``.venv/bin/python benchmarks/kt_vs_pybkt.py``
(``--quick``: DKT split only, 1 restart, both settings unless
``--no-forgetting``; ``--folds N``: the first N AKT folds; ``--restarts``,
``--seed``, ``--repeats R``: time the fastest of R fits per side;
``--pybkt-threads``: OMP_NUM_THREADS for pyBKT's OpenMP E-step;
``--setup-only``: build the pyBKT venv and stop).

pyBKT lives in its own virtual environment, ``benchmarks/.venv-pybkt``, which
this script creates on first use and reuses afterwards: the PyPI wheel of
pyBKT is a slow pure-Python build that breaks on numpy 2 and scikit-learn
>= 1.8, so the C++ build is compiled from the sdist against numpy < 2. The
script refuses to time a pyBKT whose E-step is not the compiled module.

Both models see exactly the same rows, learner order and skill mapping: the
data are read once here, written to CSV in pyBKT's column format
(order_id, user_id, skill_name, correct) for ``pybkt_runner.py`` (run in the
other venv), and handed to ``levelwise.learners.bkt.BKT`` as ``Responses``.
Both sides' raw test predictions are scored with the same AUC function
(:func:`auc`, rank formula, ties averaged); pyBKT's own ``evaluate`` AUC is
printed for reference. Prediction is online and row level (every row).

Fit time: pyBKT's ``Model.fit`` on a DataFrame (includes its own conversion
to arrays), ours ``Responses.from_arrays`` + ``BKT.fit``; data loading, CSV
writing and the pyBKT import are outside both clocks.

A second table checks both sides: each side's fitted parameters are run
through one plain row-by-row BKT filter (:func:`reference_filter`) and the
rows where that differs from the side's own predictions are counted (0 = the
same online semantics, no label leak), with the training log-likelihood of
each fit (which EM found the better optimum) and the AUC of the reference
predictions.

Datasets (``../shared/data`` by default):

* ASSIST2009 as in the DKT paper, its train/test split;
* ASSIST2009 AKT 5 folds: fold k trains on ``test_fold != k``, tests on k.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RUNNER = BENCH / "pybkt_runner.py"
VENV = BENCH / ".venv-pybkt"
DATA = ROOT.parent / "shared" / "data"
DKT_DEFAULT = DATA / "assist2009_dkt_piech" / "interactions.csv.gz"
AKT_DEFAULT = DATA / "assist2009_akt" / "interactions.csv.gz"

PYBKT = "pyBKT==1.4.3"
VENV_DEPS = ["wheel", "setuptools", "numpy<2", "pandas<2.3", "scikit-learn<1.8"]


# --------------------------------------------------------------------------
# AUC: one function for both sides.


def auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve by the rank formula, tied scores averaged.

    AUC = (sum of positive ranks - P(P+1)/2) / (P N), ranks 1..n with ties
    given their mean rank (equals the Mann-Whitney U / (P N)).
    """
    y_arr = np.asarray(y, dtype=np.int64)
    s = np.asarray(score, dtype=np.float64)
    n = s.shape[0]
    n_pos = int(y_arr.sum())
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    s_sorted = s[order]
    # tie groups in sorted order: [start, end) with equal scores
    edges = np.flatnonzero(np.diff(s_sorted)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [n]))
    mean_rank = (starts + 1 + ends) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    pos_rank_sum = float(ranks[y_arr == 1].sum())
    return (pos_rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


# --------------------------------------------------------------------------
# Reference BKT filter: checks both sides' predictions and scores their fits.


def reference_filter(
    params: npt.NDArray[np.float64],
    learner: npt.NDArray[np.int64],
    skill: npt.NDArray[np.int64],
    correct: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Online P(correct) per row, one row at a time (plain Python, for checking).

    ``params``: one row per skill (prior, learn, forget, guess, slip); a NaN
    row (a skill a model never fitted) predicts 0.5 and is never updated.
    """
    table = params.tolist()
    # P(known) and P(unknown) kept as two numbers: P(unknown) keeps its
    # relative precision when it is tiny, so P(known) never sticks at 1.0
    state: dict[tuple[int, int], tuple[float, float]] = {}
    out = []
    rows = zip(learner.tolist(), skill.tolist(), correct.tolist(), strict=True)
    for lrn, skl, cor in rows:
        prior, learn, forget, guess, slip = table[skl]
        if prior != prior:  # NaN: unfitted skill
            out.append(0.5)
            continue
        k, u = state.get((lrn, skl), (prior, 1.0 - prior))
        out.append(k * (1.0 - slip) + u * guess)
        if cor:
            k, u = k * (1.0 - slip), u * guess
        else:
            k, u = k * slip, u * (1.0 - guess)
        total = k + u
        if total > 0.0:  # 0: an answer the parameters call impossible
            k, u = k / total, u / total
        else:
            k, u = state.get((lrn, skl), (prior, 1.0 - prior))
        state[(lrn, skl)] = (
            k * (1.0 - forget) + u * learn,
            k * forget + u * (1.0 - learn),
        )
    return np.asarray(out)


def log_likelihood(p: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> float:
    """Mean log-likelihood per row of online predictions ``p`` (exact HMM LL)."""
    q = np.clip(np.where(y == 1, p, 1.0 - p), 1e-12, 1.0)
    return float(np.mean(np.log(q)))


# --------------------------------------------------------------------------
# The pyBKT virtual environment.


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def pybkt_check(venv: Path) -> dict[str, Any] | None:
    """Facts about the venv's pyBKT build, or None when it is unusable."""
    py = venv_python(venv)
    if not py.exists():
        return None
    proc = subprocess.run(
        [str(py), str(RUNNER), "-", "-", "--check-only"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


def ensure_pybkt_venv(venv: Path) -> tuple[dict[str, Any], float | None]:
    """Create (or reuse) the pyBKT venv; return its facts and the setup seconds."""
    info = pybkt_check(venv)
    if info is not None and info["cpp"]:
        return info, None
    start = time.perf_counter()
    print(f"setting up {venv} (pyBKT C++ build from sdist, a few minutes) ...")
    base = shutil.which("python3") or sys.executable
    repair = venv_python(venv).exists()  # present but pyBKT missing/pure Python
    if not repair:
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *VENV_DEPS], check=True)
    reinstall = ["--force-reinstall", "--no-deps"] if repair else []
    subprocess.run(
        [*pip, *reinstall, "--no-binary", "pyBKT", "--no-build-isolation", PYBKT],
        check=True,
    )
    seconds = time.perf_counter() - start
    info = pybkt_check(venv)
    if info is None or not info["cpp"]:
        msg = f"pyBKT in {venv} is not the C++ build: {info}"
        raise SystemExit(msg)
    return info, seconds


# --------------------------------------------------------------------------
# Data: one table of rows, grouped by learner, time-ordered within a learner.


@dataclass(frozen=True)
class Table:
    learner: npt.NDArray[np.int64]
    skill: npt.NDArray[np.int64]
    correct: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]  # DKT: 0 train / 1 test; AKT: test fold
    skill_names: tuple[str, ...]


def read_rows(path: Path) -> dict[str, list[str]]:
    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols: list[list[str]] = [[] for _ in header]
        for row in reader:
            for col, value in zip(cols, row, strict=True):
                col.append(value)
    return dict(zip(header, cols, strict=True))


def make_table(
    seq: list[str], pos: list[str], skill: list[str], correct: list[str], group: Any
) -> Table:
    # learners numbered by first appearance; rows sorted (learner, pos), stable
    _, first, learner = np.unique(
        np.asarray(seq), return_index=True, return_inverse=True
    )
    learner = np.argsort(np.argsort(first))[learner]
    pos_arr = np.asarray(pos, dtype=np.int64)
    order = np.lexsort((pos_arr, learner))
    skill_ids = np.asarray(skill, dtype=np.int64)
    uniq, skill_idx = np.unique(skill_ids, return_inverse=True)
    return Table(
        learner=learner[order].astype(np.int64),
        skill=skill_idx[order].astype(np.int64),
        correct=np.asarray(correct, dtype=np.int64)[order],
        group=np.asarray(group, dtype=np.int64)[order],
        skill_names=tuple(str(s) for s in uniq),
    )


def load_dkt(path: Path) -> Table:
    cols = read_rows(path)
    group = [0 if s == "train" else 1 for s in cols["split"]]
    return make_table(
        cols["seq_id"], cols["pos"], cols["skill_id"], cols["correct"], group
    )


def load_akt(path: Path) -> Table:
    cols = read_rows(path)
    return make_table(
        cols["seq_id"],
        cols["pos"],
        cols["skill_id"],
        cols["correct"],
        cols["test_fold"],
    )


def write_pybkt_csv(path: Path, table: Table, rows: npt.NDArray[np.bool_]) -> None:
    """pyBKT columns; order_id = row index in ``table``, skill_name = our index."""
    idx = np.flatnonzero(rows)
    data = np.column_stack(
        (idx, table.learner[idx], table.skill[idx], table.correct[idx])
    )
    np.savetxt(
        path,
        data,
        fmt="%d",
        delimiter=",",
        header="order_id,user_id,skill_name,correct",
        comments="",
    )


# --------------------------------------------------------------------------
# The two sides.


@dataclass
class Side:
    auc: float
    fit_seconds: float
    predictions: npt.NDArray[np.float64]
    own_auc: float | None = None  # pyBKT's evaluate()
    note: str = ""
    params: npt.NDArray[np.float64] | None = None  # per skill, see reference_filter
    check: int | None = None  # test rows where |reference_filter - own| > 1e-6
    outside: int | None = None  # predictions outside [0, 1] or NaN
    ref_auc: float | None = None  # AUC of reference_filter on the fitted params
    train_ll: float | None = None  # mean train log-likelihood of the fit
    degenerate: int | None = None  # fitted skills with guess or slip > 0.5


def run_pybkt(
    venv: Path,
    train_csv: Path,
    test_csv: Path,
    test_rows: npt.NDArray[np.int64],
    y_test: npt.NDArray[np.int64],
    n_skills: int,
    *,
    seed: int,
    num_fits: int,
    forgets: bool,
    repeats: int,
    threads: int | None,
) -> Side:
    cmd = [
        str(venv_python(venv)),
        str(RUNNER),
        str(train_csv),
        str(test_csv),
        "--seed",
        str(seed),
        "--num-fits",
        str(num_fits),
        "--repeats",
        str(repeats),
    ]
    if forgets:
        cmd.append("--forgets")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        msg = f"pybkt_runner failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        raise RuntimeError(msg)
    out = json.loads(proc.stdout)
    if not out["cpp"]:
        msg = f"pyBKT is not the C++ build: {out['pybkt_version']}"
        raise RuntimeError(msg)
    if not np.array_equal(np.asarray(out["order_id"], dtype=np.int64), test_rows):
        raise RuntimeError("pyBKT predictions are not for the test rows")
    preds = np.asarray(out["predictions"], dtype=np.float64)
    note = ""
    if out["n_test_unknown_skill"]:
        note = (
            f"{out['n_test_unknown_skill']} test row(s) of a skill absent from "
            "training: pyBKT predicts 0.5 there; its evaluate() skips them"
        )
    params = np.full((n_skills, 5), np.nan)
    for name, values in out["params"].items():
        params[int(name)] = values
    return Side(
        auc=auc(y_test, preds),
        fit_seconds=float(out["fit_seconds"]),
        predictions=preds,
        own_auc=float(out["auc"]),
        note=note,
        params=params,
    )


def load_ours() -> tuple[Any, Any, str]:
    """(BKT class, Responses class, "") or (None, None, why not)."""
    if not (ROOT / "src" / "levelwise" / "learners" / "bkt.py").exists():
        return None, None, "not available yet (src/levelwise/learners/bkt.py missing)"
    try:
        # imported by name: the module is being written while this runs
        bkt_module = importlib.import_module("levelwise.learners.bkt")
        from levelwise.learners.base import Responses
    except Exception as exc:  # an in-progress module may fail in any way
        return None, None, f"not available yet (import failed: {exc!r})"
    return bkt_module.BKT, Responses, ""


def responses(responses_cls: Any, table: Table, rows: npt.NDArray[np.bool_]) -> Any:
    return responses_cls.from_arrays(
        table.learner[rows],
        table.skill[rows],
        table.correct[rows],
        n_skills=len(table.skill_names),
        skill_names=table.skill_names,
    )


def run_ours(
    bkt_cls: Any,
    responses_cls: Any,
    table: Table,
    train: npt.NDArray[np.bool_],
    test: npt.NDArray[np.bool_],
    *,
    seed: int,
    restarts: int,
    forgetting: bool,
    repeats: int,
) -> Side:
    times = []
    for _ in range(max(1, repeats)):
        model = bkt_cls(n_restarts=restarts, forgetting=forgetting, random_state=seed)
        start = time.perf_counter()
        model.fit(responses(responses_cls, table, train))
        times.append(time.perf_counter() - start)
    fit_seconds = min(times)
    preds = np.asarray(
        model.predict_proba(responses(responses_cls, table, test)), dtype=np.float64
    )
    names = ("prior_", "learn_", "forget_", "guess_", "slip_")
    params = None
    if all(hasattr(model, name) for name in names):
        params = np.column_stack([getattr(model, name) for name in names])
    return Side(
        auc=auc(table.correct[test], preds),
        fit_seconds=fit_seconds,
        predictions=preds,
        params=params,
    )


# --------------------------------------------------------------------------
# Benchmark driver.


@dataclass
class Result:
    dataset: str
    setting: str
    n_train: int
    n_test: int
    pybkt: Side
    ours: Side | None
    ours_note: str = ""


def diagnose(side: Side, table: Table, train: Any, test: Any) -> None:
    """Fill ``check``, ``train_ll`` and ``degenerate`` from the side's parameters."""
    if side.params is None:
        return
    args = (table.learner, table.skill, table.correct)
    ref_test = reference_filter(side.params, *(a[test] for a in args))
    side.ref_auc = auc(table.correct[test], ref_test)
    side.check = int(np.sum(~(np.abs(ref_test - side.predictions) <= 1e-6)))
    p = side.predictions
    side.outside = int(np.sum(~((p >= -1e-9) & (p <= 1.0 + 1e-9))))
    ref_train = reference_filter(side.params, *(a[train] for a in args))
    side.train_ll = log_likelihood(ref_train, table.correct[train])
    fitted = side.params[~np.isnan(side.params[:, 0])]
    side.degenerate = int(np.sum((fitted[:, 3] > 0.5) | (fitted[:, 4] > 0.5)))


def run_split(
    name: str,
    table: Table,
    train: npt.NDArray[np.bool_],
    test: npt.NDArray[np.bool_],
    settings: list[bool],
    args: argparse.Namespace,
    tmp: Path,
) -> list[Result]:
    train_csv, test_csv = tmp / "train.csv", tmp / "test.csv"
    write_pybkt_csv(train_csv, table, train)
    write_pybkt_csv(test_csv, table, test)
    test_rows = np.flatnonzero(test).astype(np.int64)
    y_test = table.correct[test]
    bkt_cls, responses_cls, why = load_ours()
    results = []
    for forgets in settings:
        setting = f"{args.restarts} restart{'s' * (args.restarts > 1)}" + (
            ", forgetting" if forgets else ""
        )
        print(f"  {name:<18} {setting:<24}", end="", flush=True)
        pyb = run_pybkt(
            args.venv,
            train_csv,
            test_csv,
            test_rows,
            y_test,
            len(table.skill_names),
            seed=args.seed,
            num_fits=args.restarts,
            forgets=forgets,
            repeats=args.repeats,
            threads=args.pybkt_threads,
        )
        print(f" pyBKT {pyb.auc:.4f} in {pyb.fit_seconds:.2f}s", end="", flush=True)
        ours, note = None, why
        if bkt_cls is not None:
            try:
                ours = run_ours(
                    bkt_cls,
                    responses_cls,
                    table,
                    train,
                    test,
                    seed=args.seed,
                    restarts=args.restarts,
                    forgetting=forgets,
                    repeats=args.repeats,
                )
                print(f" | ours {ours.auc:.4f} in {ours.fit_seconds:.2f}s", end="")
            except Exception as exc:
                traceback.print_exc()
                note = f"failed: {exc!r}"
        print(flush=True)
        diagnose(pyb, table, train, test)
        if ours is not None:
            diagnose(ours, table, train, test)
        results.append(
            Result(name, setting, int(train.sum()), int(test.sum()), pyb, ours, note)
        )
    return results


def fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or np.isnan(x) else format(x, spec)


def print_table(results: list[Result]) -> None:
    head = (
        f"{'dataset':<18} {'setting':<24} {'test rows':>9} {'pyBKT AUC':>9} "
        f"{'ours AUC':>9} {'diff':>8} {'pyBKT fit s':>11} {'ours fit s':>10} "
        f"{'ours/pyBKT':>10} {'pyBKT eval':>10} {'mean|dp|':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        o = r.ours
        diff = None if o is None else o.auc - r.pybkt.auc
        ratio = None if o is None else o.fit_seconds / r.pybkt.fit_seconds
        dp = (
            None
            if o is None
            else float(np.mean(np.abs(o.predictions - r.pybkt.predictions)))
        )
        print(
            f"{r.dataset:<18} {r.setting:<24} {r.n_test:>9} "
            f"{fmt(r.pybkt.auc, '.4f'):>9} {fmt(o and o.auc, '.4f'):>9} "
            f"{fmt(diff, '+.4f'):>8} {fmt(r.pybkt.fit_seconds, '.2f'):>11} "
            f"{fmt(o and o.fit_seconds, '.2f'):>10} {fmt(ratio, '.2f'):>10} "
            f"{fmt(r.pybkt.own_auc, '.4f'):>10} {fmt(dp, '.4f'):>8}"
        )


def print_diagnostics(results: list[Result]) -> None:
    head = (
        f"{'dataset':<18} {'setting':<24} {'ref!=pyBKT':>10} {'ref!=ours':>9} "
        f"{'p out pyBKT':>11} {'p out ours':>10} "
        f"{'train LL pyBKT':>14} {'train LL ours':>13} "
        f"{'g|s>0.5 pyBKT':>13} {'g|s>0.5 ours':>12} "
        f"{'ref AUC pyBKT':>13} {'ref AUC ours':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        if r.pybkt.check is None:
            continue
        o = r.ours
        print(
            f"{r.dataset:<18} {r.setting:<24} {fmt(r.pybkt.check, 'd'):>10} "
            f"{fmt(o and o.check, 'd'):>9} {fmt(r.pybkt.outside, 'd'):>11} "
            f"{fmt(o and o.outside, 'd'):>10} {fmt(r.pybkt.train_ll, '.5f'):>14} "
            f"{fmt(o and o.train_ll, '.5f'):>13} "
            f"{fmt(r.pybkt.degenerate, 'd'):>13} {fmt(o and o.degenerate, 'd'):>12} "
            f"{fmt(r.pybkt.ref_auc, '.4f'):>13} {fmt(o and o.ref_auc, '.4f'):>12}"
        )


def summarize_folds(results: list[Result]) -> list[Result]:
    """One mean row per (dataset prefix, setting) over the AKT folds."""
    out = []
    settings = sorted({r.setting for r in results if r.dataset.startswith("AKT")})
    for setting in settings:
        rows = [
            r for r in results if r.dataset.startswith("AKT") and r.setting == setting
        ]
        if len(rows) < 2:
            continue
        pyb = Side(
            auc=float(np.mean([r.pybkt.auc for r in rows])),
            fit_seconds=float(np.mean([r.pybkt.fit_seconds for r in rows])),
            predictions=np.concatenate([r.pybkt.predictions for r in rows]),
            own_auc=float(np.mean([r.pybkt.own_auc or np.nan for r in rows])),
        )
        ours = None
        if all(r.ours is not None for r in rows):
            ours = Side(
                auc=float(np.mean([r.ours.auc for r in rows if r.ours])),
                fit_seconds=float(
                    np.mean([r.ours.fit_seconds for r in rows if r.ours])
                ),
                predictions=np.concatenate(
                    [r.ours.predictions for r in rows if r.ours]
                ),
            )
        n_test = sum(r.n_test for r in rows)
        n_train = sum(r.n_train for r in rows)
        name = f"AKT mean {len(rows)} folds"
        out.append(Result(name, setting, n_train, n_test, pyb, ours))
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dkt", type=Path, default=DKT_DEFAULT, help="DKT split CSV")
    p.add_argument("--akt", type=Path, default=AKT_DEFAULT, help="AKT folds CSV")
    p.add_argument("--quick", action="store_true", help="DKT split only, 1 restart")
    p.add_argument("--no-forgetting", action="store_true", help="skip forgets=True")
    p.add_argument("--folds", type=int, default=5, help="AKT folds to run (0-5)")
    p.add_argument("--restarts", type=int, default=1, help="EM restarts per side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeats", type=int, default=1, help="fits per side; the fastest is timed"
    )
    p.add_argument(
        "--pybkt-threads",
        type=int,
        default=None,
        help="OMP_NUM_THREADS for pyBKT's OpenMP E-step (default: all cores)",
    )
    p.add_argument("--venv", type=Path, default=VENV, help="pyBKT virtualenv")
    p.add_argument(
        "--setup-only", action="store_true", help="create the pyBKT venv and stop"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.restarts = 1
        args.folds = 0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info, setup_seconds = ensure_pybkt_venv(args.venv)
    if args.setup_only:
        took = "reused" if setup_seconds is None else f"built in {setup_seconds:.0f}s"
        print(f"pyBKT venv {args.venv}: {took}; {info}")
        return 0

    bkt_cls, _, why = load_ours()
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(
        f"python {platform.python_version()}, numpy {np.__version__} (ours); "
        f"pyBKT {info['pybkt_version']} [C++ E-step: {info['cpp']}], "
        f"numpy {info['numpy']}, pandas {info['pandas']} (pyBKT venv)"
    )
    threads = args.pybkt_threads or os.environ.get("OMP_NUM_THREADS") or "all"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; pyBKT OpenMP "
        f"threads: {threads}; seed {args.seed}; fit times: fastest of "
        f"{args.repeats}"
    )
    if setup_seconds is not None:
        print(f"pyBKT venv set up in {setup_seconds:.0f}s")
    print(f"ours: {'levelwise.learners.bkt.BKT' if bkt_cls else why}")
    settings = [False] if args.no_forgetting else [False, True]

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kt_vs_pybkt_") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        dkt = load_dkt(args.dkt)
        print(
            f"DKT split: {len(dkt.correct)} rows, {len(dkt.skill_names)} skills "
            f"(read in {time.perf_counter() - t0:.1f}s)"
        )
        results += run_split(
            "DKT split",
            dkt,
            dkt.group == 0,
            dkt.group == 1,
            settings,
            args,
            tmp,
        )
        if args.folds > 0:
            akt = load_akt(args.akt)
            print(f"AKT folds: {len(akt.correct)} rows, {len(akt.skill_names)} skills")
            for k in range(1, min(args.folds, 5) + 1):
                results += run_split(
                    f"AKT fold {k}",
                    akt,
                    akt.group != k,
                    akt.group == k,
                    settings,
                    args,
                    tmp,
                )
    results += summarize_folds(results)

    print()
    print_table(results)
    notes = {f"{r.dataset}: {r.pybkt.note}" for r in results if r.pybkt.note}
    notes |= {f"ours: {r.ours_note}" for r in results if r.ours_note}
    print()
    print_diagnostics(results)
    print()
    print(
        "ref!=X = test rows where X's own prediction differs by > 1e-6 from a "
        "reference row-by-row BKT filter run on X's fitted parameters (P(known) "
        "and P(unknown) kept separately, so P(known) never rounds to exactly 1; "
        "0 = same online semantics, no leak; without forgetting, rows after "
        "P(known) rounded to 1.0 in X's filter differ); "
        "p out = predictions outside [0, 1] (beyond 1e-9) or NaN; train LL = mean "
        "log-likelihood per training row of the fitted parameters (higher = "
        "better EM fit); g|s>0.5 = fitted skills "
        "with guess or slip above 0.5; ref AUC = AUC of the reference filter's "
        "predictions on X's parameters."
    )
    print(
        "AUC: the same rank-formula function on both sides' raw test predictions "
        "(every row, online); 'pyBKT eval' = pyBKT's own evaluate(metric='auc'); "
        "mean|dp| = mean absolute difference of the two predictions."
    )
    for note in sorted(notes):
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
