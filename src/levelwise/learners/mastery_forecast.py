"""How well BKT forecasts the attempts a learner needs to master a skill.

"Mastery" is ASSISTments' skill-builder rule, three right answers in a row on
one skill; the number of attempts on that skill until it happens is the
learner's time to the next level. For each held-out fold, BKT (the project's
:class:`~levelwise.learners.bkt.BKT`, defaults, forgetting off unless asked)
is fitted on the other folds. Every held-out (learner, skill) sequence is
forecast after ``h = 0 .. max_history`` of its attempts when it has more than
``h`` attempts and no three-in-a-row among the first ``h``. Sequences that
never reach three in a row are *censored*: their actual time is unknown, so
they are counted per ``h`` and left out of the errors.

Figures per ``h`` and overall: MAPE of the forecast median against the
actual *total* attempts from the start of the sequence (``h`` plus the
remaining ones; the time to mastery) and against the *remaining* attempts,
the share of actual remaining attempts inside the central 80 % interval, and
the interval's mean width (upper minus lower quantile, in attempts).

Forecasts scored:

* ``bkt``: the exact chain of :mod:`levelwise.learners.streak` with the
  skill's parameters and the learner's filtered P(known); median and the
  10th/90th percentiles.
* ``mixture``: learners differ in speed. Each learner has one speed ``m``
  (shared by all skills) that multiplies every skill's ``learn``, with prior
  weights over :data:`SPEEDS` fitted by EM on the training learners. At a
  forecast point the weights are updated with the likelihood of all of the
  learner's earlier attempts (other skills and this one, each under BKT with
  ``learn * m``; rows of the same multi-skill attempt are not used), and the
  forecast is the posterior mixture of the chains.
* ``bkt+cal`` and ``mixture+cal``: the same distributions with quantile
  levels recalibrated per ``h`` on the training learners' forecast points
  (quantile recalibration, in the spirit of split conformal prediction): the
  lower level is the 10th percentile of the predictive CDF at the actual
  value, the upper one the 90th percentile of the CDF one attempt below it,
  the median's level the one of a grid that minimises the training MAPE of
  the total. The training points are forecast with the BKT fitted on those
  same learners. Nothing is fitted on held-out learners.

Censored points also bound the coverage over *all* points: a censored point
is a sure miss when its interval ends before the attempts already seen
without the run, and unknown otherwise.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from levelwise.learners.base import FloatArray, IntArray, Responses
from levelwise.learners.bkt import BKT
from levelwise.learners.datasets import Dataset
from levelwise.learners.streak import (
    MAX_STEPS,
    RUN,
    base_pmfs,
    fit_speed_prior,
    speed_posterior,
)

__all__ = [
    "METHODS",
    "ForecastEvaluation",
    "HorizonScore",
    "MethodScore",
    "Points",
    "evaluate_forecasts",
    "forecast_points",
]

METHODS = ("bkt", "bkt+cal", "mixture", "mixture+cal")
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Multipliers of ``learn`` that make up the learner-speed mixture."""

_GRID = np.round(np.arange(0.2, 0.81, 0.05), 2)
_CHUNK = 4096


@dataclass(frozen=True)
class HorizonScore:
    """Forecast quality at one history length (``h = -1``: all together).

    Attributes:
        h: Attempts observed on the skill before the forecast.
        n: Forecasts scored (sequences that reach the run later).
        censored: Forecast points of sequences that never reach the run.
        mape_total: Mean |median - actual| / actual total attempts.
        mape_remaining: The same over the remaining attempts.
        coverage: Share of actual remaining attempts in the 80 % interval.
        coverage_low: Coverage over all points, censored ones counted as
            misses.
        coverage_high: Coverage over all points, censored ones counted as
            hits unless the interval ends before the attempts seen without
            the run (then they surely missed).
        mean_width: Mean upper minus lower bound of the interval.
        mean_total: Mean actual total attempts.
    """

    h: int
    n: int
    censored: int
    mape_total: float
    mape_remaining: float
    coverage: float
    coverage_low: float
    coverage_high: float
    mean_width: float
    mean_total: float


@dataclass(frozen=True)
class MethodScore:
    """The scores of one forecast method, per ``h`` and overall."""

    method: str
    by_h: tuple[HorizonScore, ...]
    overall: HorizonScore


