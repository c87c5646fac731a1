"""Ports and vocabulary of live-class call quality.

Levelwise does not carry the call: the classroom's real-time SDK reports its
statistics (a browser's ``RTCPeerConnection.getStats()`` or Agora's per remote
user statistics) about once a second per participant. Each report is a
:class:`Sample`. Consecutive samples of one participant give one
:class:`Measures` per medium and interval (WebRTC counters are cumulative, so an
interval is the difference of two snapshots; Agora reports per-interval values).
Grading turns measures into a :class:`Graded` interval: the estimated one-way
mouth-to-ear delay of what the participant *hears and sees*, its band, and the
ITU-T G.107 E-model's R and MOS.

Graded intervals are kept raw for a retention period, and rolled up in 10 s
:class:`Bucket` rows and per class and participant in :class:`Presence` rows;
degraded stretches become :class:`Episode` rows with their likely cause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from levelwise.errors import QualityInputError

Role = Literal["teacher", "learner"]
"""Who a participant is in the class."""
Media = Literal["audio", "video"]
"""The medium an interval measures."""
Band = Literal["good", "acceptable", "degraded", "broken"]
"""A delay band, from best to worst."""
BANDS: tuple[Band, ...] = ("good", "acceptable", "degraded", "broken")
"""The bands in order, best first."""
Source = Literal["webrtc", "agora"]
"""The statistics' shape."""
Cause = Literal["long_path", "uplink_congestion", "sender_cpu", "jitter_buffer", "loss"]
"""The likely cause of a degraded stretch, read from the statistics.

* ``long_path``: the round trip alone puts the delay out of band;
* ``uplink_congestion``: the far side's sender is limited by bandwidth
  (``qualityLimitationReason = bandwidth``) or loses what it sends;
* ``sender_cpu``: the far side's sender is limited by CPU;
* ``jitter_buffer``: the receiver's jitter buffer holds the audio back;
* ``loss``: packets are lost (the MOS, not the delay, is what suffers).
"""
Side = Literal["teacher", "learner", "both", "unknown"]
"""Which side of the call a cause lies on."""


BandSeconds = tuple[float, float, float, float]
"""Seconds in each band, in :data:`BANDS` order."""


def add_bands(a: BandSeconds, b: BandSeconds) -> BandSeconds:
    """Seconds per band added band by band."""
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


@dataclass(frozen=True)
class Thresholds:
    """What grading compares against; every value is a setting.

    The defaults follow the targets of the seed: about 300 ms one way for
    audio and 400 ms for video feel natural, past 800 ms people talk over each
    other; ITU-T G.114 calls up to 150 ms transparent.

    Attributes:
        good_ms: Audio good up to this one-way delay.
        acceptable_ms: Audio acceptable up to this.
        degraded_ms: Degraded up to this, broken beyond (audio and video).
        video_acceptable_ms: Video acceptable up to this (good up to
            ``good_ms``).
        send_ms: The send-side constant added to every estimate: codec frame
            (20 ms), look-ahead (6.5 ms) and capture and render buffers.
        codec_ie: The codec's equipment impairment factor Ie (G.113).
        codec_bpl: The codec's packet-loss robustness factor Bpl (G.113).
        burst_ratio: BurstR of the loss (1 for random loss).
        alert_after_s: A class broken for longer than this raises an alert.
        drop_after_s: Silence from a participant longer than this (no sample)
            is a drop (a gap in its presence).
    """

    good_ms: float = 150.0
    acceptable_ms: float = 300.0
    degraded_ms: float = 800.0
    video_acceptable_ms: float = 400.0
    send_ms: float = 40.0
    codec_ie: float = 0.0
    codec_bpl: float = 25.1
    burst_ratio: float = 1.0
    alert_after_s: float = 30.0
    drop_after_s: float = 10.0


