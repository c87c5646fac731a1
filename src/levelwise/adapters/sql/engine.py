"""Engines for the event log: SQLite (file or memory) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool


def create_engine_for(url: str) -> Engine:
    """Build an engine for ``url`` with the settings the event log relies on.

    SQLite connections get ``synchronous=NORMAL``, ``busy_timeout=5000``,
    ``foreign_keys=ON`` and, for files, ``journal_mode=WAL``; every transaction
    starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the
    write lock up front instead of failing at their first write. An in-memory
    SQLite database (``sqlite://``) lives on one shared connection, so it is
    for tests and single-threaded tools only.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///path.db``, ``sqlite://`` or
            ``postgresql+psycopg://user@host:port/db``.

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
    _configure_sqlite(engine, wal=not memory)
    return engine


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    # The recipe for taking over transactions from pysqlite:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from emitting BEGIN itself (and COMMIT before DDL).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock now: a deferred transaction that reads and then
        # writes fails with SQLITE_BUSY instead of waiting for busy_timeout.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
