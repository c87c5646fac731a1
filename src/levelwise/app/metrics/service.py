"""Operator outcome metrics: the ``Metrics`` service and its read model.

The figures are defined in ``docs/metrics.md``. ``catch_up`` folds the log's
new events (by log position) into the metrics projection and refreshes the
touched learners' snapshot facts; ``dashboard`` catches up, then computes
every table from the projection, with experiment comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from levelwise.app.metrics.bands import ParticipationSource, band_analysis
from levelwise.app.metrics.experiments import (
    Experiment,
    check_experiment,
    loaded,
    stored,
)
from levelwise.app.metrics.export import to_csv
from levelwise.app.metrics.facts import (
    FACTS_VERSION,
    NO_GROUP,
    EventFacts,
    add_events,
    learning_rows,
    live_units,
    merge_learner,
    snapshot_facts,
    voided_targets,
)
from levelwise.app.metrics.ports import (
    Cursor,
    FactChange,
    FactQuery,
    LearnerFacts,
    LevelUp,
    MetricStore,
)
from levelwise.app.metrics.report import (
    Population,
    experiment_view,
    grouped_rows,
    level_rows,
    metric_row,
    week_rows,
)
from levelwise.app.metrics.views import (
    BandAnalysis,
    BandRow,
    Comparison,
    Dashboard,
    ExperimentView,
    Figure,
    LevelRow,
    MetricFilter,
    MetricRow,
    Rate,
    Shortfall,
    WeekRow,
)
from levelwise.app.ports import Clock, EventLog, LogSession
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program
from levelwise.errors import ConcurrencyError, MetricError, StoreError

__all__ = [
    "BandAnalysis",
    "BandRow",
    "CatchUpReport",
    "Comparison",
    "Dashboard",
    "ExperimentView",
    "Figure",
    "LevelRow",
    "MetricFilter",
    "MetricRow",
    "Metrics",
    "ParticipationSource",
    "Rate",
    "Shortfall",
    "TABLES",
    "WeekRow",
]

ProgramLoader = Callable[[LogSession], tuple[Program, MasteryModel]]
"""Compiles the program current in a session (the engine's program cache)."""

OnProgress = Callable[[int, int | None], None]
"""Told ``(events done, events in all)``; the total is None until it is known."""

READ_CHUNK = 20_000
"""Events read from the log per query."""

BATCH = 250_000
"""Events folded into one write (touched learners' snapshots read once each)."""

TABLES = ("cohorts", "classes", "weeks", "levels", "experiments")
"""The tables ``csv`` exports."""


@dataclass(frozen=True)
class CatchUpReport:
    """What a catch-up or rebuild did.

    Attributes:
        events: Events folded in.
        learners: Learners whose facts were refreshed.
        position: The cursor's log position afterwards.
        rebuilt: Whether it started over from position 0.
    """

    events: int
    learners: int
    position: int
    rebuilt: bool


class Metrics:
    """The operator's outcome metrics over one event log.

    Args:
        log: The event log (snapshots are read from it).
        store: Where the projection and experiments live; None: not set up.
        clock: Today's date when the log is empty.
        programs: Compiles the current program of a session.
    """

    def __init__(
        self,
        log: EventLog,
        store: MetricStore | None,
        clock: Clock,
        programs: ProgramLoader,
    ) -> None:
        """Keep the collaborators; nothing is read until the first call."""
        self.log = log
        self.store = store
        self.clock = clock
        self._programs = programs

    def _store(self) -> MetricStore:
        if self.store is None:
            msg = "metrics are not set up on this server"
            raise StoreError(msg)
        return self.store

    def _program(self, tenant: str) -> tuple[Program, MasteryModel]:
        with self.log.read(tenant) as s:
            return self._programs(s)

    # -- the projection ----------------------------------------------------------

    def catch_up(self, tenant: str) -> CatchUpReport:
        """Fold the log's new events into the projection.

        Rebuilds instead when the program version or the projection's code
        changed since the facts were built.

        Raises:
            ProgramNotFoundError: The school has no program yet.
            ConcurrencyError: Another catch-up of the tenant wrote first.
        """
        program, model = self._program(tenant)
        cursor = self._store().cursor(tenant)
        if (
            cursor is None
            or cursor.program_version != program.version
            or cursor.facts_version != FACTS_VERSION
        ):
            return self._fold(tenant, program, model, cursor, rebuild=True)
        return self._fold(tenant, program, model, cursor, rebuild=False)

    def rebuild(
        self, tenant: str, on_progress: OnProgress | None = None
    ) -> CatchUpReport:
        """Recompute the tenant's projection from log position 0.

        Args:
            tenant: The school.
            on_progress: Called with ``(events read, None)`` after each read of
                ``READ_CHUNK`` events (the store tells no total before the
                end), then once with ``(events, events)`` when the projection
                is written. It only observes: the facts are the same with or
                without it.

        Raises:
            ProgramNotFoundError: The school has no program yet.
            ConcurrencyError: Another catch-up of the tenant wrote first.
        """
        program, model = self._program(tenant)
        cursor = self._store().cursor(tenant)
        return self._fold(
            tenant, program, model, cursor, rebuild=True, on_progress=on_progress
        )

    def _fold(
        self,
        tenant: str,
        program: Program,
        model: MasteryModel,
        cursor: Cursor | None,
        *,
        rebuild: bool,
        on_progress: OnProgress | None = None,
    ) -> CatchUpReport:
        store = self._store()
        units = live_units(program)
        # A voiding takes an earlier event's facts away: only a rebuild, which
        # knows every voided id before it counts, can do that exactly.
        voided = self._voided(tenant) if rebuild else set()
        since = -1 if cursor is None else cursor.position
        position = 0 if rebuild or cursor is None else cursor.position
        last_at = "" if rebuild or cursor is None else cursor.last_at
        reset = rebuild
        events = 0
        refreshed: set[str] = set()
        exhausted = False
        while not exhausted:
            facts = EventFacts()
            count = 0
            while count < BATCH:
                rows = store.events_after(tenant, position, READ_CHUNK)
                if not rebuild and any(e.type == "event.voided" for _, e in rows):
                    return self._fold(
                        tenant,
                        program,
                        model,
                        cursor,
                        rebuild=True,
                        on_progress=on_progress,
                    )
                read = (e for _, e in rows)
                add_events(facts, learning_rows(read, program, voided), units)
                count += len(rows)
                if rows:
                    position = rows[-1][0]
                    if on_progress is not None:
                        on_progress(events + count, None)
                if len(rows) < READ_CHUNK:
                    exhausted = True
                    break
            if not count and not reset:
                break
            rows_, ups = self._learner_rows(tenant, facts, program, model)
            last_at = max(last_at, facts.last_at)
            new = Cursor(position, program.version, FACTS_VERSION, last_at)
            store.apply(
                tenant,
                FactChange(
                    since=since,
                    cursor=new,
                    reset=reset,
                    days=list(facts.days.values()),
                    attendance=list(facts.attendance.values()),
                    learners=rows_,
                    level_ups=ups,
                ),
            )
            events += count
            refreshed.update(row.learner for row in rows_)
            since = position
            reset = False
        if on_progress is not None:
            on_progress(events, events)
        return CatchUpReport(events, len(refreshed), position, rebuild)

    def _voided(self, tenant: str) -> set[str]:
        """Every event id the tenant's log voids (one read of the log)."""
        store = self._store()
        found: set[str] = set()
        position = 0
        while True:
            rows = store.events_after(tenant, position, READ_CHUNK)
            found |= voided_targets(e for _, e in rows)
            if len(rows) < READ_CHUNK:
                return found
            position = rows[-1][0]

    def _learner_rows(
        self,
        tenant: str,
        facts: EventFacts,
        program: Program,
        model: MasteryModel,
    ) -> tuple[list[LearnerFacts], dict[str, list[LevelUp]]]:
        """The touched learners' facts: their events' and their snapshots'."""
        found = facts.learners
        ids = sorted(found)
        with self.log.read(tenant) as s:
            snaps = s.snapshots(ids)
        rows: list[LearnerFacts] = []
        ups: dict[str, list[LevelUp]] = {}
        for learner in ids:
            snap = snaps.get(learner)
            if snap is None:
                current, ups[learner] = LearnerFacts(learner), []
            else:
                current, ups[learner] = snapshot_facts(
                    snap.learner_state(), program, model
                )
            rows.append(merge_learner(found[learner], current))
        return rows, ups

    # -- the dashboard -------------------------------------------------------------

    def dashboard(self, tenant: str, filter: MetricFilter) -> Dashboard:
        """Catch up, then compute the dashboard for ``filter``.

        Raises:
            MetricError: The filter's end is before its start, or its term is
                not positive.
            ProgramNotFoundError: The school has no program yet.
        """
        check_filter(filter)
        try:
            self.catch_up(tenant)
        except ConcurrencyError:
            pass  # another request is catching up; read what is committed
        return self.compute(tenant, filter)

    def compute(self, tenant: str, filter: MetricFilter) -> Dashboard:
        """The dashboard from the projection as it is (no catch-up).

        Raises:
            MetricError: The filter is invalid.
            ProgramNotFoundError: The school has no program yet.
        """
        check_filter(filter)
        store = self._store()
        program = self._program(tenant)[0]
        as_of, everyone, learners = self._scope(tenant, filter)
        cohort, klass = _group(filter.cohort), _group(filter.klass)
        day = as_of.isoformat()
        start = "" if filter.start is None else filter.start.isoformat()
        query = FactQuery(cohort, klass, start, day)
        week = replace(query, start=(as_of - timedelta(days=6)).isoformat())
        pop = Population(
            learners=learners,
            sums={s.key: s for s in store.learner_sums(tenant, query)},
            active=store.active(tenant, week),
            level_ups=store.level_ups(tenant, query),
            as_of=as_of,
            term_weeks=filter.term_weeks,
        )
        cohorts = tuple(sorted({x.cohort for x in everyone if x.cohort}))
        classes = tuple(sorted({x.klass for x in everyone if x.klass}))
        return Dashboard(
            tenant=tenant,
            as_of=as_of,
            filter=filter,
            cohorts=cohorts,
            classes=classes,
            overall=metric_row("all", learners, pop),
            by_cohort=grouped_rows(pop, "cohort", cohorts),
            by_class=grouped_rows(pop, "klass", classes),
            by_week=week_rows(pop, store.week_sums(tenant, query), filter.start),
            levels=level_rows(learners, program),
            experiments=tuple(
                experiment_view(pop, loaded(row)) for row in store.experiments(tenant)
            ),
        )

    def _scope(
        self, tenant: str, filter: MetricFilter
    ) -> tuple[date, list[LearnerFacts], list[LearnerFacts]]:
        """The range's last day, every learner, and the filter's learners.

        Raises:
            MetricError: The start is after the range's last day.
        """
        store = self._store()
        cursor = store.cursor(tenant)
        # Figures never run past today, whatever the filter or the log say
        # (an event a few minutes ahead of the clock may fall on tomorrow).
        today = date.fromisoformat(self.clock.now_iso()[:10])
        as_of = min(filter.end or _last_day(cursor) or today, today)
        if filter.start is not None and as_of < filter.start:
            msg = (
                f"start {filter.start} is after the end {as_of} (the day of the "
                "last event when no end is given; never after today)"
            )
            raise MetricError(msg)
        everyone = store.learners(tenant)
        cohort, klass = _group(filter.cohort), _group(filter.klass)
        day = as_of.isoformat()
        learners = [
            x
            for x in everyone
            if (cohort is None or x.cohort == cohort)
            and (klass is None or x.klass == klass)
            and x.first_at
            and x.first_at[:10] <= day
        ]
        return as_of, everyone, learners

    def quality_bands(
        self, tenant: str, filter: MetricFilter, source: ParticipationSource
    ) -> BandAnalysis:
        """Class completion, drop-out during class and renewal by call-quality band.

        Reads the projection as it is (call :meth:`dashboard` first to catch
        up). The participations are those ``source`` gives for the classes
        that started from the filter's start (00:00 UTC) to the end of the
        dashboard's last day, of the filter's learners; see
        :mod:`levelwise.app.metrics.bands`.

        Args:
            tenant: The school.
            filter: The dashboard filter.
            source: The call-quality service's participations of the school,
                ``source(since, until)``.

        Raises:
            MetricError: The filter is invalid.
        """
        check_filter(filter)
        as_of, _, learners = self._scope(tenant, filter)
        since = None
        if filter.start is not None:
            since = datetime.combine(filter.start, time(), UTC)
        until = datetime.combine(as_of + timedelta(days=1), time(), UTC)
        return band_analysis(source(since, until), learners, as_of, filter.term_weeks)

    def csv(self, tenant: str, filter: MetricFilter, table: str) -> str:
        """One dashboard table as CSV text (a header line, then rows).

        Args:
            tenant: The school.
            filter: The dashboard filter.
            table: ``cohorts``, ``classes``, ``weeks``, ``levels`` or
                ``experiments``.

        Raises:
            MetricError: Unknown table or invalid filter.
        """
        if table not in TABLES:
            msg = f"unknown table {table!r}; use one of {', '.join(TABLES)}"
            raise MetricError(msg)
        board = self.dashboard(tenant, filter)
        return to_csv(board, table)

    # -- experiments -----------------------------------------------------------------

    def put_experiment(self, tenant: str, experiment: Experiment) -> Experiment:
        """Validate and store an experiment (replacing one with the same id).

        Raises:
            MetricError: The experiment is invalid; nothing is stored.
        """
        self._store().put_experiment(tenant, stored(check_experiment(experiment)))
        return experiment

    def experiments(self, tenant: str) -> list[Experiment]:
        """The tenant's experiments, sorted by id."""
        return [loaded(row) for row in self._store().experiments(tenant)]

    def delete_experiment(self, tenant: str, experiment_id: str) -> bool:
        """Forget an experiment; False when there was none."""
        return self._store().delete_experiment(tenant, experiment_id)


_MONTH = re.compile(r"\d{4}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_filter(filter: MetricFilter) -> None:
    """Refuse a filter whose end is before its start or whose term is not positive.

    Also a cohort that is not a month (``2026-09``) or ``(none)``, and a class
    with a control character (no class has one, and a NUL cannot even be
    looked up in PostgreSQL).

    Raises:
        MetricError: The filter is invalid.
    """
    cohort = filter.cohort
    if cohort and cohort != NO_GROUP and not _MONTH.fullmatch(cohort):
        msg = f"cohort {cohort[:60]!r} is not an intake month such as 2026-09"
        raise MetricError(msg)
    if filter.klass and _CONTROL.search(filter.klass):
        msg = "class: a class name has no control characters"
        raise MetricError(msg)
    if filter.start and filter.end and filter.end < filter.start:
        msg = f"end {filter.end} is before start {filter.start}"
        raise MetricError(msg)
    if not 1 <= filter.term_weeks <= 520:
        msg = f"term_weeks {filter.term_weeks} is not between 1 and 520"
        raise MetricError(msg)


def _group(value: str | None) -> str | None:
    """A filter value as stored: ``(none)`` is the empty string."""
    return "" if value == NO_GROUP else value


def _last_day(cursor: Cursor | None) -> date | None:
    if cursor is None or not cursor.last_at:
        return None
    return date.fromisoformat(cursor.last_at[:10])
