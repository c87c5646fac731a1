"""What the operator dashboard shows, read through the metrics service.

The figures come from ``engine.metrics.dashboard`` and ``.csv``; this module
only formats them, lays out the chart data and builds the filter and CSV links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from levelwise.app.engine import Levelwise
from levelwise.app.metrics.service import (
    TABLES,
    BandAnalysis,
    Comparison,
    Dashboard,
    Figure,
    MetricFilter,
    Rate,
)
from levelwise.app.quality.panel import Panel
from levelwise.app.xapi.feed import UnmappedReport
from levelwise.errors import MetricError
from levelwise.web import charts
from levelwise.web.i18n import N_, Lang
from levelwise.web.labels import quality_band

METRICS = {
    "completion": N_("Completion rate"),
    "renewal": N_("Renewal rate"),
    "interactions_per_class": N_("Interactions per live class"),
    "level_up_weeks": N_("Median weeks per level-up"),
    "active": N_("Active learners"),
    "dropout": N_("Drop-out during class"),
}
"""Headline metrics by their ``data-metric`` name."""
RATES = frozenset({"completion", "renewal", "dropout"})

TABLE_NAMES = {
    "cohorts": N_("By enrolment cohort"),
    "classes": N_("By class"),
    "weeks": N_("By week"),
    "levels": N_("Levels"),
    "experiments": N_("Experiments"),
}
"""Each CSV table's name on the page."""


@dataclass(frozen=True)
class Tile:
    """A headline figure: name, raw value, shown text and sample size."""

    metric: str
    label: str
    value: float | None
    text: str
    n: int


@dataclass(frozen=True)
class QualitySection:
    """The class-quality panel and the outcomes by band.

    Attributes:
        panel: Per class and per week, with the classes that break most.
        bands: Completion, drop-out and renewal by band (None without
            participations).
        charts: The section's charts (none without classes).
        units: Unit titles by id, for the classes' units.
    """

    panel: Panel
    bands: BandAnalysis | None
    charts: tuple[dict[str, Any], ...]
    units: dict[str, str]


@dataclass(frozen=True)
class DashboardPage:
    """Everything the dashboard page shows."""

    data: Dashboard
    tiles: tuple[Tile, ...]
    charts: tuple[dict[str, Any], ...]
    stuck: tuple[tuple[str, str, int], ...]
    query: str
    csv_links: tuple[tuple[str, str], ...]
    quality: QualitySection | None = None
    xapi: UnmappedReport | None = None


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:  # as the API: an unreadable date is refused
        msg = f"{text!r} is not a date (YYYY-MM-DD)"
        raise MetricError(msg) from exc


def parse_filter(
    cohort: str | None, klass: str | None, start: str | None, end: str | None
) -> MetricFilter:
    """The filter from the form's fields; empty ones are left out.

    Raises:
        MetricError: A date is not ``YYYY-MM-DD``.
    """
    return MetricFilter(cohort or None, klass or None, _day(start), _day(end))


def filter_query(token: str, filters: MetricFilter, lang: str) -> str:
    """The query string that reopens the page with ``filters`` (token kept)."""
    pairs = [("t", token)]
    for name, value in (
        ("cohort", filters.cohort),
        ("class", filters.klass),
        ("start", filters.start.isoformat() if filters.start else None),
        ("end", filters.end.isoformat() if filters.end else None),
    ):
        if value:
            pairs.append((name, value))
    pairs.append(("lang", lang))
    return urlencode(pairs)


def format_figure(metric: str, figure: Figure, lang: Lang) -> str:
    """A figure as the reader sees it ('–' without data)."""
    if figure.value is None:
        return "–"
    if metric in RATES:
        return lang.percent(figure.value)
    return lang.number(figure.value, 1)


def format_difference(comparison: Comparison, lang: Lang) -> tuple[str, str]:
    """The difference and its 95 % interval as text (rates in points).

    Negatives take a minus sign (U+2212), a positive difference a ``+``; a
    value shown as zero takes neither, so "−0" never appears.
    """
    scale, unit = (100.0, " pp") if comparison.metric in RATES else (1.0, "")
    zero = lang.number(0.0, 1)

    def show(value: float | None, sign: bool = False) -> str:
        if value is None:
            return "–"
        text = lang.number(abs(value * scale), 1)
        if text == zero:
            return text + unit
        prefix = "+" if value > 0 and sign else "−" if value < 0 else ""
        return prefix + text + unit

    interval = f"[{show(comparison.low)}, {show(comparison.high)}]"
    return show(comparison.difference, sign=True), interval


SHORT_OF = {
    "learners with live classes": N_("learners with live classes"),
    "due learners": N_("learners due to renew"),
    "level-ups": N_("level-ups"),
    "participations": N_("participations"),
}


def shortfall_text(comparison: Comparison, lang: Lang, bands: bool = False) -> str:
    """Why a comparison has no interval, in ``lang`` ("" when it has one).

    Args:
        comparison: The comparison.
        lang: The page's language.
        bands: Its groups are call-quality bands (their names are translated);
            else they are an experiment's variants, named by the school.
    """
    short = comparison.shortfall
    if short is None:
        return comparison.reason
    what = lang.gettext(SHORT_OF[short.what]) if short.what in SHORT_OF else short.what
    group = quality_band(short.group, lang) if bands else short.group
    if short.least == 0:
        return lang.gettext("no %(what)s in %(group)s") % {
            "what": what,
            "group": group,
        }
    return lang.gettext("fewer than %(least)s %(what)s in %(group)s") % {
        "least": lang.number(short.least),
        "what": what,
        "group": group,
    }


