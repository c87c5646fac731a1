"""Speaking in GET /v1/learners/{id} (the profile), /next and /forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.domain.events import utc_key
from tests.conftest import FixedClock
from tests.support.factories import event, watched
from tests.unit.test_guidance_practice import talk

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(InMemoryEventLog(), FixedClock(NOW.isoformat()))


def practised(at: datetime, **metrics: float) -> dict[str, Any]:
    return event("practice.completed", at=at, seconds=600, unit="p1", metrics=metrics)


async def school(
    client: httpx.AsyncClient, engine: Levelwise, gates: tuple[str, ...], *events
) -> dict[str, str]:
    engine.put_program("s", talk(*gates))
    headers = {"Authorization": f"Bearer {engine.create_key('s', 'test')}"}
    response = await client.post("/v1/events", json=list(events), headers=headers)
    assert response.status_code == 200, response.text
    assert all(r["status"] == "accepted" for r in response.json()["results"])
    return headers


async def test_the_learner_shows_each_metrics_trend(client, engine):
    times = [NOW - timedelta(days=24 - 2 * i) for i in range(12)]
    rates = [50.0 + 5 * i for i in range(12)]
    events = [
        practised(at, speech_rate=rate, mean_length_of_run=3.0)
        for at, rate in zip(times, rates, strict=True)
    ]
    headers = await school(client, engine, ("xp >= 500",), *events)

    body = (await client.get("/v1/learners/ana", headers=headers)).json()

    speaking = body["speaking"]
    assert speaking["sessions"] == 12
    assert speaking["last_at"] == utc_key(times[-1])
    rate, run = speaking["metrics"]
    # The last 10 sessions, oldest first, with their times.
    assert rate["name"] == "speech_rate" and rate["unit"] == "wpm"
    assert rate["values"] == rates[2:]
    assert rate["at"] == [utc_key(t) for t in times[2:]]
    assert rate["latest"] == 105.0
    assert rate["slope"] == 5.0
    assert (rate["better"], rate["improving"], rate["plateau"]) == (1, True, False)
    assert run["name"] == "mean_length_of_run"
    assert (run["slope"], run["improving"], run["plateau"]) == (0.0, False, True)
    assert speaking["plateaus"] == ["mean_length_of_run"]


async def test_a_learner_without_practice_has_an_empty_profile(client, engine):
    headers = await school(
        client, engine, ("xp >= 500",), watched(600, unit="l1", at=NOW)
    )

    body = (await client.get("/v1/learners/ana", headers=headers)).json()

    assert body["speaking"] == {
        "sessions": 0,
        "last_at": None,
        "metrics": [],
        "plateaus": [],
    }


def rising() -> list[dict[str, Any]]:
    """Enrolled five weeks ago; sessions a week apart at 60, 70, 80, 90 wpm."""
    return [
        event("enrolment.started", at=NOW - timedelta(weeks=5)),
        *(
            practised(NOW - timedelta(weeks=4 - i), speech_rate=60.0 + 10 * i)
            for i in range(4)
        ),
    ]


async def test_next_recommends_the_scenario_for_the_speaking_gate(client, engine):
    headers = await school(client, engine, ("speech_rate >= 100",), *rising())

    body = (await client.get("/v1/learners/ana/next", headers=headers)).json()

    tip = body["practice"]
    assert body["step"]["unit"] == tip["unit"] == "p1"
    assert (tip["scenario"], tip["partner"]) == ("Ordering food", "waiter")
    assert tip["requirement"] == body["requirement"] == "speech_rate >= 100"
    # Mean of 60..90 is 75; 25 to go at 10 a session: 3 sessions.
    assert (tip["current"], tip["target"], tip["sessions"]) == (75.0, 100.0, 3)
    assert tip["metrics"] == [
        {"metric": "speech_rate", "value": 90.0, "status": "improving", "sessions": 4}
    ]
    assert body["reason"] == tip["reason"]


async def test_next_has_no_tip_without_a_speaking_requirement(client, engine):
    headers = await school(client, engine, ("xp >= 500",), *rising())

    body = (await client.get("/v1/learners/ana/next", headers=headers)).json()

    assert body["status"] == "study" and body["practice"] is None


async def test_the_forecast_dates_the_speaking_gate_and_flags_plateaus(client, engine):
    flat = [
        practised(NOW - timedelta(weeks=4 - i), speech_rate=60.0 + 10 * i, mtld=30.0)
        for i in range(4)
    ]
    headers = await school(
        client,
        engine,
        ("speech_rate >= 100", "mtld >= 40"),
        event("enrolment.started", at=NOW - timedelta(weeks=5)),
        *flat,
    )

    body = (await client.get("/v1/learners/ana/forecast", headers=headers)).json()

    rate, lexis = body["speaking"]
    # 3 sessions at 4 sessions in 5 weeks: 3.75 weeks.
    assert (rate["requirement"], rate["sessions"], rate["per_week"]) == (
        "speech_rate >= 100",
        3,
        0.8,
    )
    assert rate["weeks"] == 3.75
    assert rate["met_on"] == (date(2026, 3, 2) + timedelta(weeks=3.75)).isoformat()
    # MTLD does not move: no date, and a predicted bottleneck.
    assert lexis["metric"] == "mtld" and lexis["current"] == 30.0
    assert lexis["sessions"] is None and lexis["met_on"] is None
    assert lexis["plateau"] is True
    assert body["plateaus"] == ["mtld"]
    assert body["bottlenecks"] == [{"metric": "mtld", "requirements": ["mtld >= 40"]}]
