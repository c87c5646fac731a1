"""Events on the wire: pydantic validation, canonical bodies and domain mapping."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from levelwise.domain import events as ev
from levelwise.domain.program import Program
from levelwise.domain.recognition import zone

Id = Annotated[str, Field(min_length=1, max_length=200)]
Seconds = Annotated[float, Field(ge=0, le=86_400)]
SCHEMA_VERSION = 1


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    learner: Id
    occurred_at: AwareDatetime
    unit: Id | None = None


class LessonWatchedIn(_Envelope):
    """``lesson.watched``: seconds of a recorded lesson watched."""

    type: Literal["lesson.watched"]
    seconds: Seconds


class LiveAttendedIn(_Envelope):
    """``live.attended``: seconds spent in a live class."""

    type: Literal["live.attended"]
    seconds: Seconds


class LiveInteractionIn(_Envelope):
    """``live.interaction``: one interaction in a live class."""

    type: Literal["live.interaction"]
    kind: Literal["mic", "answer", "chat", "pk"]
    correct: StrictBool | None = None
    pk: Id | None = None
    team: Id | None = None
    round: Annotated[int, Field(ge=1, le=10_000)] | None = None
    response_ms: Annotated[int, Field(ge=0, le=3_600_000)] | None = None

    @model_validator(mode="after")
    def _pk_has_a_team(self) -> LiveInteractionIn:
        if self.pk is not None and (self.kind != "pk" or self.team is None):
            msg = "a group PK answer has kind 'pk' and names its team"
            raise ValueError(msg)
        return self


class HomeworkSubmittedIn(_Envelope):
    """``homework.submitted``: a scored homework."""

    type: Literal["homework.submitted"]
    score: Annotated[float, Field(ge=0)]
    max_score: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _score_within_max(self) -> HomeworkSubmittedIn:
        if self.score > self.max_score:
            msg = f"score {self.score:g} is above max_score {self.max_score:g}"
            raise ValueError(msg)
        return self


class QuestionAnsweredIn(_Envelope):
    """``question.answered``: a scored answer on a knowledge point."""

    type: Literal["question.answered"]
    item: Id
    knowledge_point: Id
    correct: StrictBool
    seconds: Seconds = 0.0


class UnitCompletedIn(_Envelope):
    """``unit.completed``: the platform says the unit is done."""

    type: Literal["unit.completed"]
    unit: Id


class PracticeCompletedIn(_Envelope):
    """``practice.completed``: a practice session (e.g. AI speaking partner)."""

    type: Literal["practice.completed"]
    seconds: Seconds
    turns: Annotated[int, Field(ge=0, le=10_000)] = 0
    metrics: dict[Annotated[str, Field(max_length=100)], float] = Field(
        default_factory=dict, max_length=50
    )


class EnrolmentStartedIn(_Envelope):
    """``enrolment.started``: the learner enrolled."""

    type: Literal["enrolment.started"]


class SubscriptionRenewedIn(_Envelope):
    """``subscription.renewed``: the learner renewed."""

    type: Literal["subscription.renewed"]


class AbilityIn(BaseModel):
    """One dimension's ability estimate from the placement test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    theta: Annotated[float, Field(ge=-10, le=10, allow_inf_nan=False)]
    se: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]


class PlacementCompletedIn(_Envelope):
    """``placement.completed``: the placement test's abilities (θ ± se)."""

    type: Literal["placement.completed"]
    abilities: dict[Annotated[str, Field(min_length=1, max_length=100)], AbilityIn] = (
        Field(min_length=1, max_length=50)
    )
    items: Annotated[int, Field(ge=0, le=10_000)]
    session: Id | None = None

    @field_validator("abilities", mode="after")
    @classmethod
    def _sorted(cls, value: dict[str, AbilityIn]) -> dict[str, AbilityIn]:
        # Sorted keys: the canonical body does not depend on the client's order.
        return dict(sorted(value.items()))


