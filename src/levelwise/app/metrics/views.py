"""The metrics dashboard's read model: filters, figures, rows and comparisons.

``levelwise.app.metrics.service`` re-exports these with the ``Metrics`` service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MetricFilter:
    """Which learners and dates a dashboard covers.

    Attributes:
        cohort: Enrolment month (``2026-09``): the intake cohort; ``(none)``
            selects learners without an ``enrolment.started``.
        klass: The learner's class (profile cohort); ``(none)`` selects
            learners without one.
        start: First day of the range (inclusive, UTC); None: unbounded.
        end: Last day of the range (inclusive, UTC); None: the day of the
            log's last event.
        term_weeks: Weeks after enrolment at which a learner is due to renew.
    """

    cohort: str | None = None
    klass: str | None = None
    start: date | None = None
    end: date | None = None
    term_weeks: int = 8


@dataclass(frozen=True)
class Figure:
    """One metric's value with what it was computed from.

    Attributes:
        value: The ratio, mean or median; None when there is no data.
        numerator: The ratio's numerator (for a median: the median itself).
        denominator: The ratio's denominator (for a median: its sample size).
        n: The sample size (learners, attendances or level-ups).
    """

    value: float | None
    numerator: float
    denominator: float
    n: int


@dataclass(frozen=True)
class MetricRow:
    """A line of the overall, per-cohort, per-class or per-week table.

    Attributes:
        key: The cohort id, class id, ISO week start date, or ``all``.
        learners: Learners in the row.
        active: Learners with a study event in the row's last 7 days (per
            week: in that week).
        completion: Completed live-class attendances / attendances.
        renewal: Due learners who renewed / due learners.
        interactions_per_class: Live interactions / live-class attendances.
        level_up_weeks: Median weeks per level-up (``n``: level-ups).
        level_ups: Level-ups in the range.
        study_minutes: Minutes of lessons, live classes and practice.
    """

    key: str
    learners: int
    active: int
    completion: Figure
    renewal: Figure
    interactions_per_class: Figure
    level_up_weeks: Figure
    level_ups: int
    study_minutes: float = 0.0


@dataclass(frozen=True)
class WeekRow(MetricRow):
    """A line of the per-week table: a :class:`MetricRow` keyed by its Monday.

    Attributes:
        partial: The range covers only part of the week (it starts after the
            Monday or ends before the Sunday), so its counts are not a whole
            week's and it is left out of trends.
    """

    partial: bool = False


@dataclass(frozen=True)
class LevelRow:
    """A level of the ladder: who is there, who ever got there, who is stuck.

    Attributes:
        level: The level's id.
        name: Its title.
        current: Learners at this level now.
        reached: Learners who ever reached it (their highest level is at or
            above it).
        stuck: ``(requirement, learners)``: learners at this level by the
            requirement of the next level with the least progress, most
            learners first.
    """

    level: str
    name: str
    current: int
    reached: int
    stuck: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Shortfall:
    """Why a comparison has no interval, in parts a page can translate.

    Attributes:
        what: ``learners with live classes``, ``due learners`` or ``level-ups``.
        group: The variant short of data.
        least: How many it needs (0: it has none at all).
    """

    what: str
    group: str
    least: int = 0


@dataclass(frozen=True)
class Comparison:
    """A variant against the control on one metric.

    Attributes:
        metric: ``completion``, ``renewal``, ``interactions_per_class`` or
            ``level_up_weeks``.
        control: The control's figure.
        variant: The variant's figure.
        difference: Variant minus control (None without data).
        low: Lower end of the 95 % confidence interval of the difference.
        high: Upper end of it.
        enough: Whether both groups have enough data for the interval.
        reason: Why not, e.g. ``fewer than 20 learners in B``.
        shortfall: The same reason in parts (None when there is enough).
    """

    metric: str
    control: Figure
    variant: Figure
    difference: float | None
    low: float | None
    high: float | None
    enough: bool
    reason: str
    shortfall: Shortfall | None = None


@dataclass(frozen=True)
class ExperimentView:
    """An experiment's groups and each variant's comparisons with the control.

    Attributes:
        id: The experiment's id.
        description: What it tests.
        control: The control variant's name.
        sizes: ``(variant, learners)`` in the filtered population.
        comparisons: ``(variant, comparisons)`` for each non-control variant.
    """

    id: str
    description: str
    control: str
    sizes: tuple[tuple[str, int], ...]
    comparisons: tuple[tuple[str, tuple[Comparison, ...]], ...]


@dataclass(frozen=True)
class Rate(Figure):
    """A proportion with its 95 % Wilson score interval.

    Attributes:
        low: The interval's lower end; None without data.
        high: Its upper end; None without data.
    """

    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class BandRow:
    """The outcomes of one call-quality band.

    Attributes:
        band: ``good``, ``acceptable``, ``degraded`` or ``broken``.
        participations: Learners' participations in classes with this band.
        learners: Learners whose typical band it is (the band of most of their
            participations).
        completion: Completed participations / participations.
        dropout: Participations that ended in a drop-out / participations.
        renewal: Due learners of this typical band who renewed / due learners.
        comparisons: ``completion``, ``dropout`` and ``renewal`` against the
            reference band (none for the reference itself).
    """

    band: str
    participations: int
    learners: int
    completion: Rate
    dropout: Rate
    renewal: Rate
    comparisons: tuple[Comparison, ...] = ()


@dataclass(frozen=True)
class BandAnalysis:
    """Class completion, drop-out during class and renewal by call-quality band.

    Attributes:
        reference: The band the others are compared with (``good``).
        participations: Participations with a band (of the filtered learners,
            in classes that started in the range).
        ungraded: Participations left out: no graded audio, so no band.
        learners: Learners with a typical band.
        rows: One row per band, best first.
    """

    reference: str
    participations: int
    ungraded: int
    learners: int
    rows: tuple[BandRow, ...]


@dataclass(frozen=True)
class Dashboard:
    """Everything the operator's metrics page shows.

    Attributes:
        tenant: The school.
        as_of: The range's last day (the filter's end or the log's last day).
        filter: The filter it was computed with.
        cohorts: Every enrolment month, for filter menus.
        classes: Every class, for filter menus.
        overall: The whole filtered population.
        by_cohort: One row per enrolment month.
        by_class: One row per class.
        by_week: One row per ISO week of the range, partial weeks marked.
        levels: The ladder with current, reached and stuck learners.
        experiments: Each experiment's comparisons.
        quality_bands: Outcomes by call-quality band (None: not computed;
            see ``Metrics.quality_bands``).
    """

    tenant: str
    as_of: date
    filter: MetricFilter
    cohorts: tuple[str, ...]
    classes: tuple[str, ...]
    overall: MetricRow
    by_cohort: tuple[MetricRow, ...]
    by_class: tuple[MetricRow, ...]
    by_week: tuple[WeekRow, ...]
    levels: tuple[LevelRow, ...]
    experiments: tuple[ExperimentView, ...]
    quality_bands: BandAnalysis | None = None
