"""Events on the wire: JSON text, validation, canonical bodies and domain mapping.

One responsibility, the edge of the log, read in the order an event meets it:
its JSON text (:func:`loads`, which marks repeated keys), the models that
validate it and the reasons for refusing it, its canonical body and digest,
and the way back from a stored body. What a school accepts beyond the format
(its program's units and attributes, its time window) is
:mod:`levelwise.app.ingest.acceptance`.

The models are the edge of the log: whatever they accept, the fold can fold
and :func:`from_body` can read back. Ids follow one grammar (``ID_PATTERN``),
numbers are finite and bounded (``MAX_SECONDS``, ``MAX_SCORE``, ``MAX_COUNT``,
and each practice metric's own bounds) and times are real times of this era.
When an event may have happened is a school's policy, checked at ingest only
(:class:`~levelwise.app.ingest.acceptance.TimeWindow`).

Schema versions (``SCHEMA_VERSION``; each stored row keeps the version it was
written in, and :func:`from_body` upcasts older bodies):

1. The first version; ``practice.completed`` carried a free-form ``metrics``
   map of names to numbers.
2. ``practice.completed``'s ``metrics`` is typed: the names of
   :data:`~levelwise.domain.practice.PRACTICE_METRICS` only, each within its
   bounds; the event may name its ``session`` and ``scenario``
   (:func:`upcast_practice_v1_v2`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from levelwise.domain import events as ev
from levelwise.domain.practice import PRACTICE_METRICS, MetricSpec
from levelwise.domain.program import ATTRIBUTE_NAME, MAX_ATTRIBUTES
from levelwise.domain.recognition import zone
from levelwise.domain.xapi import parse_statement

ID_PATTERN = ev.ID_PATTERN
"""Every platform-chosen id (:data:`levelwise.domain.events.ID_PATTERN`)."""
ID_RULE = (
    "must be 1 to 200 characters: letters, digits and . _ : @ -, "
    "starting with a letter or digit"
)
MAX_ID_LENGTH = 200
Id = Annotated[str, Field(max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
MAX_DISPLAY_NAME = 100
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DISPLAY_NAME),
]
"""A learner's name as the school writes it: free text, stripped, 1 to 100."""
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories refused in display names: controls, format characters
(bidi overrides that reorder a printed name), surrogates, private use,
unassigned code points and line or paragraph separators."""
_JOINERS = frozenset({"\u200c", "\u200d"})
"""Zero-width (non-)joiners: format characters some scripts and emoji need."""
MAX_CREDIT_REASON = 200
CreditReason = Annotated[str, Field(min_length=1, max_length=MAX_CREDIT_REASON)]
"""Why live time was credited, as a learner reads it (``network broken
19:42–19:54``): free text of 1 to 200 characters, kept as sent (not stripped,
so what the published schema allows is what ingest accepts), not blank."""

MAX_SECONDS = ev.MAX_SECONDS
"""The longest duration an event reports: a day."""
MAX_SCORE = ev.MAX_SCORE
"""The largest ``score`` and ``max_score`` of a homework."""
MAX_COUNT = 1_000_000
"""The largest PK points and team points."""
MAX_STEPS = 10_000
"""The most turns, items, rounds or teams' ranks an event counts."""
MAX_METRIC = 1e9
"""The largest value of a practice metric whose own bounds set none."""
FIRST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(3000, 1, 1, tzinfo=UTC)
"""Events happen in ``[FIRST_TIME, END_OF_TIME)`` (UTC), wherever they come from."""


def _a_json_number(value: object) -> object:
    """Refuse what lax parsing would turn into a number: ``true``, ``"8"``."""
    if isinstance(value, bool | str | bytes):
        msg = f"must be a JSON number, not {type(value).__name__}"
        raise ValueError(msg)
    return value


# Numbers are strict at the edge: a JSON number, never a boolean or a string.
# A float field takes an integer (8 is 8.0); an integer field takes a whole
# float (3.0 is 3, as JSON Schema's "integer" says) but not 3.5.
Real = Annotated[float, Strict(), Field(allow_inf_nan=False)]
_NUMBER = BeforeValidator(_a_json_number)
Seconds = Annotated[Real, Field(ge=0, le=MAX_SECONDS)]
Score = Annotated[Real, Field(ge=0, le=MAX_SCORE)]
Steps = Annotated[int, Field(ge=0, le=MAX_STEPS), _NUMBER]
Points = Annotated[int, Field(ge=0, le=MAX_COUNT), _NUMBER]
SCHEMA_VERSION = 2
MAX_ATTRIBUTE_TEXT = 200
"""The longest text attribute."""
MAX_ATTRIBUTE_NUMBER = 1e9
"""The largest magnitude of a number attribute."""
AttributeValue = (
    StrictBool
    | Annotated[Real, Field(ge=-MAX_ATTRIBUTE_NUMBER, le=MAX_ATTRIBUTE_NUMBER)]
    | Annotated[str, Strict(), Field(min_length=1, max_length=MAX_ATTRIBUTE_TEXT)]
)
"""An attribute's value: a boolean, a finite number or a short text."""