@dataclass(frozen=True)
class ForecastEvaluation:
    """The result of :func:`evaluate_forecasts`.

    Attributes:
        source: The data file.
        format: The dataset format.
        folds: Names of the held-out folds evaluated.
        forgetting: Whether BKT fitted ``forget``.
        run: Right answers in a row that count as mastery.
        speeds: The ``learn`` multipliers of the mixture.
        speed_prior: Prior speed weights fitted per fold.
        calibration: Per calibrated method, per fold, per ``h``: the lower,
            median and upper quantile levels fitted on training learners.
        methods: Scores per method.
        seconds: Wall time.
    """

    source: str
    format: str
    folds: tuple[str, ...]
    forgetting: bool
    run: int
    speeds: tuple[float, ...]
    speed_prior: tuple[tuple[float, ...], ...]
    calibration: dict[str, tuple[tuple[tuple[float, float, float], ...], ...]]
    methods: tuple[MethodScore, ...]
    seconds: float = 0.0


@dataclass(frozen=True)
class Points:
    """Forecast points: a (learner, skill) sequence after ``h`` attempts.

    Attributes:
        learner: Learner index.
        skill: Skill index.
        h: Attempts observed on the skill.
        streak: Right answers in a row at the end of those ``h``.
        row: Row (in the data given) of the next attempt on the skill.
        remaining: Attempts from the next one to the run (0 if censored).
        observed: Attempts seen from the next one to the sequence's end.
        censored: The sequence never reaches the run.
    """

    learner: IntArray
    skill: IntArray
    h: IntArray
    streak: IntArray
    row: IntArray
    remaining: IntArray
    observed: IntArray
    censored: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        """Number of forecast points."""
        return int(self.h.shape[0])


def first_rows(data: Responses) -> Responses:
    """One row per (learner, attempt, skill): repeats of a row are dropped."""
    if not len(data):
        return data
    key = np.stack([data.learner, data.attempt, data.skill])
    repeat = np.zeros(len(data), dtype=bool)
    repeat[1:] = np.all(key[:, 1:] == key[:, :-1], axis=0)
    return data.subset(~repeat)


