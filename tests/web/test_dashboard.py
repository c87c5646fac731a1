"""The operator dashboard: figures, charts with tables, filters, experiments, CSV."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from levelwise import bootstrap
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.metrics.service import (
    Comparison,
    Dashboard,
    ExperimentView,
    Figure,
    LevelRow,
    MetricFilter,
    MetricRow,
    Shortfall,
    WeekRow,
)
from levelwise.errors import (
    ConcurrencyError,
    MetricError,
    ProgramNotFoundError,
    StoreError,
)
from levelwise.web.dashboard_page import format_difference
from levelwise.web.i18n import Lang
from tests.conftest import FixedClock
from tests.support.metrics_support import metrics_engine, scenario
from tests.web.conftest import token
from tests.web.pagehtml import find, one, visible_text

pytestmark = pytest.mark.anyio
DASH = token(page="dashboard", learner="")


def fig(value, num=0.0, den=0.0, n=0) -> Figure:
    return Figure(value, num, den, n)


def row(key: str, completion: float | None = 0.8, active: int = 3) -> MetricRow:
    return MetricRow(
        key=key,
        learners=4,
        active=active,
        completion=fig(completion, 4, 5, 5),
        renewal=fig(0.5, 1, 2, 2),
        interactions_per_class=fig(1.25, 5, 4, 4),
        level_up_weeks=fig(2.5, 2.5, 3, 3),
        level_ups=3,
    )


def week(key: str, active: int = 3, partial: bool = False) -> WeekRow:
    return WeekRow(**vars(row(key, active=active)), partial=partial)


COMPARISONS = (
    Comparison(
        "completion",
        fig(0.6, 12, 20, 20),
        fig(0.75, 18, 24, 24),
        0.15,
        -0.05,
        0.33,
        True,
        "",
    ),
    Comparison(
        "level_up_weeks",
        fig(3.0, n=4),
        fig(2.0, n=3),
        None,
        None,
        None,
        False,
        "fewer than 10 level-ups in B",
        Shortfall("level-ups", "B", 10),
    ),
)
BOARD = Dashboard(
    tenant="s",
    as_of=date(2026, 1, 31),
    filter=MetricFilter(),
    cohorts=("2025-12", "2026-01"),
    classes=("blue", "red"),
    overall=row("all"),
    by_cohort=(row("2025-12"), row("2026-01", completion=None)),
    by_class=(row("blue"), row("red")),
    by_week=(week("2026-01-05", active=2), week("2026-01-12", active=4)),
    levels=(
        LevelRow("starter", "Starter", 3, 4, (("xp >= 100", 2), ("units", 1))),
        LevelRow("a1", "Breakthrough", 1, 1, ()),
    ),
    experiments=(
        ExperimentView(
            "coach", "A coach call", "A", (("A", 20), ("B", 24)), (("B", COMPARISONS),)
        ),
    ),
)


class FakeMetrics:
    """The metrics service, answering with a fixed dashboard and recording filters."""

    def __init__(self, board: Dashboard = BOARD, error: Exception | None = None):
        self.board = board
        self.error = error
        self.filters: list[MetricFilter] = []

    def dashboard(self, tenant, filter):
        self.filters.append(filter)
        if self.error is not None:
            raise self.error
        assert tenant == "s"
        return replace(self.board, filter=filter)

    def csv(self, tenant, filter, table):
        self.filters.append(filter)
        if self.error is not None:
            raise self.error
        return f"key,learners\r\n{table},4\r\n"


@pytest.fixture
def metrics(engine: Levelwise) -> FakeMetrics:
    fake = FakeMetrics()
    engine.metrics = fake  # type: ignore[assignment]
    return fake


async def dashboard(client, **params) -> str:
    r = await client.get("/pages/dashboard", params={"t": DASH, **params})
    assert r.status_code == 200, r.text
    return r.text


async def test_headline_figures_show_values_and_sample_sizes(client, metrics):
    html = await dashboard(client)

    tiles = {t.attrs["data-metric"]: t for t in find(html, class_="card tile")}
    assert set(tiles) == {
        "completion",
        "renewal",
        "interactions_per_class",
        "level_up_weeks",
        "active",
    }
    assert tiles["completion"].attrs["data-value"] == "0.8"
    assert tiles["completion"].attrs["data-n"] == "5"
    assert "80%" in tiles["completion"].text
    assert "n = 5" in tiles["completion"].text
    assert "1.2" in tiles["interactions_per_class"].text
    assert tiles["active"].attrs["data-value"] == "3.0"
    assert tiles["active"].attrs["data-n"] == "4"


async def test_chart_data_matches_the_tables(client, metrics):
    html = await dashboard(client)
    script = html.split('id="chart-data">')[1].split("</script>")[0]
    charts = {c["id"]: c for c in json.loads(script)["charts"]}

    assert set(charts) == {
        "weekly-rates",
        "weekly-activity",
        "cohorts",
        "classes",
        "levels",
        "funnel",
        "stuck",
    }
    rates = charts["weekly-rates"]
    assert rates["categories"] == ["2026-01-05", "2026-01-12"]
    assert rates["series"][0]["data"] == [80.0, 80.0]
    assert rates["series"][0]["symbol"] != rates["series"][1]["symbol"]
    assert charts["weekly-activity"]["series"][0]["data"] == [2.0, 4.0]
    assert charts["cohorts"]["series"][0]["data"] == [80.0, None]
    assert charts["funnel"]["series"][0]["data"] == [4.0, 1.0]
    assert charts["stuck"]["categories"] == ["Starter · xp >= 100", "Starter · units"]
    for chart_id in charts:
        assert one(html, data_chart=chart_id).attrs["role"] == "img"
    weeks = find(html, data_table="weekly-activity")[0]
    assert weeks.tag == "table"
    cells = find(html, data_metric="active", data_value="4")
    assert cells and cells[0].text == "4"
    assert [c.text for c in find(html, data_metric="stuck")] == ["2", "1"]


async def test_charts_are_drawn_by_our_script_and_the_vendored_echarts(client, metrics):
    html = await dashboard(client)

    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert [s.split("?v=")[0] for s in scripts] == [
        "/pages/static/vendor/echarts/echarts.min.js",
        "/pages/static/dashboard.js",
    ]
    assert "http://" not in html.split("<body")[1].replace("http://www.w3.org", "")
    for src in scripts:  # versioned by content: immutable in the browser's cache
        script = await client.get(src)
        assert script.status_code == 200
        assert "immutable" in script.headers["cache-control"]
        assert script.content  # and the right bytes
        stale = await client.get(src.split("?v=")[0] + "?v=0")
        assert "immutable" not in stale.headers.get("cache-control", "")


async def test_filters_reach_the_service_and_stay_in_the_form(client, metrics):
    html = await dashboard(
        client,
        cohort="2026-01",
        **{"class": "red"},
        start="2026-01-01",
        end="2026-01-31",
    )

    assert metrics.filters[-1] == MetricFilter(
        "2026-01", "red", date(2026, 1, 1), date(2026, 1, 31)
    )
    assert one(html, name="t").attrs["value"] == DASH
    assert 'value="2026-01" selected' in html
    assert 'value="red" selected' in html
    assert one(html, name="start").attrs["value"] == "2026-01-01"
    link = one(html, data_csv="weeks").attrs["href"]
    assert link.startswith(f"/pages/dashboard/weeks.csv?t={DASH}&cohort=2026-01")
    assert "class=red" in link and "start=2026-01-01" in link


async def test_the_menus_offer_none_and_keep_any_chosen_value(client, metrics):
    html = await dashboard(client, cohort="(none)", **{"class": "gone"})

    def chosen(name: str) -> list[str]:
        menu = html.split(f'<select name="{name}">')[1].split("</select>")[0]
        return re.findall(r'<option value="([^"]*)" selected>', menu)

    assert chosen("cohort") == ["(none)"]
    assert chosen("class") == ["gone"]  # not in the menu: still shown as chosen


async def test_empty_fields_are_left_out_and_unreadable_dates_refused(client, metrics):
    await dashboard(client, start="", end="", cohort="")
    assert metrics.filters[-1] == MetricFilter()

    page = await client.get("/pages/dashboard", params={"t": DASH, "end": "02-30"})
    csv = await client.get(
        "/pages/dashboard/weeks.csv", params={"t": DASH, "start": "soon"}
    )

    # The status of the API's one problem table (invalid-request).
    assert page.status_code == csv.status_code == 422
    assert 'data-status="422"' in page.text
    assert len(metrics.filters) == 1  # the service was not asked


async def test_experiments_show_differences_intervals_and_missing_data(client, metrics):
    html = await dashboard(client)

    enough = one(html, data_variant="B", data_metric="completion")
    assert enough.attrs["data-enough"] == "true"
    assert enough.attrs["data-difference"] == "0.15"
    assert "+15 pp" in enough.text
    assert "[−5 pp, 33 pp]" in enough.text
    assert "n = 20" in enough.text and "n = 24" in enough.text
    short = one(html, data_variant="B", data_metric="level_up_weeks")
    assert short.attrs["data-enough"] == "false"
    assert "Not enough data: fewer than 10 level-ups in B" in short.text
    assert one(html, data_arm="B").attrs["data-n"] == "24"


@pytest.mark.parametrize(
    ("metric", "difference", "low", "high", "shown", "interval"),
    [
        # A rate's difference below 0.05 points shows as 0, with no sign.
        ("completion", -0.0004, -0.05, 0.0004, "0 pp", "[−5 pp, 0 pp]"),
        ("renewal", 0.0004, -0.0004, 0.02, "0 pp", "[0 pp, 2 pp]"),
        ("completion", -0.0, -0.0, 0.0, "0 pp", "[0 pp, 0 pp]"),
        # Weeks are shown to 0.1: -0.04 is 0, -0.06 is −0.1.
        ("level_up_weeks", -0.04, -0.06, 0.04, "0", "[−0.1, 0]"),
        ("level_up_weeks", 0.06, -1.25, 1.5, "+0.1", "[−1.2, 1.5]"),
    ],
    ids=["rate-minus-0", "rate-plus-0", "negative-zero", "weeks-0", "weeks-0.1"],
)
def test_differences_that_round_to_zero_have_no_sign(
    metric, difference, low, high, shown, interval
):
    c = Comparison(metric, fig(0.5), fig(0.5), difference, low, high, True, "", None)

    text = format_difference(c, Lang("en"))

    assert text == (shown, interval)
    # No signed zero, and a real minus sign (U+2212), never a hyphen.
    assert not re.search(r"[−+-]0(?![.\d])", " ".join(text))
    assert "-" not in " ".join(text)


async def test_partial_weeks_are_marked_in_the_tables(client, metrics):
    metrics.board = replace(
        BOARD,
        by_week=(
            week("2026-01-05", partial=True),
            week("2026-01-12"),
            week("2026-01-19", partial=True),
        ),
    )

    html = await dashboard(client)

    for table in ("weekly-rates", "weekly-activity"):
        body = html.split(f'data-table="{table}"')[1].split("</table>")[0]
        marks = re.findall(r'data-key="([\d-]+)" data-partial="(\w+)"', body)
        assert marks == [
            ("2026-01-05", "true"),
            ("2026-01-12", "false"),
            ("2026-01-19", "true"),
        ]
    heads = [e.text for e in find(html, class_="partial-tag")]
    assert heads == ["(partial week)"] * 4
    assert len(find(html, data_note="partial")) == 2
    assert "drawn as a hollow point" in visible_text(html)


async def test_whole_weeks_carry_no_partial_mark(client, metrics):
    html = await dashboard(client)

    assert find(html, class_="partial-tag") == []
    assert find(html, data_note="partial") == []
    assert len(find(html, data_partial="false")) == 4


async def test_the_class_table_lists_every_class_the_chart_the_extremes(
    client, metrics
):
    classes = tuple(row(f"class-{i:02d}", completion=i / 50) for i in range(50))
    metrics.board = replace(BOARD, by_class=classes)

    html = await dashboard(client)
    script = html.split('id="chart-data">')[1].split("</script>")[0]
    chart = {c["id"]: c for c in json.loads(script)["charts"]}["classes"]

    table = html.split('data-table="classes"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr data-key=", table)) == 50
    assert len(chart["categories"]) == 10
    note = one(html, data_note="classes")
    assert note.text == (
        "Showing the top 5 and bottom 5 of 50 classes by completion rate; "
        "the table lists them all."
    )


async def test_the_chinese_dashboard_is_translated(client, metrics):
    html = await dashboard(client, lang="zh-CN")
    text = visible_text(html)

    assert '<html lang="zh-CN">' in html
    assert "完课率" in text and "数据不足" in text
    short = one(html, data_variant="B", data_metric="level_up_weeks")
    assert "B 组的升级记录少于 10" in short.text
    for english in ("Completion rate", "Not enough data", "Download as CSV", "Apply"):
        assert english not in text


async def test_csv_exports_keep_the_filters(client, metrics):
    r = await client.get(
        "/pages/dashboard/levels.csv", params={"t": DASH, "class": "red"}
    )

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="levels.csv"' in r.headers["content-disposition"]
    assert r.text == "key,learners\r\nlevels,4\r\n"
    assert metrics.filters[-1] == MetricFilter(klass="red")


async def test_an_unknown_csv_table_is_not_found(client, metrics):
    r = await client.get("/pages/dashboard/secrets.csv", params={"t": DASH})

    assert r.status_code in (404, 422)


@pytest.mark.parametrize(
    ("error", "status"),
    [(MetricError("end before start"), 422), (StoreError("down"), 503)],
    ids=["filter", "store"],
)
async def test_service_errors_are_pages(client, engine, error, status):
    engine.metrics = FakeMetrics(error=error)

    page = await client.get("/pages/dashboard", params={"t": DASH})
    csv = await client.get("/pages/dashboard/weeks.csv", params={"t": DASH})

    assert page.status_code == csv.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-status="{status}"' in page.text


async def test_no_program_is_a_page(client, engine):
    engine.metrics = FakeMetrics(error=ProgramNotFoundError("none"))

    page = await client.get("/pages/dashboard", params={"t": DASH})
    csv = await client.get("/pages/dashboard/weeks.csv", params={"t": DASH})

    assert page.status_code == csv.status_code == 409


async def test_an_error_no_page_expects_goes_to_the_apps_handler(client, engine):
    engine.metrics = FakeMetrics(error=ConcurrencyError("another writer"))

    page = await client.get("/pages/dashboard", params={"t": DASH})

    assert page.status_code == 503  # the API's mapping, not a page's
    assert page.headers["content-type"] == "application/problem+json"
    assert page.headers["retry-after"] == "1"


async def test_the_real_metrics_service_renders(app, client, engine):
    real = metrics_engine(InMemoryEventLog(), "s", links=engine.links)
    real.ingest("s", scenario())
    app.state.engine = real

    later = token(page="dashboard", learner="", hours=24 * 120)
    r = await client.get("/pages/dashboard", params={"t": later})
    csv = await client.get("/pages/dashboard/cohorts.csv", params={"t": later})

    assert r.status_code == 200, r.text
    html = r.text
    overall = real.metrics.dashboard("s", MetricFilter()).overall
    tile = one(html, data_metric="completion", class_="card tile")
    assert tile.attrs["data-n"] == str(overall.completion.n)
    assert csv.status_code == 200
    assert csv.text.splitlines()[0]


def test_the_servers_engine_has_metrics():
    engine = bootstrap.build("memory", clock=FixedClock("2026-01-07T00:00:00+00:00"))

    assert engine.metrics.store is not None
