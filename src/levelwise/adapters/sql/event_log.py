"""SqlEventLog: the event log, projections and programs on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.sql.dml import UpdateBase

from levelwise.adapters.sql.deferred import Deferred, insert_sql
from levelwise.adapters.sql.driver import (
    chunks,
    key_after,
    key_before,
    store_errors,
    upsert,
)
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.outbox import SqlOutbox, SqlOutboxSession
from levelwise.adapters.sql.tables.core import (
    api_keys,
    events,
    outcomes,
    placement_exposure,
    placements,
    programs,
)
from levelwise.adapters.sql.tables.core import checkpoints as checkpoint_table
from levelwise.adapters.sql.tables.core import snapshots as snapshot_table
from levelwise.app.ports import (
    Key,
    LogSession,
    Snapshot,
    StoredEvent,
    StoredOutcome,
    StoredPlacement,
    StoredProgram,
)

# A transaction-scoped lock per (tenant, learner), released at commit/rollback.
_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(:tenant || '/' || :learner, 0))"
)
_CONFLICT = "an event id of this batch is already stored (a concurrent writer?)"

_EVENT = ("event_id", "learner", "type", "version", "occurred_at", "body", "digest")
_OUTCOME = ("learner", "event_id", "seq", "program_version", "kind", "at", "body")
_SNAPSHOT = (
    "learner",
    "program_version",
    "level",
    "xp",
    "last_at",
    "last_id",
    "events",
    "state",
)
# Statements on the ingest path, built once (building one costs more than
# running it on SQLite).
_e, _p, _s = events.c, programs.c, snapshot_table.c
_DIGESTS = select(_e.event_id, _e.digest).where(
    _e.tenant == bindparam("tenant"), _e.event_id.in_(bindparam("ids", expanding=True))
)
# On PostgreSQL, one index probe per id, whatever the planner's statistics: a
# plain ``IN`` list can be planned as a scan of the tenant's every event when
# the table was never analysed (a fresh database, or autovacuum off).
_PG_DIGESTS = text(
    "SELECT x.id, e.digest FROM unnest(CAST(:ids AS VARCHAR[])) AS x(id) "
    "CROSS JOIN LATERAL (SELECT events.digest FROM events "
    "WHERE events.tenant = :tenant AND events.event_id = x.id LIMIT 1) AS e"
)
_SNAPSHOTS = select(*(_s[k] for k in _SNAPSHOT)).where(
    _s.tenant == bindparam("tenant"),
    _s.learner.in_(bindparam("learners", expanding=True)),
)
_PROGRAM_COLUMNS = (_p.version, _p.digest, _p.created_at)
_NEWEST_PROGRAM = (
    select(*_PROGRAM_COLUMNS)
    .where(_p.tenant == bindparam("tenant"))
    .order_by(_p.version.desc())
    .limit(1)
)
_PROGRAM = select(*_PROGRAM_COLUMNS).where(
    _p.tenant == bindparam("tenant"), _p.version == bindparam("version")
)
_PROGRAM_SOURCE = select(_p.source).where(
    _p.tenant == bindparam("tenant"), _p.version == bindparam("version")
)
_PLACEMENT = (
    "session_id",
    "learner",
    "program_version",
    "status",
    "state",
    "created_at",
    "updated_at",
)


class DeferredWriter(Protocol):
    """A transaction that writes rows nobody reads when it is ready to."""

    def defer(
        self, statement: UpdateBase | str, rows: Sequence[Any], conflict: str = ""
    ) -> None:
        """Write ``rows`` with ``statement`` in the transaction."""
        ...


def joined(session: object) -> tuple[Connection, DeferredWriter]:
    """The connection and writer of a SQL log session, for a store joining it.

    A store on the log's database (boards) writes in the session's own
    connection, so its rows commit or roll back with the events.

    Raises:
        TypeError: ``session`` is not a session of a ``SqlEventLog``.
    """
    if not isinstance(session, _SqlSession):
        msg = "a SQL board store joins only a SQL event log session"
        raise TypeError(msg)
    return session._conn, session


class _SqlSession:
    """One tenant's view of the store: one connection, one transaction."""

    def __init__(
        self, connection: Connection, tenant: str, sources: dict[str, str]
    ) -> None:
        self._conn = connection
        self._tenant = tenant
        self._dialect = connection.dialect.name
        self._sources = sources
        # Writes whose results nobody reads: pipelined on PostgreSQL.
        self._deferred = Deferred(connection)
        self.outbox = SqlOutboxSession(connection, tenant)

    def defer(
        self, statement: UpdateBase | str, rows: Sequence[Any], conflict: str = ""
    ) -> None:
        """Write ``rows`` in this transaction (see :class:`Deferred`)."""
        self._deferred.write(statement, rows, conflict)

    def flush(self) -> None:
        """Send the deferred writes now (see :class:`Deferred`)."""
        self._deferred.flush()

    def lock_learners(self, learners: Sequence[str]) -> None:
        """Take each learner's advisory lock on PostgreSQL, in sorted order.

        Sorted, so two writers whose batches share learners lock them in the
        same order and cannot deadlock. SQLite needs nothing: ``BEGIN
        IMMEDIATE`` already holds the database's single write lock.
        """
        if self._dialect != "postgresql" or not learners:
            return
        params = [{"tenant": self._tenant, "learner": x} for x in sorted(set(learners))]
        with store_errors():
            # One executemany: psycopg pipelines the statements, in list order.
            self._conn.execute(_LOCK, params)

    def digests(self, event_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with store_errors():
            if self._dialect == "postgresql":
                ids = list(dict.fromkeys(event_ids))
                params = {"tenant": self._tenant, "ids": ids}
                rows = self._conn.execute(_PG_DIGESTS, params)
                found.update((i, d) for i, d in rows)
            else:
                for chunk in chunks(event_ids):
                    params = {"tenant": self._tenant, "ids": chunk}
                    rows = self._conn.execute(_DIGESTS, params)
                    found.update((i, d) for i, d in rows)
        return {i: found[i] for i in event_ids if i in found}

    def append(self, events_: Sequence[StoredEvent]) -> None:
        t = self._tenant
        rows = [
            (
                t,
                e.event_id,
                e.learner,
                e.type,
                e.version,
                e.occurred_at,
                e.body,
                e.digest,
            )
            for e in events_
        ]
        self.defer(
            insert_sql(self._conn.dialect, events, ("tenant", *_EVENT)), rows, _CONFLICT
        )

    def history(self, learner: str, after: Key | None = None) -> list[StoredEvent]:
        c = events.c
        query = (
            select(*(c[k] for k in _EVENT))
            .where(c.tenant == self._tenant, c.learner == learner)
            .order_by(c.occurred_at, c.event_id)
        )
        if after is not None:
            query = query.where(key_after(c.occurred_at, c.event_id, after))
        with store_errors():
            return [StoredEvent(*row) for row in self._conn.execute(query)]

    def learners(self) -> list[str]:
        c = events.c
        query = (
            select(c.learner)
            .where(c.tenant == self._tenant)
            .distinct()
            .order_by(c.learner)
        )
        with store_errors():
            return list(self._conn.execute(query).scalars())

    def snapshots(self, learners: Sequence[str]) -> dict[str, Snapshot]:
        found: dict[str, Snapshot] = {}
        with store_errors():
            for chunk in chunks(learners):
                params = {"tenant": self._tenant, "learners": chunk}
                for row in self._conn.execute(_SNAPSHOTS, params):
                    found[row[0]] = Snapshot(*row)
        return {i: found[i] for i in learners if i in found}

    def put_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        if not snapshots:
            return
        # The last snapshot of a learner wins, as in a dict; one row per learner
        # also keeps a batched ON CONFLICT from touching a row twice.
        latest = {s.learner: s for s in snapshots}
        rows = [
            {"tenant": self._tenant, **{k: getattr(s, k) for k in _SNAPSHOT}}
            for s in latest.values()
        ]
        self.defer(upsert(self._dialect, snapshot_table, _SNAPSHOT[1:]), rows)

    def add_outcomes(self, outcomes_: Sequence[StoredOutcome]) -> None:
        t = self._tenant
        rows = [
            (t, o.learner, o.event_id, o.seq, o.program_version, o.kind, o.at, o.body)
            for o in outcomes_
        ]
        self.defer(
            insert_sql(self._conn.dialect, outcomes, ("tenant", *_OUTCOME)), rows
        )

    def clear_outcomes(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        c = outcomes.c
        query = outcomes.delete().where(
            c.tenant == self._tenant,
            c.learner == learner,
            c.program_version == program_version,
        )
        if after is not None:
            query = query.where(key_after(c.at, c.event_id, after))
        with store_errors():
            self._conn.execute(query)

    def outcomes(
        self,
        learner: str,
        program_version: int,
        kinds: Sequence[str] = (),
        limit: int = 100,
    ) -> list[StoredOutcome]:
        c = outcomes.c
        query = (
            select(*(c[k] for k in _OUTCOME))
            .where(
                c.tenant == self._tenant,
                c.learner == learner,
                c.program_version == program_version,
            )
            .order_by(c.at.desc(), c.event_id.desc(), c.seq.desc())
            .limit(max(limit, 0))
        )
        if kinds:
            query = query.where(c.kind.in_(list(kinds)))
        with store_errors():
            return [StoredOutcome(*row) for row in self._conn.execute(query)]

    def put_checkpoints(self, checkpoints: Sequence[Snapshot]) -> None:
        if not checkpoints:
            return
        # One row per key, as in put_snapshots: the last one wins.
        latest = {
            (p.learner, p.program_version, p.last_at, p.last_id): p for p in checkpoints
        }
        rows = [
            {"tenant": self._tenant, **{k: getattr(p, k) for k in _SNAPSHOT}}
            for p in latest.values()
        ]
        updates = ("level", "xp", "events", "state")
        self.defer(upsert(self._dialect, checkpoint_table, updates), rows)

    def checkpoint_before(
        self, learner: str, program_version: int, key: Key
    ) -> Snapshot | None:
        c = checkpoint_table.c
        query = (
            select(*(c[k] for k in _SNAPSHOT))
            .where(
                c.tenant == self._tenant,
                c.learner == learner,
                c.program_version == program_version,
                key_before(c.last_at, c.last_id, key),
            )
            .order_by(c.last_at.desc(), c.last_id.desc())
            .limit(1)
        )
        with store_errors():
            row = self._conn.execute(query).first()
        return None if row is None else Snapshot(*row)

    def clear_checkpoints(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        c = checkpoint_table.c
        query = checkpoint_table.delete().where(
            c.tenant == self._tenant,
            c.learner == learner,
            c.program_version == program_version,
        )
        if after is not None:
            query = query.where(key_after(c.last_at, c.last_id, after))
        with store_errors():
            self._conn.execute(query)

    def save_program(self, source: str, digest: str, created_at: str) -> int:
        c = programs.c
        newest = select(func.coalesce(func.max(c.version), 0)).where(
            c.tenant == self._tenant
        )
        row = {
            "tenant": self._tenant,
            "source": source,
            "digest": digest,
            "created_at": created_at,
        }
        # Two writers that read the same maximum collide on the primary key.
        with store_errors(conflict="another program version was saved concurrently"):
            version = int(self._conn.execute(newest).scalar_one()) + 1
            self._conn.execute(programs.insert(), {**row, "version": version})
        return version

    def program(self, version: int | None = None) -> StoredProgram | None:
        params = {"tenant": self._tenant, "version": version}
        query = _NEWEST_PROGRAM if version is None else _PROGRAM
        with store_errors():
            row = self._conn.execute(query, params).first()
            if row is None:
                return None
            number, digest, created_at = row
            # A program's text is long and never changes: read it once per
            # digest (a SHA-256 of the text), then from memory.
            source = self._sources.get(digest)
            if source is None:
                params["version"] = number
                source = self._conn.execute(_PROGRAM_SOURCE, params).scalar_one()
                self._sources[digest] = source
        return StoredProgram(number, source, digest, created_at)

    def put_placement(self, placement: StoredPlacement) -> None:
        row = {"tenant": self._tenant, **{k: getattr(placement, k) for k in _PLACEMENT}}
        updates = ("learner", "program_version", "status", "state", "updated_at")
        with store_errors():
            self._conn.execute(upsert(self._dialect, placements, updates), row)

    def placement(self, session_id: str) -> StoredPlacement | None:
        c = placements.c
        query = select(*(c[k] for k in _PLACEMENT)).where(
            c.tenant == self._tenant, c.session_id == session_id
        )
        with store_errors():
            row = self._conn.execute(query).first()
        return None if row is None else StoredPlacement(*row)

    def placement_exposure(self) -> str | None:
        c = placement_exposure.c
        query = select(c.exposure).where(c.tenant == self._tenant)
        with store_errors():
            found: str | None = self._conn.execute(query).scalar_one_or_none()
        return found

    def put_placement_exposure(self, exposure: str) -> None:
        row = {"tenant": self._tenant, "exposure": exposure}
        statement = upsert(self._dialect, placement_exposure, ("exposure",))
        with store_errors():
            self._conn.execute(statement, row)


class SqlEventLog:
    """The event log of every tenant in one SQL database (SQLite or PostgreSQL).

    Args:
        engine: From ``create_engine_for``, migrated with ``migrate``. The
            caller owns it and disposes of it.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; nothing is opened until the first session."""
        self._engine = engine
        self._reader = reader(engine)
        self.outbox = SqlOutbox(engine)
        # Program texts by digest, shared by this log's sessions.
        self._sources: dict[str, str] = {}

    @property
    def engine(self) -> Engine:
        """The database this log reads and writes (stores beside it share it)."""
        return self._engine

    @contextmanager
    def session(self, tenant: str) -> Iterator[LogSession]:
        """Open a transaction whose every query is scoped to ``tenant``.

        It commits when the block exits cleanly; when the block raises, it
        rolls back and nothing of it is stored.

        Raises:
            ConcurrencyError: A concurrent writer stored the same event first.
            StoreError: The database failed (at commit too).
        """
        with store_errors(), writing(self._engine) as connection:
            session = _SqlSession(connection, tenant, self._sources)
            yield session
            session.flush()

    @contextmanager
    def read(self, tenant: str) -> Iterator[LogSession]:
        """Open a read-only transaction scoped to ``tenant``.

        It reads one snapshot and neither waits for writers nor holds them up
        (SQLite WAL: a deferred ``BEGIN``; PostgreSQL: ``READ ONLY``).

        Raises:
            StoreError: The database failed, or a write was attempted.
        """
        with store_errors(), self._reader.begin() as connection:
            session = _SqlSession(connection, tenant, self._sources)
            yield session
            session.flush()  # a write attempted here fails, as it should

    def tenant_for_key(self, key_digest: str) -> str | None:
        """The tenant bound to an API key digest, if any.

        Raises:
            StoreError: The database failed.
        """
        query = select(api_keys.c.tenant).where(api_keys.c.digest == key_digest)
        with store_errors(), self._reader.begin() as connection:
            tenant: str | None = connection.execute(query).scalar_one_or_none()
        return tenant

    def add_key(self, tenant: str, key_digest: str, label: str) -> None:
        """Bind an API key digest to a tenant; an existing digest is re-bound.

        Raises:
            StoreError: The database failed.
        """
        row = {"digest": key_digest, "tenant": tenant, "label": label}
        with store_errors(), writing(self._engine) as connection:
            statement = upsert(connection.dialect.name, api_keys, ("tenant", "label"))
            connection.execute(statement, row)
