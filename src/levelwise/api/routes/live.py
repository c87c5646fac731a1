"""``/v1/live``: live-class call quality: statistics in, a graded class out.

``POST /v1/live/{class_id}/stats`` takes a batch of the class's samples;
``GET /v1/live/{class_id}/quality`` reports per participant the share of time
in each band, the worst moments and a verdict; ``POST /v1/live/{class_id}/end``
ends the class and credits fair progression as the program says. Alerts go to
webhooks and ``/v1/streams/classes/{class_id}``. See ``docs/quality.md``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.live import (
    ClassQualityPublic,
    EndReportPublic,
    StatsBatchCreate,
    StatsReportPublic,
)
from levelwise.app.ingest.wire import ID_PATTERN
from levelwise.app.quality import reports
from levelwise.errors import (
    AuthenticationError,
    ProgramNotFoundError,
    QualityInputError,
    QualityNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/live", tags=["live"])

ClassId = Annotated[
    str, Path(max_length=200, pattern=ID_PATTERN, description="The live class.")
]
_BASE = (AuthenticationError, RequestValidationError, StoreError)


@router.post(
    "/{class_id}/stats",
    response_model=StatsReportPublic,
    response_model_by_alias=True,
    responses=problem_responses(*_BASE, QualityInputError, QualityNotFoundError),
)
def post_stats(
    class_id: ClassId, body: StatsBatchCreate, engine: EngineDep, tenant: TenantDep
) -> StatsReportPublic:
    """Take a batch of the class's call-quality samples.

    Each sample is checked on its own; the response lists the rejected ones
    with their reasons. A batch of which no sample could be taken is refused
    (422) with the first reasons.
    """
    report = engine.quality.post(tenant, class_id, body.samples)
    if report.accepted == 0:
        reasons = "; ".join(
            f"sample {r.index}: {r.reason}" for r in report.rejected[:5]
        )
        raise QualityInputError(f"no sample was taken: {reasons}")
    return StatsReportPublic.of(report)


@router.get(
    "/{class_id}/quality",
    response_model=ClassQualityPublic,
    response_model_by_alias=True,
    responses=problem_responses(*_BASE, QualityNotFoundError),
)
def class_quality(
    class_id: ClassId, engine: EngineDep, tenant: TenantDep
) -> ClassQualityPublic:
    """The class's call-quality report: per participant and for the class."""
    report = reports.report_dict(engine.quality.report(tenant, class_id))
    return ClassQualityPublic.model_validate(report)


@router.post(
    "/{class_id}/end",
    response_model=EndReportPublic,
    response_model_by_alias=True,
    responses=problem_responses(*_BASE, QualityNotFoundError, ProgramNotFoundError),
)
def end_class(
    class_id: ClassId, engine: EngineDep, tenant: TenantDep
) -> EndReportPublic:
    """End the class and credit live minutes lost to drops.

    Later samples are refused; minutes lost to network drops during broken
    quality are credited as the program's ``live_quality`` says.
    """
    return EndReportPublic.of(engine.quality.end(tenant, class_id))
