"""Wire models of practice sessions with the AI speaking partner."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from levelwise.api.schemas.common import TEXT_PATTERN, PublicModel
from levelwise.app.ingest.wire import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    Id,
    Real,
    Seconds,
    real_time,
)
from levelwise.app.practice.ports import SessionRecord, TurnRecord
from levelwise.app.practice.service import Finished, Opened

STAGES = (
    "turn_end",
    "transcript",
    "first_token",
    "first_sentence",
    "first_audio",
    "barge_in_stop",
)
"""The timed stages of a turn, in order (milliseconds from the learner's end)."""


class PracticeCreate(BaseModel):
    """Open a practice session for a learner."""

    model_config = ConfigDict(extra="forbid")

    learner: Id = Field(description="The platform's learner id")
    unit: Id | None = Field(
        default=None,
        description="A practice unit; default: the first practice unit (in "
        "the program's order) whose points the learner has not mastered yet",
    )


class WordPublic(PublicModel):
    """A recognised word with its time in the turn's audio."""

    text: str
    start: float = Field(description="Seconds from the turn's start")
    end: float


class TurnPublic(PublicModel):
    """One turn of the conversation."""

    index: int
    role: str = Field(description="`learner` or `partner`")
    text: str = Field(description="For the partner: the words actually delivered")
    mode: str = Field(description="`text` or `voice`")
    words: list[WordPublic] = Field(default_factory=list)
    duration: float | None = None
    interrupted: bool = False
    generated: str = Field(
        default="", description="The partner's whole generated reply"
    )
    latency: dict[str, float] = Field(
        default_factory=dict,
        description="Milliseconds from the learner's speech end (or text) to "
        "each stage: " + ", ".join(STAGES),
    )
    source: str = Field(default="", description="Who produced a partner turn")

    @classmethod
    def from_turn(cls, turn: TurnRecord) -> TurnPublic:
        """The wire form of a stored turn."""
        return cls(
            index=turn.index,
            role=turn.role,
            text=turn.text,
            mode=turn.mode,
            words=[WordPublic(text=w, start=s, end=e) for w, s, e in turn.words],
            duration=turn.duration,
            interrupted=turn.interrupted,
            generated=turn.generated,
            latency=dict(turn.latency),
            source=turn.source,
        )


class LatencyPublic(PublicModel):
    """A stage's latency over the session's partner turns."""

    n: int
    p50: float
    p90: float


class PracticePublic(PublicModel):
    """A practice session: its brief, turns, latency and, once finished, scores."""

    session: str
    learner: str
    unit: str
    scenario: str
    status: str = Field(description="`open` or `finished`")
    started_at: str
    finished_at: str | None = None
    brief: dict[str, str] = Field(
        description="What the partner was told: level, weak points, vocabulary"
    )
    backends: dict[str, str]
    turns: list[TurnPublic]
    notices: list[str]
    latency: dict[str, LatencyPublic] = Field(
        description="p50 and p90 per timed stage over the partner's turns"
    )
    metrics: dict[str, float] = Field(
        description="The session's scores (practice metrics), once finished"
    )
    event_id: str | None = None

    @classmethod
    def from_record(cls, record: SessionRecord) -> PracticePublic:
        """The wire form of a stored session."""
        return cls(
            session=record.session,
            learner=record.learner,
            unit=record.unit,
            scenario=record.scenario,
            status=record.status,
            started_at=record.started_at,
            finished_at=record.finished_at,
            brief=dict(record.brief),
            backends=dict(record.backends),
            turns=[TurnPublic.from_turn(t) for t in record.turns],
            notices=list(record.notices),
            latency=latency_summary(record.turns),
            metrics=dict(record.metrics),
            event_id=record.event_id,
        )


def latency_summary(turns: tuple[TurnRecord, ...]) -> dict[str, LatencyPublic]:
    """p50 and p90 of each stage over the partner turns that timed it."""
    found: dict[str, list[float]] = {}
    for turn in turns:
        for stage, ms in turn.latency:
            found.setdefault(stage, []).append(ms)
    summary = {}
    for stage in STAGES:
        values = sorted(found.get(stage, ()))
        if values:
            summary[stage] = LatencyPublic(
                n=len(values), p50=_quantile(values, 0.5), p90=_quantile(values, 0.9)
            )
    return summary


def _quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0.5 or 0.9) by linear interpolation."""
    if len(values) == 1:
        return values[0]
    if q == 0.5:
        return round(statistics.median(values), 1)
    return round(statistics.quantiles(values, n=10, method="inclusive")[8], 1)


class PracticeOpenedPublic(PracticePublic):
    """A new session and how to connect to it."""

    token: str = Field(
        description="Opens the session's WebSocket: "
        "`/v1/practice/{session}/ws?token=...` (shown once)"
    )
    ws_path: str

    @classmethod
    def from_opened(cls, opened: Opened) -> PracticeOpenedPublic:
        """The wire form of a new session."""
        base = PracticePublic.from_record(opened.record)
        return cls(
            **base.model_dump(),
            token=opened.token,
            ws_path=f"/v1/practice/{opened.record.session}/ws",
        )


class PracticeFinishedPublic(PracticePublic):
    """A finished session and what its ``practice.completed`` event did."""

    event_status: str
    event_reason: str
    xp: int
    levels: list[str]

    @classmethod
    def from_finished(cls, done: Finished) -> PracticeFinishedPublic:
        """The wire form of a finished session."""
        base = PracticePublic.from_record(done.record)
        return cls(
            **base.model_dump(),
            event_status=done.event_status,
            event_reason=done.event_reason,
            xp=done.xp,
            levels=list(done.levels),
        )


# -- conversations another engine runs (Pipecat, a school's own voice agent) ----

MAX_EXTERNAL_TURNS = 500
"""The most turns a conversation recorded from another engine may have."""
MAX_TURN_TEXT = 4000
"""The longest text of one turn, in characters."""
MAX_TURN_WORDS = 2000
"""The most timed words one learner turn may carry."""
MAX_EXTERNAL_WORDS = 20_000
"""The most timed words a whole conversation may carry."""
MAX_WORD = 100
"""The longest recognised word, in characters."""
MAX_LATENCY_MS = 3_600_000.0
"""The longest stage latency, in milliseconds (an hour)."""
MAX_SESSION_LENGTH = MAX_ID_LENGTH - len("practice-")
"""The longest session id: its event id ``practice-<session>`` is an id too."""
SOURCE_PATTERN = r"^[a-z][a-z0-9_.-]{0,39}$"

Stage = Literal[
    "turn_end",
    "transcript",
    "first_token",
    "first_sentence",
    "first_audio",
    "barge_in_stop",
]
"""A timed stage of a partner turn: one of ``STAGES``."""
Milliseconds = Annotated[Real, Field(ge=0, le=MAX_LATENCY_MS)]
SessionKey = Annotated[str, Field(max_length=MAX_SESSION_LENGTH, pattern=ID_PATTERN)]


def _instant(value: object) -> object:
    # Lax parsing reads a number as Unix time: a time is RFC 3339 text.
    if not isinstance(value, str):
        msg = "must be an RFC 3339 date-time string"
        raise ValueError(msg)
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_instant), AfterValidator(real_time)]
"""An RFC 3339 date-time with an offset, from 1900 to 2999."""


def _utc(value: datetime) -> str:
    """``2026-12-07T14:23:36.126000Z``: the UTC text a session stores."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class PracticeInstructionsCreate(BaseModel):
    """Ask for the partner's instructions for a conversation another engine runs."""

    model_config = ConfigDict(extra="forbid")

    learner: Id = Field(description="The platform's learner id")
    unit: Id | None = Field(
        default=None,
        description="A practice unit; default: chosen as for `POST /v1/practice`",
    )


