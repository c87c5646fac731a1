"""``POST /v1/events``: ingest a batch of learner events."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, EventBatchDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.events import EventBatchCreate, IngestResultPublic
from levelwise.app.engine import MAX_BATCH
from levelwise.errors import (
    AuthenticationError,
    BatchConflictError,
    BatchRejectedError,
    BatchTooLargeError,
    BodyTooLargeError,
    ConcurrencyError,
    ProgramNotFoundError,
    StoreError,
    UnsupportedMediaTypeError,
)

router = APIRouter(prefix="/v1", tags=["events"])

_BODY = {
    "required": True,
    "content": {"application/json": {"schema": EventBatchCreate.model_json_schema()}},
}


@router.post(
    "/events",
    openapi_extra={"requestBody": _BODY},
    responses=problem_responses(
        AuthenticationError,
        ProgramNotFoundError,
        BatchConflictError,
        BatchRejectedError,
        RequestValidationError,
        BatchTooLargeError,
        BodyTooLargeError,
        UnsupportedMediaTypeError,
        ConcurrencyError,
        StoreError,
    ),
)
def post_events(
    engine: EngineDep, tenant: TenantDep, batch: EventBatchDep
) -> IngestResultPublic:
    """Validate, deduplicate and store a batch of events, folding each learner.

    Answers 200 when every event was accepted or was a duplicate. Otherwise the
    valid events are still stored (atomically) and the answer is a problem:
    409 ``event-conflict`` when an id came back with another body, else 422
    ``events-rejected``; both carry the counts and per-event ``results``.
    """
    if len(batch.events) > MAX_BATCH:
        msg = f"{len(batch.events)} events; a batch carries at most {MAX_BATCH:,}"
        raise BatchTooLargeError(msg)
    result = IngestResultPublic.from_report(engine.ingest(tenant, batch.events))
    if not result.conflicts and not result.rejected:
        return result
    total = len(batch.events)
    stored = f"the {result.accepted} valid new event(s) were stored anyway"
    rejected = f"{result.rejected} of {total} event(s) were rejected"
    report = result.model_dump(mode="json")
    if result.conflicts:
        conflicts = (
            f"{result.conflicts} of {total} event id(s) were already received "
            "with another body"
        )
        also = f"; {rejected}" if result.rejected else ""
        raise BatchConflictError(f"{conflicts}{also}; {stored}", report)
    raise BatchRejectedError(f"{rejected}; {stored}", report)
