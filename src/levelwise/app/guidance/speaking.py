"""Speaking in plans: requirements on practice metrics and the units that serve them.

A gate may read a practice metric by name (``speech_rate >= 80``): the mean
of the learner's latest sessions that reported it
(:func:`levelwise.domain.gates.practice_metric`). The study model says what
minutes of study give, not how fast a learner will speak, so the planner
takes such a requirement as **met by practising**:

* **The units that serve it** are the program's practice units that have a
  scenario (the partner plays it and the session is scored); in a program
  that declares no scenarios (the school's own partner runs the sessions),
  every practice unit. Which of them the plan studies is the planner's usual
  choice: the most progress per minute over all the requirements, so the
  one whose knowledge points the other requirements need most, among those
  ready to learn.
* **Sessions needed** come from the learner's trend
  (:mod:`levelwise.app.practice.profile`): with the gate's value now ``v``,
  its target ``t`` and the metric's least-squares slope per session ``s``
  over the learner's last sessions, ``ceil((t - v) / s)`` sessions when the
  slope goes toward the target (up for ``>=``, down for ``<=``): the mean of
  the latest sessions of a series that moves by ``s`` a session moves by
  ``s`` a session too. The plan counts that, at most :data:`MAX_SESSIONS`.
  Without a trend (fewer than two sessions reported the metric) it counts
  :data:`DEFAULT_SESSIONS`, one window of the gate's mean: the sessions after
  which the gate reads only what is practised from now on. With a trend
  that does not go toward the target it counts :data:`MAX_SESSIONS`, so a
  slower trend never plans fewer sessions than a faster one.
* A gate part on practice metrics that is not one comparison of one metric
  with a number (``speech_rate + mtld >= 150``) counts
  :data:`DEFAULT_SESSIONS`.

The plan counts the practice sessions it schedules as the draft variable
:data:`SESSIONS`; the requirement's progress grows linearly with them (see
:class:`~levelwise.app.guidance.requirements.Practised`). What the trend
really says, sessions and weeks or never, is the forecast's
(:mod:`levelwise.app.guidance.outlook`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from levelwise.app.guidance.requirements import Part, Practised, measure
from levelwise.app.practice.profile import (
    PLATEAU_SESSIONS,
    MetricTrend,
    SpeakingProfile,
    speaking_profile,
)
from levelwise.domain.events import PracticeCompleted
from levelwise.domain.gates import PRACTICE_VARIABLES
from levelwise.domain.program import Program
from levelwise.domain.state import RECENT_SESSIONS

__all__ = [
    "DEFAULT_SESSIONS",
    "MAX_SESSIONS",
    "PLATEAU_SESSIONS",
    "SESSIONS",
    "MetricGoal",
    "MetricTrend",
    "SpeakingProfile",
    "metric_goal",
    "metrics_of",
    "planned_sessions",
    "practised",
    "profile_of",
    "reads_practice",
    "sessions_needed",
    "speaking_units",
    "speaks",
]

SESSIONS = "practice.sessions"
"""The draft's gate variable: practice sessions of serving units the plan has."""
DEFAULT_SESSIONS = RECENT_SESSIONS
"""Sessions a plan counts for a practice-metric requirement without a trend."""
MAX_SESSIONS = 30
"""The most sessions a plan counts for one practice-metric requirement."""