@dataclass(frozen=True)
class Sample:
    """One statistics report of one participant, as received.

    Attributes:
        klass: The live class (one occurrence of a class: the platform's id).
        participant: The participant's id (a learner id for learners).
        role: ``teacher`` or ``learner``.
        at: When the statistics were taken (aware).
        source: ``webrtc`` (``stats`` is the list ``getStats()`` returns) or
            ``agora`` (``stats`` is the object of Agora's statistics).
        stats: The statistics themselves.
        unit: The program's live-class unit this class is of, if known.
    """

    klass: str
    participant: str
    role: Role
    at: datetime
    source: Source
    stats: Any
    unit: str | None = None


@dataclass(frozen=True)
class Measures:
    """What one interval of one medium measured, before grading.

    Every value is optional: the statistics of a browser or SDK leave some
    out. Delays are milliseconds; shares are fractions in [0, 1].

    Attributes:
        media: ``audio`` or ``video``.
        start: The interval's start (the previous sample's time).
        end: Its end (this sample's time).
        rtt_ms: Round-trip time of the path (candidate pair or RTCP).
        transport_ms: One-way network delay when reported as such (Agora's
            ``networkTransportDelay``: sender to receiver).
        jitter_buffer_ms: The receiver's mean jitter-buffer delay.
        playout_ms: Playout delay where reported (``media-playout``).
        jitter_ms: Interarrival jitter of what is received.
        loss: Share of packets lost of what is received.
        send_loss: Share of packets lost of what this participant sends (the
            far side's ``remote-inbound-rtp`` report).
        concealment: Audio: share of samples concealed.
        freeze_share: Video: share of the interval frozen.
        paused: Video: the sender paused (camera off); not a fault.
        limitation: This participant's own sender's
            ``qualityLimitationReason`` (``bandwidth``, ``cpu``, ``other``,
            ``none``).
        reported_mos: A MOS the SDK reported itself (Agora's ``mosValue``).
        network_quality: Agora's downlink quality level (0 unknown, 1
            excellent ... 6 down).
        connection: An id of the peer connection (a change is a reset).
    """

    media: Media
    start: datetime
    end: datetime
    rtt_ms: float | None = None
    transport_ms: float | None = None
    jitter_buffer_ms: float | None = None
    playout_ms: float | None = None
    jitter_ms: float | None = None
    loss: float | None = None
    send_loss: float | None = None
    concealment: float | None = None
    freeze_share: float | None = None
    paused: bool = False
    limitation: str | None = None
    reported_mos: float | None = None
    network_quality: int | None = None
    connection: str | None = None


@dataclass(frozen=True)
class Graded:
    """One graded interval of one participant and medium.

    Attributes:
        klass: The class.
        participant: The participant (the receiving side).
        role: Their role.
        measures: What was measured.
        delay_ms: The estimated one-way mouth-to-ear delay of what this
            participant hears (audio) or sees (video); None when the
            statistics allow no estimate.
        band: Its band; None without a delay, or when the video is paused.
        r: The E-model's transmission rating (audio only).
        mos: The MOS from R (audio only).
    """

    klass: str
    participant: str
    role: Role
    measures: Measures
    delay_ms: float | None
    band: Band | None
    r: float | None = None
    mos: float | None = None


