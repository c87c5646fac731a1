"""Both pages in a real browser, on the demo school: the numbers shown are the API's.

Each test reads what Chromium displays (text and the page's data attributes)
and compares it with the JSON API's answer for the same learner or filter.
Screenshots of both pages in both languages are saved for the README.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.simulate.calls import CallPlan, batches, plan_calls
from levelwise.app.simulate.school import simulate
from tests.browser.conftest import NOW, PROGRAM, TENANT, School
from tests.conftest import FixedClock

pytestmark = pytest.mark.browser

RATES = ("completion", "renewal")


def _digits(text: str) -> str:
    """The digits of a displayed number ("1,234" and "1 234" both give "1234")."""
    return re.sub(r"\D", "", text)


def _close(shown: str, exact: float | None, places: int = 6) -> bool:
    if exact is None:
        return shown == ""
    return abs(float(shown) - exact) < 10**-places


def _shows(text: str, exact: float) -> bool:
    """Whether ``text`` displays ``exact`` to the decimals it shows."""
    number = re.search(r"\d[\d,]*(\.\d+)?", text)
    assert number, text
    decimals = len(number.group(1) or ".") - 1
    return float(number.group(0).replace(",", "")) == round(exact, decimals)


def test_learner_page_shows_the_apis_level_xp_and_requirements(
    school: School, page: Any, shots: Path
) -> None:
    learner = school.learners[0]
    view = school.api.get(f"/v1/learners/{learner}").json()
    page.goto(school.link("learner", learner))

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-field=level]").inner_text() == view["level"]["title"]
    xp = page.locator("[data-field=xp]")
    assert int(xp.get_attribute("data-value")) == view["xp"]
    assert _digits(xp.inner_text()) == str(view["xp"])
    gates = page.locator("[data-gate]")
    assert gates.count() == len(view["gates"]) > 0
    for gate in view["gates"]:
        shown = page.locator(f'[data-gate="{gate["gate"]}"]')
        assert float(shown.get_attribute("data-current")) == pytest.approx(
            gate["current"]
        )
        assert float(shown.get_attribute("data-target")) == pytest.approx(
            gate["target"]
        )
        assert (shown.get_attribute("data-met") == "true") == gate["met"]
        assert shown.inner_text().strip()
        assert ">=" not in shown.inner_text()
    tree = page.locator("svg[data-leaves]")
    assert int(tree.get_attribute("data-leaves")) == len(view["units_completed"])
    assert int(tree.get_attribute("data-blossoms")) >= 1
    assert tree.bounding_box()["height"] > 100  # drawn, not just in the DOM
    page.screenshot(path=str(shots / "learner-en.png"), full_page=True)


RAW = (">=", "includes [", "if(", "dimension.", "units_completed", "unit_kind")
"""What an expression or a formula looks like: never visible to a learner."""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_learner_pages_speak_plain_words_on_phones_and_desktops(
    school: School, browser: Any, width: int, lang: str
) -> None:
    program = school.api.get("/v1/programs/current").json()
    dimensions = len(program["dimensions"])
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        # The best placed learner and a beginner: both read plain words.
        for learner in (school.learners[0], school.learners[-1]):
            view = school.api.get(f"/v1/learners/{learner}").json()
            tab.goto(school.link("learner", learner) + f"&lang={lang}")
            text = tab.locator("main").inner_text()

            assert [raw for raw in RAW if raw in text] == [], learner
            teachers = tab.locator("details.for-teachers").first
            assert not teachers.evaluate("d => d.open")
            if view["next_level"] is not None:
                scales = tab.locator("[data-field=scale]")
                assert scales.count() >= 1
                assert all(x.strip() for x in scales.all_inner_texts())
            names = tab.locator("svg.growth-tree text.tree-label")
            assert names.count() == dimensions
            for n in range(dimensions):
                label = names.nth(n)
                assert label.is_visible()
                box = label.bounding_box()
                assert box is not None and box["height"] >= 8  # readable
                tree = tab.locator("svg.growth-tree").bounding_box()
                assert tree["x"] <= box["x"] and box["x"] + box["width"] <= (
                    tree["x"] + tree["width"] + 1
                )
            assert tab.locator("[data-field=next-flower]").is_visible()
            _shows_this_week(school, tab, learner, view, lang, width)
            assert tab.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def _shows_this_week(
    school: School, tab: Any, learner: str, view: dict[str, Any], lang: str, width: int
) -> None:
    """The "this week" card lists the API plan's week 1, each with its reason."""
    card = tab.locator("[data-section=this-week]")
    if view["next_level"] is None:
        assert card.count() == 0
        return
    plan = school.api.get(f"/v1/learners/{learner}/plan", params={"lang": lang})
    first: dict[str, dict[str, Any]] = {}
    for step in plan.json()["steps"]:
        if step["week"] == 1:
            first.setdefault(step["unit"], step)
    assert first, learner  # the plan's first step is always in week 1
    assert card.is_visible()
    rows = card.locator(".plan-step")
    shown = [rows.nth(i).get_attribute("data-unit") for i in range(rows.count())]
    assert shown == list(first)[:5]
    for i, unit in enumerate(shown):
        why = rows.nth(i).locator("[data-field=why]").inner_text()
        step = first[unit]
        # A test says its chance to pass instead, in the page's own words.
        assert why.strip() if step["kind"] == "test" else why == step["reason_text"]
        assert rows.nth(i).locator(".plan-step-title").inner_text().strip()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width


