"""Typed events: OpenAPI publishes every event type, and the edge is strict.

Generated clients learn the event types from ``components.schemas.Event`` (a
union discriminated by ``type``); whatever ingest accepts fits that schema.
Numbers are JSON numbers (``true`` is not 1 second, ``"8"`` is not a score),
times are RFC 3339 text, and an event that names a key twice is refused on its
own, the others of its batch being stored.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from levelwise.api.app import create_app
from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import EVENT_ADAPTER
from levelwise.bootstrap import build
from levelwise.config import Settings
from levelwise.domain.events import EVENT_TYPES
from levelwise.domain.practice import PRACTICE_METRICS
from tests.api.conftest import assert_problem
from tests.contract.test_replay_roundtrip import english, events
from tests.support.factories import event, homework, watched

pytestmark = pytest.mark.anyio


def openapi(engine: Levelwise) -> dict[str, Any]:
    document: dict[str, Any] = create_app(engine).openapi()
    return document


def event_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A JSON Schema validator of ``Event`` as the OpenAPI document publishes it."""
    schema = {
        "$ref": "#/components/schemas/Event",
        "components": document["components"],
    }
    return jsonschema.Draft202012Validator(schema)


@functools.cache
def published_event_validator() -> jsonschema.Draft202012Validator:
    settings = Settings(redis_url=None)
    return event_validator(openapi(build("memory", settings=settings)))


def test_the_request_body_lists_events_by_type(engine):
    document = openapi(engine)
    body = document["paths"]["/v1/events"]["post"]["requestBody"]
    forms = body["content"]["application/json"]["schema"]["anyOf"]
    batch, bare = forms
    assert batch["properties"]["events"]["items"] == {
        "$ref": "#/components/schemas/Event"
    }
    assert bare["type"] == "array"
    assert bare["items"] == {"$ref": "#/components/schemas/Event"}

    union = document["components"]["schemas"]["Event"]
    mapping = union["discriminator"]["mapping"]
    assert union["discriminator"]["propertyName"] == "type"
    assert set(mapping) == set(EVENT_TYPES)  # every type the fold knows
    for kind, ref in mapping.items():
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert schema["properties"]["type"]["const"] == kind
        assert {"id", "learner", "occurred_at", "type"} <= set(schema["required"])
        assert schema["additionalProperties"] is False


def test_each_type_publishes_its_fields_and_ranges(engine):
    schemas = openapi(engine)["components"]["schemas"]
    homework_schema = schemas["HomeworkSubmittedIn"]
    assert {"score", "max_score"} <= set(homework_schema["required"])
    assert homework_schema["properties"]["score"]["type"] == "number"
    assert homework_schema["properties"]["score"]["maximum"] == 1_000_000
    practice = schemas["PracticeCompletedIn"]["properties"]
    assert practice["turns"] == {
        "default": 0,
        "maximum": 10_000,
        "minimum": 0,
        "title": "Turns",
        "type": "integer",
    }
    assert practice["metrics"]["$ref"].endswith("/PracticeMetricsIn")
    metrics = schemas["PracticeMetricsIn"]
    assert metrics["additionalProperties"] is False
    assert list(metrics["properties"]) == list(PRACTICE_METRICS)
    for name, spec in PRACTICE_METRICS.items():
        number, null = metrics["properties"][name]["anyOf"]
        assert null == {"type": "null"}
        assert number["type"] == ("integer" if spec.integral else "number"), name
        assert (number["minimum"], number["maximum"]) == (spec.low, spec.high)
    occurred = schemas["LessonWatchedIn"]["properties"]["occurred_at"]
    assert (occurred["type"], occurred["format"]) == ("string", "date-time")


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a failure shows as drawn, unshrunk
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_event_ingest_accepts_fits_the_published_schema(engine, data):
    validator = published_event_validator()
    drawn = data.draw(events(english()[1]))
    item = json.loads(json.dumps(drawn, default=lambda moment: moment.isoformat()))
    try:
        EVENT_ADAPTER.validate_python(item)
    except ValueError:
        return  # refused at the edge: the schema may or may not say so
    errors = [e.message for e in validator.iter_errors(item)]
    assert errors == [], (item, errors)


def test_the_schema_refuses_what_the_edge_refuses(engine):
    validator = event_validator(openapi(engine))
    assert validator.is_valid(watched(60))
    assert not validator.is_valid(watched(True))
    assert not validator.is_valid(homework("8"))
    assert not validator.is_valid(watched(60, type="lesson.seen"))


async def test_numbers_are_json_numbers_and_times_are_text(client, school_a):
    good = watched(60)
    batch = [
        good,
        watched(True),
        homework("8"),
        homework(8, max_score="10"),
        event("practice.completed", seconds=60, turns=2.5),
        event("practice.completed", seconds=60, turns=False),
        event("practice.completed", seconds=60, metrics={"speech_rate": "80"}),
        {**watched(60), "occurred_at": 1_767_225_600},
    ]

    response = await client.post("/v1/events", json=batch, headers=school_a)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 7
    reasons = [r["reason"] for r in results[1:]]
    fields = ["seconds", "score", "max_score", "turns", "turns", "metrics.speech_rate"]
    for reason, field in zip(reasons, [*fields, "occurred_at"], strict=True):
        assert reason.startswith(f"{field}: "), reason
    assert "number" in reasons[0] and "number" in reasons[4]
    assert "RFC 3339" in reasons[-1]


async def test_whole_floats_count_as_integers(client, school_a):
    practice = event("practice.completed", seconds=60, turns=3.0)
    response = await client.post("/v1/events", json=[practice], headers=school_a)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


def raw_post(client: httpx.AsyncClient, text: str, headers: dict[str, str]) -> Any:
    return client.post(
        "/v1/events",
        content=text.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


async def test_an_event_naming_a_key_twice_is_refused_alone(client, school_a):
    good = watched(60)
    twice = watched(60)
    text = json.dumps([good, {**twice, "unit": "u1"}])
    # The second event says seconds twice: 60 and then 6000.
    text = text.replace('"unit": "u1"}]', '"unit": "u1", "seconds": 6000}]')
    assert text.count('"seconds"') == 3

    response = await raw_post(client, text, school_a)

    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == "accepted"
    assert second["status"] == "rejected"
    assert second["id"] == twice["id"]
    assert second["reason"] == "seconds: the key appears more than once in the event"


async def test_a_repeated_key_inside_an_event_is_found(client, school_a):
    practice = event("practice.completed", seconds=60, metrics={"mtld": 1})
    text = json.dumps([practice]).replace('{"mtld": 1}', '{"mtld": 1, "mtld": 2}')

    response = await raw_post(client, text, school_a)

    problem = assert_problem(response, 422, "events-rejected")
    assert problem["results"][0]["reason"] == (
        "metrics.mtld: the key appears more than once in the event"
    )


async def test_a_batch_naming_events_twice_is_refused_whole(client, school_a):
    one, two = watched(60), watched(30)
    text = f'{{"events": [{json.dumps(one)}], "events": [{json.dumps(two)}]}}'

    response = await raw_post(client, text, school_a)

    problem = assert_problem(response, 422, "invalid-request")
    assert "'events' appears more than once" in problem["detail"]
    learner = await client.get("/v1/learners/ana", headers=school_a)
    assert learner.status_code == 404  # nothing was stored


async def test_a_body_that_is_not_json_is_a_clear_422(client, school_a):
    response = await raw_post(client, '[{"id": "e1",', school_a)
    problem = assert_problem(response, 422, "invalid-request")
    assert "not JSON" in problem["detail"]
