"""Call-quality grading against a real WebRTC call in Chromium, bent by a UDP relay.

Two ``RTCPeerConnection`` of one page (the teacher and the learner) call each
other with Chromium's fake camera and microphone. ICE is restricted to host
candidates on 127.0.0.1, and each side is told the other lives at a port of
:class:`~tests.support.udp_relay.Relay`, which delays and drops datagrams (STUN
checks included) by set amounts: the network conditions are known, so the
grading can be checked against them. The conditions run one after the other
(about 20 s each), each in a fresh page with its own relay.

Both peers' ``getStats()`` are taken once a second and wrapped as samples, as
the classroom SDK would post them; Levelwise grades them and must find the
injected delay and the right band.

What a 20 ms path is heard at. Chromium's own buffers come on top of the
network: its jitter buffer holds the audio 20-60 ms on a quiet path, its
playout 30 ms, and the estimate adds the 40 ms send-side constant, so a 20 ms
path is estimated at 110-150 ms, just inside ``good`` (150). A machine busy
with other work stalls the browser for moments and its jitter buffer then grows
for seconds: the call is then really heard later. So the browser and the relay
get the machine first (a raised priority, where allowed), and a call whose
class band misses is placed once more before the test judges it.

``LEVELWISE_RECORD_CALLS=FOLDER`` also writes the samples, trimmed, to
``FOLDER/browser_<condition>.jsonl`` (how ``tests/data/quality``'s were made).
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from levelwise.app.quality.ports import Band, Thresholds
from levelwise.app.quality.recorded import grade_samples
from levelwise.app.quality.reports import ClassReport
from tests.browser.conftest import CHROMIUM
from tests.support.udp_relay import LOOPBACK, Counters, Relay

pytestmark = pytest.mark.browser

PAGE = Path(__file__).with_name("call.html")
URL = "http://localhost/call.html"
"""The page's address: ``localhost`` is a secure context (``getUserMedia``);
Playwright answers it from :data:`PAGE`, no server runs."""
ARGS = (
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    # Host candidates on loopback, with their addresses (not mDNS names).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
)
WARMUP_MS = 4000
"""Media flows this long before the first sample: the jitter buffer settles."""
SAMPLES = 10
"""Samples per participant, one a second (9 graded intervals)."""
LAST = 5
"""The last intervals, whose median estimate is compared with the injection."""
CONNECT_MS = 30_000
SEED = 15
NICE = -10
"""The browser's priority on a busy machine (see the module docstring)."""
ATTEMPTS = 2
"""Calls placed per condition at most (the second when the band missed)."""
KEEP: dict[str, frozenset[str]] = {
    "inbound-rtp": frozenset(
        {
            "packetsReceived",
            "packetsLost",
            "jitter",
            "jitterBufferDelay",
            "jitterBufferEmittedCount",
            "totalSamplesReceived",
            "concealedSamples",
            "silentConcealedSamples",
            "freezeCount",
            "totalFreezesDuration",
            "framesDecoded",
            "framesReceived",
            "pauseCount",
            "totalPausesDuration",
            "playoutId",
        }
    ),
    "outbound-rtp": frozenset(
        {"packetsSent", "qualityLimitationReason", "qualityLimitationDurations"}
    ),
    "remote-inbound-rtp": frozenset(
        {"packetsLost", "fractionLost", "jitter", "roundTripTime"}
    ),
    "candidate-pair": frozenset(
        {
            "state",
            "nominated",
            "currentRoundTripTime",
            "totalRoundTripTime",
            "responsesReceived",
        }
    ),
    "transport": frozenset(
        {"selectedCandidatePairId", "localCertificateId", "remoteCertificateId"}
    ),
    "media-playout": frozenset(
        {
            "kind",
            "totalPlayoutDelay",
            "totalSamplesCount",
            "totalSamplesDuration",
            "synthesizedSamplesDuration",
            "synthesizedSamplesEvents",
        }
    ),
    "codec": frozenset({"mimeType", "clockRate", "channels"}),
}
"""What a recorded file keeps: these types, with these members (and
:data:`COMMON`): the W3C members grading reads, and a few to tell the story."""
COMMON = frozenset({"id", "type", "timestamp", "kind", "transportId", "codecId"})
"""Members every kept object keeps (codecs only their id and type)."""


