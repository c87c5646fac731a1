"""SqlMetricStore: the metrics projection in the event log's database.

Day counters are added with ``INSERT ... ON CONFLICT DO UPDATE`` increments;
attendances and learner rows are read, merged in Python (the same functions as
the in-memory store) and written back. The dashboard's sums run in SQL.

On PostgreSQL, positions are taken from a sequence when a row is inserted, so
a transaction can commit position 7 after another committed position 8. Before
reading events, the store takes ``SHARE`` on ``events`` for an instant: it
waits for writers in flight, reads the highest committed position, and lets go;
every position up to it is final, so the cursor never skips a late commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from levelwise.adapters.sql.driver import chunks, store_errors, upsert
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.core import events
from levelwise.adapters.sql.tables.metrics import (
    metric_attendance,
    metric_cursors,
    metric_days,
    metric_experiments,
    metric_learners,
    metric_level_ups,
    metric_weeks,
)
from levelwise.app.metrics.facts import day_list, merge_attendance, merge_learner
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

_EVENT = ("event_id", "learner", "type", "version", "occurred_at", "body", "digest")
_LEARNER = (
    "learner",
    "enrolled_at",
    "renewed_at",
    "first_at",
    "cohort",
    "klass",
    "level",
    "peak",
    "gate",
)
_ATTENDANCE = ("learner", "unit", "first_at", "seconds", "finished", "need")
_COUNTERS = ("seconds", "attended", "completed", "interactions", "renewals")
_d = metric_days.c
_l = metric_learners.c


@lru_cache(maxsize=8)
def _add_counters(dialect: str, table: Table) -> Any:
    """``INSERT`` counters, adding to an existing row (``study``: the max)."""
    insert = (
        postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    )
    new, old = insert.excluded, table.c
    updates: dict[str, Any] = {k: old[k] + new[k] for k in _COUNTERS}
    updates["study"] = case((new.study > old.study, new.study), else_=old.study)
    return insert.on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_=updates
    )


def _week_rows(days: Sequence[DayFacts]) -> list[dict[str, Any]]:
    """Day counters summed per learner and week (``study``: the max)."""
    weeks: dict[tuple[str, str], dict[str, Any]] = {}
    for d in days:
        row = weeks.get((d.learner, d.week))
        if row is None:
            row = {"learner": d.learner, "week": d.week, "study": 0}
            row.update(dict.fromkeys(_COUNTERS, 0))
            weeks[(d.learner, d.week)] = row
        row["study"] = max(row["study"], d.study)
        for k in _COUNTERS:
            row[k] += getattr(d, k)
    return list(weeks.values())


def split_range(
    start: str, end: str
) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """Split a day range into whole ISO weeks and the days at its edges.

    Args:
        start: First day (``""``: unbounded).
        end: Last day.

    Returns:
        ``(first Monday, last Monday)`` of the whole weeks (``""`` as the first
        when unbounded; None when there is no whole week) and the
        ``(first, last)`` day ranges outside them.
    """
    e = date.fromisoformat(end)
    last = e - timedelta(days=e.weekday() + (0 if e.weekday() == 6 else 7))
    first = ""
    if start:
        s = date.fromisoformat(start)
        monday = s + timedelta(days=(7 - s.weekday()) % 7)
        if monday > last:
            return None, [(start, end)]
        first = monday.isoformat()
        if monday > s:
            edges = [(start, (monday - timedelta(days=1)).isoformat())]
        else:
            edges = []
    else:
        edges = []
    if last + timedelta(days=6) < e:
        edges.append(((last + timedelta(days=7)).isoformat(), end))
    return (first, last.isoformat()), edges


class SqlMetricStore:
    """The metrics projection of every tenant in one SQL database.

    Args:
        engine: The event log's engine (migrated); the caller owns it.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; nothing is opened until the first call."""
        self._engine = engine
        self._reader = reader(engine)
        self._dialect = engine.dialect.name

    # -- the cursor and the log ----------------------------------------------------

    def cursor(self, tenant: str) -> Cursor | None:
        """The tenant's cursor, or None."""
        c = metric_cursors.c
        query = select(c.position, c.program_version, c.facts_version, c.last_at).where(
            c.tenant == tenant
        )
        with store_errors(), self._reader.begin() as conn:
            row = conn.execute(query).first()
        return None if row is None else Cursor(*row)

    def _horizon(self) -> int | None:
        """PostgreSQL: the highest position no writer in flight can undercut."""
        if self._dialect != "postgresql":
            return None
        with store_errors(), writing(self._engine) as conn:
            conn.execute(text("LOCK TABLE events IN SHARE MODE"))
            top = conn.execute(select(func.max(events.c.position))).scalar()
        return int(top or 0)

    def events_after(
        self, tenant: str, position: int, limit: int
    ) -> list[tuple[int, StoredEvent]]:
        """Up to ``limit`` committed events after ``position``, by position."""
        c = events.c
        # SQLite would pick the (tenant, learner, ...) index for the tenant and
        # sort the whole tenant; an expression on the column makes it walk
        # the rowid (the position) from ``position`` instead.
        own = (
            c.tenant == tenant
            if self._dialect == "postgresql"
            else (c.tenant + "") == tenant
        )
        query = (
            select(c.position, *(c[k] for k in _EVENT))
            .where(own, c.position > position)
            .order_by(c.position)
            .limit(limit)
        )
        horizon = self._horizon()
        if horizon is not None:
            query = query.where(c.position <= horizon)
        with store_errors(), self._reader.begin() as conn:
            return [(int(r[0]), StoredEvent(*r[1:])) for r in conn.execute(query)]

    # -- writes ----------------------------------------------------------------------

    def apply(self, tenant: str, change: FactChange) -> None:
        """Write a catch-up step in one transaction.

        Raises:
            ConcurrencyError: The cursor is no longer at ``change.since``.
            StoreError: The database failed.
        """
        with store_errors(conflict=CURSOR_MOVED), writing(self._engine) as conn:
            self._check_cursor(conn, tenant, change.since)
            if change.reset:
                for table in (
                    metric_days,
                    metric_weeks,
                    metric_attendance,
                    metric_learners,
                    metric_level_ups,
                ):
                    conn.execute(delete(table).where(table.c.tenant == tenant))
            days = list(change.days)
            days.extend(self._merge_attendance(conn, tenant, change.attendance))
            merged = [d for d in day_list(days) if _any(d)]
            if merged:
                rows = [{"tenant": tenant, **_day_row(d)} for d in merged]
                conn.execute(_add_counters(self._dialect, metric_days), rows)
                weeks = [{"tenant": tenant, **w} for w in _week_rows(merged)]
                conn.execute(_add_counters(self._dialect, metric_weeks), weeks)
            self._merge_learners(conn, tenant, change.learners)
            self._put_level_ups(conn, tenant, change.level_ups)
            cursor = {
                "tenant": tenant,
                "position": change.cursor.position,
                "program_version": change.cursor.program_version,
                "facts_version": change.cursor.facts_version,
                "last_at": change.cursor.last_at,
            }
            conn.execute(
                upsert(
                    self._dialect,
                    metric_cursors,
                    ("position", "program_version", "facts_version", "last_at"),
                ),
                cursor,
            )

    def _check_cursor(self, conn: Connection, tenant: str, since: int) -> None:
        c = metric_cursors.c
        query = select(c.position).where(c.tenant == tenant)
        if self._dialect == "postgresql":
            # ``FOR UPDATE`` locks nothing before the tenant's first cursor
            # row exists, and two first catch-ups would then both add their
            # counts. A lock per tenant for the transaction orders them: the
            # second reads the first's cursor and gives way. (SQLite's
            # ``BEGIN IMMEDIATE`` already orders every writer.)
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"levelwise-metrics:{tenant}"},
            )
        found = conn.execute(query).scalar()
        current = -1 if found is None else int(found)
        if current != since:
            raise ConcurrencyError(CURSOR_MOVED)

    def _merge_attendance(
        self, conn: Connection, tenant: str, deltas: Sequence[Attendance]
    ) -> list[DayFacts]:
        c = metric_attendance.c
        stored: dict[tuple[str, str], Attendance] = {}
        for chunk in chunks(d.learner for d in deltas):
            query = select(*(c[k] for k in _ATTENDANCE)).where(
                c.tenant == tenant, c.learner.in_(chunk)
            )
            for row in conn.execute(query):
                stored[(row[0], row[1])] = Attendance(*row)
        moves: list[DayFacts] = []
        rows = []
        for delta in deltas:
            new, moved = merge_attendance(
                stored.get((delta.learner, delta.unit)), delta
            )
            moves.extend(moved)
            rows.append({"tenant": tenant, **{k: getattr(new, k) for k in _ATTENDANCE}})
        if rows:
            conn.execute(
                upsert(self._dialect, metric_attendance, _ATTENDANCE[2:]), rows
            )
        return moves

    def _merge_learners(
        self, conn: Connection, tenant: str, learners: Sequence[LearnerFacts]
    ) -> None:
        stored: dict[str, LearnerFacts] = {}
        for chunk in chunks(x.learner for x in learners):
            query = select(*(_l[k] for k in _LEARNER)).where(
                _l.tenant == tenant, _l.learner.in_(chunk)
            )
            stored.update((row[0], LearnerFacts(*row)) for row in conn.execute(query))
        rows = []
        for x in learners:
            old = stored.get(x.learner)
            new = x if old is None else merge_learner(old, x)
            rows.append({"tenant": tenant, **{k: getattr(new, k) for k in _LEARNER}})
        if rows:
            conn.execute(upsert(self._dialect, metric_learners, _LEARNER[1:]), rows)

    def _put_level_ups(
        self, conn: Connection, tenant: str, level_ups: dict[str, list[LevelUp]]
    ) -> None:
        c = metric_level_ups.c
        for chunk in chunks(level_ups):
            conn.execute(
                delete(metric_level_ups).where(c.tenant == tenant, c.learner.in_(chunk))
            )
        rows = [
            {
                "tenant": tenant,
                "learner": u.learner,
                "seq": u.seq,
                "level": u.level,
                "at": u.at,
                "weeks": u.weeks,
            }
            for ups in level_ups.values()
            for u in ups
        ]
        if rows:
            conn.execute(metric_level_ups.insert(), rows)

    # -- reads ----------------------------------------------------------------------

    def learners(self, tenant: str) -> list[LearnerFacts]:
        """Every learner's facts, sorted by learner."""
        query = (
            select(*(_l[k] for k in _LEARNER))
            .where(_l.tenant == tenant)
            .order_by(_l.learner)
        )
        with store_errors(), self._reader.begin() as conn:
            return [LearnerFacts(*row) for row in conn.execute(query)]

    def _learners_in(
        self, learner: ColumnElement[str], tenant: str, query: FactQuery
    ) -> list[ColumnElement[bool]]:
        if query.cohort is None and query.klass is None:
            return []
        learners = select(_l.learner).where(_l.tenant == tenant)
        if query.cohort is not None:
            learners = learners.where(_l.cohort == query.cohort)
        if query.klass is not None:
            learners = learners.where(_l.klass == query.klass)
        return [learner.in_(learners)]

    def _where(self, tenant: str, query: FactQuery) -> list[ColumnElement[bool]]:
        where = [_d.tenant == tenant, _d.day <= query.end]
        if query.start:
            where.append(_d.day >= query.start)
        return where + self._learners_in(_d.learner, tenant, query)

    def _sums(self, by: str, tenant: str, query: FactQuery) -> list[Sums]:
        """Counters per ``learner`` or ``week``: whole weeks, then edge days."""
        weeks, edges = split_range(query.start, query.end)
        parts: list[tuple[Table, list[ColumnElement[bool]]]] = []
        if weeks is not None:
            w = metric_weeks.c
            span = [w.tenant == tenant, w.week <= weeks[1]]
            if weeks[0]:
                span.append(w.week >= weeks[0])
            parts.append(
                (metric_weeks, span + self._learners_in(w.learner, tenant, query))
            )
        if edges:
            days = or_(*(and_(_d.day >= a, _d.day <= b) for a, b in edges))
            parts.append(
                (
                    metric_days,
                    [
                        _d.tenant == tenant,
                        days,
                        *self._learners_in(_d.learner, tenant, query),
                    ],
                )
            )
        found: dict[str, list[Any]] = {}
        with store_errors(), self._reader.begin() as conn:
            for table, where in parts:
                c = table.c
                active = func.count(func.distinct(case((c.study > 0, c.learner))))
                statement: Select[Any] = (
                    select(
                        c[by],
                        func.sum(c.attended),
                        func.sum(c.completed),
                        func.sum(c.interactions),
                        func.sum(c.seconds),
                        active,
                    )
                    .where(*where)
                    .group_by(c[by])
                )
                for k, a, done, i, secs, n in conn.execute(statement):
                    row = found.setdefault(str(k), [0, 0, 0, 0.0, 0])
                    row[0] += int(a)
                    row[1] += int(done)
                    row[2] += int(i)
                    row[3] += float(secs)
                    row[4] = max(row[4], int(n))
        return [Sums(k, *found[k]) for k in sorted(found)]

    def learner_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters in the range, per learner (SQL aggregates)."""
        return self._sums("learner", tenant, query)

    def week_sums(self, tenant: str, query: FactQuery) -> list[Sums]:
        """Day counters in the range, per ISO week (SQL aggregates)."""
        return self._sums("week", tenant, query)

    def active(self, tenant: str, query: FactQuery) -> set[str]:
        """Learners with a study day in the range."""
        statement = (
            select(_d.learner)
            .where(*self._where(tenant, query), _d.study > 0)
            .distinct()
        )
        with store_errors(), self._reader.begin() as conn:
            return set(conn.execute(statement).scalars())

    def level_ups(self, tenant: str, query: FactQuery) -> list[LevelUp]:
        """Level-ups of the query's learners in its range."""
        c = metric_level_ups.c
        statement = (
            select(c.learner, c.seq, c.level, c.at, c.weeks)
            .where(c.tenant == tenant, c.at < _next_day(query.end))
            .order_by(c.learner, c.seq)
        )
        if query.start:
            statement = statement.where(c.at >= query.start)
        if query.cohort is not None or query.klass is not None:
            statement = statement.join(
                metric_learners,
                (_l.tenant == c.tenant) & (_l.learner == c.learner),
            )
            if query.cohort is not None:
                statement = statement.where(_l.cohort == query.cohort)
            if query.klass is not None:
                statement = statement.where(_l.klass == query.klass)
        with store_errors(), self._reader.begin() as conn:
            return [LevelUp(*row) for row in conn.execute(statement)]

    # -- experiments ----------------------------------------------------------------

    def put_experiment(self, tenant: str, experiment: StoredExperiment) -> None:
        """Insert or replace an experiment."""
        row = {"tenant": tenant, "id": experiment.id, "body": experiment.body}
        with store_errors(), writing(self._engine) as conn:
            conn.execute(upsert(self._dialect, metric_experiments, ("body",)), row)

    def experiments(self, tenant: str) -> list[StoredExperiment]:
        """The tenant's experiments, sorted by id."""
        c = metric_experiments.c
        query = select(c.id, c.body).where(c.tenant == tenant).order_by(c.id)
        with store_errors(), self._reader.begin() as conn:
            return [StoredExperiment(*row) for row in conn.execute(query)]

    def delete_experiment(self, tenant: str, experiment_id: str) -> bool:
        """Forget an experiment; False when there was none."""
        c = metric_experiments.c
        statement = delete(metric_experiments).where(
            c.tenant == tenant, c.id == experiment_id
        )
        with store_errors(), writing(self._engine) as conn:
            return bool(conn.execute(statement).rowcount)


def _day_row(d: DayFacts) -> dict[str, Any]:
    return {
        "learner": d.learner,
        "day": d.day,
        "week": d.week,
        "study": d.study,
        "seconds": d.seconds,
        "attended": d.attended,
        "completed": d.completed,
        "interactions": d.interactions,
        "renewals": d.renewals,
    }


def _any(d: DayFacts) -> bool:
    values: Iterable[float] = (d.study, *(getattr(d, k) for k in _COUNTERS))
    return any(values)


def _next_day(day: str) -> str:
    """A key just after every UTC key of ``day``: level-ups ``at`` sort keys."""
    return day + "U"  # "YYYY-MM-DDT..." < "YYYY-MM-DDU"
