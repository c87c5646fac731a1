"""Grading calls recorded from Chromium through a delaying, lossy UDP relay.

``tests/data/quality/browser_<condition>.jsonl`` are ten seconds of a real
WebRTC call per condition, both peers' ``getStats()`` once a second, recorded
by ``tests/browser/test_call_quality.py`` (see the folder's README). The
network conditions were injected by the relay, so the bands and delays to
expect follow from them, not from the grading: this runs without a browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from levelwise.app.quality.ports import Band
from levelwise.app.quality.recorded import grade_samples
from levelwise.app.quality.reports import ClassReport

DATA = Path(__file__).resolve().parents[1] / "data" / "quality"


@dataclass(frozen=True)
class Recorded:
    """One recorded call and the condition the relay injected.

    Attributes:
        name: The condition (the file's and the class's name).
        delay_ms: One-way delay, both directions.
        jitter_ms: Half-width of the uniform spread around it.
        band: The band of a path that slow (seed thresholds: good up to
            150 ms, degraded up to 800, broken beyond).
        buffers_ms: How far above the delay the estimate may lie: Chromium's
            jitter buffer and playout (about 60-150 ms here) and the 40 ms
            send-side constant.
    """

    name: str
    delay_ms: float
    jitter_ms: float
    band: Band
    buffers_ms: float


CALLS = (
    Recorded("good", 20.0, 0.0, "good", 150.0),
    Recorded("degraded", 450.0, 20.0, "degraded", 350.0),
    Recorded("broken", 1000.0, 20.0, "broken", 350.0),
)


def _lines(call: Recorded) -> list[dict[str, Any]]:
    path = DATA / f"browser_{call.name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _graded(call: Recorded) -> ClassReport:
    (report,) = grade_samples(_lines(call))
    return report


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.name)
def test_the_recording_shows_the_injected_round_trip(call: Recorded) -> None:
    # The recordings themselves: the selected candidate pair's round trip is
    # twice the relay's one-way delay, within its jitter and a few ms.
    for line in _lines(call):
        stats = {s["id"]: s for s in line["webrtc"]}
        (transport,) = [s for s in stats.values() if s["type"] == "transport"]
        rtt_ms = stats[transport["selectedCandidatePairId"]]["currentRoundTripTime"]
        rtt_ms *= 1000
        assert 2 * (call.delay_ms - call.jitter_ms) <= rtt_ms, line["at"]
        assert rtt_ms <= 2 * (call.delay_ms + call.jitter_ms) + 100, line["at"]


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.name)
def test_a_recorded_call_gets_the_band_of_its_path(call: Recorded) -> None:
    report = _graded(call)
    assert report.klass == call.name
    assert report.band == call.band, report.verdict
    assert [(p.participant, p.role) for p in report.participants] == [
        ("teacher-1", "teacher"),
        ("learner-1", "learner"),
    ]
    for p in report.participants:
        assert p.band == call.band, (p.participant, p.shares)
        # Ten samples a second apart: nine graded seconds.
        assert p.seconds == pytest.approx(9, abs=0.5)
        assert p.mean_delay_ms is not None and p.worst_delay_ms is not None
        assert 0 <= p.mean_delay_ms - call.delay_ms <= call.buffers_ms
        assert p.mean_delay_ms <= p.worst_delay_ms <= call.delay_ms + call.buffers_ms


def test_longer_paths_grade_later_and_worse() -> None:
    # Every participant of a slower, lossier call hears later and a lower MOS
    # than every participant of a faster one.
    reports = [_graded(call) for call in CALLS]
    delays = [sorted(p.mean_delay_ms or 0.0 for p in r.participants) for r in reports]
    mos = [sorted(p.mos or 0.0 for p in r.participants) for r in reports]
    for better, worse in ((0, 1), (1, 2)):
        assert delays[better][-1] < delays[worse][0], delays
        assert mos[better][0] > mos[worse][-1], mos
