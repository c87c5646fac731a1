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