@dataclass(frozen=True)
class Bucket:
    """A roll-up of one participant's graded intervals in one 10 s window.

    Additive: two buckets of the same key merge by adding (maxima by max).

    Attributes:
        klass: The class.
        participant: The participant.
        role: Their role.
        media: The medium.
        start: The window's start (UTC, a multiple of 10 s).
        seconds: Seconds graded (with a band).
        band_seconds: Seconds per band, in :data:`BANDS` order.
        delay_sum: Sum of delay × seconds (the mean is ``delay_sum / seconds``).
        delay_max: The worst delay.
        mos_sum: Sum of MOS × seconds over ``mos_seconds``.
        mos_seconds: Seconds with a MOS.
        loss_sum: Sum of loss × seconds over ``loss_seconds``.
        loss_seconds: Seconds with a loss figure.
        freeze_seconds: Video seconds frozen.
        paused_seconds: Video seconds paused (not faults).
    """

    klass: str
    participant: str
    role: Role
    media: Media
    start: datetime
    seconds: float
    band_seconds: tuple[float, float, float, float]
    delay_sum: float
    delay_max: float
    mos_sum: float = 0.0
    mos_seconds: float = 0.0
    loss_sum: float = 0.0
    loss_seconds: float = 0.0
    freeze_seconds: float = 0.0
    paused_seconds: float = 0.0

    def merged(self, other: Bucket) -> Bucket:
        """This bucket and another of the same key as one: sums add, maxima by max.

        Raises:
            QualityInputError: The keys (class, participant, medium, window)
                differ.
        """
        key = (self.klass, self.participant, self.media, self.start)
        if key != (other.klass, other.participant, other.media, other.start):
            raise QualityInputError("only buckets of the same key merge")
        return Bucket(
            klass=self.klass,
            participant=self.participant,
            role=self.role,
            media=self.media,
            start=self.start,
            seconds=self.seconds + other.seconds,
            band_seconds=add_bands(self.band_seconds, other.band_seconds),
            delay_sum=self.delay_sum + other.delay_sum,
            delay_max=max(self.delay_max, other.delay_max),
            mos_sum=self.mos_sum + other.mos_sum,
            mos_seconds=self.mos_seconds + other.mos_seconds,
            loss_sum=self.loss_sum + other.loss_sum,
            loss_seconds=self.loss_seconds + other.loss_seconds,
            freeze_seconds=self.freeze_seconds + other.freeze_seconds,
            paused_seconds=self.paused_seconds + other.paused_seconds,
        )


@dataclass(frozen=True)
class Episode:
    """A stretch of one participant's audio in the degraded or broken band.

    Attributes:
        klass: The class.
        participant: The participant who heard it.
        role: Their role.
        start: When it began.
        end: When it ended (the last degraded interval's end).
        band: The worst band in it (``degraded`` or ``broken``).
        worst_ms: The worst delay in it.
        cause: The likely cause (see :data:`Cause`).
        side: Which side of the call the cause lies on.
        broken_seconds: Seconds of it in the broken band.
    """

    klass: str
    participant: str
    role: Role
    start: datetime
    end: datetime
    band: Band
    worst_ms: float
    cause: Cause
    side: Side
    broken_seconds: float


@dataclass(frozen=True)
class Presence:
    """One participant in one class: when they were there, rolled up.

    Attributes:
        klass: The class.
        participant: The participant.
        role: Their role.
        unit: The class's unit, if the samples named one.
        first_at: Their first sample.
        last_at: Their last sample.
        seconds: Seconds graded (audio).
        band_seconds: Audio seconds per band, in :data:`BANDS` order.
        delay_sum: Sum of delay × seconds (audio).
        delay_max: Worst audio delay.
        mos_sum: Sum of MOS × seconds.
        mos_seconds: Seconds with a MOS.
        drops: Gaps longer than ``drop_after_s`` between their samples, as
            ``(start, end)``.
    """

    klass: str
    participant: str
    role: Role
    unit: str | None
    first_at: datetime
    last_at: datetime
    seconds: float
    band_seconds: tuple[float, float, float, float]
    delay_sum: float
    delay_max: float
    mos_sum: float
    mos_seconds: float
    drops: tuple[tuple[datetime, datetime], ...] = ()

    def merged(self, other: Presence) -> Presence:
        """This presence and a later batch's of the same participant as one.

        First by min, last by max, sums added, the worst delay by max, drops
        concatenated and sorted; the unit is this one's, else the other's.

        Raises:
            QualityInputError: They are not of the same class and participant.
        """
        if (self.klass, self.participant) != (other.klass, other.participant):
            raise QualityInputError("only presences of the same participant merge")
        return Presence(
            klass=self.klass,
            participant=self.participant,
            role=self.role,
            unit=self.unit if self.unit is not None else other.unit,
            first_at=min(self.first_at, other.first_at),
            last_at=max(self.last_at, other.last_at),
            seconds=self.seconds + other.seconds,
            band_seconds=add_bands(self.band_seconds, other.band_seconds),
            delay_sum=self.delay_sum + other.delay_sum,
            delay_max=max(self.delay_max, other.delay_max),
            mos_sum=self.mos_sum + other.mos_sum,
            mos_seconds=self.mos_seconds + other.mos_seconds,
            drops=tuple(sorted((*self.drops, *other.drops))),
        )


