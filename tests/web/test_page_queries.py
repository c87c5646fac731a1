"""Query strings the real services refuse are error pages, never 500s or JSON."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from tests.support.metrics_support import metrics_engine, scenario
from tests.web.conftest import token

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "path",
    [
        "/pages/dashboard",
        "/pages/dashboard/cohorts.csv",
        "/pages/dashboard/weeks.csv",
    ],
)
async def test_a_start_after_the_last_event_is_a_422_page(app, client, engine, path):
    real = metrics_engine(InMemoryEventLog(), "s", links=engine.links)
    real.ingest("s", scenario())  # the last event is on 2026-03-09
    app.state.engine = real
    later = token(page="dashboard", learner="", hours=24 * 120)

    r = await client.get(path, params={"t": later, "start": "2030-01-01"})

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-status="422"' in r.text
    assert "check the dates" in r.text