def test_a_beginner_and_the_best_learner_grow_different_trees(
    school: School, page: Any
) -> None:
    trees = []
    for learner in (school.learners[-1], school.learners[0]):
        page.goto(school.link("learner", learner))
        tree = page.locator("svg.growth-tree")
        trees.append(
            (
                int(tree.get_attribute("data-blossoms")),
                float(tree.get_attribute("data-height")),
            )
        )
    (few, short), (many, tall) = trees

    assert many > few
    assert tall > short


def test_learner_page_shows_the_apis_streak_rank_and_forecast(
    school: School, page: Any
) -> None:
    # From a third down the ranking, the first learner on this week's board.
    learner, rank = next(
        (x, r)
        for x in school.learners[len(school.learners) // 3 :]
        if (
            r := school.api.get(
                f"/v1/learners/{x}/rank", params={"window": "week"}
            ).json()
        )["rank"]
    )
    view = school.api.get(f"/v1/learners/{learner}").json()
    forecast = school.api.get(f"/v1/learners/{learner}/forecast").json()
    page.goto(school.link("learner", learner))

    streak = page.locator("[data-field=streak]")
    assert int(streak.get_attribute("data-value")) == view["recognition"]["streak"]
    assert _digits(streak.inner_text()) == str(view["recognition"]["streak"])
    shown_rank = page.locator("[data-field=rank]")
    assert int(shown_rank.get_attribute("data-value")) == rank["rank"]
    eta = page.locator("[data-field=eta]")
    if forecast.get("median_date"):
        assert eta.get_attribute("data-median") == forecast["median_date"]
    receipts = page.locator("[data-kind]")
    assert 0 < receipts.count() <= 10


def test_language_follows_the_switch_and_the_browser(
    school: School, browser: Any, page: Any, shots: Path
) -> None:
    learner = school.learners[0]
    page.goto(school.link("learner", learner))
    english = page.locator("main").inner_text()
    page.locator('nav.langs a[hreflang="zh-CN"]').click()
    page.wait_for_load_state("load")

    assert page.locator("html").get_attribute("lang") == "zh-CN"
    chinese = page.locator("main").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", chinese)
    assert "Units completed" in english and "Units completed" not in chinese
    # The same numbers in either language.
    xp = page.locator("[data-field=xp]").get_attribute("data-value")
    assert int(xp) == school.api.get(f"/v1/learners/{learner}").json()["xp"]
    page.screenshot(path=str(shots / "learner-zh-CN.png"), full_page=True)

    context = browser.new_context(locale="zh-CN")
    try:
        tab = context.new_page()
        tab.goto(school.link("dashboard"))
        assert tab.locator("html").get_attribute("lang") == "zh-CN"
        assert "School dashboard" not in tab.locator("main").inner_text()
    finally:
        context.close()


def _tiles(page: Any) -> dict[str, tuple[str, int]]:
    tiles = page.locator(".tiles [data-metric]")
    return {
        tiles.nth(i).get_attribute("data-metric"): (
            tiles.nth(i).get_attribute("data-value"),
            int(tiles.nth(i).get_attribute("data-n")),
        )
        for i in range(tiles.count())
    }


def test_dashboard_shows_the_apis_figures_and_draws_every_chart(
    school: School, page: Any, shots: Path
) -> None:
    metrics = school.api.get("/v1/metrics").json()
    page.goto(school.link("dashboard"))
    page.wait_for_selector("body[data-ready]", state="attached")

    overall = metrics["overall"]
    tiles = _tiles(page)
    for name in (*RATES, "interactions_per_class", "level_up_weeks"):
        value, n = tiles[name]
        assert _close(value, overall[name]["value"]), name
        assert n == overall[name]["n"], name
    assert float(tiles["active"][0]) == overall["active"]
    completion = page.locator('.tiles [data-metric="completion"] .tile-value')
    assert _shows(completion.inner_text(), overall["completion"]["value"] * 100)
    levels = page.locator('[data-table="levels"] tbody tr')
    assert levels.count() == len(metrics["levels"])
    for i, row in enumerate(metrics["levels"]):
        cells = levels.nth(i)
        assert cells.get_attribute("data-key") == row["level"]
        current = cells.locator('[data-metric="current"]').get_attribute("data-value")
        assert float(current) == row["current"]
    # Each chart is drawn (SVG) and described for screen readers.
    charts = page.locator("[data-chart]")
    assert charts.count() >= 5
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("svg").count() >= 1
        assert chart.get_attribute("aria-label")
    page.screenshot(path=str(shots / "dashboard-en.png"), full_page=True)
    page.goto(page.url + "&lang=zh-CN")
    page.wait_for_selector("body[data-ready]", state="attached")
    assert _tiles(page) == tiles
    page.screenshot(path=str(shots / "dashboard-zh-CN.png"), full_page=True)


def test_dashboard_experiment_shows_the_apis_arms_and_intervals(
    school: School, page: Any
) -> None:
    metrics = school.api.get("/v1/metrics").json()
    (experiment,) = metrics["experiments"]
    page.goto(school.link("dashboard"))

    table = page.locator(f'[data-experiment="{experiment["id"]}"]')
    for arm, size in experiment["sizes"]:
        assert int(table.locator(f'[data-arm="{arm}"]').get_attribute("data-n")) == size
    for variant, comparisons in experiment["comparisons"]:
        for c in comparisons:
            row = table.locator(
                f'[data-variant="{variant}"][data-metric="{c["metric"]}"]'
            )
            assert row.get_attribute("data-enough") == str(c["enough"]).lower()
            assert _close(row.get_attribute("data-low") or "", c["low"])
            assert _close(row.get_attribute("data-high") or "", c["high"])
            if not c["enough"]:
                assert "Not enough data" in row.inner_text()


def test_dashboard_filter_form_matches_the_filtered_api(
    school: School, page: Any
) -> None:
    page.goto(school.link("dashboard"))
    page.select_option('select[name="class"]', "class-02")
    page.locator('form.filters button[type="submit"]').click()
    page.wait_for_selector("body[data-ready]", state="attached")

    assert "class=class-02" in page.url and "t=" in page.url
    metrics = school.api.get("/v1/metrics", params={"class": "class-02"}).json()
    tiles = _tiles(page)
    assert tiles["completion"][1] == metrics["overall"]["completion"]["n"]
    assert float(tiles["active"][0]) == metrics["overall"]["active"]
    everyone = school.api.get("/v1/metrics").json()["overall"]
    assert metrics["overall"]["learners"] < everyone["learners"]


def test_dashboard_csv_export_is_the_apis_csv(school: School, page: Any) -> None:
    page.goto(school.link("dashboard"))
    with page.expect_download() as download:
        page.locator('[data-csv="levels"]').click()
    text = Path(download.value.path()).read_text(encoding="utf-8")

    api = school.api.get("/v1/metrics/levels.csv")
    assert api.status_code == 200
    assert text == api.text
    assert text.splitlines()[0].startswith("level")


def _width(page: Any) -> int:
    """The page's scrolling width: wider than the viewport scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_both_pages_fit_a_390_px_phone(school: School, browser: Any, lang: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB"
    )
    try:
        tab = context.new_page()
        tab.goto(school.link("dashboard") + f"&lang={lang}")
        tab.wait_for_selector("body[data-ready]", state="attached")
        assert _width(tab) <= 390
        # Every card and chart is on screen; wide tables scroll in their box.
        for card in tab.locator(".chart-card, .chart, .table-scroll").all():
            box = card.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390

        tab.goto(school.link("learner", school.learners[0]) + f"&lang={lang}")
        tab.wait_for_load_state("load")
        assert _width(tab) <= 390
    finally:
        context.close()


def test_dashboard_marks_the_partial_last_week(school: School, page: Any) -> None:
    # The school's clock is a Thursday: its last week has four days in range.
    weeks = school.api.get("/v1/metrics").json()["by_week"]
    assert weeks[-1]["partial"] is True
    assert not any(w["partial"] for w in weeks[:-1])
    page.goto(school.link("dashboard"))
    page.wait_for_selector("body[data-ready]", state="attached")

    for table in ("weekly-rates", "weekly-activity"):
        rows = page.locator(f'[data-table="{table}"] tbody tr')
        assert rows.count() == len(weeks)
        last = rows.nth(len(weeks) - 1)
        assert last.get_attribute("data-partial") == "true"
        assert "partial week" in last.locator("th").inner_text()
        assert rows.nth(0).get_attribute("data-partial") == "false"
        # The chart's axis names it too.
        chart = page.locator(f'[data-chart="{table}"]')
        assert "partial week" in chart.text_content()
    assert page.locator('[data-note="partial"]').count() == 2


# -- call quality: the class-quality panel and drop-out by band ---------------


@pytest.fixture(scope="module")
def calls(school: School) -> CallPlan:
    """Some of the school's live classes with call quality, posted through the API.

    The demo's simulated calls (``levelwise.app.simulate.calls``) of the same
    simulated school, up to the school's clock: each class's samples in
    batches, then the class ended (credits happen).
    """
    engine = Levelwise(InMemoryEventLog(), FixedClock(NOW))
    engine.put_program(TENANT, PROGRAM.read_text(), str(PROGRAM))
    events = list(simulate(engine.program(TENANT), learners=120, weeks=10, seed=3))
    plan = plan_calls(events, 30, seed=3, until=datetime.fromisoformat(NOW))
    for c in plan.classes:
        for batch in batches(c):
            r = school.api.post(f"/v1/live/{c.klass}/stats", json={"samples": batch})
            assert r.status_code == 200 and not r.json()["rejected"], r.text
        assert school.api.post(f"/v1/live/{c.klass}/end").status_code == 200
    return plan


def _rate_matches(cell: Any, rate: dict[str, Any]) -> bool:
    return (
        _close(cell.get_attribute("data-value") or "", rate["value"])
        and int(cell.get_attribute("data-n")) == rate["n"]
        and _close(cell.get_attribute("data-low") or "", rate["low"])
        and _close(cell.get_attribute("data-high") or "", rate["high"])
    )


def test_dashboard_shows_the_class_quality_panel_and_dropout_by_band(
    school: School, calls: CallPlan, page: Any, shots: Path
) -> None:
    bands = school.api.get("/v1/metrics").json()["quality_bands"]
    page.goto(school.link("dashboard"))
    page.wait_for_selector("body[data-ready]", state="attached")

    panel = page.locator('[data-section="call-quality"]')
    assert panel.is_visible()
    tiles = panel.locator(".band-tile")
    counts = [int(tiles.nth(i).get_attribute("data-classes")) for i in range(4)]
    assert sum(counts) == len(calls.classes)
    # The classes that broke most: each one's band is its report's.
    breaking = panel.locator('[data-table="quality-breaking"] tbody tr')
    assert breaking.count() > 0
    for i in range(breaking.count()):
        row = breaking.nth(i)
        klass = row.get_attribute("data-class")
        report = school.api.get(f"/v1/live/{klass}/quality").json()
        assert row.get_attribute("data-band") == report["band"]
        assert report["band"] in ("degraded", "broken")
    # Drop-out by band: the API's rates, intervals and sample sizes.
    assert bands["participations"] > 0
    for row in bands["rows"]:
        for metric in ("completion", "dropout", "renewal"):
            cell = panel.locator(f'[data-band="{row["band"]}"][data-rate="{metric}"]')
            assert _rate_matches(cell, row[metric]), (row["band"], metric)
        for c in row["comparisons"]:
            shown = panel.locator(
                f'tr[data-band="{row["band"]}"][data-metric="{c["metric"]}"]'
            )
            assert shown.get_attribute("data-enough") == str(c["enough"]).lower()
            assert _close(shown.get_attribute("data-difference") or "", c["difference"])
            assert _close(shown.get_attribute("data-low") or "", c["low"])
    # Both charts of the section are drawn.
    for chart_id in ("quality-weeks", "quality-bands"):
        chart = page.locator(f'[data-chart="{chart_id}"]')
        assert chart.locator("svg").count() >= 1
        assert chart.get_attribute("aria-label")
    assert "Drop-out during class" in panel.inner_text()
    panel.screenshot(path=str(shots / "dashboard-quality-en.png"))

    page.goto(page.url + "&lang=zh-CN")
    page.wait_for_selector("body[data-ready]", state="attached")
    chinese = page.locator('[data-section="call-quality"]')
    text = chinese.inner_text()
    assert "直播课通话质量" in text and "课中流失率" in text
    for english in ("Call quality of live classes", "Drop-out during class", "Broken"):
        assert english not in text
    shown = chinese.locator(".band-tile")
    assert [int(shown.nth(i).get_attribute("data-classes")) for i in range(4)] == (
        counts
    )
    broken = bands["rows"][3]["dropout"]
    assert _rate_matches(
        chinese.locator('[data-band="broken"][data-rate="dropout"]'), broken
    )
    chinese.screenshot(path=str(shots / "dashboard-quality-zh-CN.png"))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_class_quality_panel_fits_a_390_px_phone(
    school: School, calls: CallPlan, browser: Any, lang: str
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB"
    )
    try:
        tab = context.new_page()
        tab.goto(school.link("dashboard") + f"&lang={lang}")
        tab.wait_for_selector("body[data-ready]", state="attached")
        assert tab.locator('[data-section="call-quality"] .band-tile').count() == 4
        assert _width(tab) <= 390
        panel = tab.locator('[data-section="call-quality"]')
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        for card in panel.locator(".chart-card, .chart, .table-scroll, .tile").all():
            box = card.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        context.close()