@dataclass(frozen=True)
class Cursor:
    """Where one participant's statistics stand: what the next sample continues.

    Attributes:
        at: The last accepted sample's time.
        snapshot: The last WebRTC snapshot's counters (JSON-ready), or the
            last Agora cumulative figures; see ``_webrtc``/``_agora``.
        track: The online tracker's state (JSON-ready): the open episode, the
            current broken run; see ``_track``.
    """

    at: datetime
    snapshot: Mapping[str, Any]
    track: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassState:
    """A class as a whole.

    Attributes:
        klass: The class.
        first_at: Its first sample.
        last_at: Its last sample.
        alerted: Whether a ``live.quality_degraded`` alert is open.
        ended: Whether the class was ended (credits computed).
    """

    klass: str
    first_at: datetime
    last_at: datetime
    alerted: bool = False
    ended: bool = False


@dataclass(frozen=True)
class Recorded:
    """What one accepted batch of one class writes, in one transaction.

    Attributes:
        klass: The class.
        graded: The graded intervals (the raw tier).
        buckets: 10 s roll-ups to add.
        presences: Per participant roll-ups to add (first/last by min/max,
            drops appended).
        episodes: Episodes that closed, or grew (same ``(participant,
            start)``: the newer replaces the older).
        cursors: The participants' new cursors.
        state: The class's new state.
    """

    klass: str
    graded: Sequence[Graded]
    buckets: Sequence[Bucket]
    presences: Sequence[Presence]
    episodes: Sequence[Episode]
    cursors: Mapping[str, Cursor]
    state: ClassState


class QualityStore(Protocol):
    """Where call quality lives, per tenant (school)."""

    def cursors(
        self, tenant: str, klass: str, participants: Sequence[str]
    ) -> dict[str, Cursor]:
        """The cursors of the given participants of a class that have one."""
        ...

    def class_state(self, tenant: str, klass: str) -> ClassState | None:
        """A class's state; None for a class never seen."""
        ...

    def record(self, tenant: str, batch: Recorded) -> None:
        """Write one batch atomically (see :class:`Recorded`)."""
        ...

    def set_state(self, tenant: str, state: ClassState) -> None:
        """Replace a class's state (alerts, end)."""
        ...

    def graded(
        self, tenant: str, klass: str, participant: str | None = None
    ) -> list[Graded]:
        """Raw graded intervals still kept, by participant then time."""
        ...

    def buckets(self, tenant: str, klass: str) -> list[Bucket]:
        """A class's 10 s roll-ups, by participant, medium, then time."""
        ...

    def presences(
        self,
        tenant: str,
        *,
        klass: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Presence]:
        """Per participant roll-ups, by class then participant.

        Of one class, or of the classes that started in ``[since, until)``.
        """
        ...

    def episodes(self, tenant: str, klass: str) -> list[Episode]:
        """A class's episodes, by start."""
        ...

    def classes(
        self,
        tenant: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ClassState]:
        """Classes whose first sample falls in ``[since, until)``, by first sample."""
        ...

    def purge(self, before: datetime) -> int:
        """Drop raw graded intervals that ended before ``before`` (every tenant).

        Roll-ups stay. Returns how many were dropped.
        """
        ...
