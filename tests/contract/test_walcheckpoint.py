"""SQLite WAL checkpoints run on a background thread, never inside commits."""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import text

from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.walcheckpoint import WalCheckpointer


def _wait_for(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_commits_do_not_checkpoint_and_the_thread_does(tmp_path):
    path = tmp_path / "w.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            conn.execute(text("CREATE TABLE t (x TEXT)"))
            conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "a" * 500}] * 3000)
        wal = tmp_path / "w.db-wal"
        assert wal.stat().st_size > 0

        def checkpointed() -> bool:
            # A passive checkpoint reports (busy, frames in log, frames done).
            with sqlite3.connect(path) as probe:
                busy, logged, done = probe.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                ).fetchone()
            probe.close()
            return busy == 0 and logged == done

        assert _wait_for(checkpointed)
    finally:
        engine.dispose()


def _checkpoint_threads():
    return {t for t in threading.enumerate() if t.name == "levelwise-wal-checkpoint"}


def test_dispose_stops_the_engines_thread(tmp_path):
    before = _checkpoint_threads()
    engine = create_engine_for(f"sqlite:///{tmp_path / 'd.db'}")
    (started,) = _checkpoint_threads() - before
    assert started.is_alive()
    engine.dispose()
    assert not started.is_alive()


def test_a_checkpointer_runs_until_stopped_and_skips_what_it_cannot_open(tmp_path):
    database = tmp_path / "c.db"
    sqlite3.connect(database).close()
    checkpointer = WalCheckpointer(str(database), interval=0.01)
    assert _wait_for(lambda: checkpointer.checkpoints >= 2)
    checkpointer.stop()
    assert not checkpointer._thread.is_alive()
    stopped_at = checkpointer.checkpoints
    time.sleep(0.05)
    assert checkpointer.checkpoints == stopped_at
    nowhere = WalCheckpointer(str(tmp_path), interval=3600)  # a folder, not a db
    nowhere.checkpoint()
    nowhere.stop()
    assert nowhere.checkpoints == 0


def _wal_size(path):
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_writer_committing_back_to_back_keeps_the_log_bounded(tmp_path):
    path = tmp_path / "busy.db"
    engine = create_engine_for(
        f"sqlite:///{path}", checkpoint_interval=0.02, max_wal_bytes=1 << 20
    )
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
        largest = 0
        for _ in range(400):  # 40 MB of rows, committed with no pause
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO t VALUES (:x)"), [{"x": "a" * 500}] * 200
                )
            largest = max(largest, _wal_size(path))
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM t")).scalar()
    finally:
        engine.dispose()
    assert rows == 400 * 200  # nothing lost on the way
    assert largest < 8 << 20  # a passive checkpoint alone lets it pass 40 MB


def test_a_log_under_its_limit_is_left_to_passive_checkpoints(tmp_path):
    path = tmp_path / "quiet.db"
    engine = create_engine_for(f"sqlite:///{path}", checkpoint_interval=3600)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
            conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": "a" * 500}] * 100)
        checkpointer = WalCheckpointer(str(path), interval=3600)
        checkpointer.checkpoint()
        checkpointer.stop()
        assert not checkpointer.due and checkpointer.checkpoints == 2
        assert _wal_size(path) > 0  # copied back, not emptied
    finally:
        engine.dispose()
