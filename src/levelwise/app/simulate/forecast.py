"""How accurate the forecasts are on simulated learners.

While a simulated learner studies (:mod:`levelwise.app.simulate.simulator`), a
:class:`ForecastWatch` forecasts the next level-up at **forecast points**: the
start of the first week the learner begins at a level, and the starts of the
next weeks in that level, up to :data:`POINTS` weeks later. Each forecast is
what the service gives
(:meth:`levelwise.app.guidance.service.GuidanceService.forecast`):
:func:`levelwise.app.guidance.forecast.forecast` of ``make_plan(program, state, model)``
on the folded state, with the learner's study minutes of each simulated week
so far (oldest first, at most the last :data:`HISTORY_WEEKS`, as the service
reads them), the program's ``planning.weekly_minutes`` as the prior pace and
its ``horizon_weeks``. It is compared with what happened: the weeks from the
point to the level-up and the study minutes spent on the way.

The forecast assumes the learner follows the plan. For learners of the
planner policy that is (nearly) so; for those of the fixed syllabus it is a
counterfactual, so the two are reported apart and the goal applies to the
planner's learners. Points whose level-up was not reached within the cap have
no realised time (counted as censored, left out of the errors).

**Figures**, per policy, overall and by weeks of history: MAPE of the median
(mean of ``|median - realised| / realised``), the median of the same ratio,
the share of realised times inside the 80 % interval (10th to 90th
percentile) and the shares below and above it. **Diagnostics**: the ratio of
realised to planned minutes (the work the forecast draws lognormal with sd
``WORK_SPREAD``) and the ratio of the realised pace (minutes over weeks from
the point to the level-up) to the estimated pace.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from levelwise.app.guidance.forecast import Forecast, forecast
from levelwise.app.guidance.plan import make_plan
from levelwise.app.simulate.simulator import (
    Calibration,
    LearnerRun,
    SimLearner,
    Simulation,
)
from levelwise.domain.fold import default_model
from levelwise.domain.state import LearnerState

POINTS = 3
"""Forecast points per level: its first week's start and this many more."""
HISTORY_WEEKS = 8
"""Weeks of history a forecast reads (the service's default window)."""
POLICIES = ("planner", "fixed")
"""The policies whose learners are forecast; the goal applies to the first."""
MAX_MAPE = 0.20
COVERAGE = (0.75, 0.85)
"""The goal: MAPE of the median at most 20 %, 80 % intervals covering 75-85 %."""
BUCKETS = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 7), (8, HISTORY_WEEKS))
"""Groups of weeks of history in the report."""


@dataclass(frozen=True)
class ForecastPoint:
    """One forecast and what happened.

    Attributes:
        policy: The policy the learner follows.
        learner: The learner's number.
        target: The level forecast.
        week: The forecast is made at the start of this week (from 0).
        in_level: Weeks since the first forecast point at this level.
        history: Weeks of history the forecast read.
        plan_minutes: The plan's expected minutes.
        pace: The forecast's pace estimate (minutes a week).
        median: Forecast median weeks (None: the plan cannot reach the level).
        low: 10th percentile.
        high: 90th percentile.
        realised: Weeks from the point to the level-up (None: censored).
        minutes: Study minutes from the point to the level-up (None: censored).
    """

    policy: str
    learner: int
    target: str
    week: int
    in_level: int
    history: int
    plan_minutes: float
    pace: float
    median: float | None
    low: float | None
    high: float | None
    realised: float | None
    minutes: float | None


class ForecastWatch:
    """Forecasts at the forecast points of one run (module notes)."""

    def __init__(self, calibration: Calibration, policy: str, levels: int) -> None:
        """Watch a run of ``policy`` that follows ``levels`` level-ups."""
        self.program = calibration.program
        self.model = default_model(self.program)
        self.policy = policy
        self.levels = levels
        self.weekly: list[float] = []
        self.total = 0.0
        self.level = 0
        self.entered: dict[int, int] = {}
        self.level_minutes: dict[int, float] = {}
        self.pending: list[tuple[int, int, int, float, Forecast]] = []

    def study(self, week: int, state: LearnerState, minutes: float) -> None:
        """Note level-ups and weeks; forecast at each forecast point."""
        for level in range(self.level + 1, state.level + 1):
            self.level_minutes[level] = self.total
        self.level = max(self.level, state.level)
        if week >= len(self.weekly):
            self.weekly += [0.0] * (week + 1 - len(self.weekly))
            self._point(week, state)
        self.weekly[week] += minutes
        self.total += minutes

    def _point(self, week: int, state: LearnerState) -> None:
        level = state.level
        if level >= self.levels:
            return
        in_level = week - self.entered.setdefault(level, week)
        if in_level > POINTS:
            return
        planning = self.program.planning
        plan = make_plan(self.program, state, self.model)
        history = self.weekly[max(0, week - HISTORY_WEEKS) : week]
        got = forecast(
            plan,
            history,
            prior_pace=planning.weekly_minutes,
            horizon_weeks=planning.horizon_weeks,
        )
        self.pending.append((level, week, in_level, self.total, got))

    def finish(self, run: LearnerRun) -> tuple[ForecastPoint, ...]:
        """The forecast points with what happened after each."""
        for k, reached in enumerate(run.reached):
            if reached is not None:
                self.level_minutes.setdefault(k + 1, run.minutes)
        points = []
        for level, week, in_level, spent, got in self.pending:
            at = run.reached[level]
            done = self.level_minutes.get(level + 1)
            points.append(
                ForecastPoint(
                    policy=self.policy,
                    learner=run.learner,
                    target=got.target,
                    week=week,
                    in_level=in_level,
                    history=got.history_weeks,
                    plan_minutes=got.plan_minutes,
                    pace=got.pace,
                    median=got.median_weeks,
                    low=got.low_weeks,
                    high=got.high_weeks,
                    realised=None if at is None else round(at - week, 6),
                    minutes=None if at is None or done is None else done - spent,
                )
            )
        return tuple(points)