class PracticeInstructionsPublic(PublicModel):
    """The partner's system prompt, for the learner's level and weak points."""

    unit: str = Field(description="The practice unit the conversation is on")
    scenario: str = Field(description="The unit's scenario ('' when it has none)")
    instructions: str = Field(
        description="The system prompt: the learner's level, skills, weakest "
        "points of the unit and the scenario; never the learner's id"
    )


class ExternalWordCreate(BaseModel):
    """A recognised word of a learner turn, timed."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_WORD, pattern=TEXT_PATTERN)
    start: Seconds = Field(description="Seconds from the turn's (or stream's) start")
    end: Seconds = Field(description="Seconds; not before `start`")

    @model_validator(mode="after")
    def _ordered(self) -> ExternalWordCreate:
        if self.end < self.start:
            msg = "a word's end must not be before its start"
            raise ValueError(msg)
        return self


class ExternalLearnerTurnCreate(BaseModel):
    """What the learner said in a conversation another engine ran."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["learner"]
    text: str = Field(
        min_length=1,
        max_length=MAX_TURN_TEXT,
        pattern=TEXT_PATTERN,
        description="The transcript (or the typed text)",
    )
    mode: Literal["text", "voice"] = "voice"
    words: list[ExternalWordCreate] = Field(
        default_factory=list,
        max_length=MAX_TURN_WORDS,
        description="The recognised words with timestamps, in order: fluency "
        "is measured from them",
    )
    duration: Seconds | None = Field(
        default=None, description="Seconds of the turn's audio"
    )

    @model_validator(mode="after")
    def _said_in_order(self) -> ExternalLearnerTurnCreate:
        if not self.text.strip():
            msg = "a learner turn needs its text"
            raise ValueError(msg)
        starts = [w.start for w in self.words]
        if starts != sorted(starts):
            msg = "the words must be in order of their start"
            raise ValueError(msg)
        return self

    def record(self, index: int) -> TurnRecord:
        """The turn as a session keeps it."""
        return TurnRecord(
            index=index,
            role="learner",
            text=self.text,
            mode=self.mode,
            words=tuple((w.text, w.start, w.end) for w in self.words),
            duration=self.duration,
        )


