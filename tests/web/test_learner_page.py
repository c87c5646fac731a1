"""The learner page shows the API's numbers, embeds safely, and copes with edges."""

from __future__ import annotations

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.recognition.service import Boards
from levelwise.errors import PlanError
from tests.support.factories import SMALL_PROGRAM, answered, event
from tests.web.conftest import token
from tests.web.pagehtml import find, one

pytestmark = pytest.mark.anyio


async def page(client, learner="ana", **params) -> str:
    r = await client.get(
        f"/pages/learner/{learner}", params={"t": token(learner=learner), **params}
    )
    assert r.status_code == 200, r.text
    return r.text


async def test_the_page_shows_the_apis_numbers(client, key):
    api = (await client.get("/v1/learners/ana", headers=key)).json()
    rank = (await client.get("/v1/learners/ana/rank?window=week", headers=key)).json()
    html = await page(client)

    level = one(html, data_field="level")
    assert level.attrs["data-level"] == api["level"]["id"]
    assert level.text == api["level"]["title"]
    assert int(one(html, data_field="xp").attrs["data-value"]) == api["xp"] == 85
    streak = api["recognition"]["streak"]
    assert int(one(html, data_field="streak").attrs["data-value"]) == streak
    freezes = one(html, data_field="freezes").attrs["data-value"]
    assert int(freezes) == api["recognition"]["freezes"]
    assert int(one(html, data_field="rank").attrs["data-value"]) == rank["rank"]
    assert int(one(html, data_field="rank").attrs["data-count"]) == rank["count"]
    assert int(one(html, data_field="week-xp").attrs["data-value"]) == rank["xp"]
    shown = {
        g.attrs["data-gate"]: (
            float(g.attrs["data-current"]),
            float(g.attrs["data-target"]),
            float(g.attrs["data-progress"]),
            g.attrs["data-met"] == "true",
        )
        for g in find(html, class_="gate") + find(html, class_="gate met")
    }
    assert shown == {
        g["gate"]: (g["current"], g["target"], g["progress"], g["met"])
        for g in api["gates"]
    }
    xp_gate = find(html, data_gate="xp >= 100")[0]
    assert "Earn 100 XP" in xp_gate.text
    assert "85 so far" in xp_gate.text
    assert "85%" in xp_gate.text


AND_PROGRAM = SMALL_PROGRAM.replace(
    "      - xp >= 100\n      - units_completed includes [u1]\n",
    "      - xp >= 100 and units_completed includes [u1]\n",
)


async def test_each_part_of_an_and_gate_is_a_requirement_of_its_own(
    client, key, engine
):
    engine.put_program("s", AND_PROGRAM)
    api = (await client.get("/v1/learners/ana", headers=key)).json()
    html = await page(client)

    (gate,) = api["gates"]
    shown = {
        g.attrs["data-gate"]: (
            float(g.attrs["data-current"]),
            float(g.attrs["data-target"]),
            float(g.attrs["data-progress"]),
            g.attrs["data-met"] == "true",
        )
        for g in find(html, class_="gate") + find(html, class_="gate met")
    }
    assert shown == {
        p["gate"]: (p["current"], p["target"], p["progress"], p["met"])
        for p in gate["parts"]
    }
    assert "85 so far" in one(html, data_group="effort").text  # xp >= 100
    assert "1 of 1 done" in one(html, data_group="ability").text  # units_completed
    assert one(html, data_field="met").attrs["data-met"] == "1"
    assert one(html, data_field="met").attrs["data-total"] == "2"


async def test_the_page_shows_the_forecast_and_next_step_of_the_api(client, key):
    fc = (await client.get("/v1/learners/ana/forecast", headers=key)).json()
    nxt = (await client.get("/v1/learners/ana/next", headers=key)).json()
    html = await page(client)

    eta = one(html, data_field="eta")
    assert eta.attrs["data-median"] == fc["median_date"]
    assert eta.attrs["data-low"] == fc["low_date"]
    assert eta.attrs["data-high"] == fc["high_date"]
    assert "Jan 7, 2026" in eta.text
    assert one(html, data_section="next").attrs["data-status"] == nxt["status"]
    assert find(html, data_unit=nxt["step"]["unit"])


