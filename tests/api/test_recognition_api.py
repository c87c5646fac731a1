"""The learner endpoint shows title, streak, badges and profile."""

from __future__ import annotations

import httpx
import pytest

from levelwise.app.engine import Levelwise
from tests.support.factories import SMALL_PROGRAM, answered, event

pytestmark = pytest.mark.anyio

BADGES = """\
badges:
  - id: talker
    title: First words
    on: question.answered
    where: correct
    tiers: [{tier: bronze, count: 1}, {tier: silver, count: 3}]
  - id: hidden
    title: Secret
    on: homework.submitted
    count: 1
    secret: true
titles:
  - {id: talker_title, name: Talker, badge: talker}
"""


async def test_learner_view_shows_recognition(
    engine: Levelwise, client: httpx.AsyncClient
) -> None:
    engine.put_program("school-r", SMALL_PROGRAM + BADGES)
    headers = {"Authorization": f"Bearer {engine.create_key('school-r', 't')}"}
    profile = event(
        "profile.updated", timezone="Asia/Shanghai", cohort="c7", team="red"
    )
    events = [profile, answered(True, minutes=1), answered(True, minutes=2)]
    response = await client.post("/v1/events", json=events, headers=headers)
    assert response.status_code == 200, response.text
    body = (await client.get("/v1/learners/ana", headers=headers)).json()
    rec = body["recognition"]
    assert rec["title"] == "talker_title" and rec["title_name"] == "Talker"
    assert (rec["cohort"], rec["team"], rec["timezone"]) == (
        "c7",
        "red",
        "Asia/Shanghai",
    )
    assert rec["streak"] == 1 and rec["public_boards"] is True
    talker = next(b for b in rec["badges"] if b["id"] == "talker")
    assert (talker["tier"], talker["count"], talker["next_tier"]) == (
        "bronze",
        2,
        "silver",
    )
    assert talker["next_count"] == 3
    assert all(b["id"] != "hidden" for b in rec["badges"])  # secret until earned
    assert body["counters"]["streak"] == 1.0


async def test_a_bad_time_zone_is_rejected_and_changes_nothing(
    engine: Levelwise, client: httpx.AsyncClient
) -> None:
    engine.put_program("school-r", SMALL_PROGRAM)
    headers = {"Authorization": f"Bearer {engine.create_key('school-r', 't')}"}
    bad = event("profile.updated", timezone="Nowhere/Town")
    response = await client.post("/v1/events", json=[bad], headers=headers)
    assert response.status_code == 422
    assert "unknown IANA time zone" in response.text
    assert (await client.get("/v1/learners/ana", headers=headers)).status_code == 404
