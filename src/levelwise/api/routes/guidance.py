"""A learner's plan, next best activity and forecast.

``GET /v1/learners/{id}/plan``, ``/next`` and ``/forecast``: what to study,
in which order, why, and when the target level is likely reached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.routes.learners import LearnerId
from levelwise.api.schemas.guidance import (
    ForecastPublic,
    NextActivityPublic,
    PlanPublic,
)
from levelwise.errors import (
    AuthenticationError,
    LearnerNotFoundError,
    PlanError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/learners", tags=["learners"])

Target = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="A level above the learner's (default: the next one)",
    ),
]
Lang = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=35,
        pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$",
        description="Language of the plain words (zh-CN, en; default: English)",
    ),
]
_ERRORS = problem_responses(
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    PlanError,
    RequestValidationError,
    StoreError,
)


@router.get("/{learner_id}/plan", responses=_ERRORS)
def get_plan(
    learner_id: LearnerId,
    engine: EngineDep,
    tenant: TenantDep,
    target: Target = None,
    lang: Lang = None,
) -> PlanPublic:
    """The quickest expected way to the target level.

    Ordered units with their minutes, grouped into weeks at the learner's
    pace; the requirements each serves (what they measure, progress before
    and after, in expectation) and why, as data and in plain words; the
    requirements now and after the plan; the binding requirement; where the
    mastery gains come from.
    """
    plan = engine.guidance.plan(tenant, learner_id, target)
    return PlanPublic.from_plan(plan, engine.guidance.describe(tenant, plan, lang))


@router.get("/{learner_id}/next", responses=_ERRORS)
def get_next(
    learner_id: LearnerId, engine: EngineDep, tenant: TenantDep
) -> NextActivityPublic:
    """The next best activity: the first step of the plan to the next level.

    At the top level, or when every requirement is already met, ``status``
    says so and ``step`` is null.
    """
    return NextActivityPublic.from_next(
        engine.guidance.next_activity(tenant, learner_id)
    )


@router.get("/{learner_id}/forecast", responses=_ERRORS)
def get_forecast(
    learner_id: LearnerId,
    engine: EngineDep,
    tenant: TenantDep,
    target: Target = None,
    weeks: Annotated[
        int, Query(ge=1, le=52, description="Recent weeks to learn the pace from")
    ] = 8,
) -> ForecastPublic:
    """When the learner reaches the target level, with an 80 % interval.

    From the plan's minutes and the learner's own weekly study minutes since
    they enrolled (up to ``weeks``); in weeks and as dates. Also the binding
    requirement, the current mix's pace, and stalled / at-risk flags.
    """
    guidance = engine.guidance
    result = guidance.forecast(tenant, learner_id, target, weeks)
    return ForecastPublic.from_forecast(result, guidance.now())