@dataclass(frozen=True)
class Condition:
    """A network condition the relay injects, and the band it must grade to.

    Attributes:
        name: The condition, also the class id of its samples.
        delay_ms: One-way delay, both directions.
        jitter_ms: Half-width of the uniform spread around it.
        loss: Share of datagrams dropped, both directions.
        band: The band the class and both participants must get (the seed's
            thresholds: good up to 150 ms, degraded up to 800).
        buffers_ms: How far above ``delay_ms`` the settled estimate may lie:
            the jitter buffer (20-60 ms on a clean path; jitter and loss make
            it hold up to about 250 ms on a busy machine), the playout delay
            (30 ms), the 40 ms send-side constant and the relay's few ms.
            Counting the whole round trip instead of half of it overshoots
            this on the slow paths.
    """

    name: str
    delay_ms: float
    jitter_ms: float
    loss: float
    band: Band
    buffers_ms: float


CONDITIONS = (
    Condition("good", 20.0, 0.0, 0.0, "good", 150.0),
    Condition("degraded", 450.0, 20.0, 0.02, "degraded", 350.0),
    Condition("broken", 1000.0, 20.0, 0.05, "broken", 350.0),
)


@dataclass(frozen=True)
class Call:
    """One call under one condition.

    Attributes:
        condition: The condition.
        lines: The samples, teacher's and learner's alternating, by time.
        ab: The relay's counters from teacher to learner.
        ba: From learner to teacher.
        missed: The class bands of the calls placed before this one (whose
            band missed), for messages.
    """

    condition: Condition
    lines: list[dict[str, Any]]
    ab: Counters
    ba: Counters
    missed: tuple[Band | None, ...] = ()


def _chromium_or_skip() -> None:
    """Skip without Chromium, as ``tests/browser/conftest.py`` does (fail in CI)."""
    if CHROMIUM.exists():
        return
    msg = f"Debian's chromium is not installed at {CHROMIUM} (make browser)"
    if os.environ.get("LEVELWISE_REQUIRE_SERVICES") == "1":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def _lines(name: str, taken: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The page's ``[at, teacher's stats, learner's stats]`` as sample lines."""
    lines = []
    for at, teacher, learner in taken:
        for who, stats in (("teacher", teacher), ("learner", learner)):
            lines.append(
                {
                    "class": name,
                    "participant": f"{who}-1",
                    "role": who,
                    "at": at,
                    "webrtc": stats,
                }
            )
    return lines


def _descendants(root: int) -> list[int]:
    """The ids of every process below ``root`` (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _hurry_browser() -> None:
    """Raise the priority of every thread of this test's Chromium (where allowed).

    Chromium's audio runs on real-time deadlines: on a machine busy with other
    work its jitter buffer grows for seconds, and a 20 ms path then really is
    heard 100 ms later. The test grades the network conditions, so the call
    gets the machine first (threads made later inherit the priority).
    """
    for pid in _descendants(os.getpid()):
        try:
            if "chromium" not in Path(os.readlink(f"/proc/{pid}/exe")).name:
                continue
            threads = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
            for tid in threads:
                os.setpriority(os.PRIO_PROCESS, tid, NICE)
        except OSError:
            continue


def _call(browser: Any, c: Condition, html: str) -> Call:
    """Place one call under one condition and sample it."""
    context = browser.new_context()
    try:
        page = context.new_page()
        _hurry_browser()
        page.route(
            URL, lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto(URL)
        with Relay(c.delay_ms, c.jitter_ms, c.loss, seed=SEED) as relay:
            a = page.evaluate("offer()")
            b = page.evaluate(f"answer({relay.port_ba})")
            relay.route((LOOPBACK, a), (LOOPBACK, b))
            page.evaluate(f"start({relay.port_ab}, {CONNECT_MS})")
            page.wait_for_function(
                "call.connected || call.error !== null", timeout=CONNECT_MS + 5000
            )
            assert page.evaluate("call.error") is None, c.name
            page.evaluate(f"sampleFrom(Date.now() + {WARMUP_MS}, {SAMPLES})")
            page.wait_for_timeout(WARMUP_MS)
            relay.clear_late()
            page.wait_for_function(
                f"call.error !== null || call.samples.length >= {SAMPLES}",
                timeout=SAMPLES * 1000 + 30_000,
            )
            assert page.evaluate("call.error") is None, c.name
            taken = page.evaluate("call.samples")
            page.evaluate("hangUp()")
            return Call(
                c, _lines(c.name, taken), relay.counters("ab"), relay.counters("ba")
            )
    finally:
        context.close()


def _graded(lines: Sequence[Mapping[str, Any]]) -> ClassReport:
    (report,) = grade_samples(lines)
    return report


@pytest.fixture(scope="module")
def calls() -> Iterator[dict[str, Call]]:
    """Every condition's call, one after the other (a page and a relay each)."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    html = PAGE.read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(ARGS)
        )
        try:
            result = {}
            for c in CONDITIONS:
                missed: list[Band | None] = []
                while True:
                    call = _call(browser, c, html)
                    band = _graded(call.lines).band
                    if band == c.band or len(missed) + 1 >= ATTEMPTS:
                        break
                    missed.append(band)
                result[c.name] = Call(c, call.lines, call.ab, call.ba, tuple(missed))
            _record(result)
            yield result
        finally:
            browser.close()


