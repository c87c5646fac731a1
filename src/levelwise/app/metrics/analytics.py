"""School-level figures from learner states: level distribution and level-up cycle."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState, LevelStamp

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class LevelSummary:
    """How a school's learners stand.

    Attributes:
        learners: Learners with events.
        distribution: Learners per level id, in ladder order.
        level_ups: Level-ups in total.
        median_weeks_per_level_up: Median time from enrolment (or the previous
            level) to a level-up, in weeks; None without level-ups.
        levelled_up_this_week: Learners who went up a level in the 7 days up to
            ``now``.
    """

    learners: int
    distribution: dict[str, int]
    level_ups: int
    median_weeks_per_level_up: float | None
    levelled_up_this_week: int


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def level_up_cycles(state: LearnerState) -> list[tuple[LevelStamp, float | None]]:
    """A learner's level-ups, each with the weeks it took.

    A cycle runs from enrolment (or the previous level-up) to the level-up.

    Args:
        state: The learner.

    Returns:
        ``(stamp, weeks)`` per level-up in history order; ``weeks`` is None
        for a first level-up with no enrolment before it (none at all, or
        one after it, as for a trial learner who enrols later).
    """
    cycles: list[tuple[LevelStamp, float | None]] = []
    start = _parse(state.enrolled_at) if state.enrolled_at else None
    for stamp in state.history:
        if stamp.direction != "up":
            continue
        at = _parse(stamp.at)
        weeks = None
        if start is not None and start <= at:  # enrolled later: no cycle yet
            weeks = (at - start) / WEEK
        cycles.append((stamp, weeks))
        start = at
    return cycles


def level_summary(
    states: Sequence[LearnerState], program: Program, now: datetime
) -> LevelSummary:
    """Summarise ``states`` against ``program`` as of ``now`` (aware datetime)."""
    counts = Counter(program.levels[s.level].id for s in states)
    distribution = {lvl.id: counts.get(lvl.id, 0) for lvl in program.levels}
    cycles: list[float] = []
    recent = 0
    ups = 0
    for state in states:
        moved_recently = False
        for stamp, weeks in level_up_cycles(state):
            ups += 1
            at = _parse(stamp.at)
            if weeks is not None:
                cycles.append(weeks)
            moved_recently = moved_recently or now - WEEK < at <= now
        recent += moved_recently
    median = round(statistics.median(cycles), 2) if cycles else None
    return LevelSummary(len(states), distribution, ups, median, recent)
