"""Live streams over SSE, against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import SMALL_PROGRAM, event
from tests.support.live_server import next_event, serve
from tests.support.notifications import level_up


@pytest.fixture
def live() -> Iterator[tuple[Levelwise, str, dict[str, str]]]:
    """An engine, the base URL of a server over it, and auth headers."""
    engine = Levelwise(InMemoryEventLog(), FixedClock())
    engine.put_program("school", SMALL_PROGRAM)
    engine.notifications.poll_seconds = 0.5
    headers = {"Authorization": f"Bearer {engine.create_key('school')}"}
    with serve(create_app(engine)) as url:
        yield engine, url, headers


def _until_connected(lines: Iterator[str]) -> None:
    for line in lines:
        if line == ": connected":
            return
    raise AssertionError("the stream ended")


def test_a_learner_stream_delivers_a_level_up_as_it_commits(live):
    engine, base, headers = live
    engine.ingest("school", level_up("bob"))  # before connecting: not replayed
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        with client.stream("GET", "/v1/streams/learners/ana") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            _until_connected(lines)
            engine.ingest("school", level_up("bob", 30) + level_up("ana", 30))
            got = next_event(lines)
    (row,) = engine.notifications.read("school", after=0, learner="ana")
    assert got["event"] == "level_reached" and got["id"] == str(row.position)
    data = orjson.loads(got["data"])
    assert data["id"] == row.id and data["type"] == "level_reached"
    assert data["data"]["learner"] == "ana" and data["data"]["level"] == "a1"


def test_last_event_id_resumes_from_the_outbox(live):
    engine, base, headers = live
    engine.ingest(
        "school",
        [
            event("profile.updated", learner=x, cohort="7b", minutes=-5)
            for x in ("ana", "bob")
        ],
    )
    engine.ingest("school", level_up("ana") + level_up("bob", 10))
    ana, bob = engine.notifications.read("school", after=0)
    assert (ana.cohort, bob.cohort) == ("7b", "7b")
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        resume = {"Last-Event-ID": str(ana.position)}
        with client.stream("GET", "/v1/streams/classes/7b", headers=resume) as r:
            lines = r.iter_lines()
            missed = next_event(lines)
            engine.ingest("school", level_up("cy", 20))  # not in 7b
            engine.ingest(
                "school",
                [event("profile.updated", learner="dee", cohort="7b", minutes=-5)]
                + level_up("dee", 30),
            )
            live_one = next_event(lines)
    assert missed["id"] == str(bob.position)
    dee = engine.notifications.read("school", after=bob.position, learner="dee")
    assert live_one["id"] == str(dee[0].position)


def test_a_class_stream_follows_the_profile_cohort(live):
    engine, base, headers = live
    engine.ingest(
        "school",
        [
            event("profile.updated", learner="ana", cohort="7b", minutes=-5),
            event("profile.updated", learner="bob", cohort="7c", minutes=-5),
        ],
    )
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        with client.stream("GET", "/v1/streams/classes/7b") as response:
            lines = response.iter_lines()
            _until_connected(lines)
            engine.ingest("school", level_up("bob") + level_up("ana"))
            got = next_event(lines)
    assert orjson.loads(got["data"])["data"]["learner"] == "ana"


@pytest.mark.anyio
async def test_a_stream_needs_a_key(client):
    response = await client.get("/v1/streams/learners/ana")
    assert_problem(response, 401, "unauthenticated")


@pytest.mark.anyio
async def test_a_bad_last_event_id_is_a_problem(client, school_a):
    headers = {**school_a, "Last-Event-ID": "not-a-number"}
    response = await client.get("/v1/streams/classes/7b", headers=headers)
    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["loc"] == ["header", "Last-Event-ID"]
