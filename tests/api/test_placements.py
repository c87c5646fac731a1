"""``/v1/placements``: start, next, answer and finish, with problem+json errors."""

from __future__ import annotations

import httpx
import pytest

from levelwise.app.engine import Levelwise
from tests.api.conftest import assert_problem
from tests.support.factories import SMALL_PROGRAM
from tests.support.placements import with_placement

pytestmark = pytest.mark.anyio


@pytest.fixture
def school_a(engine: Levelwise) -> dict[str, str]:
    """School A, with the placement test of ``tests.support.placements``."""
    engine.put_program("school-a", with_placement())
    return {"Authorization": f"Bearer {engine.create_key('school-a', 'test')}"}


async def _start(client: httpx.AsyncClient, auth: dict[str, str]) -> dict:
    response = await client.post(
        "/v1/placements", json={"learner": "ana"}, headers=auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_whole_placement(client, school_a):
    step = await _start(client, school_a)
    session = step["session"]
    assert step["status"] == "open" and not step["finished"]
    assert set(step["item"]) == {"id", "knowledge_point", "dimension"}
    assert set(step["abilities"]) == {"vocabulary", "speaking"}
    while step["item"] is not None:
        item = step["item"]
        answered = await client.post(
            f"/v1/placements/{session}/answers",
            json={"item": item["id"], "correct": item["id"] < "spe-15"},
            headers=school_a,
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["item"] is None
        step = (
            await client.get(f"/v1/placements/{session}/next", headers=school_a)
        ).json()
    assert step["finished"] and step["stop"] in ("se", "max_items")
    done = await client.post(f"/v1/placements/{session}/finish", headers=school_a)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["learner"] == "ana" and result["items"] == step["answered"]
    assert set(result["abilities"]["speaking"]) == {"theta", "se"}
    assert result["event"]["id"] == f"placement-{session}"
    assert result["event"]["status"] == "accepted", result["event"]
    again = await client.post(f"/v1/placements/{session}/finish", headers=school_a)
    assert again.json()["event"]["status"] == "duplicate"
    learner = (await client.get("/v1/learners/ana", headers=school_a)).json()
    placed = learner["placement"]
    assert placed["items"] == result["items"]
    assert placed["abilities"]["speaking"]["theta"] == pytest.approx(
        result["abilities"]["speaking"]["theta"]
    )
    receipts = (await client.get("/v1/learners/ana/receipts", headers=school_a)).json()[
        "receipts"
    ]
    if placed["level"] is not None:  # the receipt of a placed level says why
        (receipt,) = [r for r in receipts if r["kind"] == "level_placed"]
        assert receipt["level"] == placed["level"]["id"]
        assert all(e["theta"] >= e["cut"] for e in receipt["evidence"])
    after = await client.get(f"/v1/placements/{session}/next", headers=school_a)
    assert after.json()["status"] == "finished" and after.json()["finished"]


async def test_an_unknown_session_is_a_404(client, school_a):
    for response in (
        await client.get("/v1/placements/nope/next", headers=school_a),
        await client.post("/v1/placements/nope/finish", headers=school_a),
        await client.post(
            "/v1/placements/nope/answers",
            json={"item": "x", "correct": True},
            headers=school_a,
        ),
    ):
        assert_problem(response, 404, "placement-not-found")


async def test_out_of_order_answers_are_409(client, school_a):
    step = await _start(client, school_a)
    url = f"/v1/placements/{step['session']}/answers"
    wrong = "voc-00" if step["item"]["id"] != "voc-00" else "voc-01"
    body = assert_problem(
        await client.post(url, json={"item": wrong, "correct": True}, headers=school_a),
        409,
        "placement-conflict",
    )
    assert "awaits its answer" in body["detail"]
    answer = {"item": step["item"]["id"], "correct": True}
    assert (await client.post(url, json=answer, headers=school_a)).status_code == 200
    assert_problem(
        await client.post(url, json=answer, headers=school_a), 409, "placement-conflict"
    )


async def test_a_program_without_placement_is_409(client, engine, school_b):
    engine.put_program("school-b", SMALL_PROGRAM)
    response = await client.post(
        "/v1/placements", json={"learner": "ana"}, headers=school_b
    )
    body = assert_problem(response, 409, "placement-conflict")
    assert "no placement test" in body["detail"]


async def test_sessions_belong_to_one_school(client, school_a, school_b):
    step = await _start(client, school_a)
    response = await client.get(
        f"/v1/placements/{step['session']}/next", headers=school_b
    )
    assert_problem(response, 404, "placement-not-found")


async def test_a_bad_body_is_422(client, school_a):
    response = await client.post("/v1/placements", json={"who": 1}, headers=school_a)
    assert_problem(response, 422, "invalid-request")


async def test_placement_routes_need_a_key(client):
    response = await client.post("/v1/placements", json={"learner": "ana"})
    assert_problem(response, 401, "unauthenticated")


async def test_openapi_declares_the_placement_problems(client):
    spec = (await client.get("/openapi.json")).json()
    answers = spec["paths"]["/v1/placements/{session}/answers"]["post"]["responses"]
    assert {"401", "404", "409", "422", "503"} <= set(answers)
    assert "placement-conflict" in answers["409"]["description"]
    assert "application/problem+json" in answers["404"]["content"]
    start = spec["paths"]["/v1/placements"]["post"]["responses"]
    assert "201" in start and "409" in start


async def test_a_strong_placement_sets_the_level_with_a_receipt(client, school_a):
    step = await _start(client, school_a)
    session = step["session"]
    while step["item"] is not None:  # every answer right: a high θ everywhere
        await client.post(
            f"/v1/placements/{session}/answers",
            json={"item": step["item"]["id"], "correct": True},
            headers=school_a,
        )
        step = (
            await client.get(f"/v1/placements/{session}/next", headers=school_a)
        ).json()
    done = await client.post(f"/v1/placements/{session}/finish", headers=school_a)
    assert done.json()["event"]["status"] == "accepted"
    learner = (await client.get("/v1/learners/ana", headers=school_a)).json()
    assert learner["level"]["id"] == "a2"
    assert learner["placement"]["level"]["id"] == "a2"
    assert learner["history"][-1]["direction"] == "placed"
    receipts = (
        await client.get(
            "/v1/learners/ana/receipts?kind=level_placed", headers=school_a
        )
    ).json()["receipts"]
    assert [r["level"] for r in receipts] == ["a2"]
    evidence = {e["dimension"]: e for e in receipts[0]["evidence"]}
    assert set(evidence) == {"vocabulary", "speaking"}
    assert all(e["theta"] >= e["cut"] == 0.5 for e in evidence.values())