_GOAL = re.compile(
    r"^\s*([a-z_][a-z0-9_]*)\s*(>=|>|<=|<)\s*"
    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class MetricGoal:
    """A gate part that compares one practice metric with a number.

    Attributes:
        metric: The practice metric.
        op: ``>=``, ``>``, ``<=`` or ``<``.
        target: The number.
    """

    metric: str
    op: str
    target: float

    @property
    def direction(self) -> int:
        """+1 when the metric must rise to the target, -1 when it must fall."""
        return 1 if self.op in (">=", ">") else -1

    def holds(self, value: float | None) -> bool:
        """Whether ``value`` meets the goal (an unknown value never does)."""
        return value is not None and _OPS[self.op](value, self.target)

    def gap(self, value: float) -> float:
        """How far ``value`` is from the target, in the goal's direction."""
        return (self.target - value) * self.direction


def metric_goal(source: str) -> MetricGoal | None:
    """The goal of a gate part such as ``speech_rate >= 80``, if it is one.

    Args:
        source: The gate part's source.

    Returns:
        The goal, or None when the part is not one practice metric compared
        with a number (the metric on the left).
    """
    match = _GOAL.match(source)
    if match is None or match.group(1) not in PRACTICE_VARIABLES:
        return None
    return MetricGoal(match.group(1), match.group(2), float(match.group(3)))


def sessions_needed(
    goal: MetricGoal, current: float | None, trend: MetricTrend | None
) -> int | None:
    """Sessions until ``goal`` holds if the learner keeps to their trend.

    Args:
        goal: The requirement.
        current: The gate's value now (None: never reported).
        trend: The metric's trend over the learner's sessions.

    Returns:
        0 when it already holds; ``ceil(gap / slope)`` (for a strict
        comparison, the next whole session past an exact landing) when the
        trend goes toward the target; None when the value or the trend is
        unknown (fewer than two sessions) or does not go toward the target.
    """
    if goal.holds(current):
        return 0
    if current is None or trend is None or len(trend.values) < 2:
        return None
    rate = trend.slope * goal.direction
    if rate <= 0:
        return None
    ratio = goal.gap(current) / rate
    if goal.op in (">", "<"):
        return max(1, math.floor(ratio + 1e-9) + 1)
    return max(1, math.ceil(ratio - 1e-9))


def planned_sessions(
    goal: MetricGoal | None, current: float | None, trend: MetricTrend | None
) -> int:
    """The sessions a plan counts for an unmet practice-metric requirement.

    Args:
        goal: The requirement's goal (None: a part of another shape).
        current: The gate's value now.
        trend: The metric's trend.

    Returns:
        :func:`sessions_needed` at most :data:`MAX_SESSIONS`; without a trend
        :data:`DEFAULT_SESSIONS`; with a trend that does not go toward the
        target :data:`MAX_SESSIONS` (see the module notes).
    """
    if goal is None:
        return DEFAULT_SESSIONS
    needed = sessions_needed(goal, current, trend)
    if needed is not None:
        return min(max(needed, 1), MAX_SESSIONS)
    if current is not None and trend is not None and len(trend.values) >= 2:
        return MAX_SESSIONS
    return DEFAULT_SESSIONS


def reads_practice(names: Iterable[str]) -> bool:
    """Whether gate variables ``names`` include a practice metric."""
    return any(name in PRACTICE_VARIABLES for name in names)


def practised(
    part: Part, env: dict[str, object], profile: SpeakingProfile | None
) -> Part:
    """``part``, an unmet requirement on practice metrics, as sessions to practise.

    Args:
        part: A gate part that reads practice metrics and does not hold.
        env: The gate variables now (the metrics' values among them).
        profile: The learner's speaking profile (None: no trends).

    Returns:
        The same requirement, read from the draft's :data:`SESSIONS`.
    """
    goal = metric_goal(part.source)
    start = measure(part, env).progress
    current: float | None = None
    target = 1.0
    trend = None
    if goal is not None:
        value = env.get(goal.metric)
        current = float(value) if isinstance(value, int | float) else None
        target = goal.target
        trend = profile.trend(goal.metric) if profile is not None else None
    sessions = planned_sessions(goal, current, trend)
    check = Practised(SESSIONS, sessions, start, current, target)
    return Part(part.level, part.source, frozenset({SESSIONS}), check)


def speaking_units(program: Program) -> frozenset[str]:
    """The practice units whose sessions serve practice-metric requirements.

    Those with a scenario; every practice unit when the program declares no
    scenario at all (module notes).
    """
    memo = program.memo
    found = memo.get("guidance.speaking_units")
    if isinstance(found, frozenset):
        return found
    practice = [u.id for u in program.units if u.kind == "practice"]
    scenes = program.practice.scenario_by_unit
    units = frozenset(u for u in practice if u in scenes or not scenes)
    memo["guidance.speaking_units"] = units
    return units


def metrics_of(program: Program, names: Iterable[str]) -> tuple[str, ...]:
    """The practice metrics a requirement reading ``names`` depends on.

    A metric it reads itself, then the metrics of each measurement of a
    dimension it reads (``dimension.speaking_fluency`` ← speech rate, MLR, ...),
    in file order, each once.
    """
    wanted = set(names)
    found = [n for n in PRACTICE_VARIABLES if n in wanted]
    for measurement in program.practice.measurements:
        if f"dimension.{measurement.dimension}" in wanted:
            found.extend(norm.metric for norm in measurement.metrics)
    return tuple(dict.fromkeys(found))


def speaks(program: Program) -> bool:
    """Whether practice matters to ``program``'s levels.

    A level gate reads a practice metric, or a measurement turns practice
    metrics into evidence for a dimension.
    """
    memo = program.memo
    found = memo.get("guidance.speaks")
    if isinstance(found, bool):
        return found
    speaking = bool(program.practice.measurements) or any(
        reads_practice(names) for names in program.level_variables
    )
    memo["guidance.speaks"] = speaking
    return speaking


def profile_of(events: Iterable[PracticeCompleted]) -> SpeakingProfile:
    """The speaking profile of a learner's ``practice.completed`` events."""
    return speaking_profile(events)