def _plain_attributes(value: object) -> object:
    """Refuse attributes with one clear reason each (before the union's errors).

    Names are lower-case words; values are booleans, finite numbers up to
    ``MAX_ATTRIBUTE_NUMBER`` in size, or printable texts of 1 to
    ``MAX_ATTRIBUTE_TEXT`` characters.
    """
    if not isinstance(value, dict):
        return value
    if len(value) > MAX_ATTRIBUTES:
        msg = f"at most {MAX_ATTRIBUTES} attributes, not {len(value)}"
        raise ValueError(msg)
    for name, item in value.items():
        shown = clip(str(name), 40)
        if not isinstance(name, str) or not re.match(ATTRIBUTE_NAME, name):
            msg = (
                f"{shown!r} is not an attribute name "
                "(lower-case letters, digits and _, starting with a letter)"
            )
            raise ValueError(msg)
        if isinstance(item, bool):
            continue
        if isinstance(item, int | float):
            if not math.isfinite(item) or abs(item) > MAX_ATTRIBUTE_NUMBER:
                msg = f"{shown}: a number from -1e9 to 1e9"
                raise ValueError(msg)
        elif isinstance(item, str):
            if not 1 <= len(item) <= MAX_ATTRIBUTE_TEXT:
                msg = f"{shown}: a text of 1 to {MAX_ATTRIBUTE_TEXT} characters"
                raise ValueError(msg)
            try:
                printable(item)
            except ValueError as exc:
                msg = f"{shown}: {exc}"
                raise ValueError(msg) from exc
        else:
            msg = f"{shown}: must be a boolean, a number or a text"
            raise ValueError(msg)
    return value


def real_time(value: datetime) -> datetime:
    """``value``, if it is a real time of this era with a whole-minute offset.

    Raises:
        ValueError: The offset has seconds, or the time is outside
            ``[FIRST_TIME, END_OF_TIME)``.
    """
    offset = value.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        # RFC 3339 offsets are hours and minutes; JSON could not say more.
        msg = "the UTC offset must be whole minutes, as in +05:30"
        raise ValueError(msg)
    try:
        inside = FIRST_TIME <= value.astimezone(UTC) < END_OF_TIME
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        inside = False
    if not inside:
        msg = "must be a time from 1900 to 2999"
        raise ValueError(msg)
    return value


