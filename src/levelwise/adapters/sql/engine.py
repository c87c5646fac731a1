"""Engines for the event log: SQLite (file or memory) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from levelwise.adapters.sql.driver import store_errors
from levelwise.adapters.sql.tables.core import programs
from levelwise.adapters.sql.walcheckpoint import (
    INTERVAL_SECONDS,
    MAX_WAL_BYTES,
    WalCheckpointer,
    checkpoint_in_background,
)
from levelwise.errors import StoreError

# Execution option of the engine ``reader`` returns: its transactions only read.
_READ_ONLY = "levelwise_read_only"

# Whether ``PRAGMA query_only`` is on, per DBAPI connection (in its pool record).
_QUERY_ONLY = "levelwise_query_only"

BUSY_TIMEOUT_MS = 5000
"""How long a SQLite writer waits for another process's write lock."""


def create_engine_for(
    url: str,
    *,
    checkpoint_interval: float = INTERVAL_SECONDS,
    max_wal_bytes: int = MAX_WAL_BYTES,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> Engine:
    """Build an engine for ``url`` with the settings the event log relies on.

    SQLite connections get ``synchronous=NORMAL``, ``busy_timeout``,
    ``foreign_keys=ON`` and, for files, ``journal_mode=WAL`` with checkpoints
    on a background thread instead of inside commits; every transaction
    starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the
    write lock up front instead of failing at their first write, except on the
    engine ``reader`` returns, which reads beside the writer. An in-memory
    SQLite database (``sqlite://``) lives on one shared connection, so it is
    for tests and single-threaded tools only.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///path.db``, ``sqlite://`` or
            ``postgresql+psycopg://user@host:port/db``.
        checkpoint_interval: Seconds between a SQLite file's background
            checkpoints.
        max_wal_bytes: A SQLite file's write-ahead log size past which the
            next write transaction empties it first.
        busy_timeout_ms: How long a SQLite writer of another process waits for
            the write lock before it fails (writers of this process queue in
            memory first: ``writer_queue``).

    Returns:
        A new engine; the caller owns it and should ``dispose()`` it.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    memory = _is_memory(parsed)
    options: dict[str, Any] = {}
    if memory:
        # One connection holds the whole database; a pool of several would
        # give each connection its own empty database.
        options = {
            "poolclass": StaticPool,
            "connect_args": {"check_same_thread": False},
        }
    engine = create_engine(parsed, **options)
    checkpointer = None
    if not memory and parsed.database:
        checkpointer = checkpoint_in_background(
            engine, parsed.database, checkpoint_interval, max_wal_bytes
        )
    _configure_sqlite(
        engine, wal=not memory, checkpointer=checkpointer, busy_ms=busy_timeout_ms
    )
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names.

    Args:
        url: A SQLAlchemy URL.

    Returns:
        The file's path as written; None for in-memory SQLite, a ``uri=true``
        URL (SQLite reads the file name itself) and other databases.

    Raises:
        StoreError: ``url`` is not a URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        msg = f"'{url}' is neither a database URL nor a file path"
        raise StoreError(msg) from exc
    if parsed.get_backend_name() != "sqlite" or _is_memory(parsed):
        return None
    if parsed.query.get("uri"):
        return None
    return Path(parsed.database or "")


def check_sqlite_file(url: str, *, create: bool) -> None:
    """Refuse a SQLite file that cannot be opened as asked, before SQLite tries.

    SQLite makes a missing file when it first connects: a read through a
    misspelt path would leave an empty database behind and then report an
    empty school. In a missing folder it fails with "unable to open database
    file", which names neither the folder nor the file.

    Args:
        url: A SQLAlchemy URL (nothing is checked unless it names a SQLite file).
        create: Whether a missing file may be made (commands that write).

    Raises:
        StoreError: The folder is missing, the path is a folder, or the file
            is missing and ``create`` is false.
    """
    path = sqlite_file(url)
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise StoreError(f"no folder {folder} for the database {path}")
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file")
    if not create and not path.exists():
        raise StoreError(f"no database at {path}")


@contextmanager
def opening(url: str) -> Iterator[None]:
    """Translate driver errors while a database is opened into a ``StoreError``.

    Connecting and migrating are where a wrong URL shows: an unknown driver,
    a server that does not answer, a file that is not a database. The error
    names the database (without its password) and the driver's first line.

    Args:
        url: The database being opened.

    Raises:
        StoreError: The driver failed inside the block.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        lines = str(cause).strip().splitlines() or [type(cause).__name__]
        msg = f"cannot open the database {_shown(url)}: {lines[0].strip()}"
        raise StoreError(msg) from exc


def _shown(url: str) -> str:
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def schools(engine: Engine) -> tuple[str, ...]:
    """The tenants that have a program in the database, sorted.

    Args:
        engine: A migrated engine from ``create_engine_for``.

    Raises:
        StoreError: The database failed.
    """
    query = select(programs.c.tenant).distinct().order_by(programs.c.tenant)
    with store_errors(), reader(engine).connect() as connection:
        return tuple(connection.execute(query).scalars())


def writer_queue(engine: Engine) -> AbstractContextManager[object]:
    """What a write transaction on ``engine`` holds first, within this process.

    SQLite takes one writer at a time, and a writer that waits for the lock
    gives up after ``busy_timeout``: under load two writers of one process
    could fail each other. So this process's writers queue on one lock per
    database file (shared by every engine on it), and only writers of other
    processes meet ``busy_timeout``. PostgreSQL locks rows and learners itself:
    nothing to queue.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.url.database or ""
    key = f"memory:{id(engine)}" if _is_memory(engine.url) else database
    with _QUEUES_GUARD:
        return _QUEUES.setdefault(key, threading.RLock())


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction on ``engine``, queued behind this process's others."""
    with writer_queue(engine), engine.begin() as connection:
        yield connection


_QUEUES: dict[str, threading.RLock] = {}
_QUEUES_GUARD = threading.Lock()


def reader(engine: Engine) -> Engine:
    """A view of ``engine`` (same pool) whose transactions only read.

    On SQLite a read transaction is a deferred ``BEGIN`` under
    ``PRAGMA query_only``: in WAL mode it reads one snapshot beside the writer
    without taking the write lock, and any write fails. On PostgreSQL it is
    ``READ ONLY`` (psycopg sends ``BEGIN READ ONLY``; no extra round trip) and
    ``REPEATABLE READ``, so every query of it sees the same snapshot; a
    read-only transaction never fails to serialise.

    Args:
        engine: An engine from ``create_engine_for``.

    Returns:
        An engine sharing ``engine``'s pool and event handlers.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(
            postgresql_readonly=True, isolation_level="REPEATABLE READ"
        )
    return engine.execution_options(**{_READ_ONLY: True})


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def _configure_sqlite(
    engine: Engine, *, wal: bool, checkpointer: WalCheckpointer | None, busy_ms: int
) -> None:
    # The recipe for taking over transactions from pysqlite:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Stop pysqlite from emitting BEGIN itself (and COMMIT before DDL).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                # Checkpoints run on a background thread (walcheckpoint.py).
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of page cache (the default is 2 MiB): the learner-keyed
            # indexes take inserts all over the tree once the log grows.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()
        record.info[_QUERY_ONLY] = False

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = bool(connection.get_execution_options().get(_READ_ONLY))
        # The pragma outlives the transaction: switch it only when the mode
        # changes, so that a run of writes costs no extra statement.
        if connection.info.get(_QUERY_ONLY, False) != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            connection.info[_QUERY_ONLY] = read_only
        if read_only:
            connection.exec_driver_sql("BEGIN")
            return
        if checkpointer is not None:  # an oversized log is emptied first
            checkpointer.truncate_if_due(connection)
        # Take the write lock now: a deferred transaction that reads and then
        # writes fails with SQLITE_BUSY instead of waiting for busy_timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
