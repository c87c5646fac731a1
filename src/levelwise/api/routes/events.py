"""``POST /v1/events``: ingest a batch of learner events."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, EventBatchDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.events import IngestResultPublic, event_batch_schema
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
    "content": {"application/json": {"schema": event_batch_schema()}},
}


_STORED = (
    "Every event's fate (`results`) and the counts. Also the answer when some "
    "events were rejected or conflicted, as long as at least one event of the "
    "batch is in the log (accepted now, or a duplicate of a stored one)."
)


@router.post(
    "/events",
    openapi_extra={"requestBody": _BODY},
    response_description=_STORED,
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

    The valid events of a batch are stored together (one transaction); each
    event's fate is in ``results``, with the counts. The status says whether
    anything of the batch is in the log:

    * **200** when at least one event was accepted or was a duplicate, even if
      others were rejected or conflicted: a partly stored batch is never an
      error, so resending it changes nothing and gets 200 again.
    * **409** ``event-conflict`` or **422** ``events-rejected`` only when
      nothing of the batch was stored: every event was refused, and 409 when
      one of them reused an id with another body. The problem carries the
      same counts and ``results``.
    """
    if len(batch.events) > MAX_BATCH:
        msg = f"{len(batch.events)} events; a batch carries at most {MAX_BATCH:,}"
        raise BatchTooLargeError(msg)
    result = IngestResultPublic.from_report(engine.ingest(tenant, batch.events))
    if result.accepted or result.duplicates:
        return result
    total = len(batch.events)
    rejected = f"{result.rejected} of {total} event(s) were rejected"
    nothing = "nothing of the batch was stored"
    report = result.model_dump(mode="json")
    if result.conflicts:
        conflicts = (
            f"{result.conflicts} of {total} event id(s) were already received "
            "with another body"
        )
        also = f"; {rejected}" if result.rejected else ""
        raise BatchConflictError(f"{conflicts}{also}; {nothing}", report)
    raise BatchRejectedError(f"{rejected}; {nothing}", report)
