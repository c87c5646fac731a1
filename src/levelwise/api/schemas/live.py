"""Wire models of live-class call quality: samples in, reports out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from levelwise.app.quality.service import MAX_SAMPLES, EndReport, StatsReport

SAMPLE_DOC = (
    "One participant's statistics at one moment: `participant` (id), `role` "
    "(`teacher` or `learner`), `at` (RFC 3339 with offset), exactly one of "
    "`webrtc` (the array `RTCPeerConnection.getStats()` returns, W3C names) or "
    "`agora` (Agora's statistics of the far side: `audio`, `video`, `network`, "
    "`rtc`), and optionally `unit` (the program's live-class unit) and `class` "
    "(must equal the path's). Each sample is checked on its own: a bad one is "
    "rejected with its reason and the others are kept."
)


class StatsBatchCreate(BaseModel):
    """A batch of one class's samples (about one a second per participant)."""

    model_config = ConfigDict(extra="forbid")

    samples: Annotated[
        list[dict[str, Any]],
        Field(min_length=1, max_length=MAX_SAMPLES, description=SAMPLE_DOC),
    ]


class RejectedPublic(BaseModel):
    """A sample that was not taken."""

    index: int = Field(description="Its place in `samples` (0-based).")
    participant: str | None
    reason: str


class StatsReportPublic(BaseModel):
    """What a batch did."""

    class_: str = Field(alias="class")
    accepted: int
    rejected: list[RejectedPublic]
    notes: list[str] = Field(
        description="What was ignored inside accepted samples (a new peer "
        "connection, an absurd field)."
    )
    intervals: int = Field(description="Graded intervals the batch produced.")
    alerts: list[str] = Field(description="Alerts the batch raised.")

    @classmethod
    def of(cls, r: StatsReport) -> StatsReportPublic:
        """The public form of a batch's report."""
        return cls.model_validate(
            {
                "class": r.klass,
                "accepted": r.accepted,
                "rejected": [
                    {"index": x.index, "participant": x.participant, "reason": x.reason}
                    for x in r.rejected
                ],
                "notes": list(r.notes),
                "intervals": r.intervals,
                "alerts": list(r.alerts),
            }
        )


class CreditPublic(BaseModel):
    """Live minutes credited to a learner."""

    learner: str
    seconds: float
    reason: str
    event_id: str
    status: str = Field(description="What ingest made of the credit event.")


class EndReportPublic(BaseModel):
    """What ending a class did."""

    class_: str = Field(alias="class")
    policy: str = Field(description="The program's `live_quality.credit`.")
    credits: list[CreditPublic]

    @classmethod
    def of(cls, r: EndReport) -> EndReportPublic:
        """The public form of an end report."""
        return cls.model_validate(
            {
                "class": r.klass,
                "policy": r.policy,
                "credits": [
                    {
                        "learner": c.learner,
                        "seconds": c.seconds,
                        "reason": c.reason,
                        "event_id": c.event_id,
                        "status": c.status,
                    }
                    for c in r.credits
                ],
            }
        )


Band = Literal["good", "acceptable", "degraded", "broken"]


class SharesPublic(BaseModel):
    """Share of the graded audio time in each band (0 to 1)."""

    good: float
    acceptable: float
    degraded: float
    broken: float


class EpisodePublic(BaseModel):
    """A stretch of degraded or broken audio, with its likely cause."""

    participant: str = Field(description="Who heard it.")
    role: str
    start: str
    end: str
    band: Band
    worst_ms: int
    cause: Literal[
        "long_path", "uplink_congestion", "sender_cpu", "jitter_buffer", "loss"
    ]
    side: Literal["teacher", "learner", "both", "unknown"] = Field(
        description="Which side of the call the cause lies on."
    )
    broken_seconds: float


class MomentPublic(BaseModel):
    """One of the class's worst 10 s windows."""

    participant: str
    role: str
    media: Literal["audio", "video"]
    start: str
    end: str
    delay_ms: int
    band: Band | None


class ParticipantQualityPublic(BaseModel):
    """What one participant heard: delay, bands, MOS, drops, verdict."""

    participant: str
    role: str
    seconds: float = Field(description="Seconds of audio graded.")
    mean_delay_ms: int | None = Field(description="Estimated one-way delay.")
    worst_delay_ms: int | None
    shares: SharesPublic
    mos: float | None = Field(
        description="The E-model's MOS (for Opus a relative index)."
    )
    band: Band | None = Field(
        description="The worst band holding at least 5 % of the time."
    )
    drops: int = Field(description="Network drops (gaps in the statistics).")
    drop_seconds: float
    episodes: list[EpisodePublic]
    verdict: str


class ClassQualityPublic(BaseModel):
    """A live class's call quality."""

    class_: str = Field(alias="class")
    first_at: str
    last_at: str
    band: Band | None = Field(description="The worst participant's band.")
    shares: SharesPublic
    verdict: str
    worst_moments: list[MomentPublic]
    participants: list[ParticipantQualityPublic]
