"""Fit and score pyBKT on prepared CSVs; runs INSIDE ``benchmarks/.venv-pybkt``.

Started as a subprocess by ``benchmarks/kt_vs_pybkt.py`` (never imported by
the main project: pyBKT 1.4.3 needs numpy < 2). Input CSVs use pyBKT's column
names (order_id, user_id, skill_name, correct); ``order_id`` is the row's
position in the main script's arrays. Prints one JSON object to stdout:
``auc`` (pyBKT's own ``evaluate``), ``fit_seconds``, ``predictions`` (test
rows in ``order_id`` order), ``order_id``, ``params`` (per skill: prior,
learn, forget, guess, slip) and build facts (``cpp``).

Usage: python pybkt_runner.py TRAIN.csv TEST.csv --seed 0 --num-fits 1 [--forgets]
[--repeats R] (R fits with the same seed, the fastest one timed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time


def cpp_build() -> tuple[bool, str, str]:
    """Whether pyBKT's E-step is the compiled C++ module (not the pure-Python one)."""
    import pyBKT
    from pyBKT.fit import E_step

    version = str(getattr(pyBKT, "version", "?"))
    path = str(getattr(E_step, "__file__", "") or "")
    return ("C++" in version and path.endswith(".so")), version, path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-fits", type=int, default=1)
    parser.add_argument("--forgets", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="fits; min time")
    parser.add_argument("--check-only", action="store_true")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    from pyBKT.models import Model

    cpp, version, e_step = cpp_build()
    info = {
        "cpp": cpp,
        "pybkt_version": version,
        "e_step": e_step,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    if args.check_only:
        print(json.dumps(info))
        return 0

    dtypes = {"order_id": "int64", "user_id": "int64", "skill_name": str}
    train = pd.read_csv(args.train, dtype=dtypes)
    test = pd.read_csv(args.test, dtype=dtypes)

    # pyBKT may print; keep stdout clean for the JSON answer.
    with contextlib.redirect_stdout(sys.stderr):
        times = []
        for _ in range(max(1, args.repeats)):
            model = Model(seed=args.seed, num_fits=args.num_fits)
            start = time.perf_counter()
            model.fit(data=train.copy(), forgets=args.forgets)
            times.append(time.perf_counter() - start)
        fit_seconds = min(times)

        # Rows of skills never seen in training: pyBKT cannot score them, so
        # they are left out of its own evaluate() and given 0.5 in predict().
        known = test["skill_name"].isin(set(model.fit_model))
        start = time.perf_counter()
        auc = model.evaluate(data=test[known].copy(), metric="auc")
        eval_seconds = time.perf_counter() - start
        preds = model.predict(data=test[known].copy())

    preds = preds.sort_values("order_id")
    by_order = dict(
        zip(
            preds["order_id"].tolist(),
            preds["correct_predictions"].astype(float).tolist(),
            strict=True,
        )
    )
    order = test["order_id"].sort_values().tolist()
    predictions = [by_order.get(o, 0.5) for o in order]
    params = {
        str(skill): [
            float(np.ravel(m["prior"])[0]),
            float(np.ravel(m["learns"])[0]),
            float(np.ravel(m["forgets"])[0]),
            float(np.ravel(m["guesses"])[0]),
            float(np.ravel(m["slips"])[0]),
        ]
        for skill, m in model.fit_model.items()
    }
    result = {
        **info,
        "params": params,
        "auc": float(auc),
        "fit_seconds": fit_seconds,
        "fit_seconds_all": times,
        "evaluate_seconds": eval_seconds,
        "n_train": len(train),
        "n_test": len(test),
        "n_test_unknown_skill": int((~known).sum()),
        "n_skills_fitted": len(model.fit_model),
        "order_id": order,
        "predictions": predictions,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
