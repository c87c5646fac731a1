"""The dashboard's charts as plain data, drawn in the browser by ``dashboard.js``.

Each chart is a dict the page embeds as JSON: a kind (``line``, ``bar``,
``hbar`` or ``funnel``), category labels, and series with a name, values and
a symbol. ``dashboard.js`` turns them into ECharts options with ARIA
descriptions, decal patterns, value labels and distinct line symbols, so no
chart needs colour to be read. Every chart also has an HTML table with the
same numbers under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from levelwise.app.metrics.service import Figure, LevelRow, MetricRow
from levelwise.web.i18n import N_, Lang

SYMBOLS = ("circle", "rect", "triangle", "diamond", "pin", "arrow")
"""Line symbols, one per series in turn."""


def figure_value(figure: Figure, scale: float = 1.0) -> float | None:
    """A figure's value for a chart (None: no data), scaled and rounded."""
    if figure.value is None:
        return None
    return round(figure.value * scale, 1)


def _series(
    lang: Lang, items: Sequence[tuple[str, list[float | None]]]
) -> list[dict[str, Any]]:
    return [
        {"name": lang.gettext(name), "data": data, "symbol": SYMBOLS[i % len(SYMBOLS)]}
        for i, (name, data) in enumerate(items)
    ]


def _chart(
    chart_id: str, kind: str, title: str, categories: list[str], **extra: Any
) -> dict[str, Any]:
    spec = {"id": chart_id, "kind": kind, "title": title, "categories": categories}
    return spec | extra


def weekly(rows: Sequence[MetricRow], lang: Lang) -> list[dict[str, Any]]:
    """Rates and activity by ISO week: two charts over the same weeks."""
    weeks = [r.key for r in rows]
    rates = _series(
        lang,
        [
            (N_("Completion rate"), [figure_value(r.completion, 100) for r in rows]),
            (N_("Renewal rate"), [figure_value(r.renewal, 100) for r in rows]),
        ],
    )
    activity = _series(
        lang,
        [
            (N_("Active learners"), [float(r.active) for r in rows]),
            (
                N_("Interactions per live class"),
                [figure_value(r.interactions_per_class) for r in rows],
            ),
            (N_("Level-ups"), [float(r.level_ups) for r in rows]),
        ],
    )
    return [
        _chart(
            "weekly-rates",
            "line",
            lang.gettext("Completion and renewal by week (%)"),
            weeks,
            series=rates,
            unit="%",
        ),
        _chart(
            "weekly-activity",
            "line",
            lang.gettext("Activity by week"),
            weeks,
            series=activity,
            unit="",
        ),
    ]


def groups(
    chart_id: str, title: str, rows: Sequence[MetricRow], lang: Lang
) -> dict[str, Any]:
    """Completion and renewal rates side by side per cohort or class."""
    series = _series(
        lang,
        [
            (N_("Completion rate"), [figure_value(r.completion, 100) for r in rows]),
            (N_("Renewal rate"), [figure_value(r.renewal, 100) for r in rows]),
        ],
    )
    return _chart(
        chart_id, "bar", title, [r.key for r in rows], series=series, unit="%"
    )


def levels(rows: Sequence[LevelRow], lang: Lang) -> list[dict[str, Any]]:
    """Learners per level now, and the funnel of learners who reached each."""
    names = [r.name or r.level for r in rows]
    now = _series(lang, [(N_("Learners now"), [float(r.current) for r in rows])])
    funnel = _series(lang, [(N_("Ever reached"), [float(r.reached) for r in rows])])
    return [
        _chart(
            "levels",
            "bar",
            lang.gettext("Learners by level"),
            names,
            series=now,
            unit="",
        ),
        _chart(
            "funnel",
            "funnel",
            lang.gettext("Level funnel"),
            names,
            series=funnel,
            unit="",
        ),
    ]


def stuck_rows(rows: Sequence[LevelRow]) -> list[tuple[str, str, int]]:
    """``(level name, requirement, learners)`` of every stuck group."""
    return [
        (r.name or r.level, requirement, count)
        for r in rows
        for requirement, count in r.stuck
    ]


def stuck(rows: Sequence[LevelRow], lang: Lang) -> dict[str, Any]:
    """Learners held back, by level and the requirement they are furthest from."""
    found = stuck_rows(rows)
    series = _series(lang, [(N_("Learners"), [float(c) for _, _, c in found])])
    return _chart(
        "stuck",
        "hbar",
        lang.gettext("Where learners are stuck"),
        [f"{level} · {requirement}" for level, requirement, _ in found],
        series=series,
        unit="",
    )
