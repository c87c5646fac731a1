"""The team-task endpoints, over the in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from levelwise.app.engine import Levelwise
from levelwise.bootstrap import engine_over, memory_stores
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import SMALL_PROGRAM, event, watched

pytestmark = pytest.mark.anyio
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # ISO week 2026-W48
TASK = """
team_tasks:
  - id: class_watch
    title: Our class watches 3 lessons
    team: cohort
    window: week
    on: lesson.watched
    goal: 3
    reward: {xp: 50}
"""


@pytest.fixture
def engine() -> Levelwise:
    """An engine with team tasks (overrides the suite's engine)."""
    engine = engine_over(memory_stores(), FixedClock())
    engine.put_program("school", SMALL_PROGRAM + TASK)
    engine.ingest(
        "school",
        [
            event("profile.updated", learner="ana", cohort="7b", at=T),
            event("profile.updated", learner="bo", cohort="7b", at=T),
            watched(1200, learner="ana", at=T + timedelta(minutes=1)),
            watched(600, learner="ana", at=T + timedelta(minutes=2)),
        ],
    )
    return engine


@pytest.fixture
def key(engine: Levelwise) -> dict[str, str]:
    return {"X-API-Key": engine.create_key("school")}


async def test_a_learner_sees_their_class_and_their_part(client, key):
    r = await client.get(
        "/v1/learners/ana/teams", params={"at": "2026-11-25"}, headers=key
    )
    assert r.status_code == 200
    (task,) = r.json()["tasks"]
    assert (task["team"], task["window"], task["total"], task["goal"]) == (
        "7b",
        "2026-W48",
        2.0,
        3.0,
    )
    assert (task["given"], task["members"], task["met"]) == (2.0, 2, False)


async def test_a_teams_tasks_list_each_members_part(client, key, engine):
    engine.ingest("school", [watched(600, learner="bo", at=T + timedelta(minutes=3))])
    r = await client.get(
        "/v1/teams/7b/tasks", params={"window": "2026-W48"}, headers=key
    )
    assert r.status_code == 200
    (task,) = r.json()["tasks"]
    assert task["met"] is True and task["total"] == 3.0
    assert task["contributors"] == [
        {"learner": "ana", "given": 2.0},
        {"learner": "bo", "given": 1.0},
    ]


async def test_unknown_learner_and_bad_window_are_problems(client, key):
    r = await client.get("/v1/learners/nobody/teams", headers=key)
    assert_problem(r, 404, "learner-not-found")
    r = await client.get("/v1/teams/7b/tasks", params={"window": "W48"}, headers=key)
    assert_problem(r, 422, "invalid-request")


async def test_another_school_sees_nothing_of_this_one(client, engine):
    other = {"X-API-Key": engine.create_key("other")}
    engine.put_program("other", SMALL_PROGRAM + TASK)
    r = await client.get(
        "/v1/teams/7b/tasks", params={"window": "2026-W48"}, headers=other
    )
    assert r.status_code == 200
    (task,) = r.json()["tasks"]
    assert (task["total"], task["members"], task["contributors"]) == (0.0, 0, [])
    r = await client.get("/v1/learners/ana/teams", headers=other)
    assert_problem(r, 404, "learner-not-found")
