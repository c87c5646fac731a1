"""What only the SQL event log promises: engine settings, locking, error mapping."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from levelwise.adapters.sql.engine import create_engine_for, reader
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.migrate import migrate
from levelwise.errors import ConcurrencyError, StoreError
from tests.contract.builders import stored_event


def test_sqlite_file_connections_get_the_pragmas(sqlite_engine):
    with sqlite_engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }

    # synchronous=NORMAL is 1.
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


def test_sqlite_transactions_take_the_write_lock_at_begin(sqlite_engine, tmp_path):
    other = sqlite3.connect(tmp_path / "levelwise.db", timeout=0, isolation_level=None)
    try:
        with sqlite_engine.begin():
            # Nothing executed yet, and still nobody else can start writing.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_read_transactions_leave_the_write_lock_free(sqlite_engine, tmp_path):
    log = SqlEventLog(sqlite_engine)
    with log.session("t") as s:
        s.append([stored_event("e1")])
    other = sqlite3.connect(tmp_path / "levelwise.db", timeout=0, isolation_level=None)
    try:
        with log.read("t") as s:
            assert [e.event_id for e in s.history("ana")] == ["e1"]
            # A writer starts and commits while the read transaction is open.
            other.execute("BEGIN IMMEDIATE")
            other.execute("DELETE FROM events")
            other.execute("COMMIT")
            assert [e.event_id for e in s.history("ana")] == ["e1"]
        with log.read("t") as s:
            assert s.history("ana") == []
    finally:
        other.close()


def test_sqlite_writes_after_reads_on_one_connection_still_lock_and_write():
    # An in-memory database has a single connection: every session shares it,
    # so the read-only switch must be turned off again for writers.
    engine = create_engine_for("sqlite://")
    try:
        migrate(engine)
        log = SqlEventLog(engine)
        for n in range(3):
            with pytest.raises(StoreError), log.read("t") as s:
                s.append([stored_event(f"r{n}")])
            with log.session("t") as s:
                s.append([stored_event(f"w{n}", when=f"2026-01-0{n + 1}")])
            with log.read("t") as s:
                assert len(s.history("ana")) == n + 1
        with engine.begin() as connection:
            query_only = connection.exec_driver_sql("PRAGMA query_only").scalar()
        assert query_only == 0
    finally:
        engine.dispose()


def test_sqlite_write_sessions_still_take_the_lock_after_a_read(
    sqlite_engine, tmp_path
):
    log = SqlEventLog(sqlite_engine)
    with log.read("t") as s:
        s.history("ana")
    other = sqlite3.connect(tmp_path / "levelwise.db", timeout=0, isolation_level=None)
    try:
        with log.session("t"):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


@pytest.mark.postgres
def test_postgres_reads_are_read_only_repeatable_read_and_reset(pg_engine):
    show = (
        "SELECT current_setting('transaction_read_only'),"
        " current_setting('transaction_isolation')"
    )
    for _ in range(3):
        with reader(pg_engine).begin() as connection:
            got = tuple(connection.exec_driver_sql(show).one())
        assert got == ("on", "repeatable read")
        with pg_engine.begin() as connection:
            got = tuple(connection.exec_driver_sql(show).one())
        assert got == ("off", "read committed")


def test_sqlite_memory_database_is_one_database_for_every_thread():
    engine = create_engine_for("sqlite://")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")

        def count() -> int:
            with engine.connect() as connection:
                return int(
                    connection.exec_driver_sql("SELECT count(*) FROM t").scalar_one()
                )

        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(count).result(timeout=10) == 1
    finally:
        engine.dispose()


def test_a_duplicate_event_chains_the_integrity_error(sql_engine, tenant):
    log = SqlEventLog(sql_engine)
    with log.session(tenant) as s:
        s.append([stored_event("e1")])

    with pytest.raises(ConcurrencyError) as caught, log.session(tenant) as s:
        s.append([stored_event("e1")])

    assert isinstance(caught.value.__cause__, IntegrityError)


def test_a_concurrent_writer_of_the_same_event_gets_concurrency_error(
    sql_engine, tenant
):
    log = SqlEventLog(sql_engine)
    appended = threading.Event()
    release = threading.Event()

    def first() -> None:
        with log.session(tenant) as s:
            s.append([stored_event("e1")])
            appended.set()
            assert release.wait(10)

    def second() -> None:
        assert appended.wait(10)
        with log.session(tenant) as s:
            # Waits for the first writer (write lock, or the unique index).
            s.append([stored_event("e1")])

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(first), pool.submit(second)]
        assert appended.wait(10)
        release.set()
        errors = [f.exception(timeout=20) for f in done]

    # One of them stores it; the other gets ConcurrencyError. Which one is up
    # to the database: PostgreSQL sends the first writer's insert with its
    # commit (deferred writes), so the second may commit first.
    assert sorted(type(e).__name__ for e in errors) == ["ConcurrencyError", "NoneType"]
    with log.session(tenant) as s:
        assert [e.event_id for e in s.history("ana")] == ["e1"]


def test_other_database_errors_become_store_errors(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    log = SqlEventLog(engine)
    try:
        with pytest.raises(StoreError) as caught, log.session("t") as s:
            s.history("ana")
        assert isinstance(caught.value.__cause__, SQLAlchemyError)
        with pytest.raises(StoreError):
            log.tenant_for_key("0" * 64)
        with pytest.raises(StoreError):
            log.add_key("t", "0" * 64, "")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_rejects_ids_over_the_bound_as_store_error(pg_engine, tenant):
    log = SqlEventLog(pg_engine)

    with pytest.raises(StoreError), log.session(tenant) as s:
        s.append([stored_event("e" * 201)])


@pytest.mark.postgres
def test_postgres_deadlocks_become_concurrency_errors(pg_engine, tenant):
    log = SqlEventLog(pg_engine)
    both_hold_one = threading.Barrier(2, timeout=10)

    def writer(first: str, then: str) -> None:
        with log.session(tenant) as s:
            s.lock_learners([first])
            both_hold_one.wait()
            # Opposite orders across calls: PostgreSQL aborts one of the two.
            s.lock_learners([then])

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(writer, "ana", "bob"), pool.submit(writer, "bob", "ana")]
        errors = [f.exception(timeout=30) for f in futures]

    assert sorted(type(e).__name__ for e in errors) == ["ConcurrencyError", "NoneType"]


def test_sqlite_writers_of_one_process_queue_instead_of_timing_out(tmp_path, tenant):
    # A busy timeout far shorter than the first writer's transaction: without
    # the in-process queue the second writer fails with "database is locked".
    engine = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}", busy_timeout_ms=50)
    migrate(engine)
    log = SqlEventLog(engine)
    holding = threading.Event()

    def first() -> None:
        with log.session(tenant) as s:
            s.append([stored_event("e1")])
            holding.set()
            time.sleep(0.5)

    def second() -> None:
        assert holding.wait(10)
        with log.session(tenant) as s:
            s.append([stored_event("e2")])

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = [pool.submit(first), pool.submit(second)]
            errors = [f.exception(timeout=20) for f in done]
        assert errors == [None, None]
        with log.read(tenant) as s:
            assert [e.event_id for e in s.history("ana")] == ["e1", "e2"]
    finally:
        engine.dispose()
