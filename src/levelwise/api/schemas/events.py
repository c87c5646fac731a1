"""Wire models of event ingestion."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import Problem, PublicModel
from levelwise.app import views
from levelwise.app.engine import MAX_BATCH
from levelwise.app.ingest.wire import EVENT_ADAPTER

EVENT_REF = "#/components/schemas/Event"
"""Where the OpenAPI document keeps the union of the event types."""


def event_schemas() -> dict[str, Any]:
    """OpenAPI components of the events: ``Event`` (by ``type``) and each type.

    The service's own models (``levelwise.app.ingest.wire``) are the source,
    so the published fields, ranges and patterns are the ones ingest checks.
    """
    union = EVENT_ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
    types: dict[str, Any] = union.pop("$defs")
    union["description"] = (
        "A learner event; `type` says which. Each event of a batch is checked "
        "on its own: one that does not fit is rejected with a reason, and the "
        "others are stored."
    )
    return {"Event": union, **types}


class EventBatchCreate(BaseModel):
    """A batch of events; a bare JSON array of events is accepted too.

    Each event is validated on its own (not as part of the batch), so one
    malformed event is reported in ``results`` without failing the others.
    """

    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(
        min_length=1,
        description=f"1 to {MAX_BATCH} events; more is answered with 413",
        json_schema_extra={"maxItems": MAX_BATCH},
    )


def event_batch_schema() -> dict[str, Any]:
    """The request body's schema: a batch object, or a bare array of events."""
    batch = EventBatchCreate.model_json_schema()
    batch["properties"]["events"]["items"] = {"$ref": EVENT_REF}
    bare = {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_BATCH,
        "items": {"$ref": EVENT_REF},
        "title": "EventArray",
    }
    return {"anyOf": [batch, bare]}


class EventResultPublic(PublicModel):
    """What happened to one event of a batch."""

    index: int = Field(description="Position in the batch")
    id: str | None = Field(description="The event id, when it could be read")
    status: Literal["accepted", "duplicate", "conflict", "rejected"]
    reason: str = Field(description="Why it was not accepted")
    xp: int = Field(description="XP the event earned")
    levels: list[str] = Field(description="Levels reached through this event")


class _BatchReport(BaseModel):
    accepted: int = Field(description="New events stored")
    duplicates: int = Field(description="Events already stored with the same body")
    conflicts: int = Field(description="Ids already stored with another body")
    rejected: int = Field(description="Malformed or unknown events")
    refolded: int = Field(description="Learners re-folded for late events")
    results: list[EventResultPublic]


class IngestResultPublic(_BatchReport):
    """The result of a batch of which at least one event is in the log.

    Some events may have been rejected or conflicted; ``results`` says which.
    """

    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_report(cls, report: views.IngestReport) -> IngestResultPublic:
        """Build from the service's report."""
        return cls(
            accepted=report.count("accepted"),
            duplicates=report.count("duplicate"),
            conflicts=report.count("conflict"),
            rejected=report.count("rejected"),
            refolded=report.refolded,
            results=[
                EventResultPublic(
                    index=r.index,
                    id=r.id,
                    status=r.status,
                    reason=r.reason,
                    xp=r.xp,
                    levels=list(r.levels),
                )
                for r in report.results
            ],
        )


class BatchProblem(Problem, _BatchReport):
    """``event-conflict`` / ``events-rejected``: nothing of the batch was stored."""
