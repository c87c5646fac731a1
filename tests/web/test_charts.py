"""The dashboard's chart data: partial weeks, two axes, the top and bottom classes."""

from __future__ import annotations

import pytest

from levelwise.app.metrics.service import Figure, MetricRow, WeekRow
from levelwise.web import charts
from levelwise.web.i18n import Lang

EN = Lang("en")


def fig(value: float | None) -> Figure:
    return Figure(value, 0.0, 0.0, 0)


def row(key: str, completion: float | None, renewal: float | None = 0.5) -> MetricRow:
    return MetricRow(
        key=key,
        learners=10,
        active=5,
        completion=fig(completion),
        renewal=fig(renewal),
        interactions_per_class=fig(None),
        level_up_weeks=fig(None),
        level_ups=0,
    )


def week(key: str, *, active: int, inter: float, partial: bool = False) -> WeekRow:
    return WeekRow(
        key=key,
        learners=1800,
        active=active,
        completion=fig(0.9 if not partial else 0.0),
        renewal=fig(0.5),
        interactions_per_class=fig(inter),
        level_up_weeks=fig(None),
        level_ups=40,
        partial=partial,
    )


WEEKS = (
    week("2026-01-05", active=1700, inter=9.0, partial=True),  # range starts Wed
    week("2026-01-12", active=1800, inter=12.0),
    week("2026-01-19", active=1750, inter=14.0),
    week("2026-01-26", active=600, inter=5.0, partial=True),  # range ends Tue
)


def test_partial_weeks_are_marked_and_left_out_of_the_lines():
    rates, activity = charts.weekly(WEEKS, EN)

    for chart in (rates, activity):
        assert chart["partial"] == [True, False, False, True]
        assert chart["partialLabel"] == "partial week"
    completion = rates["series"][0]
    # The line (the trend) joins whole weeks only; partial weeks stand apart.
    assert completion["data"] == [None, 90.0, 90.0, None]
    assert completion["partial"] == [0.0, None, None, 0.0]
    active = activity["series"][0]
    assert active["data"] == [None, 1800.0, 1750.0, None]
    assert active["partial"] == [1700.0, None, None, 600.0]


def test_whole_weeks_are_all_on_the_line():
    whole = tuple(week(w.key, active=w.active, inter=9.0) for w in WEEKS)

    rates, _ = charts.weekly(whole, EN)

    assert rates["partial"] == [False] * 4
    assert rates["series"][0]["data"] == [90.0] * 4
    assert rates["series"][0]["partial"] == [None] * 4


def test_interactions_per_class_have_their_own_axis():
    _, activity = charts.weekly(WEEKS, EN)

    names = [s["name"] for s in activity["series"]]
    axes = {s["name"]: s["axis"] for s in activity["series"]}
    assert names == ["Active learners", "Interactions per live class", "Level-ups"]
    # Learners (hundreds, thousands) and a ratio of 5 to 14 on one axis would
    # flatten the ratio; it is read on the right-hand axis.
    assert axes == {
        "Active learners": 0,
        "Interactions per live class": 1,
        "Level-ups": 0,
    }
    assert [a["name"] for a in activity["axes"]] == [
        "Learners, level-ups",
        "Per live class",
    ]


def test_fifty_classes_chart_the_top_and_bottom_five():
    rows = [row(f"class-{i:02d}", completion=(i * 7 % 50) / 50) for i in range(50)]

    spec = charts.classes("By class (%)", rows, EN)

    shown = spec["categories"]
    by_rate = sorted(rows, key=lambda r: -(r.completion.value or 0))
    assert shown == [r.key for r in by_rate[:5] + by_rate[-5:]]
    assert spec["series"][0]["data"] == [98.0, 96.0, 94.0, 92.0, 90.0] + [
        8.0,
        6.0,
        4.0,
        2.0,
        0.0,
    ]
    assert spec["kind"] == "hbar"  # class names read across, not under bars
    assert spec["note"] == (
        "Showing the top 5 and bottom 5 of 50 classes by completion rate; "
        "the table lists them all."
    )


def test_ten_classes_or_fewer_are_all_charted_in_their_order():
    rows = [row(f"c{i}", completion=i / 10) for i in range(10)]

    spec = charts.classes("By class (%)", rows, EN)

    assert spec["categories"] == [r.key for r in rows]
    assert "note" not in spec


def test_classes_without_the_rate_are_left_out_of_a_long_chart():
    rows = [row(f"c{i:02d}", completion=i / 20 if i < 6 else None) for i in range(20)]

    spec = charts.classes("By class (%)", rows, EN)

    assert spec["categories"] == [f"c{i:02d}" for i in range(5, -1, -1)]
    assert spec["note"] == (
        "Showing the 6 of 20 classes with a completion rate; the table lists them all."
    )


def test_classes_are_ranked_by_renewal_when_none_has_live_classes():
    rows = [row(f"c{i:02d}", completion=None, renewal=i / 30) for i in range(30)]

    spec = charts.classes("By class (%)", rows, EN)

    assert spec["categories"][0] == "c29" and spec["categories"][-1] == "c00"
    assert len(spec["categories"]) == 10
    assert "by renewal rate" in spec["note"]


def test_the_note_is_translated():
    rows = [row(f"c{i:02d}", completion=i / 50) for i in range(50)]

    spec = charts.classes("按班级（%）", rows, Lang("zh-CN"))

    assert spec["note"] == (
        "按完课率显示 50 个班级中最高的 5 个和最低的 5 个；表格列出全部班级。"
    )


@pytest.mark.parametrize("count", [0, 1, 11])
def test_extremes_never_repeat_a_class(count):
    rows = [row(f"c{i:02d}", completion=i / 11) for i in range(count)]

    shown, _ = charts.extremes(rows)

    assert len({r.key for r in shown}) == len(shown) == min(count, 10)
