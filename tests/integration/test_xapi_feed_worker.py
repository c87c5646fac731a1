"""The feed worker (LEVELWISE_XAPI_FEED=worker): stored now, folded by a drain.

With the worker, a request's statements are answered once stored; the feed
drains each school's statements since its cursor into the log, oldest first,
in large batches. The same learning events result as inline, once drained.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from levelwise import bootstrap
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import engine_over, memory_stores, open_stores
from levelwise.cli.main import app
from levelwise.cli.xapi import start_feed
from levelwise.config import Settings
from tests.conftest import FixedClock
from tests.support.factories import T0
from tests.support.xapi_statements import (
    ANSWERED,
    EXPERIENCED,
    HIRAGANA_Q,
    statement,
    xapi_school_source,
)

SCHOOL = "s"
NOW = "2026-01-20T00:00:00+00:00"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def deferred(stores: bootstrap.Stores) -> Levelwise:
    settings = Settings(xapi_feed="worker", redis_url=None)
    engine = engine_over(stores, FixedClock(NOW), settings)
    engine.put_program(SCHOOL, xapi_school_source())
    return engine


@pytest.fixture(params=["memory", "sqlite"])
def lw(request, tmp_path) -> Levelwise:
    if request.param == "memory":
        return deferred(memory_stores())
    return deferred(open_stores(str(tmp_path / "school.db")))


def answer(learner: str, minutes: float, right: bool = True) -> dict:
    return statement(
        ANSWERED,
        HIRAGANA_Q + f"q{minutes:g}",
        learner=learner,
        result={"success": right},
        minutes=minutes,
    )


def save(lw: Levelwise, statements: list[dict], school: str = SCHOOL) -> None:
    assert lw.xapi is not None
    client = lw.xapi.add_client(school)
    lw.xapi.save(school, "2.0.0", statements, {}, lw.xapi.authority(client.client))


def xp(lw: Levelwise, learner: str) -> int | None:
    found = [s.xp for s in lw.snapshots(SCHOOL) if s.learner == learner]
    return found[0] if found else None


def test_statements_wait_for_the_drain_then_fold_as_inline(lw):
    save(lw, [answer("ana", 1), answer("bo", 2), answer("ana", 3, right=False)])
    assert xp(lw, "ana") is None  # answered, not folded yet
    feed = lw.statement_feed
    assert feed is not None
    assert feed.drain_all() == 3

    assert (xp(lw, "ana"), xp(lw, "bo")) == (12, 10)
    assert feed.drain_all() == 0  # the cursor moved past them
    save(lw, [answer("bo", 4)])
    assert feed.drain_all() == 1 and xp(lw, "bo") == 20


def test_a_small_batch_drains_in_several_ingests_in_stored_order(lw):
    save(lw, [answer("ana", m) for m in range(7)])
    feed = lw.statement_feed
    assert feed is not None

    assert feed.drain(SCHOOL, batch=3) == 7
    assert xp(lw, "ana") == 70
    assert feed.drain(SCHOOL, batch=3) == 0


def test_a_statement_voided_before_the_drain_never_counts(lw):
    first = answer("ana", 1)
    save(lw, [first, answer("ana", 2)])
    voiding = {
        "actor": {"mbox": "mailto:admin@kana.example"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": first["id"]},
        "timestamp": (T0.replace(hour=12)).isoformat(),
    }
    save(lw, [voiding])
    feed = lw.statement_feed
    assert feed is not None

    assert feed.drain_all() == 2  # the voided one is passed over
    assert xp(lw, "ana") == 10


def test_unmapped_and_other_schools_statements_feed_nothing_of_this_school(lw):
    lw.put_program("t", xapi_school_source())
    save(lw, [statement(EXPERIENCED, "https://kana.example/pages/1")])
    save(lw, [answer("cy", 1)], school="t")
    feed = lw.statement_feed
    assert feed is not None

    assert feed.drain_all() == 2
    assert xp(lw, "ana") == 0  # in the log, mapped to nothing
    assert [(s.learner, s.xp) for s in lw.snapshots("t")] == [("cy", 10)]


def test_the_cli_drains_once(tmp_path):
    db = str(tmp_path / "school.db")
    engine = deferred(open_stores(db))
    save(engine, [answer("ana", 1), answer("ana", 2)])

    result = CliRunner().invoke(app, ["xapi", "feed", "--once", "--db", db])

    assert result.exit_code == 0, result.output
    assert "fed 2 statement(s)" in result.output
    again = CliRunner().invoke(app, ["xapi", "feed", "--once", "--db", db])
    assert "fed 0 statement(s)" in again.output
    assert xp(deferred(open_stores(db)), "ana") == 20


def test_the_worker_process_folds_what_the_server_stores(tmp_path):
    db = str(tmp_path / "school.db")
    engine = deferred(open_stores(db))
    stop = start_feed(db)
    try:
        save(engine, [answer("ana", 1)])
        deadline = time.monotonic() + 60  # the process imports the engine first
        while xp(engine, "ana") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert xp(engine, "ana") == 10
    finally:
        stop()


def test_serve_starts_no_worker_for_a_memory_store(monkeypatch):
    started: list[object] = []
    monkeypatch.setattr("levelwise.cli.xapi.start_feed", started.append)
    monkeypatch.setenv("LEVELWISE_XAPI_FEED", "worker")
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: None)

    result = CliRunner().invoke(app, ["serve", "--db", "memory"])

    assert result.exit_code == 0, result.output
    assert started == []


def test_serve_starts_and_stops_the_worker_for_a_file(monkeypatch, tmp_path):
    calls: list[str] = []

    def fake_start(db):
        calls.append(f"start {Path(db).name}")
        return lambda: calls.append("stop")

    monkeypatch.setattr("levelwise.cli.xapi.start_feed", fake_start)
    monkeypatch.setenv("LEVELWISE_XAPI_FEED", "worker")
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append("serve"))

    db = str(tmp_path / "school.db")
    result = CliRunner().invoke(app, ["serve", "--db", db])

    assert result.exit_code == 0, result.output
    assert calls == ["start school.db", "serve", "stop"]
