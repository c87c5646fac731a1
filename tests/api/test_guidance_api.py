"""GET /v1/learners/{id}/plan, /next and /forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from tests.api.conftest import assert_problem
from tests.support.factories import answered, completed, event, watched

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock at ``NOW``."""

    def now_iso(self) -> str:
        return NOW.isoformat()


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(InMemoryEventLog(), Clock())


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def ingest(
    client: httpx.AsyncClient, headers: dict[str, str], *events: dict[str, Any]
) -> None:
    response = await client.post("/v1/events", json=list(events), headers=headers)
    assert response.status_code == 200, response.text
    assert all(r["status"] == "accepted" for r in response.json()["results"])


@pytest.fixture
async def ana(client, school_a) -> None:
    await ingest(
        client,
        school_a,
        event("enrolment.started", at=ago(20)),
        watched(600, at=ago(19)),
        watched(900, at=ago(10)),
        answered(True, kp="greetings", at=ago(2)),
    )


async def test_plan_lists_steps_requirements_and_the_binding_one(
    client, school_a, engine, ana
):
    response = await client.get("/v1/learners/ana/plan?target=a2", headers=school_a)

    assert response.status_code == 200, response.text
    body = response.json()
    plan = engine.guidance.plan("school-a", "ana", "a2")
    assert (body["learner"], body["level"], body["target"]) == ("ana", "starter", "a2")
    assert body["minutes"] == plan.minutes
    assert body["complete"] is True
    assert [s["unit"] for s in body["steps"]] == [s.unit for s in plan.steps]
    first = body["steps"][0]
    assert set(first) == {
        "unit",
        "title",
        "kind",
        "minutes",
        "total_minutes",
        "serves",
        "reason",
        "week",
        "level",
        "why",
        "reason_text",
        "chance",
    }
    assert first["serves"][0] == {
        "requirement": plan.steps[0].serves[0][0],
        "measure": "units completed",
        "before": plan.steps[0].serves[0][1],
        "after": plan.steps[0].serves[0][2],
    }
    assert first["reason"] == plan.steps[0].reason
    assert first["why"] == {
        "kind": "completes",
        "subject": "units_completed",
        "level": "a1",
        "chance": None,
    }
    assert first["reason_text"] == "is a unit Breakthrough asks you to finish"
    assert [s["week"] for s in body["steps"]] == [s.week for s in plan.steps]
    assert body["weekly_minutes"] == plan.weekly_minutes
    assert [w["units"] for w in body["weeks"]] == [
        [s.unit for s in steps] for _, steps in plan.weeks()
    ]
    assert sum(w["minutes"] for w in body["weeks"]) == pytest.approx(plan.minutes)
    assert body["steps"][-1]["total_minutes"] == plan.minutes
    assert [r["requirement"] for r in body["now"]] == [
        "xp >= 100",
        "units_completed includes [u1]",
        "xp >= 300",
        "dimension.vocabulary >= 0.5",
    ]
    assert all(r["met"] for r in body["expected"])
    assert body["now"][0] == {
        "level": "a1",
        "requirement": "xp >= 100",
        "current": plan.now[0].current,
        "target": 100.0,
        "progress": plan.now[0].progress,
        "met": False,
    }
    assert body["binding"] == plan.binding
    assert [m["minutes"] for m in body["met_at"]] == [m for _, m in plan.met_at]
    assert "BKT" in body["gains"]


async def test_plan_says_why_in_the_asked_language(client, school_a, ana):
    english = await client.get("/v1/learners/ana/plan?target=a2", headers=school_a)
    chinese = await client.get(
        "/v1/learners/ana/plan?target=a2&lang=zh-CN", headers=school_a
    )

    assert chinese.status_code == 200, chinese.text
    en = [s["reason_text"] for s in english.json()["steps"]]
    zh = [s["reason_text"] for s in chinese.json()["steps"]]
    assert en[0] == "is a unit Breakthrough asks you to finish"
    assert zh[0] == "是Breakthrough要求完成的单元"
    assert all(t and ">=" not in t for t in en + zh)
    assert all(
        s["serves"][0]["measure"] in ("units completed", "XP")
        for s in english.json()["steps"]
    )


