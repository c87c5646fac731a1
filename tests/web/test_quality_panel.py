"""The dashboard's class-quality panel and drop-out by band, in English and Chinese.

The school is the metrics scenario (``tests/support/metrics_support.py``) with
three one-to-one live classes whose statistics were posted:

- ``k-ana`` on 2026-01-06 (week of 01-05): ana hears the teacher 100 ms late
  all along (good) and stays;
- ``k-bo`` on 2026-01-12: bo hears 960 ms (broken) and leaves after 100 of
  300 s: a drop-out;
- ``k-cy`` on 2026-01-13: cy hears 350 ms (degraded) and stays.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageLinks
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import scenario
from tests.support.quality_calls import Path, one_to_one, steady
from tests.web.conftest import SECRET, token
from tests.web.pagehtml import find, one, visible_text
from tests.web.test_i18n import english_ui_strings

pytestmark = pytest.mark.anyio
DASH = token(page="dashboard", learner="", hours=24 * 120)
GOOD = Path(rtt_ms=60, jb_ms=30)  # 30 + 30 + 40 = 100 ms
SLOW = Path(rtt_ms=500, jb_ms=60)  # 250 + 60 + 40 = 350 ms
BROKEN = Path(rtt_ms=1600, jb_ms=120)  # 800 + 120 + 40 = 960 ms


def _class(engine: Levelwise, klass: str, learner: str, day: str, heard, left=None):
    start = datetime.fromisoformat(f"{day}T09:00:00+00:00").astimezone(UTC)
    lines = one_to_one(
        klass,
        300,
        steady(GOOD),
        lambda s: heard if left is None or s < left else None,
        learner_id=learner,
        unit="u3",
        start=start,
    )
    report = engine.quality.post("s", klass, lines)
    assert not report.rejected
    engine.quality.end("s", klass)


@pytest.fixture
def engine() -> Levelwise:
    """The metrics scenario's school with call quality (see the module docstring)."""
    from tests.conftest import FixedClock

    log = InMemoryEventLog()
    engine = Levelwise(
        log,
        FixedClock("2026-03-31T00:00:00+00:00"),
        metrics=InMemoryMetricStore(log),
        quality=InMemoryQualityStore(),
        links=PageLinks(SECRET.encode()),
    )
    engine.put_program("s", SMALL_PROGRAM)
    engine.ingest("s", scenario())
    return engine


@pytest.fixture
def calls(engine: Levelwise) -> Levelwise:
    _class(engine, "k-ana", "ana", "2026-01-06", GOOD)
    _class(engine, "k-bo", "bo", "2026-01-12", BROKEN, left=100)
    _class(engine, "k-cy", "cy", "2026-01-13", SLOW)
    return engine


async def page(client, **params) -> str:
    r = await client.get("/pages/dashboard", params={"t": DASH, **params})
    assert r.status_code == 200, r.text
    return r.text


def section(html: str) -> str:
    return html.split('data-section="call-quality"')[1].split("</section>")[0]


def quality_charts(html: str) -> dict[str, dict]:
    script = html.split('id="quality-chart-data">')[1].split("</script>")[0]
    return {c["id"]: c for c in json.loads(script)["charts"]}


async def test_the_panel_counts_classes_per_band_and_week(client, calls):
    html = await page(client)

    tiles = {t.attrs["data-band"]: t for t in find(html, class_="card tile band-tile")}
    assert {b: t.attrs["data-classes"] for b, t in tiles.items()} == {
        "good": "1",
        "acceptable": "0",
        "degraded": "1",
        "broken": "1",
    }
    assert "33% of 3 classes" in tiles["broken"].text
    dropouts = one(html, data_metric="dropouts", class_="card tile")
    assert (dropouts.attrs["data-value"], dropouts.attrs["data-n"]) == ("1", "3")
    weeks = html.split('data-table="quality-weeks"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-key="([\d-]+)"', weeks) == ["2026-01-05", "2026-01-12"]
    second = weeks.split('data-key="2026-01-12"')[1]
    assert re.findall(r'data-band="(\w+)" data-value="(\d+)"', second)[:4] == [
        ("good", "0"),
        ("acceptable", "0"),
        ("degraded", "1"),
        ("broken", "1"),
    ]
    chart = quality_charts(html)["quality-weeks"]
    assert chart["stack"] is True
    assert chart["categories"] == ["2026-01-05", "2026-01-12"]
    assert [s["name"] for s in chart["series"]] == [
        "Good",
        "Acceptable",
        "Degraded",
        "Broken",
    ]
    assert chart["series"][3]["data"] == [0.0, 1.0]


