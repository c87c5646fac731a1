"""The dashboard's charts as plain data, drawn in the browser by ``dashboard.js``.

Each chart is a dict the page embeds as JSON: a kind (``line``, ``bar``,
``hbar`` or ``funnel``), category labels, and series with a name, values and
a symbol. ``dashboard.js`` turns them into ECharts options with ARIA
descriptions, decal patterns, value labels and distinct line symbols, so no
chart needs colour to be read. Every chart also has an HTML table with the
same numbers under it.

Optional parts: ``axes`` (a second value axis; each series names its
``axis``) for series of different scales; ``partial`` (per category: a week
the range covers only in part), with each series' values split into ``data``
(the line, whole weeks only) and ``partial`` (hollow points, not joined);
``note``, a caption under the chart, e.g. when it shows only some classes;
``stack`` (bars stacked into one per category) and ``colors`` (one per
series, e.g. the call-quality bands from good to broken).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from levelwise.app.metrics.service import (
    BandAnalysis,
    Figure,
    LevelRow,
    MetricRow,
    WeekRow,
)
from levelwise.app.quality.panel import QualityWeek
from levelwise.web.i18n import N_, Lang
from levelwise.web.labels import QUALITY_BANDS, quality_band

SYMBOLS = ("circle", "rect", "triangle", "diamond", "pin", "arrow")
"""Line symbols, one per series in turn."""

EXTREMES = 5
"""Classes a chart shows at each end when there are too many to read."""

RANKED_BY = {"completion": N_("completion rate"), "renewal": N_("renewal rate")}
"""The metric classes are ranked by, as the chart's note names it."""


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