async def test_progress_bars_are_accessible(client):
    html = await page(client)

    bars = [e for e in find(html) if e.tag == "progress"]
    assert len(bars) == 2
    assert all(b.attrs["max"] == "1" and b.attrs["aria-label"] for b in bars)


async def test_receipts_are_newest_first_and_at_most_ten(client, key, engine):
    engine.ingest("s", [answered(True, minutes=20 + i) for i in range(12)])
    api = (await client.get("/v1/learners/ana/receipts?limit=10", headers=key)).json()
    html = await page(client)

    rows = parse_list(html)
    assert len(rows) == 10
    assert [r.attrs["data-kind"] for r in rows] == [x["kind"] for x in api["receipts"]]
    assert rows[0].text.startswith("+5 XP: Answer")  # the rule's id in words


def parse_list(html):
    return [e for e in find(html) if e.tag == "li" and "data-kind" in e.attrs]


async def test_the_tree_grows_with_the_learner(client, engine):
    before = one(await page(client), class_="growth-tree")
    engine.ingest(
        "s",
        [
            event("unit.completed", unit="u2", minutes=30),
            event("unit.completed", unit="u3", minutes=31),
        ],
    )
    after = one(await page(client), class_="growth-tree")

    assert int(after.attrs["data-leaves"]) == int(before.attrs["data-leaves"]) + 2
    assert before.attrs["aria-label"] == (
        "Growth tree: 2 branches, 1 leaf, and 0 blossoms"
    )


async def test_an_embedded_widget_is_compact_and_frameable(client):
    r = await client.get("/pages/learner/ana", params={"t": token(), "embed": "1"})

    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors https://school.test" in csp
    assert 'class="topbar"' not in r.text
    assert 'data-section="receipts"' not in r.text
    assert 'data-section="gates"' in r.text
    assert 'body class="embed"' in r.text
    assert 'data-met="true"' not in r.text
    assert 'data-met="1" data-total="2"' in r.text


async def test_a_normal_page_cannot_be_framed(client):
    r = await client.get("/pages/learner/ana", params={"t": token()})

    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "unsafe-inline" not in r.headers["content-security-policy"]


TOP_PROGRAM = (
    SMALL_PROGRAM.split("  - id: a1\n")[0]
    + SMALL_PROGRAM.split("      - dimension.vocabulary >= 0.5\n")[1]
)


async def test_a_learner_at_the_top_level_gets_a_page_that_says_so(client, engine):
    engine.put_program("s", TOP_PROGRAM)
    html = await page(client)

    assert one(html, data_section="forecast").attrs["data-status"] == "top"
    assert one(html, data_section="next").attrs["data-status"] == "top_level"
    assert "You have reached the top level." in html
    assert 'data-section="gates"' not in html


async def test_a_learner_without_a_reachable_date_gets_a_page_that_says_so(
    client, engine
):
    stuck = SMALL_PROGRAM.replace(
        "      - xp >= 100\n      - units_completed includes [u1]",
        "      - best_streak >= 50",
    )
    engine.put_program("s", stuck)
    html = await page(client)

    assert one(html, data_section="forecast").attrs["data-status"] == "none"
    assert "No date yet" in html


class RefusingGuidance:
    """Guidance whose plans cannot be made."""

    def overview(self, *args):
        raise PlanError("no plan")


async def test_plan_errors_still_render_the_page(client, engine: Levelwise):
    engine.guidance = RefusingGuidance()  # type: ignore[assignment]
    html = await page(client)

    assert one(html, data_section="forecast").attrs["data-status"] == "none"
    assert one(html, data_section="next").attrs["data-status"] == "stuck"
    assert not find(html, data_section="this-week")


async def test_without_boards_the_page_says_so(client, engine: Levelwise):
    engine.boards = Boards(engine.log, None, engine.clock)
    html = await page(client)

    assert "Leaderboards are not set up" in html


async def test_a_learner_without_xp_this_week_is_invited_to_the_board(client, engine):
    engine.ingest("s", [event("profile.updated", learner="cy", cohort="7b")])
    html = await page(client, learner="cy")

    assert "Earn XP this week to join the board." in html