class PkFinishedIn(_Envelope):
    """``pk.finished``: a learner's team result in a group PK."""

    type: Literal["pk.finished"]
    pk: Id
    team: Id
    points: Annotated[int, Field(ge=0)]
    team_points: Annotated[int, Field(ge=0)]
    rank: Annotated[int, Field(ge=1)]
    won: StrictBool


class ProfileUpdatedIn(_Envelope):
    """``profile.updated``: time zone, cohort, team, board visibility, title."""

    type: Literal["profile.updated"]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    cohort: Id | None = None
    team: Id | None = None
    public_boards: StrictBool | None = None
    title: Id | None = None

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            msg = f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)"
            raise ValueError(msg)
        return value


EventIn = Annotated[
    LessonWatchedIn
    | LiveAttendedIn
    | LiveInteractionIn
    | HomeworkSubmittedIn
    | QuestionAnsweredIn
    | UnitCompletedIn
    | PracticeCompletedIn
    | EnrolmentStartedIn
    | SubscriptionRenewedIn
    | PlacementCompletedIn
    | ProfileUpdatedIn
    | PkFinishedIn,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[EventIn] = TypeAdapter(EventIn)

UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``(type, version) -> function`` turning a stored body into the next version."""


def describe_errors(exc: ValidationError) -> str:
    """Render pydantic errors as ``field: problem; field: problem``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        if loc and "." in loc[0]:
            loc = loc[1:]  # drop the union tag, e.g. 'lesson.watched'
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            got = err.get("input", {})
            kind = got.get("type") if isinstance(got, dict) else None
            msg = f"unknown event type {kind!r}; known: {', '.join(ev.EVENT_TYPES)}"
            loc = ["type"]
        elif err["type"] == "union_tag_not_found":
            msg, loc = "missing 'type'", ["type"]
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts)


def check_references(model: BaseModel, program: Program) -> str | None:
    """Why the event does not fit the program (unknown unit, point or dimension)."""
    fields = model.__dict__  # plain dict: no pydantic __getattr__ on a miss
    for dim in fields.get("abilities") or ():
        if dim not in program.dimension_weights:
            known = ", ".join(d.id for d in program.dimensions)
            return (
                f"abilities: unknown dimension {dim!r} in program {program.id}; "
                f"known: {known}"
            )
    unit = fields.get("unit")
    if unit is not None and unit not in program.unit_by_id:
        return f"unit: unknown unit {unit!r} in program {program.id} v{program.version}"
    kp = fields.get("knowledge_point")
    if kp is not None and kp not in program.kp_by_id:
        return (
            f"knowledge_point: unknown knowledge point {kp!r} in program {program.id}"
        )
    return None


def canonical_body(model: BaseModel) -> str:
    """The event as canonical JSON: the model's field order, compact, no nulls.

    Each event type has one fixed field order, so equal events give equal bytes
    whatever the client's key order or number spelling (``8`` and ``8.0``).
    """
    return model.__pydantic_serializer__.to_json(model, exclude_none=True).decode()


def digest_of(body: str) -> str:
    """SHA-256 of a canonical body."""
    return hashlib.sha256(body.encode()).hexdigest()


def to_domain(model: BaseModel) -> ev.Event:
    """Map a validated wire event to its frozen domain dataclass."""
    data = dict(model.__dict__)
    cls = ev.EVENT_TYPES[data.pop("type")]
    if "metrics" in data:
        data["metrics"] = tuple(sorted(data["metrics"].items()))
    if "abilities" in data:
        data["abilities"] = tuple(
            (dim, a.theta, a.se) for dim, a in sorted(data["abilities"].items())
        )
    return cls(**data)


def from_body(body: str, version: int = SCHEMA_VERSION) -> ev.Event:
    """Rebuild a domain event from a stored body, upcasting older versions."""
    data = json.loads(body)
    while version < SCHEMA_VERSION:
        data = UPCASTERS[(data["type"], version)](data)
        version += 1
    return to_domain(EVENT_ADAPTER.validate_python(data))


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (used by the demo and tests)."""
    return datetime.fromisoformat(value)
