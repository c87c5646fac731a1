"""Outcome metrics with A/B comparisons, their CSV tables, and experiments."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.common import Day, Problem
from levelwise.api.schemas.metrics import (
    DashboardPublic,
    ExperimentCreate,
    ExperimentListPublic,
    ExperimentPublic,
)
from levelwise.app.metrics.experiments import experiment_from_dict
from levelwise.app.metrics.service import MetricFilter
from levelwise.errors import (
    AuthenticationError,
    ExperimentNotFoundError,
    MetricError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(tags=["metrics"])

_ERRORS = problem_responses(
    AuthenticationError,
    ProgramNotFoundError,
    RequestValidationError,
    MetricError,
    StoreError,
)
_EXPERIMENT_ERRORS = problem_responses(
    AuthenticationError, RequestValidationError, StoreError
)
_PUT_ERRORS = problem_responses(
    AuthenticationError, RequestValidationError, MetricError, StoreError
)
_DELETE_ERRORS = {
    **_EXPERIMENT_ERRORS,
    404: {"model": Problem, "description": "`not-found`: No such experiment"},
}

Table = Literal["cohorts", "classes", "weeks", "levels", "experiments"]
ExperimentId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", description="Its id")
]


def metric_filter(
    cohort: Annotated[
        str | None,
        Query(
            pattern=r"^(\d{4}-\d{2}|\(none\))?$",
            description="Intake month, e.g. 2026-09; (none): no enrolment",
        ),
    ] = None,
    klass: Annotated[
        str | None,
        Query(
            alias="class",
            max_length=200,
            pattern=r"^[^\x00-\x1f\x7f]*$",
            description="The learners' class; (none): without a class",
        ),
    ] = None,
    start: Annotated[Day | None, Query(description="First day (UTC)")] = None,
    end: Annotated[
        Day | None, Query(description="Last day (UTC); default: the last event's")
    ] = None,
    term_weeks: Annotated[
        int, Query(ge=1, le=520, description="Weeks until a learner is due to renew")
    ] = 8,
) -> MetricFilter:
    """The dashboard filter from the query string.

    Raises:
        RequestValidationError: The end is before the start.
    """
    found = MetricFilter(cohort, klass, start, end, term_weeks)
    if start is not None and end is not None and end < start:
        msg = f"end {end} is before start {start}"
        error = {"type": "value_error", "loc": ("query", "end"), "msg": msg}
        raise RequestValidationError([error])
    return found


FilterDep = Annotated[MetricFilter, Depends(metric_filter)]


@router.get("/v1/metrics", responses=_ERRORS)
def get_metrics(engine: EngineDep, tenant: TenantDep, f: FilterDep) -> DashboardPublic:
    """The outcome metrics: overall, per cohort, class and week, levels, A/B.

    With ``quality_bands``: class completion, drop-out during class and
    renewal by call-quality band (docs/quality.md). The projection catches up
    with the log first. Definitions: docs/metrics.md.
    """
    board = engine.metrics.dashboard(tenant, f)
    bands = engine.metrics.quality_bands(
        tenant, f, partial(engine.quality.participations, tenant)
    )
    return DashboardPublic.of(replace(board, quality_bands=bands))


@router.get(
    "/v1/metrics/{table}.csv",
    responses={
        **_ERRORS,
        200: {"content": {"text/csv": {}}, "description": "The table as CSV"},
    },
    response_class=Response,
)
def get_metrics_csv(
    table: Table, engine: EngineDep, tenant: TenantDep, f: FilterDep
) -> Response:
    """One dashboard table (cohorts, classes, weeks, levels, experiments) as CSV."""
    text = engine.metrics.csv(tenant, f, table)
    name = f"metrics-{table}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.put("/v1/experiments/{experiment_id}", responses=_PUT_ERRORS)
def put_experiment(
    experiment_id: ExperimentId,
    body: ExperimentCreate,
    engine: EngineDep,
    tenant: TenantDep,
) -> ExperimentPublic:
    """Create or replace an experiment.

    Precedence: listed learners, then listed classes, then the hash share.
    An invalid experiment (unknown control, a share outside (0, 1], duplicate
    variants, ...) is refused with 422 and nothing is stored.
    """
    experiment = experiment_from_dict(experiment_id, body.data())
    return ExperimentPublic.of(engine.metrics.put_experiment(tenant, experiment))


@router.get("/v1/experiments", responses=_EXPERIMENT_ERRORS)
def list_experiments(engine: EngineDep, tenant: TenantDep) -> ExperimentListPublic:
    """The school's experiments, sorted by id."""
    found = engine.metrics.experiments(tenant)
    return ExperimentListPublic(experiments=[ExperimentPublic.of(e) for e in found])


@router.delete(
    "/v1/experiments/{experiment_id}", status_code=204, responses=_DELETE_ERRORS
)
def delete_experiment(
    experiment_id: ExperimentId, engine: EngineDep, tenant: TenantDep
) -> Response:
    """Forget an experiment.

    Raises:
        ExperimentNotFoundError: There is no such experiment.
    """
    if not engine.metrics.delete_experiment(tenant, experiment_id):
        msg = f"no experiment {experiment_id!r} in this school"
        raise ExperimentNotFoundError(msg)
    return Response(status_code=204)