def printable(value: str) -> str:
    """``value``, if it holds no control or other invisible character.

    Free text that a learner reads (a display name, a credit's reason) must
    print as it is stored: no controls, bidi overrides, surrogates or
    unassigned code points (zero-width joiners are kept for scripts and
    emoji).

    Raises:
        ValueError: Naming the first such character.
    """
    for char in value:
        if unicodedata.category(char) in _INVISIBLE and char not in _JOINERS:
            msg = f"must not contain control characters (found U+{ord(char):04X})"
            raise ValueError(msg)
    return value


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    learner: Id
    occurred_at: AwareDatetime
    unit: Id | None = None
    attributes: (
        Annotated[
            dict[Annotated[str, Field(pattern=ATTRIBUTE_NAME)], AttributeValue],
            Field(max_length=MAX_ATTRIBUTES),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "Attributes the school's program declares for this event type "
            "(a teacher's rating); any other name is refused"
        ),
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _plain_attributes(cls, value: object) -> object:
        return _plain_attributes(value)

    @field_validator("attributes", mode="after")
    @classmethod
    def _sorted_attributes(
        cls, value: dict[str, bool | float | str] | None
    ) -> dict[str, bool | float | str] | None:
        # Sorted keys, and none when empty: an event without attributes has
        # the canonical body it had before attributes existed.
        return dict(sorted(value.items())) if value else None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        # Lax parsing reads a number as Unix time: a time is RFC 3339 text.
        if isinstance(value, int | float):
            msg = "must be an RFC 3339 date-time string, not a number"
            raise ValueError(msg)
        return value

    @field_validator("occurred_at", mode="after")
    @classmethod
    def _a_real_time(cls, value: datetime) -> datetime:
        return real_time(value)


class LessonWatchedIn(_Envelope):
    """``lesson.watched``: seconds of a recorded lesson watched."""

    type: Literal["lesson.watched"]
    seconds: Seconds


class LiveAttendedIn(_Envelope):
    """``live.attended``: seconds spent in a live class."""

    type: Literal["live.attended"]
    seconds: Seconds


class LiveCreditedIn(_Envelope):
    """``live.credited``: live seconds credited for time a network drop cost.

    Posted by the call-quality service; ``unit`` is the live class's unit and
    ``live_class`` the class occurrence.
    """

    type: Literal["live.credited"]
    seconds: Annotated[Real, Field(gt=0, le=MAX_SECONDS)]
    reason: CreditReason
    live_class: Id

    @field_validator("reason", mode="after")
    @classmethod
    def _readable(cls, value: str) -> str:
        if not value.strip():
            msg = "must not be blank"
            raise ValueError(msg)
        return printable(value)


class LiveInteractionIn(_Envelope):
    """``live.interaction``: one interaction in a live class."""

    type: Literal["live.interaction"]
    kind: Literal["mic", "answer", "chat", "pk"]
    correct: StrictBool | None = None
    pk: Id | None = None
    team: Id | None = None
    round: Annotated[int, Field(ge=1, le=MAX_STEPS), _NUMBER] | None = None
    response_ms: Annotated[int, Field(ge=0, le=3_600_000), _NUMBER] | None = None

    @model_validator(mode="after")
    def _pk_has_a_team(self) -> LiveInteractionIn:
        if self.pk is not None and (self.kind != "pk" or self.team is None):
            msg = "a group PK answer has kind 'pk' and names its team"
            raise ValueError(msg)
        return self


class HomeworkSubmittedIn(_Envelope):
    """``homework.submitted``: a scored homework."""

    type: Literal["homework.submitted"]
    score: Score
    max_score: Annotated[Real, Field(gt=0, le=MAX_SCORE)]

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


def _limits(name: str) -> Any:
    """Practice metric ``name``'s bounds, as the constraints of its type."""
    spec = PRACTICE_METRICS[name]
    low, high = _bounds(spec)
    if spec.integral:
        return Field(ge=int(low), le=int(high))
    return Field(ge=low, le=high)


def _about(name: str) -> Any:
    """Practice metric ``name``'s field: optional, with its label and unit."""
    spec = PRACTICE_METRICS[name]
    label = f"{spec.label[:1].upper()}{spec.label[1:]}"
    return Field(default=None, description=f"{label} ({spec.unit})")


def _bounds(spec: MetricSpec) -> tuple[float, float]:
    return spec.low, spec.high if spec.high is not None else MAX_METRIC


class PracticeMetricsIn(BaseModel):
    """The typed metrics of a practice session, each optional.

    The fields are :data:`~levelwise.domain.practice.PRACTICE_METRICS`, in its
    order, with its bounds (a unit test keeps them equal); whole numbers for
    the metrics that count things. Any other name is refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    speech_rate: Annotated[Real, _limits("speech_rate")] | None = _about("speech_rate")
    articulation_rate: Annotated[Real, _limits("articulation_rate")] | None = _about(
        "articulation_rate"
    )
    phonation_time_ratio: Annotated[Real, _limits("phonation_time_ratio")] | None = (
        _about("phonation_time_ratio")
    )
    mean_length_of_run: Annotated[Real, _limits("mean_length_of_run")] | None = _about(
        "mean_length_of_run"
    )
    mid_clause_pause_rate: Annotated[Real, _limits("mid_clause_pause_rate")] | None = (
        _about("mid_clause_pause_rate")
    )
    end_clause_pause_rate: Annotated[Real, _limits("end_clause_pause_rate")] | None = (
        _about("end_clause_pause_rate")
    )
    mean_pause_duration: Annotated[Real, _limits("mean_pause_duration")] | None = (
        _about("mean_pause_duration")
    )
    tokens: Annotated[int, _limits("tokens"), _NUMBER] | None = _about("tokens")
    mtld: Annotated[Real, _limits("mtld")] | None = _about("mtld")
    mattr: Annotated[Real, _limits("mattr")] | None = _about("mattr")
    cefr_a1: Annotated[Real, _limits("cefr_a1")] | None = _about("cefr_a1")
    cefr_a2: Annotated[Real, _limits("cefr_a2")] | None = _about("cefr_a2")
    cefr_b1: Annotated[Real, _limits("cefr_b1")] | None = _about("cefr_b1")
    cefr_b2: Annotated[Real, _limits("cefr_b2")] | None = _about("cefr_b2")
    cefr_beyond: Annotated[Real, _limits("cefr_beyond")] | None = _about("cefr_beyond")
    zipf_mean: Annotated[Real, _limits("zipf_mean")] | None = _about("zipf_mean")
    target_words: Annotated[int, _limits("target_words"), _NUMBER] | None = _about(
        "target_words"
    )
    target_words_used: Annotated[int, _limits("target_words_used"), _NUMBER] | None = (
        _about("target_words_used")
    )
    learner_turns: Annotated[int, _limits("learner_turns"), _NUMBER] | None = _about(
        "learner_turns"
    )
    interrupted_turns: Annotated[int, _limits("interrupted_turns"), _NUMBER] | None = (
        _about("interrupted_turns")
    )

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, value: object) -> object:
        # One clear reason, rather than "extra inputs are not permitted".
        if isinstance(value, dict):
            unknown = [k for k in value if k not in PRACTICE_METRICS]
            if unknown:
                more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
                msg = (
                    f"unknown practice metric {clip(str(unknown[0]), 40)!r}{more}; "
                    f"known: {', '.join(PRACTICE_METRICS)}"
                )
                raise ValueError(msg)
        return value

    def pairs(self) -> tuple[tuple[str, float], ...]:
        """The metrics given, as ``(name, value)`` sorted by name (floats)."""
        return tuple(
            sorted((k, float(v)) for k, v in self.__dict__.items() if v is not None)
        )


class PracticeCompletedIn(_Envelope):
    """``practice.completed``: a practice session (e.g. AI speaking partner).

    ``session`` names the practice session, ``scenario`` the scenario played
    (for a program's scenario, the id of its unit).
    """

    type: Literal["practice.completed"]
    seconds: Seconds
    turns: Steps = 0
    # Before session and scenario: an event without them has the same
    # canonical body as in schema version 1 when its metrics are empty.
    metrics: PracticeMetricsIn = Field(default_factory=PracticeMetricsIn)
    session: Id | None = None
    scenario: Id | None = None


class EnrolmentStartedIn(_Envelope):
    """``enrolment.started``: the learner enrolled."""

    type: Literal["enrolment.started"]


class SubscriptionRenewedIn(_Envelope):
    """``subscription.renewed``: the learner renewed."""

    type: Literal["subscription.renewed"]


class AbilityIn(BaseModel):
    """One dimension's ability estimate from the placement test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    theta: Annotated[Real, Field(ge=-10, le=10)]
    se: Annotated[Real, Field(gt=0, le=10)]


class PlacementCompletedIn(_Envelope):
    """``placement.completed``: the placement test's abilities (θ ± se)."""

    type: Literal["placement.completed"]
    abilities: dict[Annotated[str, Field(min_length=1, max_length=100)], AbilityIn] = (
        Field(min_length=1, max_length=50)
    )
    items: Steps
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
    points: Points
    team_points: Points
    rank: Annotated[int, Field(ge=1, le=MAX_STEPS), _NUMBER]
    won: StrictBool


class TeamRewardedIn(_Envelope):
    """``team.rewarded``: a learner's team met a team task's goal.

    Posted by the team-task service for each member when the goal is met.
    """

    type: Literal["team.rewarded"]
    task: Id
    window: Id
    team: Id
    contribution: Annotated[Real, Field(ge=0, le=MAX_METRIC)] = 0.0
    total: Annotated[Real, Field(ge=0, le=MAX_METRIC)] = 0.0


class ProfileUpdatedIn(_Envelope):
    """``profile.updated``: time zone, cohort, team, board visibility, title, name.

    ``display_name`` is the only free text: what public documents (the
    certificate) call the learner. Ids never appear there.
    """

    type: Literal["profile.updated"]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    cohort: Id | None = None
    team: Id | None = None
    public_boards: StrictBool | None = None
    title: Id | None = None
    display_name: DisplayName | None = None

    @field_validator("display_name", mode="after")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return value if value is None else printable(value)

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            msg = f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)"
            raise ValueError(msg)
        return value


MAX_STATEMENT = 262_144
"""The longest xAPI statement text an ``xapi.statement`` event carries."""


class XapiStatementIn(_Envelope):
    """``xapi.statement``: an xAPI statement, as the record store stored it.

    The record store posts it for a statement whose actor is a learner of the
    school (``levelwise.domain.xapi.learner_of``); the fold reads it through
    the program's ``xapi`` mapping. ``statement`` is the statement's JSON text
    (a JSON object whose ``id`` is the event's ``id``), kept byte for byte;
    ``occurred_at`` is its timestamp. It names no unit and no attributes: the
    mapping finds them.
    """

    type: Literal["xapi.statement"]
    statement: Annotated[str, Field(min_length=2, max_length=MAX_STATEMENT)]

    @model_validator(mode="after")
    def _a_statement_with_this_id(self) -> XapiStatementIn:
        if self.unit is not None or self.attributes:
            msg = "an xAPI statement names no unit or attributes: its mapping does"
            raise ValueError(msg)
        parsed = parse_statement(self.statement)
        if parsed == "not JSON":
            msg = "statement: must be the statement's JSON text"
            raise ValueError(msg)
        if isinstance(parsed, str):
            msg = "statement: must be a JSON object"
            raise ValueError(msg)
        if parsed.get("id") != self.id:
            msg = "statement: its id must be the event's id"
            raise ValueError(msg)
        return self


class EventVoidedIn(_Envelope):
    """``event.voided``: an earlier event of the learner no longer counts.

    The record store posts it for a voiding statement (its id is the voiding
    statement's, ``target`` the voided statement's). Ingest refuses it unless
    ``target`` is an event of the same learner that is no voiding and not
    voided yet.
    """

    type: Literal["event.voided"]
    target: Id

    @model_validator(mode="after")
    def _another_event(self) -> EventVoidedIn:
        if self.unit is not None or self.attributes:
            msg = "a voiding names no unit or attributes"
            raise ValueError(msg)
        if self.target == self.id:
            msg = "target: an event cannot void itself"
            raise ValueError(msg)
        return self


EventIn = Annotated[
    LessonWatchedIn
    | LiveAttendedIn
    | LiveCreditedIn
    | LiveInteractionIn
    | HomeworkSubmittedIn
    | QuestionAnsweredIn
    | UnitCompletedIn
    | PracticeCompletedIn
    | EnrolmentStartedIn
    | SubscriptionRenewedIn
    | PlacementCompletedIn
    | ProfileUpdatedIn
    | PkFinishedIn
    | TeamRewardedIn
    | XapiStatementIn
    | EventVoidedIn,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[EventIn] = TypeAdapter(EventIn)


def upcast_practice_v1_v2(body: dict[str, Any]) -> dict[str, Any]:
    """A version 1 ``practice.completed`` body as version 2.

    Version 1 accepted any metric name with any finite number up to 1e9;
    version 2 knows only :data:`~levelwise.domain.practice.PRACTICE_METRICS`,
    each within its bounds (whole numbers for counts). The metrics whose names
    are known and whose values fit are kept (a whole count as an integer), the
    others are dropped. No rule, badge, gate or mastery estimate could read
    version 1 metrics, so dropping them changes no decision of the fold.

    Args:
        body: The stored body, parsed.

    Returns:
        The body with its metrics as version 2 has them.
    """
    kept: dict[str, float | int] = {}
    for name, value in (body.get("metrics") or {}).items():
        spec = PRACTICE_METRICS.get(name)
        if spec is None or isinstance(value, bool):
            continue
        low, high = _bounds(spec)
        if not isinstance(value, int | float) or not low <= value <= high:
            continue  # a NaN fails the comparison too
        if spec.integral:
            if not float(value).is_integer():
                continue
            value = int(value)
        kept[name] = value
    return {**body, "metrics": kept}


def _unchanged(body: dict[str, Any]) -> dict[str, Any]:
    """A body whose type did not change between two versions."""
    return body


UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    (name, 1): upcast_practice_v1_v2 if name == "practice.completed" else _unchanged
    for name in ev.EVENT_TYPES
}
"""``(type, version) -> function`` turning a stored body into the next version."""


class _Repeating(dict[str, Any]):
    """A parsed JSON object that named a key more than once (the last value kept).

    Attributes:
        repeated: The keys it repeated.
    """

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _Repeating(found)
    marked.repeated = tuple(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return marked


def loads(raw: str | bytes) -> Any:
    """Parse JSON text, marking every object that repeats a key.

    JSON parsers keep one of the values of a repeated key, and which one is not
    the same everywhere, so such an event would mean different things to
    different readers: :func:`repeated_keys` finds them, and ingest refuses
    the event that holds one.

    Raises:
        ValueError: The text is not JSON (``json.JSONDecodeError``) or not
            Unicode (``UnicodeDecodeError``).
    """
    return json.loads(raw, object_pairs_hook=_object)


def repeated_keys(value: object, path: str = "", *, deep: bool = True) -> list[str]:
    """The keys repeated in ``value`` (parsed by :func:`loads`), as dotted paths.

    With ``deep=False`` only ``value``'s own keys are looked at.
    """
    found: list[str] = []
    if isinstance(value, _Repeating):
        found += [f"{path}{clip(key)}" for key in value.repeated]
    if not deep:
        return found
    # Only containers can hold a repeated key: scalars are skipped unvisited
    # (this runs for every event of every batch).
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                found += repeated_keys(item, f"{path}{clip(str(key))}.")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                found += repeated_keys(item, f"{path}{index}.")
    return found


MAX_REASONS = 5
"""The most problems one event's reason lists."""
_CLIP = 60


def clip(text: str, limit: int = _CLIP) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis: never echo a megabyte."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_errors(exc: ValidationError) -> str:
    """Render pydantic errors as ``field: problem; field: problem``.

    Field names and values are clipped (a client's 1 MB key is not sent back)
    and at most ``MAX_REASONS`` problems are listed.
    """
    parts = []
    errors = exc.errors(include_url=False)
    for err in errors[:MAX_REASONS]:
        loc = [clip(str(p)) for p in err["loc"]]
        if loc and "." in loc[0]:
            loc = loc[1:]  # drop the union tag, e.g. 'lesson.watched'
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            got = err.get("input", {})
            kind = clip(repr(got.get("type") if isinstance(got, dict) else None))
            msg = f"unknown event type {kind}; known: {', '.join(ev.EVENT_TYPES)}"
            loc = ["type"]
        elif err["type"] == "union_tag_not_found":
            msg, loc = "missing 'type'", ["type"]
        elif err["type"] == "string_pattern_mismatch":
            msg = ID_RULE if err.get("ctx", {}).get("pattern") == ID_PATTERN else msg
        msg = clip(msg, 400)
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    if len(errors) > MAX_REASONS:
        parts.append(f"and {len(errors) - MAX_REASONS} more")
    return "; ".join(parts)


def event_id_of(item: object) -> str | None:
    """The id a raw event gives itself, if it is one the result may repeat."""
    ident = item.get("id") if isinstance(item, dict) else None
    return ident if isinstance(ident, str) and len(ident) <= MAX_ID_LENGTH else None


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
    data["attributes"] = tuple(sorted((data["attributes"] or {}).items()))
    if "metrics" in data:
        data["metrics"] = data["metrics"].pairs()
    if "abilities" in data:
        data["abilities"] = tuple(
            (dim, a.theta, a.se) for dim, a in sorted(data["abilities"].items())
        )
    return cls(**data)


def from_body(body: str, version: int = SCHEMA_VERSION) -> ev.Event:
    """Rebuild a domain event from a stored body, upcasting older versions.

    A stored body was validated when it was accepted, under the rules of its
    day, and written in canonical form (:func:`canonical_body`). It is read back
    as it is, not validated again: a rule added at the edge later (a range, the
    id grammar, the time window) never makes an accepted event unreadable, so
    the log always replays (ARCHITECTURE.md, "the event log is the truth").
    """
    data = json.loads(body)
    while version < SCHEMA_VERSION:
        data = UPCASTERS[(data["type"], version)](data)
        version += 1
    cls = ev.EVENT_TYPES[data.pop("type")]
    data["occurred_at"] = datetime.fromisoformat(data["occurred_at"])
    if "attributes" in data:
        data["attributes"] = tuple(
            (name, float(value) if type(value) is int else value)
            for name, value in sorted(data["attributes"].items())
        )
    if "metrics" in data:
        data["metrics"] = tuple(
            sorted((name, float(value)) for name, value in data["metrics"].items())
        )
    if "abilities" in data:
        data["abilities"] = tuple(
            (dim, a["theta"], a["se"]) for dim, a in sorted(data["abilities"].items())
        )
    event: ev.Event = cls(**data)
    return event


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (used by the demo and tests)."""
    return datetime.fromisoformat(value)
