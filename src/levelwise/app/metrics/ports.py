"""The metrics projection's store port and the rows it keeps.

The projection is a set of per-learner facts derived from the event log and
the learners' snapshots (``docs/metrics.md``). Event-derived counters are
commutative (sums, minimums, bitwise or), so the order in which events arrive,
late ones included, does not change them. A cursor per tenant remembers the
last log position folded in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from levelwise.app.ports import StoredEvent

CURSOR_MOVED = "the metrics cursor moved: another catch-up wrote first"
"""Why a store refuses a catch-up step (every store says it the same way)."""


@dataclass(frozen=True)
class Cursor:
    """How far a tenant's projection has read the log.

    Attributes:
        position: The last log position folded in (0: none).
        program_version: The program version the facts were built with.
        facts_version: The projection code's version (``FACTS_VERSION``).
        last_at: The latest ``occurred_at`` folded in (UTC sort key), or ``""``.
    """

    position: int
    program_version: int
    facts_version: int
    last_at: str = ""


@dataclass(frozen=True)
class DayFacts:
    """A learner's counters on one UTC day (also used as an increment).

    Attributes:
        learner: The learner.
        day: The UTC date, ``YYYY-MM-DD``.
        week: The Monday of its ISO week, ``YYYY-MM-DD``.
        study: 1 when the learner had a study event that day, else 0.
        seconds: Seconds of recorded lessons, live classes and practice.
        attended: Live-class attendances whose first attendance is that day.
        completed: Those of them that are completed.
        interactions: ``live.interaction`` events.
        renewals: ``subscription.renewed`` events.
    """

    learner: str
    day: str
    week: str
    study: int = 0
    seconds: float = 0.0
    attended: int = 0
    completed: int = 0
    interactions: int = 0
    renewals: int = 0


@dataclass(frozen=True)
class Attendance:
    """A learner's attendance of one live-class unit (also used as a delta).

    Attributes:
        learner: The learner.
        unit: The live-class unit.
        first_at: The first ``live.attended`` (UTC sort key); ``""`` when the
            unit was only completed, never attended (not an attendance).
        seconds: Attended seconds in total.
        finished: Whether a ``unit.completed`` exists for the unit.
        need: Seconds that complete it: 80 % of the unit's minutes.
    """

    learner: str
    unit: str
    first_at: str = ""
    seconds: float = 0.0
    finished: bool = False
    need: float = 0.0

    @property
    def completed(self) -> bool:
        """Whether the attendance counts as completed."""
        return bool(self.first_at) and (self.finished or self.seconds >= self.need)


@dataclass(frozen=True)
class LearnerFacts:
    """One learner's facts: from their events and from their snapshot.

    Attributes:
        learner: The learner.
        enrolled_at: The first ``enrolment.started`` (UTC sort key) or ``""``.
        renewed_at: The first ``subscription.renewed`` or ``""``.
        first_at: The learner's first event of any type.
        cohort: Enrolment month (``2026-09``) or ``""``.
        klass: The profile's class (cohort) or ``""``.
        level: Index of the current level.
        peak: Index of the highest level ever reached.
        gate: The next level's requirement with the least progress (``""`` at
            the top level).
    """

    learner: str
    enrolled_at: str = ""
    renewed_at: str = ""
    first_at: str = ""
    cohort: str = ""
    klass: str = ""
    level: int = 0
    peak: int = 0
    gate: str = ""


@dataclass(frozen=True)
class LevelUp:
    """One level-up of a learner with the cycle that led to it.

    Attributes:
        learner: The learner.
        seq: Its place among the learner's level-ups (0, 1, ...).
        level: The level reached.
        at: When (UTC sort key).
        weeks: Weeks since enrolment or the previous level-up; None when the
            learner has no enrolment.
    """

    learner: str
    seq: int
    level: str
    at: str
    weeks: float | None


@dataclass(frozen=True)
class FactChange:
    """What one catch-up step writes, in one transaction.

    Attributes:
        since: The cursor position the step started from (-1: no cursor yet);
            the store refuses the change if its cursor moved meanwhile.
        cursor: The new cursor.
        reset: Forget the tenant's facts first (a rebuild).
        days: Day counters to add.
        attendance: Attendance deltas to merge (``merge_attendance``).
        learners: Learner facts to merge (``merge_learner``).
        level_ups: The full level-up list of each touched learner.
    """

    since: int
    cursor: Cursor
    reset: bool = False
    days: Sequence[DayFacts] = ()
    attendance: Sequence[Attendance] = ()
    learners: Sequence[LearnerFacts] = ()
    level_ups: dict[str, list[LevelUp]] = field(default_factory=dict)


@dataclass(frozen=True)
class FactQuery:
    """Which learners and days a read covers.

    Attributes:
        cohort: Enrolment month, ``""`` for none, None for any.
        klass: Class, ``""`` for none, None for any.
        start: First UTC day (inclusive) or ``""`` for unbounded.
        end: Last UTC day (inclusive).
    """

    cohort: str | None
    klass: str | None
    start: str
    end: str


@dataclass(frozen=True)
class Sums:
    """Counters summed over a range, per learner or per week.

    Attributes:
        key: The learner or the week's Monday.
        attended: Live-class attendances.
        completed: Completed ones.
        interactions: Live interactions.
        seconds: Study seconds.
        active: Learners with a study day (per week; 1 or 0 per learner).
    """

    key: str
    attended: int
    completed: int
    interactions: int
    seconds: float
    active: int


@dataclass(frozen=True)
class StoredExperiment:
    """An experiment as the store keeps it: its id and JSON definition."""

    id: str
    body: str


class MetricStore(Protocol):
    """Where the metrics projection and the experiments of every tenant live."""

    def cursor(self, tenant: str) -> Cursor | None:
        """The tenant's cursor, or None before the first catch-up."""
        ...

    def events_after(
        self, tenant: str, position: int, limit: int
    ) -> list[tuple[int, StoredEvent]]:
        """Up to ``limit`` events of the log after ``position``, by position."""
        ...

    def apply(self, tenant: str, change: FactChange) -> None:
        """Write a catch-up step atomically.

        Raises:
            ConcurrencyError: The cursor is no longer at ``change.since``.
        """
        ...

    def learners(self, tenant: str) -> list[LearnerFacts]:
        """Every learner's facts, sorted by learner."""
        ...

    def learner_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters of the query's learners in its range, per learner."""
        ...

    def week_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters of the query's learners in its range, per ISO week."""
        ...

    def active(self, tenant: str, query: FactQuery) -> set[str]:
        """The query's learners with a study day in its range."""
        ...

    def level_ups(self, tenant: str, query: FactQuery) -> list[LevelUp]:
        """Level-ups of the query's learners in its range."""
        ...

    def put_experiment(self, tenant: str, experiment: StoredExperiment) -> None:
        """Insert or replace an experiment."""
        ...

    def experiments(self, tenant: str) -> list[StoredExperiment]:
        """The tenant's experiments, sorted by id."""
        ...

    def delete_experiment(self, tenant: str, experiment_id: str) -> bool:
        """Forget an experiment; False when there was none."""
        ...
