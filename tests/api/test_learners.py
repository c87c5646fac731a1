"""GET /v1/learners/{id} and its receipts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_problem
from tests.support.factories import answered, completed, homework, watched

pytestmark = pytest.mark.anyio


async def ingest(
    client: httpx.AsyncClient, headers: dict[str, str], *events: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/events", json=list(events), headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_learner_shows_next_level_gates_with_progress(client, school_a):
    await ingest(client, school_a, watched(600, minutes=1), completed("u1", minutes=2))

    response = await client.get("/v1/learners/ana", headers=school_a)

    assert response.status_code == 200
    body = response.json()
    assert body["learner"] == "ana"
    assert body["program_version"] == 1
    assert body["level"] == {"id": "starter", "title": "Starter", "index": 0}
    assert body["next_level"] == {"id": "a1", "title": "Breakthrough", "index": 1}
    assert body["xp"] == 30
    xp_gate, unit_gate = body["gates"]
    assert xp_gate == {
        "gate": "xp >= 100",
        "current": 30.0,
        "target": 100.0,
        "progress": 0.3,
        "met": False,
    }
    assert (unit_gate["gate"], unit_gate["met"]) == (
        "units_completed includes [u1]",
        True,
    )
    assert set(body["dimensions"]) == {"vocabulary", "speaking"}
    assert set(body["dimensions"]["vocabulary"]) == {"ability", "sd"}
    assert body["units_completed"] == ["u1"]
    assert body["counters"]["watch_minutes"] == 10.0
    assert body["events"] == 2
    assert body["history"] == []


async def test_mastery_is_reported_per_knowledge_point(client, school_a):
    await ingest(
        client, school_a, answered(True, minutes=1), answered(False, minutes=2)
    )

    body = (await client.get("/v1/learners/ana", headers=school_a)).json()

    numbers = body["mastery"]["numbers"]
    assert numbers["attempts"] == 2
    assert 0 <= numbers["value"] <= 1
    assert numbers["sd"] > 0


async def test_reaching_a_level_shows_in_results_view_and_history(client, school_a):
    body = await ingest(
        client,
        school_a,
        completed("u1", minutes=1),
        homework(10, minutes=2),
        homework(10, minutes=3),
    )

    assert [r["levels"] for r in body["results"]] == [[], [], ["a1"]]
    learner = (await client.get("/v1/learners/ana", headers=school_a)).json()
    assert learner["level"]["id"] == "a1"
    assert learner["next_level"]["id"] == "a2"
    assert [g["gate"] for g in learner["gates"]] == [
        "xp >= 300",
        "dimension.vocabulary >= 0.5",
    ]
    assert [h["level"] for h in learner["history"]] == ["a1"]
    assert learner["history"][0]["direction"] == "up"


async def test_receipts_are_newest_first_with_their_rule(client, school_a):
    first, second = watched(600, minutes=1), watched(300, minutes=5)
    await ingest(client, school_a, second, first)

    response = await client.get("/v1/learners/ana/receipts", headers=school_a)

    assert response.status_code == 200
    body = response.json()
    assert body["learner"] == "ana"
    receipts = body["receipts"]
    assert [r["event_id"] for r in receipts] == [second["id"], first["id"]]
    assert [r["at"] for r in receipts] == sorted(
        (r["at"] for r in receipts), reverse=True
    )
    newest = receipts[0]
    assert (newest["kind"], newest["program_version"]) == ("xp", 1)
    assert newest["receipt"]["rule"] == "watching"
    assert newest["receipt"]["inputs"] == {"seconds": 300.0}
    assert newest["receipt"]["text"].startswith(f"+{newest['xp']} XP: watching")


async def test_receipts_filter_by_kind(client, school_a):
    await ingest(
        client,
        school_a,
        completed("u1", minutes=1),
        homework(10, minutes=2),
        homework(10, minutes=3),
    )
    url = "/v1/learners/ana/receipts"

    levels = (await client.get(f"{url}?kind=level_reached", headers=school_a)).json()
    units = await client.get(
        f"{url}?kind=unit_completed&kind=level_reached", headers=school_a
    )
    every = (await client.get(url, headers=school_a)).json()

    assert [r["kind"] for r in levels["receipts"]] == ["level_reached"]
    reached = levels["receipts"][0]
    assert (reached["level"], reached["previous"]) == ("a1", "starter")
    assert all(g["met"] for g in reached["gates"])
    assert [r["kind"] for r in units.json()["receipts"]] == [
        "level_reached",
        "unit_completed",
    ]
    assert {r["kind"] for r in every["receipts"]} == {
        "xp",
        "level_reached",
        "unit_completed",
    }


async def test_receipts_limit_keeps_the_newest(client, school_a):
    events = [homework(5, minutes=m) for m in range(1, 6)]
    await ingest(client, school_a, *events)

    response = await client.get("/v1/learners/ana/receipts?limit=2", headers=school_a)

    ids = [r["event_id"] for r in response.json()["receipts"]]
    assert ids == [events[4]["id"], events[3]["id"]]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("limit=0", ["query", "limit"]),
        ("limit=1001", ["query", "limit"]),
        ("kind=badge", ["query", "kind", 0]),
        ("version=0", ["query", "version"]),
    ],
    ids=["limit-0", "limit-1001", "unknown-kind", "version-0"],
)
async def test_bad_receipt_queries_are_422(client, school_a, query, loc):
    await ingest(client, school_a, watched())

    response = await client.get(f"/v1/learners/ana/receipts?{query}", headers=school_a)

    body = assert_problem(response, 422, "invalid-request")
    assert [e["loc"] for e in body["errors"]] == [loc]


async def test_an_unknown_learner_is_404(client, school_a):
    response = await client.get("/v1/learners/nobody", headers=school_a)

    body = assert_problem(response, 404, "learner-not-found")
    assert "nobody" in body["detail"]
