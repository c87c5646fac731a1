"""POST /v1/events: per-event results, idempotency, conflicts and rejections."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from levelwise.api.deps import MAX_EVENTS_BYTES
from tests.api.conftest import assert_problem
from tests.support.factories import SMALL_PROGRAM, completed, event, homework, watched

pytestmark = pytest.mark.anyio


async def xp_of(
    client: httpx.AsyncClient, headers: dict[str, str], learner: str = "ana"
) -> int:
    response = await client.get(f"/v1/learners/{learner}", headers=headers)
    assert response.status_code == 200, response.text
    xp: int = response.json()["xp"]
    return xp


async def test_ingest_reports_each_event_with_its_xp(client, school_a):
    batch = [watched(600, minutes=1), completed("u1", minutes=2), homework(8)]

    response = await client.post("/v1/events", json={"events": batch}, headers=school_a)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["accepted"] == 3
    assert (body["duplicates"], body["conflicts"], body["rejected"]) == (0, 0, 0)
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert [r["id"] for r in body["results"]] == [e["id"] for e in batch]
    assert [r["status"] for r in body["results"]] == ["accepted"] * 3
    # 600 s watched = 10 XP; u1 is 10 minutes x 2; homework 50 x 8/10.
    assert [r["xp"] for r in body["results"]] == [10, 20, 40]
    assert await xp_of(client, school_a) == 70


async def test_a_bare_json_array_is_a_batch(client, school_a):
    response = await client.post("/v1/events", json=[watched()], headers=school_a)

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


async def test_redelivering_a_batch_ten_times_changes_nothing(client, school_a):
    batch = [watched(minutes=1), completed(minutes=2), homework(10, minutes=3)]
    first = await client.post("/v1/events", json=batch, headers=school_a)
    xp = await xp_of(client, school_a)

    for _ in range(10):
        again = await client.post("/v1/events", json=batch, headers=school_a)
        assert again.status_code == 200
        body = again.json()
        assert (body["accepted"], body["duplicates"]) == (0, 3)
        assert {r["status"] for r in body["results"]} == {"duplicate"}
        assert all(r["xp"] == 0 for r in body["results"])

    assert first.json()["accepted"] == 3
    assert await xp_of(client, school_a) == xp == 80


async def test_a_conflict_beside_stored_events_is_200_with_each_fate(client, school_a):
    # Issue 13: the fresh event is stored, so the batch is no error (was 409).
    stored = watched(600, minutes=1)
    await client.post("/v1/events", json=[stored], headers=school_a)
    changed = {**stored, "seconds": 900}
    fresh = completed(minutes=2)

    response = await client.post("/v1/events", json=[changed, fresh], headers=school_a)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["accepted"], body["conflicts"], body["rejected"]) == (1, 1, 0)
    conflict, accepted = body["results"]
    assert (conflict["id"], conflict["status"]) == (stored["id"], "conflict")
    assert "different body" in conflict["reason"]
    assert (accepted["id"], accepted["status"], accepted["xp"]) == (
        fresh["id"],
        "accepted",
        20,
    )
    assert await xp_of(client, school_a) == 30


async def test_a_batch_of_conflicts_is_409_and_says_nothing_was_stored(
    client, school_a
):
    stored = completed(minutes=1)
    await client.post("/v1/events", json=[stored], headers=school_a)
    batch = [{**stored, "unit": "u2"}, event("lesson.danced")]

    response = await client.post("/v1/events", json=batch, headers=school_a)

    # A conflict wins over a rejection when nothing of the batch is stored.
    body = assert_problem(response, 409, "event-conflict")
    assert (body["accepted"], body["duplicates"]) == (0, 0)
    assert (body["conflicts"], body["rejected"]) == (1, 1)
    assert body["detail"] == (
        "1 of 2 event id(s) were already received with another body; "
        "1 of 2 event(s) were rejected; nothing of the batch was stored"
    )
    assert [r["status"] for r in body["results"]] == ["conflict", "rejected"]


async def test_a_batch_of_rejected_events_is_422_and_says_nothing_was_stored(
    client, school_a
):
    batch = [event("lesson.danced"), watched(unit="u9")]

    response = await client.post("/v1/events", json=batch, headers=school_a)

    body = assert_problem(response, 422, "events-rejected")
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (0, 0, 2)
    assert body["detail"] == (
        "2 of 2 event(s) were rejected; nothing of the batch was stored"
    )
    assert [r["status"] for r in body["results"]] == ["rejected", "rejected"]


async def test_a_mixed_batch_sent_again_gets_the_same_200(client, school_a):
    # The redelivery stores nothing new, but its valid event is in the log as a
    # duplicate: the answer must not turn into an error the second time.
    batch = [completed(minutes=1), event("lesson.danced")]

    first = await client.post("/v1/events", json=batch, headers=school_a)
    again = await client.post("/v1/events", json=batch, headers=school_a)

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert (first.json()["accepted"], first.json()["rejected"]) == (1, 1)
    body = again.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (0, 1, 1)
    assert await xp_of(client, school_a) == 20


async def test_openapi_says_when_a_batch_is_answered_with_a_problem(client):
    schema = (await client.get("/openapi.json")).json()

    post = schema["paths"]["/v1/events"]["post"]
    assert "nothing of the batch was stored" in post["description"]
    assert "at least one event" in post["responses"]["200"]["description"]


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        # A required field is missing.
        (_without(watched(), "seconds"), "seconds: Field required"),
        # The type is not one the engine knows.
        (event("lesson.danced"), "unknown event type 'lesson.danced'"),
        # A timestamp without a UTC offset is ambiguous.
        (
            {**watched(), "occurred_at": "2026-01-05T09:00:00"},
            "occurred_at: Input should have timezone info",
        ),
        # A score above the maximum.
        (homework(12, max_score=10), "score 12 is above max_score 10"),
        # A unit the program does not have.
        (watched(unit="u9"), "unit: unknown unit 'u9'"),
        # Not an object at all.
        (42, "valid dictionary"),
    ],
    ids=[
        "missing-field",
        "unknown-type",
        "naive-time",
        "score-over-max",
        "unknown-unit",
        "not-an-object",
    ],
)
async def test_a_malformed_event_is_rejected_with_its_reason_and_the_others_stored(
    client, school_a, bad, reason
):
    good = completed(minutes=1)

    response = await client.post("/v1/events", json=[good, bad], headers=school_a)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    accepted, rejected = body["results"]
    assert accepted["status"] == "accepted"
    assert rejected["index"] == 1
    assert rejected["status"] == "rejected"
    assert reason in rejected["reason"]
    assert await xp_of(client, school_a) == 20


async def test_a_batch_over_5000_events_is_413_and_stores_nothing(client, school_a):
    batch = [completed(minutes=i % 600) for i in range(5001)]

    response = await client.post("/v1/events", json=batch, headers=school_a)

    body = assert_problem(response, 413, "batch-too-large")
    assert "5,000" in body["detail"]
    missing = await client.get("/v1/learners/ana", headers=school_a)
    assert_problem(missing, 404, "learner-not-found")


async def test_a_body_over_the_byte_limit_is_413(client, school_a):
    headers = {**school_a, "content-type": "application/json"}
    body = b"[" + b" " * MAX_EVENTS_BYTES + b"]"

    response = await client.post("/v1/events", content=body, headers=headers)

    assert_problem(response, 413, "body-too-large")


@pytest.mark.parametrize(
    ("content", "loc"),
    [
        (b"[]", ["body", "events"]),
        (b'{"events": []}', ["body", "events"]),
        (b'{"events": [{}], "more": 1}', ["body", "more"]),
        (b"{not json", ["body"]),
        (b'"text"', ["body"]),
    ],
    ids=["empty-array", "empty-events", "extra-member", "bad-json", "not-a-batch"],
)
async def test_a_malformed_batch_is_422_invalid_request(client, school_a, content, loc):
    headers = {**school_a, "content-type": "application/json"}

    response = await client.post("/v1/events", content=content, headers=headers)

    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["loc"] == loc


async def test_a_non_json_body_is_415(client, school_a):
    headers = {**school_a, "content-type": "text/csv"}

    response = await client.post("/v1/events", content=b"id,learner", headers=headers)

    assert_problem(response, 415, "unsupported-media-type")


async def test_events_before_any_program_are_409_program_required(client, school_b):
    response = await client.post("/v1/events", json=[watched()], headers=school_b)

    body = assert_problem(response, 409, "program-required")
    assert "upload one first" in body["detail"]


# -- the edge of the log (issue 13) ----------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_a_non_finite_number_is_rejected_naming_its_field(
    client, school_a, number
):
    # JSON has no NaN or Infinity, but lenient parsers read them, and 1e999
    # overflows to infinity: the log stored null and could not read it back.
    practice = event("practice.completed", seconds=600, metrics={"mattr": 0.5})
    text = json.dumps([completed(minutes=1), practice])
    content = text.replace('"mattr": 0.5', f'"mattr": {number}').encode()
    headers = {**school_a, "content-type": "application/json"}

    response = await client.post("/v1/events", content=content, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["reason"] == (
        "metrics.mattr: Input should be a finite number"
    )
    late = watched(60, minutes=-60)
    assert (await client.post("/v1/events", json=[late], headers=school_a)).is_success
    program = SMALL_PROGRAM.replace("xp >= 100", "xp >= 90")
    headers = {**school_a, "content-type": "application/yaml"}
    replayed = await client.put("/v1/programs", content=program, headers=headers)
    assert replayed.status_code == 200, replayed.text


async def test_an_event_from_the_future_is_rejected_and_the_others_are_stored(
    client, school_a
):
    future = completed(minutes=1) | {"occurred_at": "2030-01-01T00:00:00Z"}

    response = await client.post(
        "/v1/events", json=[completed(minutes=1), future], headers=school_a
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "ahead of the server's clock" in body["results"][1]["reason"]
    assert await xp_of(client, school_a) == 20


async def test_an_id_outside_the_grammar_is_rejected_not_503(client, school_a):
    response = await client.post(
        "/v1/events",
        json=[completed(minutes=1), watched(learner="ana\x00"), watched(learner="a/")],
        headers=school_a,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert all(r["reason"].startswith("learner: ") for r in body["results"][1:])


async def test_a_learner_path_with_a_trailing_slash_is_404_not_a_redirect(
    client, school_a
):
    await client.post("/v1/events", json=[completed(learner="abc")], headers=school_a)

    for path in ("/v1/learners/abc%2F", "/v1/learners/abc/"):
        response = await client.get(path, headers=school_a)

        assert "location" not in response.headers
        assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    "bad",
    [
        watched(learner="x" * 1_000_000),
        watched(id_="x" * 1_000_000),
        event("x" * 1_000_000),
        watched() | {"x" * 1_000_000: 1},
        event("practice.completed", seconds=60, metrics={"x" * 1_000_000: 1.0}),
    ],
    ids=["learner", "event-id", "type", "field-name", "metric-name"],
)
async def test_a_rejected_event_never_echoes_a_huge_value(client, school_a, bad):
    response = await client.post("/v1/events", json=[bad], headers=school_a)

    assert_problem(response, 422, "events-rejected")
    assert len(response.content) < 2_000, response.text[:2_000]


async def test_an_invalid_batch_never_echoes_a_huge_value(client, school_a):
    batch = {"events": [completed()], "x" * 1_000_000: 1}

    response = await client.post("/v1/events", json=batch, headers=school_a)

    assert_problem(response, 422, "invalid-request")
    assert len(response.content) < 2_000, response.text[:2_000]
