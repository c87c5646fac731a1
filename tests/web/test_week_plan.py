"""The learner page's "this week": the plan's first week in plain words.

Each unit of week 1 (at the learner's pace) shows its name in the page's
language, its kind, its minutes and why it is there; a test shows its chance
to pass. Later weeks stay off the card, and there is no card without a plan.
"""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.boards import InMemoryBoardStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageLinks
from tests.conftest import FixedClock
from tests.support.factories import watched
from tests.web.conftest import NOW, SECRET, token
from tests.web.pagehtml import find, one, visible_text

pytestmark = pytest.mark.anyio

PROGRAM = """\
program: week-plan
version: "1"
title: Week Plan
languages: [en, zh-CN]
dimensions:
  - {id: vocabulary, title: {en: Vocabulary, zh-CN: 词汇}}
knowledge_points:
  - {id: kana, title: {en: Kana, zh-CN: 假名}, dimensions: [vocabulary]}
  - id: verbs
    title: {en: Verbs, zh-CN: 动词}
    dimensions: [vocabulary]
    prerequisites: [kana]
units:
  - {id: kana1, kind: lesson, minutes: 30, knowledge_points: [kana],
     title: {en: Kana one, zh-CN: 假名一}}
  - {id: kana2, kind: exercise, minutes: 30, knowledge_points: [kana],
     title: {en: Kana drill, zh-CN: 假名练习}}
  - {id: verbs1, kind: lesson, minutes: 30, knowledge_points: [verbs],
     title: {en: Verbs one, zh-CN: 动词一}}
  - {id: verbs2, kind: exercise, minutes: 30, knowledge_points: [verbs],
     title: {en: Verb drill, zh-CN: 动词练习}}
  - {id: club, kind: live_class, minutes: 45, knowledge_points: [kana, verbs],
     title: {en: Speaking club, zh-CN: 口语俱乐部}}
  - {id: n4_mock, kind: test, minutes: 60, pass_mark: 0.6,
     knowledge_points: [kana, verbs], title: {en: N4 mock test, zh-CN: N4模拟考试}}
levels:
  - id: start
  - id: n4
    title: {en: N4, zh-CN: N4级}
    gates:
      - passed includes [n4_mock]
      - watch_minutes >= 120
planning:
  weekly_minutes: 60
xp_rules:
  - {id: watching, on: lesson.watched, xp: seconds / 60}
"""
RAW = (">=", "includes [", "if(", "dimension.", "units_completed", "unit_kind")


def school(program: str = PROGRAM) -> Levelwise:
    engine = Levelwise(
        InMemoryEventLog(),
        FixedClock(NOW.isoformat()),
        InMemoryBoardStore(),
        links=PageLinks(SECRET.encode()),
    )
    engine.put_program("s", program)
    engine.ingest("s", [watched(600, unit="kana1")])
    return engine


@pytest.fixture
def engine() -> Levelwise:
    """ana has watched ten minutes of Kana one; the plan's pace is 60 min a week."""
    return school()


async def page(client, lang: str = "en") -> str:
    r = await client.get("/pages/learner/ana", params={"t": token(), "lang": lang})
    assert r.status_code == 200, r.text
    return r.text


@pytest.mark.parametrize(
    ("lang", "names", "reason"),
    [
        (
            "en",
            ["Kana one", "Kana drill"],
            "gets you ready for the N4 mock test",
        ),
        (
            "zh-CN",
            ["假名一", "假名练习"],
            "为N4模拟考试做准备",
        ),
    ],
)
async def test_the_card_shows_this_weeks_units_and_why(
    client, engine, lang, names, reason
):
    plan = engine.guidance.plan("s", "ana")
    weeks = dict(plan.weeks())
    assert len(weeks) > 1  # later weeks exist, and must stay off the card
    html = await page(client, lang)

    card = one(html, data_section="this-week")
    rows = find(html, class_="plan-step")
    assert [r.attrs["data-unit"] for r in rows] == [s.unit for s in weeks[1]]
    titles = [e.text for e in find(html, class_="plan-step-title")]
    assert titles == names
    assert reason in [e.text for e in find(html, data_field="why")]
    later = {s.unit for w, steps in weeks.items() if w > 1 for s in steps}
    assert later and not later & {r.attrs["data-unit"] for r in rows}
    assert [raw for raw in RAW if raw in card.text] == []
    minutes = one(html, data_field="week-minutes")
    assert float(minutes.attrs["data-minutes"]) == sum(s.minutes for s in weeks[1])


@pytest.mark.parametrize(
    ("lang", "more"), [("en", "and 1 more"), ("zh-CN", "还有 1 项")]
)
async def test_a_long_week_lists_five_units_and_says_how_many_more(
    client, engine, lang, more
):
    engine.put_program(
        "s", PROGRAM.replace("weekly_minutes: 60", "weekly_minutes: 900")
    )
    plan = engine.guidance.plan("s", "ana")
    units = list(dict.fromkeys(s.unit for s in plan.steps))
    assert len(units) == 6 and all(s.week == 1 for s in plan.steps)
    html = await page(client, lang)

    rows = find(html, class_="plan-step")
    assert [r.attrs["data-unit"] for r in rows] == units[:5]
    assert one(html, data_field="week-more").text == more
    assert one(html, data_section="this-week").attrs["data-more"] == "1"


async def test_a_test_in_the_first_five_shows_its_chance(client, engine):
    # Two units only before the mock test: it is among the week's first five.
    short = PROGRAM.replace("weekly_minutes: 60", "weekly_minutes: 900").replace(
        "      - watch_minutes >= 120\n", ""
    )
    engine.put_program("s", short)
    plan = engine.guidance.plan("s", "ana")
    (test,) = [s for s in plan.steps if s.kind == "test"]
    assert test.week == 1 and test.chance is not None
    percent = f"{round(100 * test.chance)}%"

    en = await page(client, "en")
    zh = await page(client, "zh-CN")

    row = one(en, data_unit="n4_mock", class_="plan-step")
    assert float(row.attrs["data-chance"]) == test.chance
    assert f"about {percent} chance to pass" in row.text
    assert "Mock test" in row.text
    assert "N4 mock test" in row.text
    zh_row = one(zh, data_unit="n4_mock", class_="plan-step")
    assert f"通过的可能性约为 {percent}" in zh_row.text
    assert "N4模拟考试" in zh_row.text and "模拟测试" in zh_row.text
    assert "chance" not in visible_text(zh).lower()


async def test_no_card_without_a_plan(client, engine):
    # Ten minutes of lessons are all the only level above asks: ana is at the top.
    engine.put_program(
        "s",
        PROGRAM.replace("      - passed includes [n4_mock]\n", "").replace(
            "watch_minutes >= 120", "watch_minutes >= 5"
        ),
    )
    html = await page(client)

    assert one(html, data_field="level").attrs["data-level"] == "n4"
    assert 'data-section="this-week"' not in html
    assert "Your plan this week" not in html
