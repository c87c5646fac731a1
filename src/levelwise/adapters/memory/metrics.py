"""In-memory metrics projection: for tests and ``--db memory``; same contract as SQL.

It reads the events of an ``InMemoryEventLog`` by position: a tenant's events
dictionary keeps insertion order, so the n-th event stored has position n.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.metrics.facts import (
    day_list,
    merge_attendance,
    merge_day,
    merge_learner,
)
from levelwise.app.metrics.ports import (
    CURSOR_MOVED,
    Attendance,
    Cursor,
    DayFacts,
    FactChange,
    FactQuery,
    LearnerFacts,
    LevelUp,
    StoredExperiment,
    Sums,
)
from levelwise.app.ports import StoredEvent
from levelwise.errors import ConcurrencyError


@dataclass
class _Tenant:
    cursor: Cursor | None = None
    days: dict[tuple[str, str], DayFacts] = field(default_factory=dict)
    attendance: dict[tuple[str, str], Attendance] = field(default_factory=dict)
    learners: dict[str, LearnerFacts] = field(default_factory=dict)
    level_ups: dict[str, list[LevelUp]] = field(default_factory=dict)
    experiments: dict[str, StoredExperiment] = field(default_factory=dict)

    def copy(self, *, reset: bool) -> _Tenant:
        """A copy to change (facts left out on ``reset``; rows are frozen)."""
        if reset:
            return _Tenant(self.cursor, experiments=self.experiments)
        return _Tenant(
            self.cursor,
            dict(self.days),
            dict(self.attendance),
            dict(self.learners),
            dict(self.level_ups),
            self.experiments,
        )


def _matches(learner: LearnerFacts, query: FactQuery) -> bool:
    # Every learner with events has facts: each event adds its learner's.
    return (query.cohort is None or learner.cohort == query.cohort) and (
        query.klass is None or learner.klass == query.klass
    )


class InMemoryMetricStore:
    """Keeps every tenant's metrics projection in dictionaries.

    Args:
        log: The in-memory event log whose events it reads by position.
    """

    def __init__(self, log: InMemoryEventLog) -> None:
        """Start empty."""
        self._log = log
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.RLock()

    def _tenant(self, tenant: str) -> _Tenant:
        return self._tenants.get(tenant) or _Tenant()

    def cursor(self, tenant: str) -> Cursor | None:
        """The tenant's cursor."""
        return self._tenant(tenant).cursor

    def events_after(
        self, tenant: str, position: int, limit: int
    ) -> list[tuple[int, StoredEvent]]:
        """Events after ``position`` (the log's insertion order, from 1)."""
        data = self._log._tenants.get(tenant)  # the log's committed data
        if data is None:
            return []
        rows = itertools.islice(data.events.values(), position, position + limit)
        return [(position + i + 1, e) for i, e in enumerate(rows)]

    def apply(self, tenant: str, change: FactChange) -> None:
        """Write a catch-up step: all of it or, on a moved cursor, nothing.

        Raises:
            ConcurrencyError: The cursor is no longer at ``change.since``.
        """
        with self._lock:
            old = self._tenant(tenant)
            current = -1 if old.cursor is None else old.cursor.position
            if current != change.since:
                raise ConcurrencyError(CURSOR_MOVED)
            work = old.copy(reset=change.reset)
            days = list(change.days)
            for delta in change.attendance:
                key = (delta.learner, delta.unit)
                work.attendance[key], moved = merge_attendance(
                    work.attendance.get(key), delta
                )
                days.extend(moved)
            for row in day_list(days):
                key = (row.learner, row.day)
                before = work.days.get(key)
                work.days[key] = row if before is None else merge_day(before, row)
            for x in change.learners:
                stored = work.learners.get(x.learner)
                work.learners[x.learner] = (
                    x if stored is None else merge_learner(stored, x)
                )
            work.level_ups.update(change.level_ups)
            work.cursor = change.cursor
            self._tenants[tenant] = work

    def learners(self, tenant: str) -> list[LearnerFacts]:
        """Every learner's facts, sorted by learner."""
        found = self._tenant(tenant).learners
        return [found[k] for k in sorted(found)]

    def _days(self, tenant: str, query: FactQuery) -> list[DayFacts]:
        t = self._tenant(tenant)
        return [
            d
            for d in t.days.values()
            if (not query.start or d.day >= query.start)
            and d.day <= query.end
            and _matches(t.learners[d.learner], query)
        ]

    @staticmethod
    def _sums(rows: dict[str, list[DayFacts]]) -> list[Sums]:
        return [
            Sums(
                key,
                sum(d.attended for d in days),
                sum(d.completed for d in days),
                sum(d.interactions for d in days),
                sum(d.seconds for d in days),
                len({d.learner for d in days if d.study}),
            )
            for key, days in sorted(rows.items())
        ]

    def learner_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters in the range, per learner."""
        rows: dict[str, list[DayFacts]] = defaultdict(list)
        for d in self._days(tenant, query):
            rows[d.learner].append(d)
        return self._sums(rows)

    def week_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters in the range, per ISO week."""
        rows: dict[str, list[DayFacts]] = defaultdict(list)
        for d in self._days(tenant, query):
            rows[d.week].append(d)
        return self._sums(rows)

    def active(self, tenant: str, query: FactQuery) -> set[str]:
        """Learners with a study day in the range."""
        return {d.learner for d in self._days(tenant, query) if d.study}

    def level_ups(self, tenant: str, query: FactQuery) -> list[LevelUp]:
        """Level-ups of the query's learners in its range."""
        t = self._tenant(tenant)
        return [
            u
            for learner, ups in sorted(t.level_ups.items())
            if _matches(t.learners[learner], query)
            for u in ups
            if (not query.start or u.at[:10] >= query.start) and u.at[:10] <= query.end
        ]

    def put_experiment(self, tenant: str, experiment: StoredExperiment) -> None:
        """Insert or replace an experiment."""
        with self._lock:
            t = self._tenants.setdefault(tenant, _Tenant())
            t.experiments = {**t.experiments, experiment.id: experiment}

    def experiments(self, tenant: str) -> list[StoredExperiment]:
        """The tenant's experiments, sorted by id."""
        found = self._tenant(tenant).experiments
        return [found[k] for k in sorted(found)]

    def delete_experiment(self, tenant: str, experiment_id: str) -> bool:
        """Forget an experiment; False when there was none."""
        with self._lock:
            t = self._tenants.get(tenant)
            if t is None or experiment_id not in t.experiments:
                return False
            t.experiments = {
                k: v for k, v in t.experiments.items() if k != experiment_id
            }
            return True