def rate_interval(rate: Rate, lang: Lang) -> str:
    """A rate's 95 % interval as text, ``[12%, 30%]`` ('' without data)."""
    if rate.low is None or rate.high is None:
        return ""
    return f"[{lang.percent(rate.low)}, {lang.percent(rate.high)}]"


def helpers(lang: Lang) -> dict[str, Callable[..., Any]]:
    """Formatting functions the dashboard template calls, bound to ``lang``."""

    def metric_name(metric: str) -> str:
        return lang.gettext(METRICS[metric]) if metric in METRICS else metric

    return {
        "fig": lambda metric, figure: format_figure(metric, figure, lang),
        "difference": lambda comparison: format_difference(comparison, lang),
        "metric_name": metric_name,
        "shortfall": lambda comparison: shortfall_text(comparison, lang),
        "band_shortfall": lambda comparison: shortfall_text(comparison, lang, True),
        "table_name": lambda table: lang.gettext(TABLE_NAMES[table]),
        "band_name": lambda band: quality_band(band, lang),
        "interval": lambda rate: rate_interval(rate, lang),
        "day": lambda at: lang.date(at.astimezone(UTC).date()),
    }


def _tiles(data: Dashboard, lang: Lang) -> tuple[Tile, ...]:
    row = data.overall
    tiles = [
        Tile(m, lang.gettext(METRICS[m]), f.value, format_figure(m, f, lang), f.n)
        for m, f in (
            ("completion", row.completion),
            ("renewal", row.renewal),
            ("interactions_per_class", row.interactions_per_class),
            ("level_up_weeks", row.level_up_weeks),
        )
    ]
    active = METRICS["active"]
    tiles.append(
        Tile(
            "active",
            lang.gettext(active),
            float(row.active),
            lang.number(row.active),
            row.learners,
        )
    )
    return tuple(tiles)


def build(
    engine: Levelwise, tenant: str, filters: MetricFilter, lang: Lang, token: str
) -> DashboardPage:
    """Read the dashboard and lay it out for the page.

    Raises:
        StoreError: Metrics are not set up, or the store failed.
        MetricError: The filter is invalid (its end is before its start).
        ProgramNotFoundError: The school has no program.
    """
    data = engine.metrics.dashboard(tenant, filters)
    quality = quality_section(engine, tenant, filters, data.as_of, lang)
    query = filter_query(token, filters, lang.code)
    found = (
        *charts.weekly(data.by_week, lang),
        charts.groups(
            "cohorts", lang.gettext("By enrolment cohort (%)"), data.by_cohort, lang
        ),
        charts.classes(lang.gettext("By class (%)"), data.by_class, lang),
        *charts.levels(data.levels, lang),
        charts.stuck(data.levels, lang),
    )
    links = tuple((table, f"/pages/dashboard/{table}.csv?{query}") for table in TABLES)
    return DashboardPage(
        data,
        _tiles(data, lang),
        found,
        tuple(charts.stuck_rows(data.levels)),
        query,
        links,
        quality,
        None
        if engine.statement_feed is None
        else engine.statement_feed.unmapped(tenant),
    )


def day_bounds(start: date | None, last: date) -> tuple[datetime | None, datetime]:
    """The instants a range of days covers: from ``start`` to the end of ``last``."""
    since = None if start is None else datetime.combine(start, time(), UTC)
    return since, datetime.combine(last + timedelta(days=1), time(), UTC)


def quality_section(
    engine: Levelwise, tenant: str, filters: MetricFilter, as_of: date, lang: Lang
) -> QualitySection:
    """The class-quality panel and the outcomes by band, for the page.

    The panel covers the classes that started in the dashboard's dates (the
    cohort and class filters select learners, not classes); the outcomes by
    band, those of the filtered learners. Without participations the
    metrics service is not asked.

    Raises:
        StoreError: The store failed.
        MetricError: The filter is invalid.
    """
    since, until = day_bounds(filters.start, as_of)
    panel = engine.quality.panel(tenant, since, until)
    bands = None
    if panel.participations:
        source = partial(engine.quality.participations, tenant)
        bands = engine.metrics.quality_bands(tenant, filters, source)
    found: tuple[dict[str, Any], ...] = ()
    if panel.classes:
        found = (charts.quality_weeks(panel.weeks, lang),)
        if bands is not None:
            found += (charts.band_outcomes(bands, lang),)
    units = {u.id: u.title or u.id for u in engine.program(tenant).units}
    return QualitySection(panel, bands, found, units)


def csv(engine: Levelwise, tenant: str, filters: MetricFilter, table: str) -> str:
    """One dashboard table as CSV text, from the metrics service.

    Raises:
        StoreError: Metrics are not set up, or the store failed.
        MetricError: The table or filter is invalid.
        ProgramNotFoundError: The school has no program.
    """
    return engine.metrics.csv(tenant, filters, table)