def watcher(
    calibration: Calibration, levels: int, policies: Sequence[str] = POLICIES
) -> Callable[[str, SimLearner], ForecastWatch | None]:
    """An ``observe`` for :func:`levelwise.app.simulate.simulator.simulate`.

    Args:
        calibration: The simulated program.
        levels: Level-ups followed (as given to ``simulate``).
        policies: The policies whose learners are forecast.
    """
    levels = min(levels, len(calibration.program.levels) - 1)

    def observe(policy: str, learner: SimLearner) -> ForecastWatch | None:  # noqa: ARG001
        return (
            ForecastWatch(calibration, policy, levels) if policy in policies else None
        )

    return observe


def points_of(sim: Simulation) -> list[ForecastPoint]:
    """Every forecast point of a simulation run with :func:`watcher`."""
    return [
        p
        for runs in sim.runs.values()
        for run in runs
        for p in run.notes
        if isinstance(p, ForecastPoint)
    ]


@dataclass(frozen=True)
class Accuracy:
    """The forecasts' accuracy over a group of points.

    Attributes:
        policy: The policy.
        group: ``"all"`` or the weeks of history (``"4-7"``).
        points: Points with a forecast and a realised time.
        censored: Points without a realised time.
        unplanned: Points whose plan could not reach the level.
        mape: Mean absolute percentage error of the median.
        mdape: Median of the same.
        coverage: Share of realised times inside the 80 % interval.
        below: Share below its 10th percentile.
        above: Share above its 90th percentile.
        bias: Median of forecast median over realised weeks.
    """

    policy: str
    group: str
    points: int
    censored: int
    unplanned: int
    mape: float
    mdape: float
    coverage: float
    below: float
    above: float
    bias: float


def accuracy(points: Sequence[ForecastPoint], policy: str, group: str) -> Accuracy:
    """The accuracy over ``points`` (all of one policy and group)."""
    scored = [
        p
        for p in points
        if p.median is not None and p.realised is not None and p.realised > 0
    ]
    censored = sum(p.realised is None for p in points)
    unplanned = sum(p.median is None for p in points)
    if not scored:
        nan = math.nan
        return Accuracy(policy, group, 0, censored, unplanned, *[nan] * 6)
    real = np.array([p.realised for p in scored], dtype=np.float64)
    mid = np.array([p.median for p in scored], dtype=np.float64)
    low = np.array([p.low for p in scored], dtype=np.float64)
    high = np.array([p.high for p in scored], dtype=np.float64)
    ape = np.abs(mid - real) / real
    return Accuracy(
        policy,
        group,
        len(scored),
        censored,
        unplanned,
        round(float(np.mean(ape)), 4),
        round(float(np.median(ape)), 4),
        round(float(np.mean((low <= real) & (real <= high))), 4),
        round(float(np.mean(real < low)), 4),
        round(float(np.mean(real > high)), 4),
        round(float(np.median(mid / real)), 4),
    )


def accuracies(points: Sequence[ForecastPoint]) -> list[Accuracy]:
    """Per policy: overall, then by weeks of history (:data:`BUCKETS`)."""
    out = []
    for policy in dict.fromkeys(p.policy for p in points):
        mine = [p for p in points if p.policy == policy]
        out.append(accuracy(mine, policy, "all"))
        for first, last in BUCKETS:
            group = [p for p in mine if first <= p.history <= last]
            if group:
                label = str(first) if first == last else f"{first}-{last}"
                out.append(accuracy(group, policy, label))
    return out


