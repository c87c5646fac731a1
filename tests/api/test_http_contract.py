"""HTTP details a client relies on: HEAD /health, 405 with Allow, documented 400s."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from levelwise.api.schemas.common import Text
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.anyio


async def test_head_health_answers_200_without_a_body(client):
    response = await client.head("/health")
    assert response.status_code == 200
    assert response.content == b""
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/health"]) == {"get", "head"}


async def test_a_wrong_method_is_405_with_allow(client, school_a):
    response = await client.delete("/health")
    problem = assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, HEAD"
    assert problem["instance"] == "/health"
    events = await client.patch("/v1/events", headers=school_a)
    assert events.status_code == 405 and events.headers["allow"] == "POST"
    # A path served by several routes lists every method, not the first's.
    cases = {
        "/v1/webhooks": "GET, POST",
        "/v1/experiments/x": "DELETE, PUT",
        "/v1/learners/ana/credentials": "GET, POST",
        "/v1/leagues/close": "POST",
    }
    for path, allow in cases.items():
        response = await client.options(path, headers=school_a)
        assert response.status_code == 405, path
        assert response.headers["allow"] == allow, path
    # GET /v1/leagues/close is not the week "close" of /v1/leagues/{week}.
    close = await client.get("/v1/leagues/close", headers=school_a)
    assert_problem(close, 405, "method-not-allowed")
    assert close.headers["allow"] == "POST"


async def test_days_in_queries_are_iso_dates(client, school_a):
    for path, name in (("/v1/boards", "at"), ("/v1/metrics", "start")):
        response = await client.get(path, params={name: "0"}, headers=school_a)
        problem = assert_problem(response, 422, "invalid-request")
        assert "YYYY-MM-DD" in problem["detail"], path


async def test_an_unreadable_json_body_is_a_documented_400(client, school_a):
    response = await client.post(
        "/v1/webhooks",
        content=b'{"url": "\xff\xfe"}',
        headers={**school_a, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "bad-request")
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "400" in paths["/v1/webhooks"]["post"]["responses"]
    # Routes that read their body themselves answer 422 for the same input,
    # and say no 400.
    events = await client.post(
        "/v1/events",
        content=b'[{"id": "\xff\xfe"}]',
        headers={**school_a, "Content-Type": "application/json"},
    )
    assert_problem(events, 422, "invalid-request")
    assert "400" not in paths["/v1/events"]["post"]["responses"]


async def test_free_text_holds_no_control_characters(client, school_a):
    """A NUL cannot be stored by PostgreSQL: it is refused at the edge, everywhere."""
    bodies = {
        "/v1/credentials/issuer": {"name": "A\x00B", "url": "https://x.example"},
        "/v1/webhooks": {"url": "https://hooks.example/\x00"},
    }
    for path, body in bodies.items():
        send = client.put if path.endswith("issuer") else client.post
        response = await send(path, json=body, headers=school_a)
        assert_problem(response, 422, "invalid-request")
    experiment = {
        "description": "bell\x07",
        "control": "A",
        "variants": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}],
    }
    response = await client.put("/v1/experiments/x", json=experiment, headers=school_a)
    assert_problem(response, 422, "invalid-request")
    text = TypeAdapter(Text)
    assert text.validate_python("two lines\r\nand a\ttab, 中文") == (
        "two lines\r\nand a\ttab, 中文"
    )


async def test_a_program_version_beyond_any_store_is_a_422(client, school_a):
    response = await client.get(
        "/v1/learners/ana/receipts",
        params={"version": 48707655660989104128},
        headers=school_a,
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert "version" in problem["detail"]