async def test_the_classes_that_broke_most_come_first(client, calls):
    html = await page(client)

    table = html.split('data-table="quality-breaking"')[1].split("</table>")[0]
    listed = re.findall(r'<tr data-class="([\w-]+)" data-band="(\w+)"', table)
    # k-bo was broken for 2/3 of the learner's time; k-cy only degraded;
    # k-ana (good) is no breaking class.
    assert listed == [("k-bo", "broken"), ("k-cy", "degraded")]
    # SMALL_PROGRAM's u3 has no title: its id is shown.
    assert re.findall(r"<td>(u3)</td>", table) == ["u3", "u3"]
    assert "1 / 1" in table  # k-bo: its one learner dropped out


async def test_dropout_by_band_shows_rates_intervals_and_sample_sizes(client, calls):
    html = await page(client)
    metrics = (await client.get("/v1/metrics", headers=await _key(calls))).json()
    bands = {r["band"]: r for r in metrics["quality_bands"]["rows"]}

    table = html.split('data-table="quality-bands"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-band="(\w+)">', table) == [
        "good",
        "acceptable",
        "degraded",
        "broken",
    ]
    broken = one(html, data_band="broken", data_rate="dropout")
    # bo dropped out of his one broken class: 1 of 1, Wilson [20.7%, 100%].
    assert broken.attrs["data-value"] == "1.0" and broken.attrs["data-n"] == "1"
    assert float(broken.attrs["data-low"]) == pytest.approx(0.2065, abs=1e-4)
    assert "100%" in broken.text and "[21%, 100%]" in broken.text
    assert float(broken.attrs["data-low"]) == pytest.approx(
        bands["broken"]["dropout"]["low"]
    )
    good = one(html, data_band="good", data_rate="dropout")
    assert good.attrs["data-value"] == "0.0"
    empty = one(html, data_band="acceptable", data_rate="dropout")
    assert empty.attrs["data-value"] == "" and "–" in empty.text
    # One class per band: no difference interval, and the page says why.
    difference = one(html, data_band="broken", data_metric="dropout")
    assert difference.attrs["data-enough"] == "false"
    assert difference.attrs["data-difference"] == "1.0"  # 100 % - 0 %
    assert "Not enough data: fewer than 10 participations in Good" in difference.text
    chart = quality_charts(html)["quality-bands"]
    assert chart["categories"] == ["Good", "Acceptable", "Degraded", "Broken"]
    assert chart["series"][1]["data"] == [0.0, None, 0.0, 100.0]


async def _key(engine: Levelwise) -> dict[str, str]:
    return {"X-API-Key": engine.create_key("s")}


async def test_the_dates_filter_the_classes_and_class_filters_the_learners(
    client, calls
):
    html = await page(client, start="2026-01-10", **{"class": "red"})

    # k-ana started before the 10th: not in the panel.
    tiles = {t.attrs["data-band"]: t for t in find(html, class_="card tile band-tile")}
    assert tiles["good"].attrs["data-classes"] == "0"
    assert tiles["broken"].attrs["data-classes"] == "1"
    # bo is in class blue: the outcomes by band keep only cy (red).
    counts = {
        e.attrs["data-band"]: e.attrs["data-value"]
        for e in find(html, data_count="participations")
    }
    assert counts == {"good": "0", "acceptable": "0", "degraded": "1", "broken": "0"}


async def test_without_classes_the_section_says_so(client, engine):
    html = await page(client)

    assert one(html, data_empty="call-quality").text == (
        "No live class in these dates has call-quality statistics."
    )
    assert 'id="quality-chart-data"' not in html


async def test_the_chinese_panel_is_translated(client, calls):
    html = await page(client, lang="zh-CN")
    text = visible_text(section(html))

    assert "直播课通话质量" in text and "极差" in text and "课中流失率" in text
    assert "数据不足" in text and "良好 组的上课人次少于 10" in text
    chart = quality_charts(html)["quality-bands"]
    assert chart["categories"] == ["良好", "尚可", "较差", "极差"]
    # Data stays as written (class ids, unit ids); no UI text is left English.
    ui = [s for s in english_ui_strings() if s in text]
    assert ui == []


async def test_the_english_panel_leaves_no_message_untranslated(client, calls):
    html = await page(client)
    text = visible_text(section(html))

    assert "Call quality of live classes" in text
    assert "The classes that broke most" in text
    assert "Against the good band" in text


async def test_classes_without_learners_have_no_outcomes_by_band(client, engine):
    # Only the teacher's statistics arrived: a class, no participation.
    lines = [
        x
        for x in one_to_one(
            "k-alone",
            60,
            steady(GOOD),
            steady(GOOD),
            start=datetime(2026, 1, 20, 9, tzinfo=UTC),
        )
        if x["role"] == "teacher"
    ]
    engine.quality.post("s", "k-alone", lines)

    html = await page(client)

    assert (
        one(html, class_="card tile band-tile", data_band="good").attrs["data-classes"]
        == "1"
    )
    assert 'data-table="quality-bands"' not in html
    assert list(quality_charts(html)) == ["quality-weeks"]