def diagnostics(points: Sequence[ForecastPoint]) -> dict[str, dict[str, Any]]:
    """Per policy: quantiles of realised/planned minutes and realised/estimated pace.

    Also the mean and sd of the log of the minutes ratio: the forecast draws
    the work lognormal around the plan with a mean log of ``-sd^2 / 2`` and
    ``sd = WORK_SPREAD``.
    """
    out: dict[str, dict[str, Any]] = {}
    for policy in dict.fromkeys(p.policy for p in points):
        done = [
            p
            for p in points
            if p.policy == policy
            and p.minutes is not None
            and p.realised is not None
            and p.realised > 0
            and p.plan_minutes > 0
        ]
        if not done:
            continue
        work = np.array([p.minutes / p.plan_minutes for p in done])  # type: ignore[operator]
        pace = np.array([p.minutes / p.realised / p.pace for p in done])  # type: ignore[operator]
        q = [10, 25, 50, 75, 90]
        out[policy] = {
            "points": len(done),
            "work_ratio": dict(zip(q, _rounded(np.percentile(work, q)), strict=True)),
            "work_log_mean": round(float(np.mean(np.log(work))), 4),
            "work_log_sd": round(float(np.std(np.log(work))), 4),
            "pace_ratio": dict(zip(q, _rounded(np.percentile(pace, q)), strict=True)),
            "pace_log_sd": round(float(np.std(np.log(pace))), 4),
        }
    return out


def _rounded(values: Any) -> list[float]:
    return [round(float(v), 3) for v in values]


def verdict(rows: Sequence[Accuracy], policy: str = POLICIES[0]) -> str:
    """Whether the forecasts meet the goal for ``policy``'s learners."""
    overall = next((r for r in rows if (r.policy, r.group) == (policy, "all")), None)
    if overall is None or overall.points == 0:
        return f"no forecasts for {policy} learners"
    shown = (
        f"MAPE {100 * overall.mape:.1f} %, 80 % interval coverage "
        f"{100 * overall.coverage:.1f} % ({overall.points} forecasts)"
    )
    low, high = COVERAGE
    fine = overall.mape <= MAX_MAPE and low <= overall.coverage <= high
    failed = []
    if overall.mape > MAX_MAPE:
        failed.append(f"MAPE above {100 * MAX_MAPE:.0f} %")
    if not low <= overall.coverage <= high:
        failed.append(f"coverage outside {100 * low:.0f}-{100 * high:.0f} %")
    if fine:
        return f"met for {policy} learners: {shown}"
    return f"not met for {policy} learners: {shown}; {', '.join(failed)}"


def markdown(rows: Sequence[Accuracy], diag: dict[str, dict[str, Any]]) -> str:
    """The accuracy table, the diagnostics and the verdict in Markdown."""
    lines = [
        f"Forecast points: the start of each level's first week and the next "
        f"{POINTS} weeks; history: at most the last {HISTORY_WEEKS} weeks. "
        "Fixed-syllabus learners do not follow the plan the forecast assumes "
        "(a counterfactual, shown for comparison).",
        "",
        "| policy | weeks of history | forecasts | censored | no plan | MAPE "
        "| median APE | 80 % coverage | below / above | median forecast/realised |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.policy} | {r.group} | {r.points} | {r.censored} | {r.unplanned} "
            f"| {_pct(r.mape)} | {_pct(r.mdape)} | {_pct(r.coverage)} "
            f"| {_pct(r.below)} / {_pct(r.above)} | {r.bias:.2f} |"
        )
    lines += [
        "",
        "Realised over planned minutes (work) and realised over estimated pace "
        "(percentiles 10/25/50/75/90; sd of the log):",
        "",
        "| policy | forecasts | work ratio | log work mean / sd | pace ratio "
        "| log pace sd |",
        "|---|---:|---|---|---|---:|",
    ]
    for policy, d in diag.items():
        work = " / ".join(f"{v:.2f}" for v in d["work_ratio"].values())
        pace = " / ".join(f"{v:.2f}" for v in d["pace_ratio"].values())
        lines.append(
            f"| {policy} | {d['points']} | {work} | {d['work_log_mean']:.3f} / "
            f"{d['work_log_sd']:.3f} | {pace} | {d['pace_log_sd']:.3f} |"
        )
    lines += ["", forecast_line(rows), ""]
    return "\n".join(lines)


def forecast_line(rows: Sequence[Accuracy]) -> str:
    """How far the forecasts for the planner's learners were off, in a sentence."""
    overall = next((r for r in rows if (r.policy, r.group) == ("planner", "all")), None)
    if overall is None or overall.points == 0:
        return "No forecasts could be checked (no learner reached a level in time)."
    return (
        f"Forecasts for the planner's learners were off by {100 * overall.mape:.1f} % "
        f"on average; {100 * overall.coverage:.1f} % of the real times fell inside "
        f"the forecast 80 % range ({overall.points} forecasts)."
    )


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f} %"


def as_json(points: Sequence[ForecastPoint]) -> dict[str, Any]:
    """The accuracy, diagnostics and verdict (the points are rebuilt by a rerun)."""
    rows = accuracies(points)
    return {
        "accuracy": [
            {k: None if _nan(v) else v for k, v in r.__dict__.items()} for r in rows
        ],
        "diagnostics": diagnostics(points),
        "verdict": verdict(rows),
    }
