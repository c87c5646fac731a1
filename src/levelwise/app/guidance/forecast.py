"""Forecasts: when a learner will reach the target level, and what holds them back.

The time to the target is the plan's expected minutes divided by the learner's
pace, with the uncertainty of both:

* **Pace** is learned from the learner's own recent weeks of study minutes,
  shrunk toward the program's ``planning.weekly_minutes`` (worth one week of
  history, with a spread of half its size). The mean pace is uncertain by
  ``s / sqrt(1 + weeks)``; each future week also varies by ``s``.
* **Work**: the plan's minutes are an expectation; the actual work varies with
  how answers go. It is drawn lognormal around the plan with a spread of
  :data:`WORK_SPREAD`.
* ``weeks`` solves ``weeks x pace + sqrt(weeks) x s x z = work`` per draw; the
  median and the 10th and 90th percentiles of 4,000 draws (a generator seeded
  from the learner's id, so a forecast is reproducible) give the ETA and its
  80 % interval. Less history widens the interval.

The **binding requirement** is the one the plan meets last. Beside the plan,
the learner's **current mix** is extrapolated: each requirement's progress over
the recent window, continued at the same rate; the slowest one sets the time
and is the current bottleneck. ``speedup`` is how much sooner the plan gets
there. A learner is **stalled** without study in the last two weeks, and **at
risk** when reaching the target within the program's ``horizon_weeks`` is less
likely than not.

**Speaking**: each unmet requirement on a practice metric gets its own ETA at
the learner's trend (sessions, and weeks at their practice pace), and the
metrics that plateau are flagged, as a predicted bottleneck when an unmet
requirement depends on them (:mod:`levelwise.app.guidance.outlook`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from levelwise.app.guidance.outlook import Bottleneck, SpeakingEta
from levelwise.app.guidance.plan import Plan
from levelwise.app.guidance.requirements import Requirement

DRAWS = 4000
WORK_SPREAD = 0.2
"""Lognormal sd of actual over planned minutes."""


@dataclass(frozen=True)
class Forecast:
    """When the learner reaches the target level, as a distribution.

    Attributes:
        learner: The learner.
        target: The level forecast.
        plan_minutes: Expected study minutes of the plan.
        pace: Estimated study minutes per week (shrunk toward the program's).
        history_weeks: Weeks of the learner's own history used.
        median_weeks: Median weeks to the target (None when the plan cannot
            reach it or the learner has no pace).
        low_weeks: 10th percentile (the 80 % interval's lower end).
        high_weeks: 90th percentile.
        binding: The requirement the plan meets last.
        current_weeks: Weeks at the current mix and rate (None: never).
        current_binding: The slowest requirement at the current mix.
        speedup: ``1 - median_weeks / current_weeks`` (None when either is
            missing).
        p_within_horizon: Chance of reaching the target within the program's
            horizon.
        stalled: No study in the last two weeks.
        at_risk: Unlikely (< 50 %) to reach the target within the horizon.
        speaking: When each unmet requirement on a practice metric is met at
            the learner's trend.
        plateaus: The practice metrics that plateau.
        bottlenecks: The plateaued metrics that unmet requirements depend
            on: predicted bottlenecks.
    """

    learner: str
    target: str
    plan_minutes: float
    pace: float
    history_weeks: int
    median_weeks: float | None
    low_weeks: float | None
    high_weeks: float | None
    binding: str | None
    current_weeks: float | None
    current_binding: str | None
    speedup: float | None
    p_within_horizon: float
    stalled: bool
    at_risk: bool
    speaking: tuple[SpeakingEta, ...] = ()
    plateaus: tuple[str, ...] = ()
    bottlenecks: tuple[Bottleneck, ...] = ()


def pace_of(weekly: Sequence[float], prior: float) -> tuple[float, float, int]:
    """``(mean pace, week-to-week sd, weeks)`` from recent weekly minutes.

    The program's pace ``prior`` counts as one week of history; its spread is
    half of it.
    """
    n = len(weekly)
    spread = prior / 2.0
    mean = (prior + sum(weekly)) / (1 + n)
    ss = spread**2 + sum((w - mean) ** 2 for w in weekly)
    sd = math.sqrt(ss / (1 + n))
    return mean, max(sd, 1e-6), n


def forecast(
    plan: Plan,
    weekly: Sequence[float],
    *,
    prior_pace: float,
    horizon_weeks: float,
    past: Sequence[Requirement] | None = None,
    window_weeks: float = 0.0,
    speaking: Sequence[SpeakingEta] = (),
    plateaus: Sequence[str] = (),
    bottlenecks: Sequence[Bottleneck] = (),
) -> Forecast:
    """Forecast the time to ``plan.target``.

    Args:
        plan: The learner's plan to the target.
        weekly: Study minutes in each recent week, oldest first (zeros
            included); empty for a new learner.
        prior_pace: The program's assumed minutes per week.
        horizon_weeks: The program's horizon for the at-risk flag.
        past: The same requirements at the start of the window, for the
            current-mix extrapolation (None: not extrapolated).
        window_weeks: How long ago ``past`` was.
        speaking: The speaking ETAs
            (:func:`~levelwise.app.guidance.outlook.speaking_etas`).
        plateaus: The practice metrics that plateau.
        bottlenecks: The predicted bottlenecks among them
            (:func:`~levelwise.app.guidance.outlook.bottlenecks`).
    """
    mean, sd, n = pace_of(weekly, prior_pace)
    stalled = n >= 2 and sum(weekly[-2:]) <= 0
    weeks = _draws(plan, mean, sd, n) if plan.complete else None
    median = low = high = None
    within = 0.0
    if weeks is not None:
        q10, q50, q90 = np.quantile(weeks, [0.1, 0.5, 0.9])
        median, low, high = (round(float(q), 2) for q in (q50, q10, q90))
        within = float(np.mean(weeks <= horizon_weeks))
    current, slowest = _current_mix(plan.now, past, window_weeks)
    speedup = None
    if median is not None and current is not None and current > 0:
        speedup = round(1.0 - median / current, 3)
    return Forecast(
        learner=plan.learner,
        target=plan.target,
        plan_minutes=plan.minutes,
        pace=round(mean, 2),
        history_weeks=n,
        median_weeks=median,
        low_weeks=low,
        high_weeks=high,
        binding=plan.binding,
        current_weeks=current,
        current_binding=slowest,
        speedup=speedup,
        p_within_horizon=round(within, 3),
        stalled=stalled,
        at_risk=within < 0.5,
        speaking=tuple(speaking),
        plateaus=tuple(plateaus),
        bottlenecks=tuple(bottlenecks),
    )


def _draws(plan: Plan, mean: float, sd: float, n: int) -> np.ndarray:
    digest = hashlib.sha256(f"{plan.learner}|{plan.target}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    pace = rng.normal(mean, sd / math.sqrt(1 + n), DRAWS)
    pace = np.maximum(pace, mean * 0.05)
    work = plan.minutes * rng.lognormal(-(WORK_SPREAD**2) / 2, WORK_SPREAD, DRAWS)
    z = rng.standard_normal(DRAWS)
    # weeks = x^2 with pace x^2 + sd z x - work = 0 (the positive root).
    x = (-sd * z + np.sqrt((sd * z) ** 2 + 4 * pace * work)) / (2 * pace)
    result: np.ndarray = x**2
    return result


def _current_mix(
    now: Sequence[Requirement], past: Sequence[Requirement] | None, weeks: float
) -> tuple[float | None, str | None]:
    """Weeks until every requirement holds at its recent rate, and the slowest."""
    if past is None or weeks <= 0:
        return None, None
    before = {r.source: r.progress for r in past}
    slowest: tuple[float, str] | None = None
    for req in now:
        if req.met:
            continue
        rate = (req.progress - before.get(req.source, req.progress)) / weeks
        need = math.inf if rate <= 0 else (1.0 - req.progress) / rate
        if slowest is None or need > slowest[0]:
            slowest = (need, req.source)
    if slowest is None:
        return 0.0, None
    need, source = slowest
    return (None if math.isinf(need) else round(need, 2)), source
