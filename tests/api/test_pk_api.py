"""``/v1/pk``: start, scoreboard, finish and the live scoreboard stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.pk import InMemoryPkStore
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import create_api
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import event
from tests.support.live_server import next_event, serve
from tests.support.pk_support import PK_PROGRAM, TEAMS, answer

START = {"id": "pk-1", "teams": TEAMS, "rounds": 2, "cohort": "7b"}


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), FixedClock(), pk=InMemoryPkStore())
    engine.put_program("school", PK_PROGRAM)
    return engine


@pytest.fixture
def headers(engine: Levelwise) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school')}"}


@pytest.fixture
async def client(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


@pytest.mark.anyio
async def test_start_score_and_finish_over_http(client, engine, headers) -> None:  # type: ignore[no-untyped-def]
    started = await client.post("/v1/pk", json=START, headers=headers)
    assert started.status_code == 201, started.text
    assert [t["points"] for t in started.json()["teams"]] == [0, 0, 0]
    posted = await client.post(
        "/v1/events",
        json={"events": [answer("cy", "blue", 1), answer("zed", "red", 2)]},
        headers=headers,
    )
    assert posted.status_code in (200, 207), posted.text
    board = (await client.get("/v1/pk/pk-1", headers=headers)).json()
    assert [(t["team"], t["points"], t["won"]) for t in board["teams"]] == [
        ("blue", 20, True),
        ("green", 0, False),
        ("red", 0, False),
    ]
    assert [i["learner"] for i in board["ignored"]] == ["zed"]
    assert board["teams"][0]["rounds"] == [
        {"round": 1, "points": 20},
        {"round": 2, "points": 0},
    ]
    done = await client.post("/v1/pk/pk-1/finish", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["scoreboard"]["finished"] is True
    assert [e["status"] for e in done.json()["events"]] == ["accepted"] * 5
    again = await client.post("/v1/pk/pk-1/finish", headers=headers)
    assert [e["status"] for e in again.json()["events"]] == ["duplicate"] * 5
    badges = engine.receipts("school", "cy", kinds=["badge_earned"])
    assert [b["badge"] for b in badges] == ["pk_champion"]


@pytest.mark.anyio
async def test_errors_are_problems(client, headers) -> None:  # type: ignore[no-untyped-def]
    assert_problem(await client.get("/v1/pk/pk-1"), 401, "unauthenticated")
    assert_problem(await client.post("/v1/pk", json=START), 401, "unauthenticated")
    missing = await client.get("/v1/pk/nope", headers=headers)
    assert_problem(missing, 404, "pk-not-found")
    finish = await client.post("/v1/pk/nope/finish", headers=headers)
    assert_problem(finish, 404, "pk-not-found")
    stream = await client.get("/v1/pk/nope/stream", headers=headers)
    assert_problem(stream, 404, "pk-not-found")
    one_team = {**START, "teams": {"red": ["ana"]}}
    bad = await client.post("/v1/pk", json=one_team, headers=headers)
    assert_problem(bad, 422, "invalid-request")
    no_rounds = await client.post(
        "/v1/pk", json={**START, "rounds": 0}, headers=headers
    )
    assert_problem(no_rounds, 422, "invalid-request")
    twice = {**START, "teams": {"red": ["ana"], "blue": ["ana"]}}
    assert_problem(
        await client.post("/v1/pk", json=twice, headers=headers), 422, "invalid-pk"
    )
    assert (await client.post("/v1/pk", json=START, headers=headers)).status_code == 201
    other = {**START, "rounds": 5}
    assert_problem(
        await client.post("/v1/pk", json=other, headers=headers), 409, "pk-conflict"
    )


@pytest.mark.anyio
async def test_an_engine_without_a_pk_store_says_so() -> None:
    engine = Levelwise(InMemoryEventLog(), FixedClock())
    engine.put_program("school", PK_PROGRAM)
    headers = {"Authorization": f"Bearer {engine.create_key('school')}"}
    transport = httpx.ASGITransport(app=create_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/v1/pk/pk-1", headers=headers)
    assert_problem(response, 503, "pk-unavailable")


@pytest.fixture
def live(engine: Levelwise) -> Iterator[str]:
    """The base URL of a server over ``engine`` on loopback."""
    engine.notifications.poll_seconds = 0.5
    with serve(create_api(engine)) as url:
        yield url


def test_the_stream_sends_the_board_after_each_committed_answer(
    live, engine, headers
) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live, headers=headers, timeout=10) as client:
        assert client.post("/v1/pk", json=START).status_code == 201
        with client.stream("GET", "/v1/pk/pk-1/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            first = next_event(lines)
            scored = answer("dee", "blue", 1, ms=2500)
            engine.ingest("school", [event("lesson.watched", seconds=60, unit="u1")])
            engine.ingest("school", [scored])
            second = next_event(lines)
            client.post("/v1/pk/pk-1/finish")
            final = next_event(lines)
            assert list(lines) == []  # the stream ends after the final board
    assert first["event"] == "scoreboard"
    assert orjson.loads(first["data"])["answers"] == 0
    data = orjson.loads(second["data"])
    assert data["new"] == [scored["id"]] and data["answers"] == 1
    assert data["teams"][0]["team"] == "blue" and data["teams"][0]["points"] == 17
    assert int(second["id"]) == data["position"] > 0
    assert orjson.loads(final["data"])["finished"] is True


def test_the_class_stream_carries_pk_scores(live, engine, headers) -> None:  # type: ignore[no-untyped-def]
    engine.ingest("school", [event("profile.updated", learner="ana", cohort="7b")])
    with httpx.Client(base_url=live, headers=headers, timeout=10) as client:
        with client.stream("GET", "/v1/streams/classes/7b") as response:
            lines = response.iter_lines()
            for line in lines:
                if line == ": connected":
                    break
            scored = answer("ana", "red", 1)
            engine.ingest("school", [scored])
            got = next_event(lines)
    assert got["event"] == "pk_scored"
    data = orjson.loads(got["data"])["data"]
    assert (data["event_id"], data["team"], data["points"]) == (scored["id"], "red", 20)
