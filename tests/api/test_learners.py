"""GET /v1/learners/{id} and its receipts."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

import httpx
import jsonschema
import pytest

from levelwise.api.schemas.learners import OutcomeKind, OutcomePublic
from levelwise.app.engine import Levelwise
from levelwise.domain.codec import OUTCOME_KINDS
from tests.api.conftest import assert_problem
from tests.support import every_outcome
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    homework,
    watched,
)

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


AND_GATES = {
    "      - xp >= 100\n      - units_completed includes [u1]\n": (
        "      - xp >= 100 and units_completed includes [u1]\n"
    ),
    "      - xp >= 300\n      - dimension.vocabulary >= 0.5\n": (
        "      - xp >= 300 and dimension.vocabulary >= 0.5\n"
    ),
}


async def test_and_gates_show_each_parts_own_values(client, engine):
    program = SMALL_PROGRAM
    for both, joined in AND_GATES.items():
        assert both in program
        program = program.replace(both, joined)
    engine.put_program("school-and", program)
    headers = {"Authorization": f"Bearer {engine.create_key('school-and', 'test')}"}
    raws = [homework(10, minutes=m) for m in (1, 2, 3)] + [completed("u1", minutes=4)]
    await ingest(client, headers, *raws)

    learner = (await client.get("/v1/learners/ana", headers=headers)).json()
    receipts = await client.get(
        "/v1/learners/ana/receipts", params={"kind": "level_reached"}, headers=headers
    )
    openapi = (await client.get("/openapi.json")).json()

    (gate,) = learner["gates"]
    assert gate["gate"] == "xp >= 300 and dimension.vocabulary >= 0.5"
    xp, vocabulary = gate["parts"]
    assert xp == {
        "gate": "xp >= 300",
        "current": 170.0,
        "target": 300.0,
        "progress": 0.566667,
        "met": False,
    }
    assert (vocabulary["gate"], vocabulary["target"]) == (
        "dimension.vocabulary >= 0.5",
        0.5,
    )
    furthest = min((xp, vocabulary), key=lambda part: part["progress"])
    assert (gate["current"], gate["target"], gate["progress"]) == (
        furthest["current"],
        furthest["target"],
        furthest["progress"],
    )
    (reached,) = receipts.json()["receipts"]
    assert reached["gates"] == [
        {
            "gate": "xp >= 100 and units_completed includes [u1]",
            "current": 170.0,
            "target": 100.0,
            "progress": 1.0,
            "met": True,
            "parts": [
                {
                    "gate": "xp >= 100",
                    "current": 170.0,
                    "target": 100.0,
                    "progress": 1.0,
                    "met": True,
                },
                {
                    "gate": "units_completed includes [u1]",
                    "current": 1.0,
                    "target": 1.0,
                    "progress": 1.0,
                    "met": True,
                },
            ],
        }
    ]
    schemas = openapi["components"]["schemas"]
    assert "parts" in schemas["GatePublic"]["properties"]


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


def _public_models() -> dict[str, Any]:
    """The members of the ``OutcomePublic`` union by the kind each declares."""
    union = get_args(OutcomePublic)[0]
    return {get_args(m.model_fields["kind"].annotation)[0]: m for m in get_args(union)}


def test_every_outcome_kind_has_a_public_model_with_its_fields():
    models = _public_models()

    assert set(get_args(OutcomeKind)) == set(OUTCOME_KINDS.values())
    assert set(models) == set(OUTCOME_KINDS.values())
    for outcome, kind in OUTCOME_KINDS.items():
        wanted = {f.name for f in fields(outcome)} | {"kind", "program_version"}
        if isinstance(getattr(outcome, "text", None), property):
            wanted.add("text")  # a receipt's line, derived from the fields
        assert set(models[kind].model_fields) == wanted, kind


@pytest.fixture
def every_kind_school(engine: Levelwise) -> dict[str, str]:
    """A school whose learner ana has every kind of outcome (every_outcome)."""
    engine.put_program("school-k", every_outcome.PROGRAM)
    return {"Authorization": f"Bearer {engine.create_key('school-k', 'test')}"}


def _validator(openapi: dict[str, Any], path: str) -> jsonschema.Draft202012Validator:
    """A validator of ``path``'s 200 body against the app's OpenAPI document."""
    content = openapi["paths"][path]["get"]["responses"]["200"]["content"]
    schema = {**content["application/json"]["schema"], **openapi}
    return jsonschema.Draft202012Validator(schema)


async def test_receipts_show_every_outcome_kind_as_the_schema_says(
    client, every_kind_school
):
    await ingest(client, every_kind_school, *every_outcome.events())

    response = await client.get(
        "/v1/learners/ana/receipts", params={"limit": 1000}, headers=every_kind_school
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert {r["kind"] for r in body["receipts"]} == set(OUTCOME_KINDS.values())
    openapi = (await client.get("/openapi.json")).json()
    _validator(openapi, "/v1/learners/{learner_id}/receipts").validate(body)
    flagged = [r for r in body["receipts"] if r["kind"] == "xp" and r["flags"]]
    assert [r["flags"] for r in flagged] == [["repeat"]]


@pytest.mark.parametrize("kind", sorted(OUTCOME_KINDS.values()))
async def test_receipts_filter_by_every_kind(client, every_kind_school, kind):
    await ingest(client, every_kind_school, *every_outcome.events())

    response = await client.get(
        "/v1/learners/ana/receipts", params={"kind": kind}, headers=every_kind_school
    )

    assert response.status_code == 200, response.text
    kinds = [r["kind"] for r in response.json()["receipts"]]
    assert kinds and set(kinds) == {kind}


async def test_a_measured_ability_names_the_metrics_that_moved_it(
    client, every_kind_school
):
    await ingest(client, every_kind_school, *every_outcome.events())

    response = await client.get(
        "/v1/learners/ana/receipts",
        params={"kind": "ability_measured"},
        headers=every_kind_school,
    )

    (receipt,) = response.json()["receipts"]
    # speech rate 75 against zero 30 and full 90: (75 - 30) / (90 - 30)
    assert receipt["score"] == 0.75
    assert receipt["metrics"] == [
        {"metric": "speech_rate", "value": 75.0, "full": 90.0}
    ]
    assert receipt["after"] > receipt["before"]
    change = round(receipt["after"] - receipt["before"], 2)
    assert receipt["text"] == f"+{change:.2f} speaking: speech rate 75 wpm"


NIHONGO = Path(__file__).resolve().parents[1] / "data/programs/nihongo.yaml"


async def test_learner_shows_unit_scores_best_and_latest_and_what_is_passed(
    client, engine
):
    engine.put_program("school-n", NIHONGO.read_text(), NIHONGO.name)
    key = {"Authorization": f"Bearer {engine.create_key('school-n', 'test')}"}
    mock = {"unit": "n5_mock", "learner": "ana"}
    await ingest(client, key, homework(7, **mock, minutes=1))
    await ingest(client, key, homework(5, **mock, minutes=2))
    await ingest(client, key, homework(5, unit="n5_homework", learner="ana", minutes=3))

    body = (await client.get("/v1/learners/ana", headers=key)).json()

    assert body["unit_scores"]["n5_mock"] == {"best": 0.7, "latest": 0.5}
    # The best 70 % reaches the 60 % pass mark; the homework has no pass mark.
    assert body["passed"] == ["n5_mock"]
    # A mock test is scored, never counted as homework.
    assert body["counters"]["homework_submitted"] == 1
