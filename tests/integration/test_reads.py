"""Reads never queue behind a writer: the API's reads use read-only sessions."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.app.engine import Levelwise
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, homework, watched


def test_sqlite_reads_answer_while_another_connection_holds_the_write_lock(
    sqlite_engine: Engine,
):
    lw = Levelwise(SqlEventLog(sqlite_engine), FixedClock())
    lw.put_program("school", SMALL_PROGRAM)
    lw.ingest("school", [watched(600, minutes=1), homework(8, minutes=2)])
    key = lw.create_key("school")

    def read_everything() -> tuple[object, ...]:
        return (
            lw.learner("school", "ana").xp,
            len(lw.receipts("school", "ana")),
            lw.current_program("school")[0].version,
            [s.learner for s in lw.snapshots("school")],
            lw.tenant_for_key(key),
        )

    database = sqlite_engine.url.database
    assert database is not None
    writer = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM snapshots")
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Well under busy_timeout (5 s): a read that queued would time out.
            got = pool.submit(read_everything).result(timeout=2)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert got == (10 + 40, 2, 1, ["ana"], "school")