def forecast_points(data: Responses, *, max_history: int = 5, run: int = RUN) -> Points:
    """Every (sequence, ``h``) with more than ``h`` attempts and no run yet.

    Args:
        data: Responses, one row per attempt and skill.
        max_history: Largest ``h``.
        run: Right answers in a row that count as mastery.

    Returns:
        The points, ordered by ``h`` then sequence.
    """
    n = len(data)
    order = np.lexsort((np.arange(n), data.skill, data.learner))
    lrn, skl = data.learner[order], data.skill[order]
    y = data.correct[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (lrn[1:] != lrn[:-1]) | (skl[1:] != skl[:-1])
    start = np.flatnonzero(new)
    length = np.diff(np.r_[start, n])
    index = np.arange(n)
    marker = np.where(y == 0, index, -1)
    marker[start] = np.maximum(marker[start], start - 1)
    streak_after = index - np.maximum.accumulate(marker) if n else index
    reached = np.where(streak_after >= run, index, n)
    first = np.minimum.reduceat(reached, start) if n else reached
    total = np.where(first < n, first - start + 1, 0)
    parts: list[tuple[IntArray, ...]] = []
    for h in range(max_history + 1):
        ok = (length > h) & ((total == 0) | (total > h))
        at = start[ok] + h
        streak = streak_after[at - 1] if h else np.zeros(at.shape, np.int64)
        remaining = np.where(total[ok] > 0, total[ok] - h, 0)
        h_col = np.full(at.shape, h)
        seen = length[ok] - h
        parts.append((lrn[at], skl[at], h_col, streak, order[at], remaining, seen))
    cols = [np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(7)]
    learner, skill, hs, streaks, rows, remaining, observed = cols
    return Points(
        learner, skill, hs, streaks, rows, remaining, observed, remaining == 0
    )


class _Speeds:
    """A fitted BKT and its copies with ``learn`` scaled by each speed."""

    def __init__(
        self, model: BKT, speeds: tuple[float, ...], run: int, max_steps: int
    ) -> None:
        self.models: list[BKT] = []
        for m in speeds:
            scaled = copy.copy(model)
            scaled.learn_ = np.minimum(model.learn_ * m, 1.0 - model.forget_)
            self.models.append(scaled)
        learn = np.stack([s.learn_ for s in self.models], axis=1)
        self.base, _ = base_pmfs(
            learn=learn,
            guess=model.guess_[:, None],
            slip=model.slip_[:, None],
            forget=model.forget_[:, None],
            run=run,
            max_steps=max_steps,
        )
        self.guess, self.slip = model.guess_, model.slip_

    def states(
        self, data: Responses, points: Points
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """P(known) and earlier log-likelihood per point, total per learner."""
        p_known, before, total = [], [], []
        new = np.ones(len(data), dtype=bool)
        new[1:] = (data.learner[1:] != data.learner[:-1]) | (
            data.attempt[1:] != data.attempt[:-1]
        )
        head = np.maximum.accumulate(np.where(new, np.arange(len(data)), 0))
        learner_start = np.r_[True, data.learner[1:] != data.learner[:-1]]
        for model in self.models:
            c = np.clip(model.predict_proba(data), 1e-9, 1.0 - 1e-9)
            ll = np.where(data.correct == 1, np.log(c), np.log1p(-c))
            cum = np.cumsum(ll) - ll
            cum -= np.maximum.accumulate(np.where(learner_start, cum, -np.inf))
            before.append(cum[head][points.row])
            total.append(np.bincount(data.learner, ll))
            s = points.skill
            known = (c[points.row] - self.guess[s]) / (
                1.0 - self.slip[s] - self.guess[s]
            )
            p_known.append(np.clip(known, 0.0, 1.0))
        return (
            np.stack(p_known, axis=1),
            np.stack(before, axis=1),
            np.stack(total, axis=1),
        )

    def quantiles(
        self,
        points: Points,
        p_known: FloatArray,
        weight: FloatArray,
        levels: FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Quantiles at ``levels`` (per point), CDF at and below the actual."""
        n, horizon = len(points), self.base.shape[-1]
        q = np.empty((n, levels.shape[1]))
        at, below = np.zeros(n), np.zeros(n)
        for lo in range(0, n, _CHUNK):
            part = slice(lo, min(n, lo + _CHUNK))
            s, st = points.skill[part], points.streak[part]
            pmf = np.zeros((s.shape[0], horizon))
            for m in range(weight.shape[1]):
                pk = p_known[part, m]
                for k, share in ((0, pk), (1, 1.0 - pk)):
                    coef = (weight[part, m] * share)[:, None]
                    pmf += coef * self.base[s, m, k, st]
            cdf = np.cumsum(pmf, axis=1)
            count = (cdf[:, :, None] < levels[part, None, :] - 1e-12).sum(axis=1)
            q[part] = count + 1.0
            rem = np.minimum(points.remaining[part], horizon)
            rows = np.arange(rem.shape[0])
            at[part] = np.where(rem > 0, cdf[rows, rem - 1], 0.0)
            below[part] = np.where(rem > 1, cdf[rows, np.maximum(rem - 2, 0)], 0.0)
        return q, at, below


def evaluate_forecasts(
    dataset: Dataset,
    *,
    max_folds: int | None = None,
    max_history: int = 5,
    run: int = RUN,
    forgetting: bool = False,
    speeds: tuple[float, ...] = SPEEDS,
    max_steps: int = MAX_STEPS,
) -> ForecastEvaluation:
    """Cross-validate the mastery forecasts over the dataset's folds.

    Args:
        dataset: The data with its folds.
        max_folds: Evaluate only the first this many held-out folds.
        max_history: Largest history length ``h``.
        run: Right answers in a row that count as mastery.
        forgetting: Let BKT fit ``forget``.
        speeds: ``learn`` multipliers of the mixture (must include 1).
        max_steps: Horizon of the chain; a quantile beyond it counts as
            ``max_steps + 1``.

    Returns:
        The scores, pooled over the evaluated folds.

    Raises:
        ValueError: ``max_folds`` or ``max_history`` is out of range, 1 is not
            among the speeds, or the dataset has no folds.
    """
    if max_folds is not None and max_folds < 1:
        raise ValueError("max_folds must be >= 1")
    if max_history < 0:
        raise ValueError("max_history must be >= 0")
    if 1.0 not in speeds:
        raise ValueError("speeds must include 1.0 (plain BKT)")
    folds = dataset.test_folds[:max_folds]
    if not folds:
        raise ValueError("the dataset has no folds to hold out")
    started = time.perf_counter()
    plain = speeds.index(1.0)
    scored: dict[str, list[FloatArray]] = {m: [] for m in METHODS}
    priors: list[tuple[float, ...]] = []
    levels: dict[str, list[tuple[tuple[float, float, float], ...]]] = {
        "bkt+cal": [],
        "mixture+cal": [],
    }
    for fold in folds:
        train, test = (first_rows(part) for part in dataset.split(fold))
        chains = _Speeds(BKT(forgetting=forgetting).fit(train), speeds, run, max_steps)
        tr_points = forecast_points(train, max_history=max_history, run=run)
        te_points = forecast_points(test, max_history=max_history, run=run)
        tr_known, tr_before, tr_total = chains.states(train, tr_points)
        te_known, te_before, _ = chains.states(test, te_points)
        prior = fit_speed_prior(tr_total[np.unique(train.learner)])
        priors.append(tuple(float(p) for p in prior))
        log_prior = np.log(np.maximum(prior, 1e-300))
        kept = ~tr_points.censored
        tr_done = _subset(tr_points, kept)
        for base in ("bkt", "mixture"):
            if base == "bkt":
                tr_weight, te_weight = (
                    np.eye(len(speeds))[np.full(len(p), plain)]
                    for p in (tr_done, te_points)
                )
            else:
                tr_weight = speed_posterior(log_prior, tr_before[kept])
                te_weight = speed_posterior(log_prior, te_before)
            calib = _calibrate(chains, tr_done, tr_known[kept], tr_weight, max_history)
            levels[base + "+cal"].append(
                tuple((float(a), float(b), float(c)) for a, b, c in calib)
            )
            fixed = np.tile([0.1, 0.5, 0.9], (len(te_points), 1))
            for method, lv in ((base, fixed), (base + "+cal", calib[te_points.h])):
                q, _, _ = chains.quantiles(te_points, te_known, te_weight, lv)
                q = np.minimum(q, max_steps + 1)
                scored[method].append(_errors(te_points, q))
    methods = tuple(
        _summarise(m, np.concatenate(scored[m], axis=0), max_history) for m in METHODS
    )
    return ForecastEvaluation(
        source=dataset.source,
        format=dataset.format,
        folds=tuple(dataset.fold_names[f] for f in folds),
        forgetting=forgetting,
        run=run,
        speeds=tuple(speeds),
        speed_prior=tuple(priors),
        calibration={k: tuple(v) for k, v in levels.items()},
        methods=methods,
        seconds=time.perf_counter() - started,
    )


def _subset(points: Points, keep: npt.NDArray[np.bool_]) -> Points:
    return Points(*(getattr(points, f.name)[keep] for f in fields(Points)))


def _calibrate(
    chains: _Speeds,
    points: Points,
    p_known: FloatArray,
    weight: FloatArray,
    max_history: int,
) -> FloatArray:
    """Per ``h``: (lower, median, upper) levels fitted on training points."""
    grid = np.tile(_GRID, (len(points), 1))
    q, at, below = chains.quantiles(points, p_known, weight, grid)
    total = points.remaining + points.h
    err = np.abs(q - points.remaining[:, None]) / total[:, None]
    out = np.tile([0.1, 0.5, 0.9], (max_history + 1, 1))
    for h in range(max_history + 1):
        sel = points.h == h
        if not sel.any():
            continue
        lower = float(np.quantile(at[sel], 0.1))
        upper = float(np.quantile(below[sel], 0.9))
        median = float(_GRID[int(np.argmin(err[sel].mean(axis=0)))])
        out[h] = np.clip([lower, median, upper], 1e-6, 1.0 - 1e-6)
    return out


def _errors(points: Points, q: FloatArray) -> FloatArray:
    """Per point: h, |median - actual|, total, remaining, covered, width, censored.

    A censored point is "covered" (1) only if known: never, as its actual
    value is unknown; column 7 marks it a sure miss (the interval ends
    before the attempts seen without the run), column 6 marks it censored.
    """
    rem = points.remaining.astype(np.float64)
    lo, med, hi = q[:, 0], q[:, 1], q[:, 2]
    covered = (lo <= rem) & (rem <= hi) & ~points.censored
    missed = points.censored & (hi <= points.observed)
    return np.stack(
        [
            points.h,
            np.abs(med - rem),
            rem + points.h,
            rem,
            covered,
            hi - lo,
            points.censored,
            missed,
        ],
        axis=1,
    ).astype(np.float64)


def _score(h: int, rows: FloatArray) -> HorizonScore:
    cens = rows[:, 6] == 1
    done = rows[~cens]
    n, nan = done.shape[0], float("nan")
    if not n:
        return HorizonScore(h, 0, int(cens.sum()), nan, nan, nan, nan, nan, nan, nan)
    err, total, rem = done[:, 1], done[:, 2], done[:, 3]
    hits = float(done[:, 4].sum())
    unknown = float(cens.sum() - rows[cens, 7].sum())
    return HorizonScore(
        h=h,
        n=n,
        censored=int(cens.sum()),
        mape_total=float(np.mean(err / total)),
        mape_remaining=float(np.mean(err / rem)),
        coverage=hits / n,
        coverage_low=hits / rows.shape[0],
        coverage_high=(hits + unknown) / rows.shape[0],
        mean_width=float(done[:, 5].mean()),
        mean_total=float(total.mean()),
    )


def _summarise(method: str, rows: FloatArray, max_history: int) -> MethodScore:
    by_h = tuple(_score(h, rows[rows[:, 0] == h]) for h in range(max_history + 1))
    return MethodScore(method, by_h, _score(-1, rows))