def _weekly_series(
    lang: Lang,
    items: Sequence[tuple[str, list[float | None]]],
    partial: Sequence[bool],
    axes: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Series whose partial weeks are split off the line (a trend of whole weeks)."""
    out = _series(lang, items)
    for i, s in enumerate(out):
        values = s["data"]
        s["data"] = [None if p else v for v, p in zip(values, partial, strict=True)]
        s["partial"] = [v if p else None for v, p in zip(values, partial, strict=True)]
        if axes is not None:
            s["axis"] = axes[i]
    return out


def weekly(rows: Sequence[WeekRow], lang: Lang) -> list[dict[str, Any]]:
    """Rates and activity by ISO week: two charts over the same weeks.

    A partial week (the range covers only part of it) is no point of the
    lines: its values are drawn apart, hollow, and its label says so. The
    activity chart has two value axes: learners and level-ups are counts in
    the hundreds or thousands, interactions per live class a small ratio that
    would lie flat on their axis.
    """
    weeks = [r.key for r in rows]
    partial = [r.partial for r in rows]
    rates = _weekly_series(
        lang,
        [
            (N_("Completion rate"), [figure_value(r.completion, 100) for r in rows]),
            (N_("Renewal rate"), [figure_value(r.renewal, 100) for r in rows]),
        ],
        partial,
    )
    activity = _weekly_series(
        lang,
        [
            (N_("Active learners"), [float(r.active) for r in rows]),
            (
                N_("Interactions per live class"),
                [figure_value(r.interactions_per_class) for r in rows],
            ),
            (N_("Level-ups"), [float(r.level_ups) for r in rows]),
        ],
        partial,
        axes=(0, 1, 0),
    )
    marks = {"partial": partial, "partialLabel": lang.gettext("partial week")}
    return [
        _chart(
            "weekly-rates",
            "line",
            lang.gettext("Completion and renewal by week (%)"),
            weeks,
            series=rates,
            unit="%",
            **marks,
        ),
        _chart(
            "weekly-activity",
            "line",
            lang.gettext("Activity by week"),
            weeks,
            series=activity,
            unit="",
            axes=[
                {"name": lang.gettext("Learners, level-ups"), "unit": ""},
                {"name": lang.gettext("Per live class"), "unit": ""},
            ],
            **marks,
        ),
    ]


def extremes(
    rows: Sequence[MetricRow], count: int = EXTREMES
) -> tuple[list[MetricRow], str]:
    """The rows with the ``count`` highest and lowest rates, best first.

    Rows are ranked by completion rate, or by renewal rate when no row has a
    completion rate; rows without the rate are left out. With at most
    ``2 * count`` rows, all of them are kept in their order.

    Returns:
        The rows to chart and the metric they were ranked by ("" when all
        rows are kept).
    """
    if len(rows) <= 2 * count:
        return list(rows), ""
    metric = (
        "completion" if any(r.completion.value is not None for r in rows) else "renewal"
    )
    valued = [
        (value, r.key, r)
        for r in rows
        if (value := getattr(r, metric).value) is not None
    ]
    ranked = [r for _, _, r in sorted(valued, key=lambda v: (-v[0], v[1]))]
    if len(ranked) > 2 * count:
        ranked = ranked[:count] + ranked[-count:]
    return ranked, metric


def groups(
    chart_id: str,
    title: str,
    rows: Sequence[MetricRow],
    lang: Lang,
    *,
    kind: str = "bar",
) -> dict[str, Any]:
    """Completion and renewal rates side by side per cohort or class."""
    series = _series(
        lang,
        [
            (N_("Completion rate"), [figure_value(r.completion, 100) for r in rows]),
            (N_("Renewal rate"), [figure_value(r.renewal, 100) for r in rows]),
        ],
    )
    return _chart(chart_id, kind, title, [r.key for r in rows], series=series, unit="%")


def classes(title: str, rows: Sequence[MetricRow], lang: Lang) -> dict[str, Any]:
    """Rates per class across: every class, or the top and bottom when many.

    Fifty class names under one axis overlap, so past ``2 * EXTREMES`` classes
    the chart keeps the highest and lowest (:func:`extremes`) and its note
    says so; the table under it lists every class.
    """
    shown, metric = extremes(rows)
    spec = groups("classes", title, shown, lang, kind="hbar")
    if not metric:
        return spec
    values = {
        "total": lang.number(len(rows)),
        "metric": lang.gettext(RANKED_BY[metric]),
    }
    if len(shown) == 2 * EXTREMES:
        note = lang.gettext(
            "Showing the top %(count)s and bottom %(count)s of %(total)s classes "
            "by %(metric)s; the table lists them all."
        ) % (values | {"count": lang.number(EXTREMES)})
    else:
        note = lang.gettext(
            "Showing the %(shown)s of %(total)s classes with a %(metric)s; "
            "the table lists them all."
        ) % (values | {"shown": lang.number(len(shown))})
    return spec | {"note": note}


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


BAND_COLORS = ("#3ba272", "#91cc75", "#fac858", "#ee6666")
"""One colour per band, best first (decals and the table tell them apart too)."""


def quality_weeks(rows: Sequence[QualityWeek], lang: Lang) -> dict[str, Any]:
    """Live classes per call-quality band, stacked, per ISO week."""
    series = _series(
        lang,
        [
            (name, [float(r.bands[i]) for r in rows])
            for i, name in enumerate(QUALITY_BANDS.values())
        ],
    )
    return _chart(
        "quality-weeks",
        "bar",
        lang.gettext("Live classes by call-quality band, per week"),
        [r.week.isoformat() for r in rows],
        series=series,
        unit="",
        stack=True,
        colors=list(BAND_COLORS),
    )


def band_outcomes(analysis: BandAnalysis, lang: Lang) -> dict[str, Any]:
    """Completion, drop-out during class and renewal per band (%)."""
    rows = analysis.rows
    series = _series(
        lang,
        [
            (N_("Completion rate"), [figure_value(r.completion, 100) for r in rows]),
            (
                N_("Drop-out during class"),
                [figure_value(r.dropout, 100) for r in rows],
            ),
            (N_("Renewal rate"), [figure_value(r.renewal, 100) for r in rows]),
        ],
    )
    return _chart(
        "quality-bands",
        "bar",
        lang.gettext("Outcomes by call-quality band (%)"),
        [quality_band(r.band, lang) for r in rows],
        series=series,
        unit="%",
    )
