"""Pages open only with a valid token for that page; refusals are HTML pages."""

from __future__ import annotations

import httpx
import pytest

from levelwise import bootstrap
from levelwise.app.engine import Levelwise
from tests.web.conftest import SECRET, token
from tests.web.test_links import signed, tampered

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "bad",
    [
        "",
        token(hours=-1),
        tampered(token(), t="other"),
        token(learner="bo"),
        token(page="dashboard", learner=""),
        token(secret="another-secret"),
    ],
    ids=["missing", "expired", "tampered", "wrong-learner", "wrong-page", "other-key"],
)
async def test_a_bad_token_gets_a_403_page(client, bad):
    r = await client.get("/pages/learner/ana", params={"t": bad})

    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-status="403"' in r.text
    assert "not valid or has expired" in r.text
    assert "ana" not in r.text.split("<main")[1].split("</main>")[0]


FORGED_EXPIRY = signed('{"e":100000000000000000000,"l":"ana","p":"learner","t":"s"}')
FORGED_DASHBOARD = signed('{"e":100000000000000000000,"l":"","p":"dashboard","t":"s"}')


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("/pages/learner/ana", FORGED_EXPIRY),
        ("/pages/dashboard", FORGED_DASHBOARD),
        ("/pages/dashboard/weeks.csv", FORGED_DASHBOARD),
        ("/pages/learner/ana", "x" * 2001),
        ("/pages/dashboard", "x" * 2001),
        ("/pages/dashboard/weeks.csv", "x" * 2001),
    ],
    ids=[
        "expiry-10^20-learner",
        "expiry-10^20-dashboard",
        "expiry-10^20-csv",
        "2001-chars-learner",
        "2001-chars-dashboard",
        "2001-chars-csv",
    ],
)
async def test_an_impossible_token_gets_the_403_page(client, path, bad):
    r = await client.get(path, params={"t": bad})

    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-status="403"' in r.text
    assert "not valid or has expired" in r.text


async def test_the_403_page_speaks_the_readers_language(client):
    r = await client.get(
        "/pages/learner/ana", params={"t": "x"}, headers={"Accept-Language": "zh-CN"}
    )

    assert r.status_code == 403
    assert '<html lang="zh-CN">' in r.text
    assert "此链接无效或已过期" in r.text


async def test_a_learner_token_does_not_open_the_dashboard(client):
    r = await client.get("/pages/dashboard", params={"t": token()})
    csv = await client.get("/pages/dashboard/weeks.csv", params={"t": token()})

    assert r.status_code == csv.status_code == 403


async def test_a_token_of_another_school_shows_nothing_of_this_one(client):
    r = await client.get("/pages/learner/ana", params={"t": token(tenant="other")})

    assert r.status_code == 409
    assert "85" not in r.text


async def test_an_unknown_learner_gets_a_404_page(client, engine: Levelwise):
    r = await client.get("/pages/learner/nobody", params={"t": token(learner="nobody")})

    assert r.status_code == 404
    assert 'data-status="404"' in r.text


async def test_static_files_are_served(client):
    css = await client.get("/pages/static/levelwise.css")
    js = await client.get("/pages/static/dashboard.js")
    charts = await client.get("/pages/static/vendor/echarts/echarts.min.js")

    assert css.status_code == js.status_code == charts.status_code == 200
    assert "PingFang SC" in css.text


async def test_the_servers_app_serves_the_pages(engine, monkeypatch):
    monkeypatch.setenv("LEVELWISE_PAGE_SECRET", SECRET)
    app = bootstrap.create_api(engine)
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
        r = await c.get("/pages/learner/ana", params={"t": token()})
        css = await c.get("/pages/static/levelwise.css")

    assert r.status_code == css.status_code == 200
    assert 'data-learner="ana"' in r.text
