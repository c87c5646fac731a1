"""``/v1/live``: samples in, reports, problems, alerts on the class stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path as FilePath

import httpx
import orjson
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.app.quality.service import DEGRADED
from tests.api.conftest import assert_problem, client_for
from tests.support.live_server import next_event, serve
from tests.support.quality_calls import (
    START,
    Path,
    expected_delay,
    one_to_one,
    steady,
)

ROOT = FilePath(__file__).resolve().parents[2]
PROGRAM = (ROOT / "src/levelwise/examples/programs/english.yaml").read_text()
GOOD = Path(rtt_ms=60, jb_ms=30)
BROKEN = Path(rtt_ms=1600, jb_ms=120)


class Clock:
    def now_iso(self) -> str:
        return (START + timedelta(hours=1)).isoformat()


def _engine() -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), Clock(), quality=InMemoryQualityStore())
    engine.put_program("school", PROGRAM)
    return engine


@pytest.fixture
def engine() -> Levelwise:
    return _engine()


@pytest.fixture
async def client(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(engine) as c:
        yield c


@pytest.fixture
def key(engine: Levelwise) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school', 'test')}"}


def _samples(klass: str, seconds: int, learner: Path = GOOD) -> list[dict]:
    lines = one_to_one(klass, seconds, steady(GOOD), steady(learner))
    for line in lines:
        line.pop("class")
    return lines


@pytest.mark.anyio
async def test_stats_are_taken_and_the_class_is_reported(client, key):
    samples = _samples("k1", 12)
    response = await client.post(
        "/v1/live/k1/stats", json={"samples": samples}, headers=key
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["class"] == "k1"
    assert body["accepted"] == 24 and body["rejected"] == []
    assert body["intervals"] == 22  # each participant's first sample is a baseline
    report = await client.get("/v1/live/k1/quality", headers=key)
    assert report.status_code == 200
    data = report.json()
    assert data["band"] == "good"
    assert {p["participant"] for p in data["participants"]} == {
        "teacher-1",
        "learner-1",
    }
    for p in data["participants"]:
        assert p["mean_delay_ms"] == expected_delay(GOOD)
        assert p["shares"] == {
            "good": 1.0,
            "acceptable": 0.0,
            "degraded": 0.0,
            "broken": 0.0,
        }
    assert data["verdict"].startswith("Good")


@pytest.mark.anyio
async def test_a_batch_with_bad_samples_lists_their_reasons(client, key):
    samples = _samples("k2", 4)
    samples[1]["role"] = "guest"
    response = await client.post(
        "/v1/live/k2/stats", json={"samples": samples}, headers=key
    )
    body = response.json()
    assert body["accepted"] == 7
    assert body["rejected"] == [
        {
            "index": 1,
            "participant": samples[1]["participant"],
            "reason": "role: must be 'teacher' or 'learner'",
        }
    ]


@pytest.mark.anyio
async def test_a_batch_with_no_good_sample_is_a_problem(client, key):
    response = await client.post(
        "/v1/live/k3/stats",
        json={"samples": [{"participant": "a", "role": "x"}]},
        headers=key,
    )
    body = assert_problem(response, 422, "quality-invalid")
    assert "sample 0: unknown field" not in body["detail"]
    assert "role" in body["detail"] or "at:" in body["detail"]


@pytest.mark.anyio
async def test_an_unknown_class_and_a_bad_class_id_are_problems(client, key):
    assert_problem(
        await client.get("/v1/live/nobody/quality", headers=key),
        404,
        "live-class-not-found",
    )
    response = await client.post(
        "/v1/live/a%20b/stats", json={"samples": _samples("x", 2)}, headers=key
    )
    assert_problem(response, 422, "invalid-request")


@pytest.mark.anyio
async def test_another_school_sees_nothing_of_a_class(client, key, engine):
    await client.post(
        "/v1/live/k4/stats", json={"samples": _samples("k4", 3)}, headers=key
    )
    other = {"Authorization": f"Bearer {engine.create_key('other', 'test')}"}
    assert_problem(
        await client.get("/v1/live/k4/quality", headers=other),
        404,
        "live-class-not-found",
    )


@pytest.mark.anyio
async def test_stats_need_a_key(client):
    response = await client.post("/v1/live/k5/stats", json={"samples": []})
    assert_problem(response, 401, "unauthenticated")


@pytest.mark.anyio
async def test_ending_a_class_answers_with_its_credits(client, key):
    await client.post(
        "/v1/live/k6/stats", json={"samples": _samples("k6", 5)}, headers=key
    )
    response = await client.post("/v1/live/k6/end", headers=key)
    assert response.status_code == 200
    assert response.json() == {"class": "k6", "policy": "drops", "credits": []}


@pytest.fixture
def served() -> Iterator[tuple[Levelwise, str, dict[str, str]]]:
    engine = _engine()
    engine.notifications.poll_seconds = 0.5
    headers = {"Authorization": f"Bearer {engine.create_key('school')}"}
    with serve(create_app(engine)) as url:
        yield engine, url, headers


def test_a_broken_class_alerts_on_its_live_stream(served):
    engine, base, headers = served
    samples = _samples("k7", 45, learner=BROKEN)
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        with client.stream("GET", "/v1/streams/classes/k7") as response:
            lines = response.iter_lines()
            for line in lines:
                if line == ": connected":
                    break
            posted = client.post("/v1/live/k7/stats", json={"samples": samples})
            assert posted.json()["alerts"] == [DEGRADED]
            got = next_event(lines)
    assert got["event"] == DEGRADED
    data = orjson.loads(got["data"])
    assert data["data"]["class"] == "k7"
    assert data["data"]["broken_seconds"]["learner-1"] > 30
