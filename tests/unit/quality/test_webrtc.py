"""W3C getStats() reports: snapshots, resets, and the measures of an interval."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from levelwise.app.quality._webrtc import measure, snapshot
from levelwise.app.quality.ports import Measures
from levelwise.errors import QualityInputError

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "quality"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)
STAMP = 1_772_442_000_000.0


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def stat(kind_of: str, id_: str, at: float = STAMP, **members: Any) -> dict[str, Any]:
    return {"type": kind_of, "id": id_, "timestamp": at, **members}


def inbound(id_: str = "IA", kind: str = "audio", **members: Any) -> dict[str, Any]:
    return stat("inbound-rtp", id_, kind=kind, **members)


def outbound(id_: str = "OV", kind: str = "video", **members: Any) -> dict[str, Any]:
    return stat("outbound-rtp", id_, kind=kind, **members)


def interval(
    before: list[dict[str, Any]], after: list[dict[str, Any]], seconds: float = 1.0
) -> tuple[list[Measures], list[str]]:
    return measure(
        snapshot(before), snapshot(after), T0, T0 + timedelta(seconds=seconds)
    )


def one(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    media: str = "audio",
    **kw: Any,
) -> tuple[Measures, list[str]]:
    found, notes = interval(before, after, **kw)
    by_media = {m.media: m for m in found}
    assert media in by_media, notes
    return by_media[media], notes


# --- the recorded-shape pair of files -------------------------------------


def test_the_chrome_pair_measures_as_worked_out_by_hand():
    found, notes = interval(load("webrtc_chrome_1.json"), load("webrtc_chrome_2.json"))
    assert notes == []
    audio, video = found
    assert (audio.media, video.media) == ("audio", "video")
    assert (audio.start, audio.end) == (T0, T1)
    # Selected pair: +0.26 s over +2 responses.
    assert audio.rtt_ms == pytest.approx(130.0)
    assert video.rtt_ms == pytest.approx(130.0)
    # +3.84 s over +48 000 samples; +1.8 s over +30 frames.
    assert audio.jitter_buffer_ms == pytest.approx(80.0)
    assert video.jitter_buffer_ms == pytest.approx(60.0)
    # +1.2 s of playout delay over +48 000 samples (audio only).
    assert audio.playout_ms == pytest.approx(25.0)
    assert video.playout_ms is None
    assert audio.jitter_ms == pytest.approx(12.0)
    assert video.jitter_ms == pytest.approx(25.0)
    # 2 lost of 50; 3 lost of 100.
    assert audio.loss == pytest.approx(0.04)
    assert video.loss == pytest.approx(0.03)
    # (960 - 480) concealed of 48 000.
    assert audio.concealment == pytest.approx(0.01)
    assert video.concealment is None
    assert audio.send_loss == pytest.approx(0.02)
    assert video.send_loss == pytest.approx(0.05)
    # +0.25 s frozen in 1 s.
    assert video.freeze_share == pytest.approx(0.25)
    assert video.paused is False
    assert audio.freeze_share is None
    # +0.8 s bandwidth-limited against +0.2 s unlimited.
    assert video.limitation == "bandwidth"
    assert audio.limitation is None
    assert audio.connection == video.connection
    assert audio.connection is not None
    assert audio.connection.startswith("T01#")


def test_a_snapshot_is_json_ready_and_survives_a_round_trip():
    snap = snapshot(load("webrtc_chrome_1.json"))
    again = json.loads(json.dumps(snap, allow_nan=False))
    assert again == snap
    assert snap["pair"]["id"] == "CPq1w2e3r4_z9x8c7v6"
    assert set(snap) >= {"audio", "video", "playout", "connection", "timestamp"}
    # Only the members read are kept.
    assert "bytesReceived" not in snap["audio"]["inbound"]["IT01A1111"]
    # A round-tripped snapshot measures like the original.
    after = snapshot(load("webrtc_chrome_2.json"))
    assert measure(again, after, T0, T1) == measure(snap, after, T0, T1)


def test_the_first_sample_is_a_baseline_only():
    found, notes = measure(None, snapshot(load("webrtc_chrome_1.json")), T0, T0)
    assert found == []
    assert notes == ["first sample: new baseline"]


def test_a_sample_not_later_than_the_previous_is_a_baseline():
    snap = snapshot(load("webrtc_chrome_1.json"))
    later = snapshot(load("webrtc_chrome_2.json"))
    for end in (T0, T0 - timedelta(seconds=1)):
        found, notes = measure(snap, later, T0, end)
        assert found == []
        assert "not later" in notes[-1]


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ({"type": "inbound-rtp", "id": "x"}, "must be the list"),  # an object
        ("[]", "must be the list"),  # text, not parsed
        (None, "must be the list"),
        (42, "must be the list"),
        ([inbound(), "oops"], "item 1 is str"),
        ([{"id": "x"}], "item 0 has no string 'type'"),
        ([{"type": 3, "id": "x"}], "item 0 has no string 'type'"),
        ([{"type": "codec"}], "item 0 has no string 'id'"),
        ([inbound("A"), inbound("A")], "item 1 repeats the id 'A'"),
    ],
    ids=[
        "object",
        "text",
        "none",
        "number",
        "not-an-object",
        "no-type",
        "type-not-text",
        "no-id",
        "duplicate-id",
    ],
)
def test_malformed_reports_are_refused(stats, message):
    with pytest.raises(QualityInputError, match=message):
        snapshot(stats)


def test_an_empty_report_and_unknown_types_are_no_error():
    assert measure(snapshot([]), snapshot([]), T0, T1) == ([], [])
    weird = [stat("something-new", "Z", foo=1), inbound("IX", kind="data")]
    snap = snapshot(weird)
    assert "audio" not in snap and "video" not in snap


# --- loss -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "loss"),
    [
        # 100 received, lost went down by 2 (duplicates): no loss.
        (
            {"packetsReceived": 1000, "packetsLost": 5},
            {"packetsReceived": 1100, "packetsLost": 3},
            0.0,
        ),
        # The cumulative count itself is negative (more duplicates than losses).
        (
            {"packetsReceived": 10, "packetsLost": -4},
            {"packetsReceived": 60, "packetsLost": -4},
            0.0,
        ),
        # 10 lost of 100 expected.
        (
            {"packetsReceived": 0, "packetsLost": 0},
            {"packetsReceived": 90, "packetsLost": 10},
            0.1,
        ),
        # Nothing received, something lost: all lost.
        (
            {"packetsReceived": 5, "packetsLost": 0},
            {"packetsReceived": 5, "packetsLost": 7},
            1.0,
        ),
        # Nothing at all: no figure.
        (
            {"packetsReceived": 5, "packetsLost": 1},
            {"packetsReceived": 5, "packetsLost": 1},
            None,
        ),
        # packetsLost missing: no figure.
        ({"packetsReceived": 5}, {"packetsReceived": 50}, None),
    ],
    ids=["dup-delta", "negative-total", "ten-percent", "all-lost", "idle", "no-lost"],
)
def test_loss_of_the_interval(before, after, loss):
    m, _ = one([inbound(**before)], [inbound(**after)])
    assert m.loss == (None if loss is None else pytest.approx(loss))


def test_loss_adds_the_streams_of_a_medium():
    before = [
        inbound("A1", packetsReceived=0, packetsLost=0),
        inbound("A2", packetsReceived=0, packetsLost=0),
    ]
    after = [
        inbound("A1", packetsReceived=95, packetsLost=5),
        inbound("A2", packetsReceived=100, packetsLost=-1),
    ]
    m, _ = one(before, after)
    # 5 lost of 200 (the duplicate stream counts its received, not its -1).
    assert m.loss == pytest.approx(5 / 200)


# --- resets -------------------------------------------------------------------


def test_counters_going_backwards_are_a_new_connection():
    before = [
        inbound(
            packetsReceived=500, jitterBufferDelay=9.0, jitterBufferEmittedCount=100
        )
    ]
    after = [
        inbound(packetsReceived=20, jitterBufferDelay=0.2, jitterBufferEmittedCount=2)
    ]
    found, notes = interval(before, after)
    assert found == []
    assert notes == [
        "audio: counters went backwards (IA.jitterBufferDelay): new connection"
    ]


def test_a_limitation_duration_going_backwards_is_a_reset():
    before = [outbound(qualityLimitationDurations={"none": 10.0})]
    after = [outbound(qualityLimitationDurations={"none": 1.0})]
    found, notes = interval(before, after)
    assert found == []
    assert "qualityLimitationDurations.none" in notes[0]


def test_a_pair_counter_going_backwards_is_a_reset():
    pair: dict[str, Any] = {"state": "succeeded", "nominated": True}
    before = [
        inbound(packetsReceived=1),
        stat("candidate-pair", "CP", responsesReceived=9, **pair),
    ]
    after = [
        inbound(packetsReceived=2),
        stat("candidate-pair", "CP", responsesReceived=1, **pair),
    ]
    found, notes = interval(before, after)
    assert found == []
    assert notes == [
        "connection: counters went backwards (CP.responsesReceived): new connection"
    ]


def test_playout_going_backwards_is_a_reset():
    before = [
        inbound(packetsReceived=1),
        stat("media-playout", "AP", kind="audio", totalSamplesCount=900),
    ]
    after = [
        inbound(packetsReceived=2),
        stat("media-playout", "AP", kind="audio", totalSamplesCount=10),
    ]
    assert interval(before, after)[0] == []


def test_packets_lost_and_jitter_may_go_down_without_a_reset():
    before = [inbound(packetsReceived=10, packetsLost=3, jitter=0.05)]
    after = [inbound(packetsReceived=20, packetsLost=2, jitter=0.01)]
    m, notes = one(before, after)
    assert notes == []
    assert m.jitter_ms == pytest.approx(10.0)


def test_new_certificates_are_a_new_connection():
    def report(cert: str) -> list[dict[str, Any]]:
        return [
            inbound(packetsReceived=10, transportId="T01"),
            stat(
                "transport", "T01", localCertificateId=cert, remoteCertificateId="CFR"
            ),
        ]

    found, notes = interval(report("CFA"), report("CFB"))
    assert found == []
    assert notes[0].startswith("connection changed (T01#")
    # Same certificates: same connection.
    assert interval(report("CFA"), report("CFA"))[0] != []


def test_a_connection_without_certificates_is_named_by_its_transport():
    snap = snapshot([inbound(packetsReceived=1), stat("transport", "T07")])
    assert snap["connection"] == "T07"
    assert snapshot([inbound(packetsReceived=1)])["connection"] is None


def test_a_timestamp_going_backwards_is_a_reset():
    before = [inbound(packetsReceived=1, at=STAMP)]
    after = [inbound(packetsReceived=2, at=STAMP - 5000)]
    found, notes = interval(before, after)
    assert found == []
    assert notes == ["statistics timestamp went backwards: new connection"]


def test_new_stream_ids_start_a_new_baseline_for_their_medium_only():
    before = [
        inbound("IA1", packetsReceived=10),
        inbound("IV1", kind="video", packetsReceived=10),
    ]
    after = [
        inbound("IA9", packetsReceived=3),
        inbound("IV1", kind="video", packetsReceived=30),
    ]
    found, notes = interval(before, after)
    assert [m.media for m in found] == ["video"]
    assert notes == ["audio: new streams: new baseline"]


def test_a_joining_stream_starts_its_own_baseline():
    before = [inbound("A1", packetsReceived=0, packetsLost=0)]
    after = [
        inbound("A1", packetsReceived=100, packetsLost=0),
        inbound("A2", packetsReceived=5000, packetsLost=4000),
    ]
    m, _ = one(before, after)
    assert m.loss == 0.0


# --- missing and absurd values -------------------------------------------


def test_a_stream_with_nothing_but_its_kind_measures_nothing_without_crashing():
    m, notes = one([inbound()], [inbound()])
    assert notes == []
    assert (m.rtt_ms, m.jitter_buffer_ms, m.playout_ms, m.jitter_ms) == (None,) * 4
    assert (m.loss, m.send_loss, m.concealment, m.limitation) == (None,) * 4


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("jitter", math.nan),
        ("jitter", math.inf),
        ("jitter", -0.01),
        ("jitter", "0.01"),
        ("jitter", True),
        ("jitterBufferDelay", -3.0),
    ],
    ids=["nan", "inf", "negative", "text", "bool", "negative-delay"],
)
def test_values_that_are_not_numbers_in_range_are_dropped_with_a_note(member, value):
    before = [inbound(jitterBufferDelay=1.0, jitterBufferEmittedCount=10, jitter=0.02)]
    members = {"jitterBufferDelay": 2.0, "jitterBufferEmittedCount": 20, member: value}
    after = [inbound(**members)]
    snap = snapshot(after)
    assert member not in snap["audio"]["inbound"]["IA"]
    found, notes = measure(snapshot(before), snap, T0, T1)
    assert f"ignored IA.{member}: not a number in range" in notes
    got = found[0].jitter_ms if member == "jitter" else found[0].jitter_buffer_ms
    assert got is None


def test_a_fraction_lost_above_one_is_left_out_with_a_note():
    remote = stat("remote-inbound-rtp", "RA", kind="audio", fractionLost=1.5)
    m, notes = one([inbound(), remote], [inbound(), remote])
    assert m.send_loss is None
    assert notes == ["audio: fractionLost 1.5 is out of [0, 1]"]


def test_a_round_trip_of_minutes_is_left_out_with_a_note():
    pair = stat(
        "candidate-pair",
        "CP",
        state="succeeded",
        nominated=True,
        currentRoundTripTime=100.0,
    )
    m, notes = one([inbound(), pair], [inbound(), pair])
    assert m.rtt_ms is None
    assert notes == ["audio: rtt 100000 ms is out of range"]


def test_more_silent_than_concealed_samples_is_not_a_concealment():
    before = [
        inbound(totalSamplesReceived=0, concealedSamples=0, silentConcealedSamples=0)
    ]
    after = [
        inbound(
            totalSamplesReceived=1000, concealedSamples=10, silentConcealedSamples=50
        )
    ]
    m, notes = one(before, after)
    assert m.concealment is None
    assert notes == ["audio: concealment -0.04 is out of [0, 1]"]


def test_concealment_without_silent_samples_counts_all_concealment():
    before = [inbound(totalSamplesReceived=0, concealedSamples=0)]
    after = [inbound(totalSamplesReceived=4800, concealedSamples=240)]
    assert one(before, after)[0].concealment == pytest.approx(0.05)


def test_the_legacy_media_type_names_the_kind():
    report = [stat("inbound-rtp", "IA", mediaType="audio", packetsReceived=1)]
    assert "IA" in snapshot(report)["audio"]["inbound"]


def test_bad_limitation_durations_are_dropped():
    snap = snapshot([outbound(qualityLimitationDurations={"cpu": -1.0, "none": 2.0})])
    assert snap["video"]["outbound"]["OV"]["qualityLimitationDurations"] == {
        "none": 2.0
    }
    assert snap["dropped"] == ["OV.qualityLimitationDurations.cpu"]


# --- round trip and the selected pair -------------------------------------


def pairs(selected: str | None = None, transport: bool = True) -> list[dict[str, Any]]:
    found = [
        stat(
            "candidate-pair",
            "CPgood",
            state="succeeded",
            nominated=True,
            currentRoundTripTime=0.05,
        ),
        stat(
            "candidate-pair",
            "CPother",
            state="succeeded",
            nominated=False,
            currentRoundTripTime=0.3,
            selected=selected == "CPother",
        ),
        stat(
            "candidate-pair",
            "CPfailed",
            state="failed",
            nominated=True,
            currentRoundTripTime=0.9,
        ),
    ]
    if transport:
        found.append(stat("transport", "T01", selectedCandidatePairId=selected))
    return found


@pytest.mark.parametrize(
    ("report", "rtt"),
    [
        # The transport names the pair, even one that is not nominated.
        (pairs(selected="CPother"), 300.0),
        # The transport names none: the nominated succeeded pair.
        (pairs(selected=None), 50.0),
        # No transport (Firefox): its ``selected`` flag wins.
        (pairs(selected="CPother", transport=False), 300.0),
        # No transport, nothing selected: the nominated succeeded pair.
        (pairs(transport=False), 50.0),
        # The transport names a pair the report does not have: nominated one.
        (
            [
                *pairs(transport=False),
                stat("transport", "T01", selectedCandidatePairId="CPgone"),
            ],
            50.0,
        ),
    ],
    ids=["transport", "nominated", "firefox-selected", "firefox-nominated", "dangling"],
)
def test_the_selected_candidate_pair_gives_the_round_trip(report, rtt):
    streams = [inbound(transportId="T01")]
    m, _ = one(streams + report, streams + report)
    assert m.rtt_ms == pytest.approx(rtt)


def test_the_transport_of_the_streams_is_preferred():
    report = [
        inbound(transportId="T02"),
        stat("transport", "T01", selectedCandidatePairId="CPa"),
        stat("transport", "T02", selectedCandidatePairId="CPb"),
        stat("candidate-pair", "CPa", currentRoundTripTime=0.4),
        stat("candidate-pair", "CPb", currentRoundTripTime=0.04),
    ]
    assert snapshot(report)["pair"]["id"] == "CPb"
    assert snapshot(report)["connection"] == "T02"


def test_the_round_trip_is_the_mean_over_the_interval_on_one_pair():
    def pair(id_: str, total: float, responses: int) -> dict[str, Any]:
        return stat(
            "candidate-pair",
            id_,
            state="succeeded",
            nominated=True,
            currentRoundTripTime=0.5,
            totalRoundTripTime=total,
            responsesReceived=responses,
        )

    # Same pair: (2.6 - 2.0) / (14 - 10) = 0.15 s.
    assert one([inbound(), pair("CP", 2.0, 10)], [inbound(), pair("CP", 2.6, 14)])[
        0
    ].rtt_ms == pytest.approx(150.0)
    # No new response: the current value.
    assert one([inbound(), pair("CP", 2.0, 10)], [inbound(), pair("CP", 2.0, 10)])[
        0
    ].rtt_ms == pytest.approx(500.0)
    # The pair changed: the new pair's current value.
    assert one([inbound(), pair("CP1", 2.0, 10)], [inbound(), pair("CP2", 0.1, 1)])[
        0
    ].rtt_ms == pytest.approx(500.0)


def test_without_a_pair_the_round_trip_comes_from_rtcp():
    remote = [
        stat("remote-inbound-rtp", "R1", kind="audio", roundTripTime=0.1),
        stat("remote-inbound-rtp", "R2", kind="audio", roundTripTime=0.3),
        stat("remote-inbound-rtp", "R3", kind="video", roundTripTime=0.9),
    ]
    m, _ = one([inbound(), *remote], [inbound(), *remote])
    assert m.rtt_ms == pytest.approx(200.0)  # the mean of the audio reports


# --- sending: limitation, remote loss -------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        # The longest reason in the interval, whatever the current one says.
        (
            {"qualityLimitationDurations": {"none": 1.0, "cpu": 0.0}},
            {
                "qualityLimitationReason": "none",
                "qualityLimitationDurations": {"none": 1.1, "cpu": 0.9},
            },
            "cpu",
        ),
        (
            {"qualityLimitationDurations": {"none": 1.0, "bandwidth": 0.0}},
            {"qualityLimitationDurations": {"none": 2.0, "bandwidth": 0.0}},
            "none",
        ),
        # No time passed in any reason: the current reason.
        (
            {"qualityLimitationDurations": {"none": 1.0}},
            {
                "qualityLimitationReason": "other",
                "qualityLimitationDurations": {"none": 1.0},
            },
            "other",
        ),
        # No durations: the current reason.
        ({}, {"qualityLimitationReason": "cpu"}, "cpu"),
        # An unknown reason is not reported.
        ({}, {"qualityLimitationReason": "gremlins"}, None),
        ({}, {}, None),
    ],
    ids=["durations", "unlimited", "no-time", "reason-only", "unknown", "none"],
)
def test_the_limitation_of_the_interval(before, after, reason):
    m, _ = one([outbound(**before)], [outbound(**after)], media="video")
    assert m.limitation == reason


def test_the_worst_current_reason_of_simulcast_layers():
    layers = [
        outbound("O1", qualityLimitationReason="none"),
        outbound("O2", qualityLimitationReason="bandwidth"),
        outbound("O3", qualityLimitationReason="cpu"),
    ]
    m, _ = one(layers, layers, media="video")
    assert m.limitation == "bandwidth"


def test_send_loss_is_the_worst_remote_report():
    remote = [
        stat("remote-inbound-rtp", "R1", kind="video", fractionLost=0.01),
        stat("remote-inbound-rtp", "R2", kind="video", fractionLost=0.2),
    ]
    video = inbound("IV", kind="video")
    m, _ = one([video, *remote], [video, *remote], media="video")
    assert m.send_loss == pytest.approx(0.2)


# --- audio playout ------------------------------------------------------------


def test_playout_delay_of_the_linked_playout_path():
    def report(delay: float, count: int) -> list[dict[str, Any]]:
        return [
            inbound(playoutId="P1"),
            stat(
                "media-playout",
                "P1",
                kind="audio",
                totalPlayoutDelay=delay,
                totalSamplesCount=count,
            ),
            stat(
                "media-playout",
                "P2",
                kind="audio",
                totalPlayoutDelay=delay * 9,
                totalSamplesCount=count,
            ),
        ]

    # P1: +960 s of delay over +48 000 samples = 20 ms (P2, not linked, 180 ms).
    m, _ = one(report(0.0, 0), report(960.0, 48_000))
    assert m.playout_ms == pytest.approx(20.0)


def test_playout_without_links_uses_every_playout_path():
    def report(delay: float, count: int) -> list[dict[str, Any]]:
        return [
            inbound(),
            stat(
                "media-playout",
                "P1",
                kind="audio",
                totalPlayoutDelay=delay,
                totalSamplesCount=count,
            ),
        ]

    m, _ = one(report(0.0, 0), report(480.0, 48_000))
    assert m.playout_ms == pytest.approx(10.0)


# --- video: pause or freeze ------------------------------------------------


def av(audio_packets: int, video: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        inbound("IA", packetsReceived=audio_packets),
        inbound("IV", kind="video", **video),
    ]


@pytest.mark.parametrize(
    ("before", "after", "paused", "freeze"),
    [
        # Frames keep coming, 0.2 s frozen of 2 s.
        (
            av(
                0,
                {"packetsReceived": 0, "framesDecoded": 0, "totalFreezesDuration": 0.0},
            ),
            av(
                100,
                {
                    "packetsReceived": 200,
                    "framesDecoded": 50,
                    "totalFreezesDuration": 0.4,
                },
            ),
            False,
            0.2,
        ),
        # A 3 s freeze counted when it ended, in a 2 s interval: capped at 1.
        (
            av(
                0,
                {"packetsReceived": 0, "framesDecoded": 0, "totalFreezesDuration": 0.0},
            ),
            av(
                100,
                {
                    "packetsReceived": 200,
                    "framesDecoded": 5,
                    "totalFreezesDuration": 3.0,
                },
            ),
            False,
            1.0,
        ),
        # No video packet while audio flows: the far side stopped its camera.
        (
            av(0, {"packetsReceived": 500, "framesDecoded": 90}),
            av(100, {"packetsReceived": 500, "framesDecoded": 90}),
            True,
            None,
        ),
        # Nothing at all arrives, audio neither: an outage, frozen.
        (
            av(100, {"packetsReceived": 500, "framesDecoded": 90}),
            av(100, {"packetsReceived": 500, "framesDecoded": 90}),
            False,
            1.0,
        ),
        # Packets arrive but no frame is decoded: frozen.
        (
            av(0, {"packetsReceived": 500, "framesDecoded": 90}),
            av(100, {"packetsReceived": 700, "framesDecoded": 90}),
            False,
            1.0,
        ),
        # A pause that ended in the interval and covers most of it.
        (
            av(0, {"framesDecoded": 0, "totalPausesDuration": 0.0}),
            av(100, {"framesDecoded": 3, "totalPausesDuration": 1.6}),
            True,
            None,
        ),
        # A short pause: not paused; no freeze member: no freeze figure.
        (
            av(0, {"framesDecoded": 0, "totalPausesDuration": 0.0}),
            av(100, {"framesDecoded": 40, "totalPausesDuration": 0.4}),
            False,
            None,
        ),
        # framesReceived stands in for framesDecoded.
        (
            av(
                0,
                {
                    "packetsReceived": 0,
                    "framesReceived": 0,
                    "totalFreezesDuration": 1.0,
                },
            ),
            av(
                100,
                {
                    "packetsReceived": 90,
                    "framesReceived": 60,
                    "totalFreezesDuration": 1.5,
                },
            ),
            False,
            0.25,
        ),
        # Without any frame counter nothing can be said.
        (av(0, {"packetsReceived": 0}), av(100, {"packetsReceived": 9}), False, None),
    ],
    ids=[
        "freeze",
        "long-freeze",
        "sender-stopped",
        "outage",
        "undecodable",
        "pause-ended",
        "short-pause",
        "frames-received",
        "no-frames",
    ],
)
def test_video_pause_or_freeze(before, after, paused, freeze):
    m, _ = one(before, after, media="video", seconds=2.0)
    assert m.paused is paused
    assert m.freeze_share == (None if freeze is None else pytest.approx(freeze))


def test_video_alone_cannot_tell_a_pause_from_an_outage():
    video = {"packetsReceived": 500, "framesDecoded": 90}
    before = [inbound("IV", kind="video", **video)]
    m, _ = one(before, before, media="video")
    assert (m.paused, m.freeze_share) == (False, 1.0)


def test_a_sending_only_medium_still_reports_its_limitation():
    before = [inbound(packetsReceived=1), outbound(qualityLimitationReason="cpu")]
    after = [inbound(packetsReceived=2), outbound(qualityLimitationReason="cpu")]
    found, _ = interval(before, after)
    video = [m for m in found if m.media == "video"][0]
    assert video.limitation == "cpu"
    assert video.freeze_share is None
    assert video.paused is False


def test_reports_without_timestamps_still_measure():
    before = [
        {"type": "inbound-rtp", "id": "IA", "kind": "audio", "packetsReceived": 0}
    ]
    after = [{"type": "inbound-rtp", "id": "IA", "kind": "audio", "packetsReceived": 9}]
    assert snapshot(after)["timestamp"] is None
    found, notes = interval(before, after)
    assert [m.media for m in found] == ["audio"]
    assert notes == []


def test_a_malformed_stored_snapshot_does_not_crash():
    # A cursor is read back from storage: whatever it holds, no exception.
    cur = snapshot(
        [
            inbound(packetsReceived=10),
            outbound(qualityLimitationDurations={"cpu": 2.0, "none": 1.0}),
        ]
    )
    prev = {
        "source": "webrtc",
        "timestamp": "yesterday",
        "pair": ["not", "a", "pair"],
        "audio": {"inbound": {"IA": {"packetsReceived": "ten"}}, "outbound": 3},
        "video": {"outbound": {"OV": {"qualityLimitationDurations": {"cpu": "x"}}}},
    }
    found, notes = measure(prev, cur, T0, T1)
    assert [m.media for m in found] == ["audio", "video"]
    assert found[0].loss is None
    # No usable difference: the current reason, here none is named.
    assert found[1].limitation is None
