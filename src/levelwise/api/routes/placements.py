"""``/v1/placements``: adaptive placement tests, one item at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.placements import (
    PlacementAnswerCreate,
    PlacementCreate,
    PlacementResultPublic,
    PlacementStepPublic,
)
from levelwise.errors import (
    AuthenticationError,
    ConcurrencyError,
    PlacementError,
    PlacementNotFoundError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/placements", tags=["placements"])

SessionId = Annotated[
    str, Path(min_length=1, max_length=200, description="The placement session id")
]
_COMMON = (AuthenticationError, RequestValidationError, StoreError)
_SESSION = (*_COMMON, PlacementNotFoundError, PlacementError)


@router.post(
    "",
    status_code=201,
    responses=problem_responses(*_COMMON, ProgramNotFoundError, PlacementError),
)
def start_placement(
    body: PlacementCreate, engine: EngineDep, tenant: TenantDep
) -> PlacementStepPublic:
    """Start a placement test for a learner and return its first item.

    Answers 409 ``placement-conflict`` when the program has no placement test.
    """
    return PlacementStepPublic.from_step(engine.placements.start(tenant, body.learner))


@router.get("/{session}/next", responses=problem_responses(*_SESSION))
def next_item(
    session: SessionId, engine: EngineDep, tenant: TenantDep
) -> PlacementStepPublic:
    """The item to answer now; ``item`` is null once the test is over."""
    return PlacementStepPublic.from_step(engine.placements.next(tenant, session))


@router.post("/{session}/answers", responses=problem_responses(*_SESSION))
def post_answer(
    session: SessionId,
    body: PlacementAnswerCreate,
    engine: EngineDep,
    tenant: TenantDep,
) -> PlacementStepPublic:
    """Record the answer to the asked item; the estimate is updated.

    Answers 409 ``placement-conflict`` for an item that was not asked, was
    already answered, or when the session is finished.
    """
    step = engine.placements.answer(tenant, session, body.item, body.correct)
    return PlacementStepPublic.from_step(step)


@router.post(
    "/{session}/finish",
    responses=problem_responses(*_SESSION, ConcurrencyError),
)
def finish_placement(
    session: SessionId, engine: EngineDep, tenant: TenantDep
) -> PlacementResultPublic:
    """Finish the test: abilities per dimension and the starting level.

    The result names the ``placement.completed`` event it ingested; finishing
    again returns the same result (the event is then a duplicate).
    """
    return PlacementResultPublic.from_result(engine.placements.finish(tenant, session))
