"""``GET /v1/metrics``: class completion, drop-out and renewal by call-quality band."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.app.engine import Levelwise
from tests.api.conftest import client_for
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import FixedClock, scenario
from tests.support.quality_calls import Path, one_to_one, steady

pytestmark = pytest.mark.anyio
GOOD = Path(rtt_ms=60, jb_ms=30)  # 100 ms: good
BROKEN = Path(rtt_ms=1600, jb_ms=120)  # 960 ms: broken


@pytest.fixture
def engine() -> Levelwise:
    log = InMemoryEventLog()
    lw = Levelwise(
        log,
        FixedClock(),
        metrics=InMemoryMetricStore(log),
        quality=InMemoryQualityStore(),
    )
    lw.put_program("school", SMALL_PROGRAM)
    lw.ingest("school", scenario())
    return lw


@pytest.fixture
def auth(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school', 'test')}"}


@pytest.fixture
async def client(engine) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(engine) as c:
        yield c


async def post_class(client, auth, klass, learner, day, heard, left=None):
    start = datetime.fromisoformat(f"{day}T09:00:00+00:00").astimezone(UTC)
    lines = one_to_one(
        klass,
        200,
        steady(GOOD),
        lambda s: heard if left is None or s < left else None,
        learner_id=learner,
        start=start,
    )
    r = await client.post(
        f"/v1/live/{klass}/stats", json={"samples": lines}, headers=auth
    )
    assert r.status_code == 200, r.text


async def test_the_metrics_carry_outcomes_by_band(client, auth):
    # ana: a good class and a broken one she left after 50 of 200 s; bo: a
    # good class; cy: a broken class, stayed.
    await post_class(client, auth, "k1", "ana", "2026-01-06", GOOD)
    await post_class(client, auth, "k2", "ana", "2026-01-07", BROKEN, left=50)
    await post_class(client, auth, "k3", "bo", "2026-01-12", GOOD)
    await post_class(client, auth, "k4", "cy", "2026-01-13", BROKEN)

    r = await client.get("/v1/metrics", headers=auth)

    assert r.status_code == 200, r.text
    bands = r.json()["quality_bands"]
    assert bands["reference"] == "good"
    assert (bands["participations"], bands["ungraded"], bands["learners"]) == (4, 0, 3)
    rows = {x["band"]: x for x in bands["rows"]}
    assert list(rows) == ["good", "acceptable", "degraded", "broken"]
    good, broken = rows["good"], rows["broken"]
    assert good["participations"] == broken["participations"] == 2
    assert good["dropout"]["value"] == 0.0 and good["dropout"]["n"] == 2
    # ana left k2: 1 of the 2 broken participations; she stayed 50 of 199 s.
    assert broken["dropout"]["value"] == 0.5
    assert broken["completion"]["value"] == 0.5
    assert 0 < broken["dropout"]["low"] < 0.5 < broken["dropout"]["high"] < 1
    # Typical bands: ana good/broken tie -> broken, bo good, cy broken.
    assert (good["learners"], broken["learners"]) == (1, 2)
    # Renewal by typical band, of learners due (enrolled 8 weeks before 03-09):
    # ana (renewed 03-05) and cy (renewed 01-20) are broken; bo did not renew.
    assert broken["renewal"]["numerator"] == 2 and broken["renewal"]["n"] == 2
    assert good["renewal"]["numerator"] == 0 and good["renewal"]["n"] == 1
    comparisons = {c["metric"]: c for c in broken["comparisons"]}
    assert set(comparisons) == {"completion", "dropout", "renewal"}
    assert comparisons["dropout"]["difference"] == 0.5
    assert comparisons["dropout"]["enough"] is False
    assert comparisons["dropout"]["shortfall"] == {
        "what": "participations",
        "group": "good",
        "least": 10,
    }
    assert good["comparisons"] == []


async def test_filters_narrow_the_bands_to_the_learners_and_dates(client, auth):
    await post_class(client, auth, "k1", "ana", "2026-01-06", GOOD)
    await post_class(client, auth, "k3", "bo", "2026-01-12", BROKEN)

    blue = await client.get("/v1/metrics", params={"class": "blue"}, headers=auth)
    late = await client.get("/v1/metrics", params={"start": "2026-01-10"}, headers=auth)

    assert blue.json()["quality_bands"]["participations"] == 1  # bo only
    rows = {x["band"]: x for x in late.json()["quality_bands"]["rows"]}
    assert rows["good"]["participations"] == 0  # k1 started before the 10th
    assert rows["broken"]["participations"] == 1


async def test_a_school_without_calls_has_empty_bands(client, auth):
    r = await client.get("/v1/metrics", headers=auth)

    bands = r.json()["quality_bands"]
    assert bands["participations"] == 0
    assert all(x["dropout"]["value"] is None for x in bands["rows"])


async def test_a_server_without_call_quality_still_answers(auth):
    log = InMemoryEventLog()
    lw = Levelwise(log, FixedClock(), metrics=InMemoryMetricStore(log))
    lw.put_program("school", SMALL_PROGRAM)
    lw.ingest("school", scenario())
    key = {"Authorization": f"Bearer {lw.create_key('school', 'test')}"}
    async with client_for(lw) as c:
        r = await c.get("/v1/metrics", headers=key)

    assert r.status_code == 200
    assert r.json()["quality_bands"]["participations"] == 0


async def test_the_openapi_schema_describes_the_bands(client):
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]

    assert "quality_bands" in schema["DashboardPublic"]["properties"]
    row = schema["BandRowPublic"]["properties"]
    assert {"completion", "dropout", "renewal", "comparisons"} <= set(row)
    assert {"low", "high", "n"} <= set(schema["RatePublic"]["properties"])
