"""API keys and tenant isolation."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.support.factories import SMALL_PROGRAM, completed, watched

pytestmark = pytest.mark.anyio


async def test_health_needs_no_key(client):
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer lw_not-a-key"},
        {"X-API-Key": "lw_not-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
    ids=["missing", "unknown-bearer", "unknown-x-api-key", "basic-scheme", "empty"],
)
async def test_requests_without_a_valid_key_are_401(client, school_a, headers):
    response = await client.get("/v1/programs/current", headers=headers)

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_x_api_key_header_authenticates(client, engine, school_a):
    key = engine.create_key("school-a", "second key")

    response = await client.get("/v1/programs/current", headers={"X-API-Key": key})

    assert response.status_code == 200
    assert response.json()["id"] == "tiny-english"


async def test_auth_is_checked_before_the_body(client):
    response = await client.post("/v1/events", content=b"{not json")

    assert_problem(response, 401, "unauthenticated")


async def test_another_school_never_sees_a_learner(client, engine, school_a, school_b):
    engine.put_program("school-b", SMALL_PROGRAM)
    await client.post("/v1/events", json=[watched()], headers=school_a)

    assert (await client.get("/v1/learners/ana", headers=school_a)).status_code == 200
    response = await client.get("/v1/learners/ana", headers=school_b)
    assert_problem(response, 404, "learner-not-found")
    receipts = await client.get("/v1/learners/ana/receipts", headers=school_b)
    assert_problem(receipts, 404, "learner-not-found")


async def test_a_program_belongs_to_one_school(client, school_a, school_b):
    response = await client.get("/v1/programs/current", headers=school_b)

    assert_problem(response, 409, "program-required")
    own = SMALL_PROGRAM.replace("Tiny English", "School B English")
    put = await client.put("/v1/programs", content=own, headers=school_b)
    assert put.status_code == 200
    a = (await client.get("/v1/programs/current", headers=school_a)).json()
    b = (await client.get("/v1/programs/current", headers=school_b)).json()
    assert (a["title"], b["title"]) == ("Tiny English", "School B English")


async def test_event_ids_are_unique_per_school(client, engine, school_a, school_b):
    engine.put_program("school-b", SMALL_PROGRAM)
    batch_a = [completed(id_="shared-id")]
    batch_b = [completed(id_="shared-id", learner="bo")]

    a = await client.post("/v1/events", json=batch_a, headers=school_a)
    b = await client.post("/v1/events", json=batch_b, headers=school_b)

    assert a.json()["accepted"] == b.json()["accepted"] == 1
