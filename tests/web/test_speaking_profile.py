"""The learner page's speaking profile, practice tip and speaking forecast."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageGrant, PageLinks
from levelwise.app.programs.loader import load_program
from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.web import labels, mount_pages
from levelwise.web.i18n import Lang
from levelwise.web.sparkline import HEIGHT, PAD, WIDTH, points, sparkline_svg
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, event, watched
from tests.unit.test_guidance_practice import talk
from tests.web.pagehtml import find, one, parse, visible_text
from tests.web.test_i18n import english_ui_strings

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = b"speaking-page-secret"
EN, ZH = Lang("en"), Lang("zh-CN")


def practised(weeks_ago: float, **metrics: float) -> dict:
    return event(
        "practice.completed",
        at=NOW - timedelta(weeks=weeks_ago),
        seconds=600,
        unit="p1",
        metrics=metrics,
    )


# Sessions a week apart: speech rate rises 60, 70, 80, 90; MLR stays at 3;
# MTLD is reported but the program uses it nowhere.
SESSIONS = [
    event("enrolment.started", at=NOW - timedelta(weeks=5)),
    *(
        practised(4 - i, speech_rate=60.0 + 10 * i, mean_length_of_run=3.0, mtld=30)
        for i in range(4)
    ),
]


def engine_with(program: str, *events: dict) -> Levelwise:
    engine = Levelwise(
        InMemoryEventLog(), FixedClock(NOW.isoformat()), links=PageLinks(SECRET)
    )
    engine.put_program("s", program)
    assert engine.ingest("s", list(events)).count("accepted") == len(events)
    return engine


async def client_for(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(engine)
    mount_pages(app, engine, "https://school.test")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as c:
        yield c


async def page(engine: Levelwise, lang: str = "en", learner: str = "ana") -> str:
    grant = PageGrant("s", "learner", learner, NOW + timedelta(hours=1))
    params = {"t": PageLinks(SECRET).sign(grant), "lang": lang}
    async for client in client_for(engine):
        response = await client.get(f"/pages/learner/{learner}", params=params)
        assert response.status_code == 200, response.text
        return response.text
    raise AssertionError("no client")


async def api(engine: Levelwise, path: str) -> dict:
    headers = {"X-API-Key": engine.create_key("s")}
    async for client in client_for(engine):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())
    raise AssertionError("no client")


async def test_the_speaking_section_shows_the_apis_trends():
    engine = engine_with(talk("dimension.speaking >= 0.9"), *SESSIONS)
    profile = (await api(engine, "/v1/learners/ana"))["speaking"]
    html = await page(engine)

    section = one(html, data_section="speaking")
    assert int(section.attrs["data-sessions"]) == profile["sessions"] == 4
    assert "4 practice sessions" in section.text
    rows = {r.attrs["data-metric"]: r for r in find(html, data_values="4")}
    # The program's measurement reads speech rate and MLR; MTLD is not shown.
    assert set(rows) == {"speech_rate", "mean_length_of_run"}
    for metric in profile["metrics"]:
        if metric["name"] not in rows:
            continue
        row = rows[metric["name"]]
        assert float(row.attrs["data-latest"]) == metric["latest"]
        assert float(row.attrs["data-slope"]) == metric["slope"]
    assert rows["speech_rate"].attrs["data-status"] == "improving"
    assert "90 wpm" in rows["speech_rate"].text
    assert "Improving" in rows["speech_rate"].text
    assert rows["mean_length_of_run"].attrs["data-status"] == "plateau"
    assert "No progress over the last 4 sessions" in rows["mean_length_of_run"].text
    # The line: one point a session, and its values in its accessible name.
    (line, _) = [e for e in parse(html) if e.attrs.get("class") == "sparkline"]
    assert line.attrs["data-points"] == "4"
    assert line.attrs["aria-label"] == (
        "Speech rate in the last 4 sessions: 60 wpm, 70 wpm, 80 wpm, and 90 wpm"
    )


async def test_the_page_shows_the_tip_the_eta_and_the_bottleneck():
    engine = engine_with(
        talk("speech_rate >= 100", "dimension.speaking >= 0.9"), *SESSIONS
    )
    nxt = await api(engine, "/v1/learners/ana/next")
    forecast = await api(engine, "/v1/learners/ana/forecast")
    html = await page(engine)

    tip = one(html, data_field="practice")
    assert tip.attrs["data-unit"] == nxt["practice"]["unit"]
    assert (tip.attrs["data-same"] == "true") == (
        nxt["practice"]["unit"] == nxt["step"]["unit"]
    )
    assert nxt["practice"]["scenario"] in tip.text
    assert nxt["practice"]["partner"] in tip.text
    shown = [
        (e.attrs["data-metric"], e.attrs["data-status"])
        for e in parse(html)
        if e.tag == "li" and "data-status" in e.attrs
    ]
    assert shown == [(n["metric"], n["status"]) for n in nxt["practice"]["metrics"]]
    assert len(shown) == 2
    (eta,) = forecast["speaking"]
    row = one(html, data_field="speaking-eta")
    assert row.attrs["data-requirement"] == eta["requirement"] == "speech_rate >= 100"
    assert int(row.attrs["data-sessions"]) == eta["sessions"] == 3
    assert float(row.attrs["data-weeks"]) == eta["weeks"]
    assert "Speech rate reaches 100 wpm in about 3 sessions, around" in row.text
    (found,) = forecast["bottlenecks"]
    note = one(html, data_field="bottleneck")
    assert note.attrs["data-metric"] == found["metric"] == "mean_length_of_run"
    assert "Words between pauses has not improved lately" in note.text
    assert "Speaking fluency" in note.text


async def test_the_chinese_page_translates_the_speaking_parts():
    engine = engine_with(
        talk("speech_rate >= 100", "dimension.speaking >= 0.9"), *SESSIONS
    )

    html = await page(engine, "zh-CN")

    text = visible_text(html)
    assert "口语练习" in text and "语速" in text and "每分钟 90 词" in text
    assert "最近 4 次练习没有进步" in text
    assert "大约再练习 3 次" in text
    leftovers = [s for s in english_ui_strings() if s in text]
    assert leftovers == []
    line = next(e for e in parse(html) if e.attrs.get("class") == "sparkline")
    assert line.attrs["aria-label"].startswith("语速 最近 4 次练习：")


async def test_a_learner_without_practice_is_invited_or_shown_nothing():
    with_units = engine_with(talk("xp >= 100"), watched(600, unit="l1", at=NOW))
    without = engine_with(SMALL_PROGRAM, watched(600, at=NOW))

    invited = await page(with_units)
    plain = await page(without)

    section = one(invited, data_section="speaking")
    assert section.attrs["data-sessions"] == "0"
    assert "No practice with the AI partner yet" in section.text
    assert find(invited, class_="speaking-table") == []
    assert find(plain, data_section="speaking") == []


# -- the pieces ----------------------------------------------------------------


def test_the_line_spans_the_values_range():
    drawn = points([60.0, 75.0, 90.0])

    assert [x for x, _ in drawn] == [PAD, WIDTH / 2, WIDTH - PAD]
    assert [y for _, y in drawn] == [HEIGHT - PAD, HEIGHT / 2, PAD]
    # A flat series lies in the middle; one value in the centre.
    assert {y for _, y in points([3.0, 3.0, 3.0])} == {HEIGHT / 2}
    assert points([7.0]) == [(WIDTH / 2, HEIGHT / 2)]
    assert points([]) == []


def test_the_line_escapes_its_label_and_marks_the_last_session():
    svg = sparkline_svg([1.0, 2.0], label='<b>"rate"</b>')

    assert "<b>" not in svg and "&lt;b&gt;&quot;rate&quot;&lt;/b&gt;" in svg
    assert len(re.findall(r"<circle ", svg)) == 2 and 'r="3"' in svg
    assert "<polyline" in svg
    assert "<polyline" not in sparkline_svg([1.0], label="one")


def test_every_practice_metric_has_a_translated_name():
    assert set(labels.METRICS) == set(PRACTICE_METRICS)
    assert all(
        labels.metric_label(name, ZH) != labels.metric_label(name, EN)
        for name in PRACTICE_METRICS
    )


@pytest.mark.parametrize(
    ("metric", "value", "en", "zh"),
    [
        ("speech_rate", 112.4, "112 wpm", "每分钟 112 词"),
        ("mid_clause_pause_rate", 6.25, "6.2 a minute", "每分钟 6.2 次"),
        ("mean_pause_duration", 0.456, "0.46 s", "0.46 秒"),
        ("phonation_time_ratio", 0.625, "62%", "62%"),
        ("mean_length_of_run", 6.24, "6.2", "6.2"),
        ("target_words_used", 3.0, "3", "3"),
    ],
)
def test_metric_values_carry_their_unit(metric, value, en, zh):
    assert labels.metric_value(metric, value, EN) == en
    assert labels.metric_value(metric, value, ZH) == zh


def test_a_metric_gate_is_an_ability_requirement_with_the_metrics_name():
    program = load_program(
        (files("levelwise.examples") / "programs" / "english.yaml").read_text(),
        "english.yaml",
    )

    assert labels.gate_label("speech_rate >= 80", program, EN) == labels.GateLabel(
        "Speech rate", "ability", "count"
    )
    assert labels.gate_label("mattr >= 0.7", program, ZH).kind == "share"
