"""The boards and leagues endpoints, over the in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from levelwise.adapters.memory.boards import InMemoryBoardStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import SMALL_PROGRAM, event, watched

pytestmark = pytest.mark.anyio
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Levelwise:
    """An engine with in-memory boards (overrides the suite's engine)."""
    engine = Levelwise(InMemoryEventLog(), FixedClock(), InMemoryBoardStore())
    engine.put_program("school", SMALL_PROGRAM)
    engine.ingest(
        "school",
        [
            event("profile.updated", learner="ana", cohort="7b", at=T),
            watched(1200, learner="ana", at=T),
            watched(600, learner="bo", at=T + timedelta(minutes=1)),
            watched(900, learner="cy", at=T + timedelta(minutes=2)),
        ],
    )
    return engine


@pytest.fixture
def key(engine: Levelwise) -> dict[str, str]:
    return {"X-API-Key": engine.create_key("school")}


async def test_top_of_a_board(client, key):
    r = await client.get(
        "/v1/boards", params={"window": "week", "at": "2026-11-25"}, headers=key
    )

    assert r.status_code == 200
    body = r.json()
    assert body["window"] == "week:2026-W48"
    assert body["count"] == 3
    assert [(s["rank"], s["learner"], s["xp"]) for s in body["standings"]] == [
        (1, "ana", 20),
        (2, "cy", 15),
        (3, "bo", 10),
    ]


async def test_a_past_week_is_empty(client, key):
    r = await client.get(
        "/v1/boards", params={"window": "week", "at": "2026-11-01"}, headers=key
    )

    assert r.json()["standings"] == []


async def test_cohort_board_and_limit(client, key):
    cohort = (
        await client.get("/v1/boards", params={"scope": "cohort:7b"}, headers=key)
    ).json()
    top1 = (await client.get("/v1/boards", params={"limit": 1}, headers=key)).json()

    assert [s["learner"] for s in cohort["standings"]] == ["ana"]
    assert [s["learner"] for s in top1["standings"]] == ["ana"]
    assert top1["count"] == 3


async def test_rank_with_neighbours(client, key):
    r = await client.get("/v1/learners/cy/rank", params={"k": 1}, headers=key)

    assert r.status_code == 200
    body = r.json()
    assert (body["rank"], body["public"], body["xp"]) == (2, True, 15)
    assert [n["learner"] for n in body["neighbours"]] == ["ana", "cy", "bo"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/boards", {"scope": "class:1"}),
        ("/v1/boards", {"window": "year"}),
        ("/v1/boards", {"limit": 0}),
        ("/v1/boards", {"at": "yesterday"}),
        ("/v1/learners/ana/rank", {"k": 99}),
        ("/v1/leagues/2026-48", {}),
    ],
    ids=["scope", "window", "limit", "date", "k", "week"],
)
async def test_bad_input_is_a_problem(client, key, path, params):
    r = await client.get(path, params=params, headers=key)

    assert_problem(r, 422, "invalid-request")


async def test_an_unknown_learner_has_no_rank(client, key):
    r = await client.get("/v1/learners/nobody/rank", headers=key)

    assert_problem(r, 404, "learner-not-found")


async def test_league_week_and_close(client, key):
    live = (await client.get("/v1/leagues/2026-W48", headers=key)).json()
    closed = (
        await client.post("/v1/leagues/close", params={"week": "2026-W48"}, headers=key)
    ).json()
    again = (
        await client.post("/v1/leagues/close", params={"week": "2026-W48"}, headers=key)
    ).json()

    assert live["closed"] is False
    assert [m["learner"] for m in live["groups"][0]["members"]] == ["ana", "cy", "bo"]
    assert closed["closed_now"] is True and again["closed_now"] is False
    assert closed["moves"] == again["moves"]
    assert closed["moves"][0]["zone"] == "stay"  # 3 learners: no zones
    assert (await client.get("/v1/leagues/2026-W48", headers=key)).json()[
        "closed"
    ] is True


async def test_close_needs_a_valid_week(client, key):
    r = await client.post("/v1/leagues/close", params={"week": "2026-W99"}, headers=key)

    assert r.status_code == 422


# Weeks that match YYYY-Www but are no league week.
NO_LEAGUE_WEEKS = pytest.mark.parametrize(
    "week",
    [
        "2021-W53",  # 2021 has 52 ISO weeks
        "0000-W01",  # there is no year 0
        "0001-W01",  # the first ISO week: no week before it to pace groups by
    ],
    ids=["week-53-of-a-52-week-year", "year-0", "first-week"],
)


@NO_LEAGUE_WEEKS
async def test_a_week_that_does_not_exist_has_no_league(client, key, week):
    r = await client.get(f"/v1/leagues/{week}", headers=key)

    body = assert_problem(r, 422, "invalid-request")
    assert [e["loc"] for e in body["errors"]] == [["path", "week"]]
    assert week in body["detail"]


@NO_LEAGUE_WEEKS
async def test_a_week_that_does_not_exist_cannot_be_closed(client, key, week):
    r = await client.post("/v1/leagues/close", params={"week": week}, headers=key)

    body = assert_problem(r, 422, "invalid-request")
    assert [e["loc"] for e in body["errors"]] == [["query", "week"]]
    assert week in body["detail"]


async def test_week_53_of_a_53_week_year_has_a_league(client, key):
    r = await client.get("/v1/leagues/2020-W53", headers=key)

    assert r.status_code == 200, r.text
    assert r.json()["groups"] == []


async def test_boards_need_a_key(client, key):
    r = await client.get("/v1/boards", headers={"X-API-Key": "nope"})

    assert_problem(r, 401, "unauthenticated")
