"""Synthetic calls: getStats() samples of a class with a chosen path, second by second.

Each participant's statistics are what a browser's ``getStats()`` would give
(W3C names, cumulative counters) for a call whose round trip, jitter buffer,
loss and sender limitation are chosen per second, so a test knows the delay it
should see: ``rtt / 2 + jitter buffer + the send-side constant``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
"""When synthetic classes start."""
PACKETS = 50
"""Audio packets a second (20 ms frames)."""
RATE = 48_000
"""Audio samples a second."""


@dataclass(frozen=True)
class Path:
    """One second of a participant's receiving path.

    Attributes:
        rtt_ms: The round trip.
        jb_ms: The jitter buffer's delay.
        loss: Share of packets lost.
        limitation: The participant's own sender's limitation reason.
    """

    rtt_ms: float = 40.0
    jb_ms: float = 30.0
    loss: float = 0.0
    limitation: str = "none"


def steady(path: Path) -> Callable[[int], Path | None]:
    """The same path every second."""
    return lambda _second: path


@dataclass
class _Counters:
    received: int = 0
    lost: int = 0
    jb_total: float = 0.0
    emitted: int = 0
    sent: int = 0


def participant_samples(
    klass: str,
    participant: str,
    role: str,
    seconds: int,
    path: Callable[[int], Path | None],
    *,
    start: datetime = START,
    unit: str | None = None,
    connection: str = "1",
) -> list[dict[str, Any]]:
    """One sample a second; a second whose path is None sends nothing (a drop).

    Args:
        klass: The class.
        participant: The participant.
        role: ``teacher`` or ``learner``.
        seconds: How many seconds (samples at 0, 1, ..., seconds - 1).
        path: The path of each second (None: no sample that second).
        start: The time of second 0.
        unit: The unit named in each sample, if any.
        connection: The peer connection's id suffix (a new one resets counters).
    """
    c = _Counters()
    lines = []
    for second in range(seconds):
        p = path(second)
        if p is None:
            continue
        lost = round(PACKETS * p.loss)
        c.received += PACKETS - lost
        c.lost += lost
        c.emitted += RATE
        c.jb_total += p.jb_ms / 1000 * RATE
        c.sent += PACKETS
        at = start + timedelta(seconds=second)
        line: dict[str, Any] = {
            "participant": participant,
            "role": role,
            "at": at.isoformat().replace("+00:00", "Z"),
            "webrtc": stats(connection, at, p, c),
        }
        if klass:
            line["class"] = klass
        if unit is not None:
            line["unit"] = unit
        lines.append(line)
    return lines


def stats(connection: str, at: datetime, p: Path, c: _Counters) -> list[dict[str, Any]]:
    """The getStats() array of one moment."""
    ts = at.timestamp() * 1000
    pair = f"CP{connection}"
    return [
        {
            "id": f"T{connection}",
            "type": "transport",
            "timestamp": ts,
            "selectedCandidatePairId": pair,
        },
        {
            "id": pair,
            "type": "candidate-pair",
            "timestamp": ts,
            "state": "succeeded",
            "nominated": True,
            "currentRoundTripTime": p.rtt_ms / 1000,
        },
        {
            "id": f"IA{connection}",
            "type": "inbound-rtp",
            "timestamp": ts,
            "kind": "audio",
            "packetsReceived": c.received,
            "packetsLost": c.lost,
            "jitter": 0.004,
            "jitterBufferDelay": c.jb_total,
            "jitterBufferEmittedCount": c.emitted,
            "totalSamplesReceived": c.emitted,
            "concealedSamples": 0,
            "silentConcealedSamples": 0,
        },
        {
            "id": f"OA{connection}",
            "type": "outbound-rtp",
            "timestamp": ts,
            "kind": "audio",
            "packetsSent": c.sent,
            "qualityLimitationReason": p.limitation,
        },
        {
            "id": f"RIA{connection}",
            "type": "remote-inbound-rtp",
            "timestamp": ts,
            "kind": "audio",
            "localId": f"OA{connection}",
            "roundTripTime": p.rtt_ms / 1000,
            "fractionLost": 0.0,
            "packetsLost": 0,
        },
    ]


def one_to_one(
    klass: str,
    seconds: int,
    teacher: Callable[[int], Path | None],
    learner: Callable[[int], Path | None],
    *,
    learner_id: str = "learner-1",
    unit: str | None = None,
    start: datetime = START,
) -> list[dict[str, Any]]:
    """A one-to-one class: the teacher's and the learner's samples, by time."""
    lines = participant_samples(
        klass, "teacher-1", "teacher", seconds, teacher, start=start, unit=unit
    )
    lines += participant_samples(
        klass, learner_id, "learner", seconds, learner, start=start, unit=unit
    )
    return sorted(lines, key=lambda line: (line["at"], line["participant"]))


def expected_delay(p: Path, send_ms: float = 40.0) -> float:
    """The one-way delay a path should be graded with."""
    return p.rtt_ms / 2 + p.jb_ms + send_ms


def batches(lines: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Split samples into batches of ``size`` (as a platform posts them)."""
    return [list(lines[i : i + size]) for i in range(0, len(lines), size)]
