"""``GET /v1/learners/{id}`` and its receipts: where a learner stands and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.learners import LearnerPublic, OutcomeKind, ReceiptListPublic
from levelwise.errors import (
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/learners", tags=["learners"])

MAX_VERSION = 2**31 - 1
"""The largest program version a store keeps (a 32-bit integer column)."""

LearnerId = Annotated[
    str, Path(min_length=1, max_length=200, description="The platform's learner id")
]
_ERRORS = problem_responses(
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    RequestValidationError,
    StoreError,
)


@router.get("/{learner_id}", responses=_ERRORS)
def get_learner(
    learner_id: LearnerId, engine: EngineDep, tenant: TenantDep
) -> LearnerPublic:
    """Where the learner stands, and what the next level asks.

    Level, XP, the next level's gates with progress, dimensions (ability and
    sd), mastery per knowledge point, counters and level history.
    """
    return LearnerPublic.from_view(engine.learner(tenant, learner_id))


@router.get("/{learner_id}/receipts", responses=_ERRORS)
def get_receipts(
    learner_id: LearnerId,
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    kind: Annotated[
        list[OutcomeKind] | None, Query(description="Only these kinds (repeatable)")
    ] = None,
    version: Annotated[
        int | None,
        Query(ge=1, le=MAX_VERSION, description="Program version (default: current)"),
    ] = None,
) -> ReceiptListPublic:
    """The learner's decisions, newest first.

    Every kind the fold decides: XP with receipts, levels reached, placed or
    lost, units completed, badges, titles, streaks broken or frozen, PK points.
    """
    rows = engine.receipts(
        tenant, learner_id, limit=limit, kinds=kind or (), version=version
    )
    return ReceiptListPublic.model_validate({"learner": learner_id, "receipts": rows})
