"""The dashboard's card of xAPI statements that map to no learning event."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.adapters.memory.xapi import InMemoryXapiStore
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageLinks
from tests.conftest import FixedClock
from tests.support.xapi_statements import statement, xapi_school_source
from tests.web.conftest import NOW, SECRET, token
from tests.web.pagehtml import visible_text
from tests.web.test_i18n import english_ui_strings

pytestmark = pytest.mark.anyio
DASH = token(page="dashboard", learner="", hours=24 * 120)
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
QUIZ = "https://kana.example/quiz/hiragana/q1"


def _engine(xapi: bool = True) -> Levelwise:
    log = InMemoryEventLog()
    engine = Levelwise(
        log,
        FixedClock(NOW.isoformat()),
        metrics=InMemoryMetricStore(log),
        xapi=InMemoryXapiStore() if xapi else None,
        links=PageLinks(SECRET.encode()),
    )
    engine.put_program("s", xapi_school_source())
    return engine


@pytest.fixture
def engine() -> Levelwise:
    """A school with one mapped and two unmapped statements (one verb)."""
    engine = _engine()
    assert engine.xapi is not None
    client = engine.xapi.add_client("s")
    authority = engine.xapi.authority(client.client)
    sent = [
        statement(ANSWERED, QUIZ, result={"success": True}),
        statement(EXPERIENCED, "https://kana.example/pages/1", minutes=1),
        statement(EXPERIENCED, "https://kana.example/pages/2", minutes=2),
    ]
    engine.xapi.save("s", "2.0.0", sent, {}, authority)
    return engine


def card(html: str) -> str:
    return html.split('data-section="xapi"')[1].split("</section>")[0]


async def test_the_card_counts_what_maps_to_nothing(client, engine):
    r = await client.get("/pages/dashboard", params={"t": DASH})
    assert r.status_code == 200, r.text

    text = visible_text(card(r.text))
    assert "2 of the latest 3 statements map to no learning event." in text
    assert EXPERIENCED in text and ANSWERED not in text
    assert 'data-metric="xapi-unmapped" data-value="2"' in r.text


async def test_the_chinese_card_is_translated(client, engine):
    r = await client.get("/pages/dashboard", params={"t": DASH, "lang": "zh-CN"})

    text = visible_text(card(r.text))
    assert "没有映射的 xAPI 语句" in text and "原因" in text
    assert [s for s in english_ui_strings() if s in text] == []


async def test_a_school_without_statements_has_no_card():
    import httpx

    from levelwise.api import create_app
    from levelwise.web import mount_pages

    for engine in (_engine(xapi=True), _engine(xapi=False)):
        app = create_app(engine)
        mount_pages(app, engine, "https://school.test")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/pages/dashboard", params={"t": DASH})
        assert r.status_code == 200, r.text
        assert 'data-section="xapi"' not in r.text