def _trim(stats: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What a recorded file keeps of one report (see :data:`KEEP`).

    Of the candidate pairs only the transport's selected one, of the codecs only
    those in use: about 1.5 KB a report instead of 14.
    """
    selected = {s.get("selectedCandidatePairId") for s in stats}
    used = {s.get("codecId") for s in stats}
    kept = []
    for s in stats:
        members = KEEP.get(str(s.get("type")))
        if members is None:
            continue
        if s["type"] == "candidate-pair" and s.get("id") not in selected:
            continue
        if s["type"] == "codec" and s.get("id") not in used:
            continue
        common = COMMON if s["type"] != "codec" else {"id", "type"}
        kept.append({k: v for k, v in s.items() if k in common or k in members})
    return kept


def _record(result: Mapping[str, Call]) -> None:
    folder = os.environ.get("LEVELWISE_RECORD_CALLS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, call in result.items():
        with (Path(folder) / f"browser_{name}.jsonl").open("w") as out:
            for line in call.lines:
                trimmed = {**line, "webrtc": _trim(line["webrtc"])}
                out.write(json.dumps(trimmed, separators=(",", ":")) + "\n")


def _selected_rtt_ms(stats: Sequence[Mapping[str, Any]]) -> float | None:
    """The selected candidate pair's ``currentRoundTripTime``, in ms."""
    by_id = {s.get("id"): s for s in stats}
    for s in stats:
        if s.get("type") == "transport":
            pair = by_id.get(s.get("selectedCandidatePairId"), {})
            rtt = pair.get("currentRoundTripTime")
            return None if rtt is None else float(rtt) * 1000
    return None


def _interval_estimates(call: Call) -> dict[str, list[float | None]]:
    """Each participant's estimated delay per interval, graded one at a time.

    Each pair of consecutive samples is graded as a class of its own (one
    interval each), so a report's mean delay is that interval's estimate.
    """
    times = sorted({line["at"] for line in call.lines})
    lines = []
    for i, (start, end) in enumerate(zip(times, times[1:], strict=False)):
        for line in call.lines:
            if line["at"] in (start, end):
                lines.append({**line, "class": f"{call.condition.name}-{i:02d}"})
    found: dict[str, list[float | None]] = {}
    for report in grade_samples(lines):
        for p in report.participants:
            found.setdefault(p.participant, []).append(p.mean_delay_ms)
    return found


@pytest.mark.parametrize("c", CONDITIONS, ids=lambda c: c.name)
def test_the_relay_bends_the_path_as_set(calls: dict[str, Call], c: Condition) -> None:
    # The harness itself, read from the raw statistics: STUN checks cross the
    # relay both ways, so the selected pair's round trip is twice the one-way
    # delay (a few ms of scheduling on top); the seeded loss drops about the
    # share set, of both directions.
    call = calls[c.name]
    rtts = [_selected_rtt_ms(line["webrtc"]) for line in call.lines[-2 * LAST :]]
    low, high = 2 * (c.delay_ms - c.jitter_ms), 2 * (c.delay_ms + c.jitter_ms) + 100
    assert all(r is not None and low <= r <= high for r in rtts), (low, high, rtts)
    for counters in (call.ab, call.ba):
        # Audio alone is 50 packets a second each way, video adds more.
        assert counters.received > 75 * (SAMPLES + WARMUP_MS / 1000), counters
        # What is neither dropped nor forwarded yet is in flight: at most the
        # datagrams of one delay (at the mean rate, with room to spare).
        rate = counters.received / (SAMPLES + WARMUP_MS / 1000 - 1)
        in_flight = counters.received - counters.dropped - counters.forwarded
        assert 0 <= in_flight <= 1.5 * rate * (c.delay_ms + c.jitter_ms + 50) / 1000
        if c.loss == 0:
            assert counters.dropped == 0
        else:
            assert c.loss / 2 <= counters.dropped / counters.received <= c.loss * 2


@pytest.mark.parametrize("c", CONDITIONS, ids=lambda c: c.name)
def test_the_class_and_both_participants_get_the_conditions_band(
    calls: dict[str, Call], c: Condition
) -> None:
    call = calls[c.name]
    report = _graded(call.lines)
    assert report.klass == c.name
    assert report.band == c.band, (report.verdict, call.missed)
    assert [(p.participant, p.role) for p in report.participants] == [
        ("teacher-1", "teacher"),
        ("learner-1", "learner"),
    ]
    for p in report.participants:
        assert p.band == c.band, (p.participant, p.mean_delay_ms, p.shares)
        # Every interval after the first sample is graded: about 9 seconds.
        assert SAMPLES - 2 <= p.seconds <= SAMPLES, p.seconds


def test_the_estimated_delay_tracks_the_injected_delay(calls: dict[str, Call]) -> None:
    # The settled estimate (the median of the last intervals) lies above the
    # injected one-way delay by the buffers and the send constant, never below
    # it, and grows with the injected delay.
    medians = {}
    for c in CONDITIONS:
        estimates = _interval_estimates(calls[c.name])
        assert sorted(estimates) == ["learner-1", "teacher-1"]
        for participant, series in estimates.items():
            assert len(series) == SAMPLES - 1
            last = [e for e in series[-LAST:] if e is not None]
            assert len(last) == LAST, series
            median = statistics.median(last)
            assert 0 <= median - c.delay_ms <= c.buffers_ms, (
                c.name,
                participant,
                series,
            )
            medians[c.name, participant] = median
    for participant in ("teacher-1", "learner-1"):
        ordered = [medians[c.name, participant] for c in CONDITIONS]
        assert ordered[0] < ordered[1] < ordered[2], (participant, ordered)


def test_more_delay_and_loss_give_a_lower_mos(calls: dict[str, Call]) -> None:
    # The E-model's MOS (ITU-T G.107) falls with delay and loss: above 4 on the
    # clean 20 ms path (R above 80), and every participant of a worse condition
    # below every participant of the better one.
    mos = []
    for c in CONDITIONS:
        values = [p.mos for p in _graded(calls[c.name].lines).participants]
        assert all(m is not None for m in values), (c.name, values)
        mos.append(sorted(m for m in values if m is not None))
    assert mos[0][0] > 4.0, mos
    assert mos[0][0] > mos[1][-1] and mos[1][0] > mos[2][-1], mos


def test_the_thresholds_decide_the_band(calls: dict[str, Call]) -> None:
    # The degraded call (about 450 + 150 ms) graded with the acceptable limit
    # moved to 800 ms comes out acceptable: the bands are settings.
    thresholds = Thresholds(acceptable_ms=800.0, degraded_ms=1500.0)
    (report,) = grade_samples(calls["degraded"].lines, thresholds)
    assert report.band == "acceptable", report.verdict
