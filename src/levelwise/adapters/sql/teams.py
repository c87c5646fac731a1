"""SqlTeamStore: team-task progress in three tables of the event log's database.

Writes join the log's transaction when given its session, so progress commits
or rolls back with the events that changed it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import UpdateBase

from levelwise.adapters.sql.driver import store_errors, upsert
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.event_log import DeferredWriter, joined
from levelwise.adapters.sql.tables.teams import team_members, team_met, team_progress
from levelwise.app.ports import LogSession
from levelwise.app.teams.ports import Member, Met, Progress, TeamReader, TeamWriter

_p = team_progress.c
_m = team_members.c
_t = team_met.c
_RowKey = tuple[str, str, str, str]

_REMOVE = delete(team_progress).where(
    _p.tenant == bindparam("t"),
    _p.task == bindparam("k"),
    _p.window == bindparam("w"),
    _p.team == bindparam("g"),
    _p.learner == bindparam("l"),
)
_CLEAR = delete(team_progress).where(
    _p.tenant == bindparam("t"), _p.learner == bindparam("l"), _p.task == bindparam("k")
)
_UNMEMBER = delete(team_members).where(
    _m.tenant == bindparam("t"), _m.kind == bindparam("k"), _m.learner == bindparam("l")
)


def _progress(row: Any) -> Progress:
    return Progress(
        row.task, row.window, row.team, row.learner, row.value, row.events, row.at
    )


class _SqlTeams:
    """One tenant's progress over one connection (a ``TeamWriter``)."""

    def __init__(
        self, connection: Connection, tenant: str, log: DeferredWriter | None = None
    ) -> None:
        self._conn = connection
        self._tenant = tenant
        self._log = log
        self._dialect = connection.dialect.name

    def _write(self, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
        """Write now, or with the log's deferred writes when joining it."""
        if not rows:
            return
        if self._log is not None:
            self._log.defer(statement, rows)
            return
        with store_errors():
            self._conn.execute(statement, rows)

    def _rows(self, query: Any) -> list[Any]:
        with store_errors():
            return list(self._conn.execute(query))

    def progress(
        self, task: str, window: str | None = None, team: str | None = None
    ) -> list[Progress]:
        query = select(team_progress).where(_p.tenant == self._tenant, _p.task == task)
        if window is not None:
            query = query.where(_p.window == window)
        if team is not None:
            query = query.where(_p.team == team)
        order = query.order_by(_p.task, _p.window, _p.team, _p.learner)
        return [_progress(r) for r in self._rows(order)]

    def progress_of(self, learner: str) -> list[Progress]:
        query = (
            select(team_progress)
            .where(_p.tenant == self._tenant, _p.learner == learner)
            .order_by(_p.task, _p.window, _p.team)
        )
        return [_progress(r) for r in self._rows(query)]

    def members(self, kind: str, team: str) -> list[Member]:
        query = (
            select(_m.kind, _m.learner, _m.team, _m.since)
            .where(_m.tenant == self._tenant, _m.kind == kind, _m.team == team)
            .order_by(_m.learner)
        )
        return [Member(*r) for r in self._rows(query)]

    def met(
        self,
        task: str | None = None,
        window: str | None = None,
        team: str | None = None,
    ) -> list[Met]:
        query = select(_t.task, _t.window, _t.team, _t.at, _t.total, _t.rewarded).where(
            _t.tenant == self._tenant
        )
        for column, value in ((_t.task, task), (_t.window, window), (_t.team, team)):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(_t.task, _t.window, _t.team)
        return [Met(*r) for r in self._rows(query)]

    def put(self, rows: Sequence[Progress]) -> None:
        statement = upsert(self._dialect, team_progress, ("value", "events", "at"))
        self._write(
            statement,
            [
                {
                    "tenant": self._tenant,
                    "task": p.task,
                    "window": p.window,
                    "team": p.team,
                    "learner": p.learner,
                    "value": p.value,
                    "events": p.events,
                    "at": p.at,
                }
                for p in rows
            ],
        )

    def remove(self, keys: Collection[_RowKey]) -> None:
        rows = [
            {"t": self._tenant, "k": k, "w": w, "g": g, "l": learner}
            for k, w, g, learner in keys
        ]
        self._write(_REMOVE, rows)

    def clear(self, learner: str, tasks: Collection[str]) -> None:
        rows = [{"t": self._tenant, "l": learner, "k": k} for k in sorted(tasks)]
        self._write(_CLEAR, rows)

    def put_members(self, members: Sequence[Member]) -> None:
        statement = upsert(self._dialect, team_members, ("team", "since"))
        rows = [
            {
                "tenant": self._tenant,
                "kind": m.kind,
                "learner": m.learner,
                "team": m.team,
                "since": m.since,
            }
            for m in members
        ]
        self._write(statement, rows)

    def remove_members(self, kind: str, learners: Collection[str]) -> None:
        rows = [{"t": self._tenant, "k": kind, "l": x} for x in sorted(learners)]
        self._write(_UNMEMBER, rows)

    def add_met(self, met: Sequence[Met]) -> None:
        dialect = postgresql if self._dialect == "postgresql" else sqlite
        statement = dialect.insert(team_met).on_conflict_do_nothing(
            index_elements=["tenant", "task", "window", "team"]
        )
        rows = [
            {
                "tenant": self._tenant,
                "task": m.task,
                "window": m.window,
                "team": m.team,
                "at": m.at,
                "total": m.total,
                "rewarded": m.rewarded,
            }
            for m in met
        ]
        self._write(statement, rows)

    def drop(self) -> None:
        for table in (team_progress, team_members):
            statement = delete(table).where(table.c.tenant == bindparam("t"))
            self._write(statement, [{"t": self._tenant}])


class SqlTeamStore:
    """Team-task progress in the ``team_*`` tables (SQLite or PostgreSQL).

    Args:
        engine: The event log's engine (from ``create_engine_for``, migrated).
    """

    joins_log = True

    def __init__(self, engine: Engine) -> None:
        """Keep the engine and a read-only view of it."""
        self._engine = engine
        self._reader = reader(engine)

    @contextmanager
    def reader(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[TeamReader]:
        """Read ``tenant``'s progress: in the log's transaction if given one.

        Raises:
            StoreError: The database failed.
        """
        if session is not None:
            connection, _ = joined(session)
            yield _SqlTeams(connection, tenant)
            return
        with store_errors(), self._reader.begin() as connection:
            yield _SqlTeams(connection, tenant)

    @contextmanager
    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[TeamWriter]:
        """Change ``tenant``'s progress: in the log's transaction if given one.

        Args:
            tenant: The school.
            session: An open session of a ``SqlEventLog`` on the same database;
                the writes then commit with it. Without one, a transaction of
                its own commits when the block exits.

        Raises:
            TypeError: ``session`` is not a SQL event log session.
            StoreError: The database failed.
        """
        if session is not None:
            connection, log = joined(session)
            yield _SqlTeams(connection, tenant, log)
            return
        with store_errors(), writing(self._engine) as connection:
            yield _SqlTeams(connection, tenant)