async def test_plan_refuses_a_malformed_language(client, school_a, ana):
    response = await client.get("/v1/learners/ana/plan?lang=<script>", headers=school_a)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_next_is_the_plans_first_step(client, school_a, engine, ana):
    response = await client.get("/v1/learners/ana/next", headers=school_a)

    assert response.status_code == 200, response.text
    body = response.json()
    plan = engine.guidance.plan("school-a", "ana")
    assert body["status"] == "study"
    assert (body["level"], body["target"]) == ("starter", "a1")
    assert body["step"]["unit"] == plan.steps[0].unit
    assert body["requirement"] == plan.steps[0].serves[0][0]
    assert body["minutes"] == plan.steps[0].minutes
    assert body["reason"] == plan.steps[0].reason


async def test_next_at_the_top_level_says_so(client, school_a):
    answers = [
        answered(True, kp=kp, at=ago(10 - i / 100))
        for i in range(40)
        for kp in ("greetings", "numbers")
    ]
    await ingest(client, school_a, completed("u1", at=ago(11)), *answers)

    body = (await client.get("/v1/learners/ana/next", headers=school_a)).json()

    assert body["status"] == "top_level"
    assert body["step"] is None and body["target"] is None
    assert "top level (a2)" in body["reason"]
    plan = await client.get("/v1/learners/ana/plan", headers=school_a)
    assert "top level" in assert_problem(plan, 422, "plan-impossible")["detail"]


async def test_forecast_gives_weeks_and_dates_equal_to_the_service(
    client, school_a, engine, ana
):
    response = await client.get("/v1/learners/ana/forecast?target=a2", headers=school_a)

    assert response.status_code == 200, response.text
    body = response.json()
    fc = engine.guidance.forecast("school-a", "ana", "a2")
    assert body["as_of"] == "2026-03-02"
    assert body["history_weeks"] == fc.history_weeks == 3
    for name in (
        "plan_minutes",
        "pace",
        "median_weeks",
        "low_weeks",
        "high_weeks",
        "binding",
        "current_weeks",
        "current_binding",
        "speedup",
        "p_within_horizon",
        "stalled",
        "at_risk",
    ):
        assert body[name] == getattr(fc, name), name
    assert fc.median_weeks is not None and fc.low_weeks is not None
    assert fc.high_weeks is not None
    assert (
        body["median_date"]
        == (NOW + timedelta(weeks=fc.median_weeks)).date().isoformat()
    )
    assert (
        date.fromisoformat(body["low_date"])
        <= date.fromisoformat(body["median_date"])
        <= date.fromisoformat(body["high_date"])
    )
    assert body["low_weeks"] < body["median_weeks"] < body["high_weeks"]


async def test_forecast_weeks_limits_the_history(client, school_a, ana):
    body = (
        await client.get("/v1/learners/ana/forecast?weeks=1", headers=school_a)
    ).json()
    assert body["history_weeks"] == 1
    bad = await client.get("/v1/learners/ana/forecast?weeks=0", headers=school_a)
    assert_problem(bad, 422, "invalid-request")


@pytest.mark.parametrize("route", ["plan", "next", "forecast"])
async def test_routes_need_a_key_and_a_known_learner(client, school_a, ana, route):
    anonymous = await client.get(f"/v1/learners/ana/{route}")
    assert_problem(anonymous, 401, "unauthenticated")
    assert anonymous.headers["www-authenticate"] == "Bearer"

    missing = await client.get(f"/v1/learners/zoe/{route}", headers=school_a)
    body = assert_problem(missing, 404, "learner-not-found")
    assert "zoe" in body["detail"]


@pytest.mark.parametrize("route", ["plan", "forecast"])
async def test_a_bad_target_is_a_422_problem(client, school_a, ana, route):
    unknown = await client.get(f"/v1/learners/ana/{route}?target=c2", headers=school_a)
    body = assert_problem(unknown, 422, "plan-impossible")
    assert body["title"] == "No plan can be made to that target level"
    assert body["detail"] == "unknown level 'c2'; levels: starter, a1, a2"

    reached = await client.get(
        f"/v1/learners/ana/{route}?target=starter", headers=school_a
    )
    detail = assert_problem(reached, 422, "plan-impossible")["detail"]
    assert detail == "ana has already reached starter (starter)"


async def test_the_routes_are_documented_with_their_problems(client):
    schema = (await client.get("/openapi.json")).json()
    for route in ("plan", "next", "forecast"):
        operation = schema["paths"][f"/v1/learners/{{learner_id}}/{route}"]["get"]
        assert {"200", "401", "404", "422"} <= set(operation["responses"])
        assert "plan-impossible" in operation["responses"]["422"]["description"]