class ExternalPartnerTurnCreate(BaseModel):
    """What the partner said in a conversation another engine ran."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["partner"]
    text: str = Field(
        max_length=MAX_TURN_TEXT,
        pattern=TEXT_PATTERN,
        description="The words actually spoken (for an interrupted turn, only "
        "those; empty if it was cut off before its first word)",
    )
    mode: Literal["text", "voice"] = "voice"
    interrupted: StrictBool = Field(
        default=False, description="The learner cut it off (barge-in)"
    )
    generated: str = Field(
        default="",
        max_length=MAX_TURN_TEXT,
        pattern=TEXT_PATTERN,
        description="The whole reply as generated, when more than was spoken",
    )
    latency: dict[Stage, Milliseconds] = Field(
        default_factory=dict,
        description="Milliseconds from the learner's speech end to each stage "
        "(`barge_in_stop`: from the learner's speech start)",
    )

    def record(self, index: int, source: str) -> TurnRecord:
        """The turn as a session keeps it, produced by ``source``."""
        return TurnRecord(
            index=index,
            role="partner",
            text=self.text,
            mode=self.mode,
            interrupted=self.interrupted,
            generated=self.generated or self.text,
            latency=tuple((s, self.latency[s]) for s in STAGES if s in self.latency),
            source=source,
        )


ExternalTurnCreate = Annotated[
    ExternalLearnerTurnCreate | ExternalPartnerTurnCreate,
    Field(discriminator="role"),
]
"""One turn of a conversation another engine ran, by ``role``."""


class PracticeExternalCreate(BaseModel):
    """A finished conversation another engine ran, to score and record."""

    model_config = ConfigDict(extra="forbid")

    session: SessionKey = Field(
        description="The conversation's id, chosen by the caller (unique per "
        "conversation: sending it again is a no-op)"
    )
    learner: Id = Field(description="The platform's learner id")
    unit: Id | None = Field(
        default=None,
        description="The practice unit; default: chosen as for `POST /v1/practice`",
    )
    started_at: Instant = Field(description="When the conversation started")
    finished_at: Instant = Field(
        description="When it ended: the `practice.completed` event's time"
    )
    source: str = Field(
        pattern=SOURCE_PATTERN,
        description="The engine that ran it (`pipecat`): lower case, 1 to 40",
    )
    turns: list[ExternalTurnCreate] = Field(min_length=1, max_length=MAX_EXTERNAL_TURNS)

    @model_validator(mode="after")
    def _a_conversation(self) -> PracticeExternalCreate:
        if self.finished_at < self.started_at:
            msg = "'finished_at' must not be before 'started_at'"
            raise ValueError(msg)
        if not any(t.role == "learner" for t in self.turns):
            msg = "the learner said nothing: a conversation needs a learner turn"
            raise ValueError(msg)
        words = sum(
            len(t.words) for t in self.turns if isinstance(t, ExternalLearnerTurnCreate)
        )
        if words > MAX_EXTERNAL_WORDS:
            msg = f"a conversation carries at most {MAX_EXTERNAL_WORDS:,} timed words"
            raise ValueError(msg)
        return self

    @property
    def started(self) -> str:
        """``started_at`` as the session stores it (UTC)."""
        return _utc(self.started_at)

    @property
    def finished(self) -> str:
        """``finished_at`` as the session stores it (UTC)."""
        return _utc(self.finished_at)

    def turn_records(self) -> tuple[TurnRecord, ...]:
        """The conversation as a session keeps it."""
        return tuple(
            t.record(i, self.source)
            if isinstance(t, ExternalPartnerTurnCreate)
            else t.record(i)
            for i, t in enumerate(self.turns)
        )

    def recorded_by(self, record: SessionRecord) -> bool:
        """Whether ``record`` is this very conversation, recorded before.

        Args:
            record: The stored session with this conversation's id.

        Returns:
            True when the stored session came from the same engine with the
            same learner, unit (when given), times and turns.
        """
        return (
            record.backends == (("engine", self.source),)
            and record.learner == self.learner
            and (self.unit is None or record.unit == self.unit)
            and record.started_at == self.started
            and record.finished_at == self.finished
            and record.turns == self.turn_records()
        )
