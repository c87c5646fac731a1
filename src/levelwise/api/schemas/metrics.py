"""Wire models of the metrics dashboard and of A/B experiments."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import Text
from levelwise.app.metrics.experiments import Experiment, experiment_to_dict
from levelwise.app.metrics.service import Dashboard

Name = Annotated[str, Field(min_length=1, max_length=200)]


class _FromData(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FigurePublic(_FromData):
    """A metric's value (null: no data) with its numerator, denominator and n."""

    value: float | None
    numerator: float
    denominator: float
    n: int


class MetricRowPublic(_FromData):
    """A line of the overall, per-cohort, per-class or per-week table."""

    key: str
    learners: int
    active: int
    completion: FigurePublic
    renewal: FigurePublic
    interactions_per_class: FigurePublic
    level_up_weeks: FigurePublic
    level_ups: int
    study_minutes: float


class WeekRowPublic(MetricRowPublic):
    """A line of the per-week table (``partial``: the range covers part of it)."""

    partial: bool


class LevelRowPublic(_FromData):
    """A level: learners there now, ever reached, and stuck by requirement."""

    level: str
    name: str
    current: int
    reached: int
    stuck: list[tuple[str, int]]


class ShortfallPublic(_FromData):
    """Why a comparison has no interval: which group lacks what (least 0: none)."""

    what: str
    group: str
    least: int


class ComparisonPublic(_FromData):
    """A variant against the control on one metric, with a 95 % interval."""

    metric: str
    control: FigurePublic
    variant: FigurePublic
    difference: float | None
    low: float | None
    high: float | None
    enough: bool
    reason: str
    shortfall: ShortfallPublic | None = None


class ExperimentViewPublic(_FromData):
    """An experiment's group sizes and comparisons with the control."""

    id: str
    description: str
    control: str
    sizes: list[tuple[str, int]]
    comparisons: list[tuple[str, list[ComparisonPublic]]]


class RatePublic(FigurePublic):
    """A proportion (null: no data) with its 95 % Wilson interval and n."""

    low: float | None
    high: float | None


class BandRowPublic(_FromData):
    """Outcomes of one call-quality band, and differences with the good band.

    ``completion`` and ``dropout`` are over participations (one learner in
    one class) of this band; ``renewal`` over the due learners whose typical
    band it is. ``comparisons``: this band minus the good band, with
    Newcombe's 95 % interval (none for the good band itself).
    """

    band: str
    participations: int
    learners: int
    completion: RatePublic
    dropout: RatePublic
    renewal: RatePublic
    comparisons: list[ComparisonPublic]


class BandAnalysisPublic(_FromData):
    """Class completion, drop-out during class and renewal by call-quality band.

    Definitions: docs/quality.md ("The dashboard and drop-out by band").
    """

    reference: str
    participations: int
    ungraded: int
    learners: int
    rows: list[BandRowPublic]


class MetricFilterPublic(_FromData):
    """The filter a dashboard was computed with (``klass``: the class)."""

    cohort: str | None
    klass: str | None
    start: date | None
    end: date | None
    term_weeks: int


class DashboardPublic(_FromData):
    """The operator's outcome metrics (definitions: docs/metrics.md)."""

    tenant: str
    as_of: date
    filter: MetricFilterPublic
    cohorts: list[str]
    classes: list[str]
    overall: MetricRowPublic
    by_cohort: list[MetricRowPublic]
    by_class: list[MetricRowPublic]
    by_week: list[WeekRowPublic]
    levels: list[LevelRowPublic]
    experiments: list[ExperimentViewPublic]
    quality_bands: BandAnalysisPublic | None = None

    @classmethod
    def of(cls, board: Dashboard) -> DashboardPublic:
        """From a dashboard."""
        return cls.model_validate(board)


class VariantCreate(BaseModel):
    """A variant: explicit learners, explicit classes, and/or a hash share."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    learners: list[Name] = Field(default_factory=list, max_length=100_000)
    classes: list[Name] = Field(default_factory=list, max_length=10_000)
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None


class ExperimentCreate(BaseModel):
    """An experiment to store: its control and at least two variants."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[Text, Field(max_length=2000)] = ""
    control: Name
    variants: list[VariantCreate] = Field(min_length=1, max_length=50)

    def data(self) -> dict[str, Any]:
        """Plain data for ``experiment_from_dict``."""
        return self.model_dump()


class ExperimentPublic(BaseModel):
    """A stored experiment."""

    id: str
    description: str
    control: str
    variants: list[dict[str, Any]]

    @classmethod
    def of(cls, experiment: Experiment) -> ExperimentPublic:
        """From an experiment."""
        return cls.model_validate(experiment_to_dict(experiment))


class ExperimentListPublic(BaseModel):
    """The school's experiments, sorted by id."""

    experiments: list[ExperimentPublic]
