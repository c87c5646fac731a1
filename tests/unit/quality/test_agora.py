"""Agora statistics (native and Web names), and the entry point over both shapes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from levelwise.app.quality._agora import measure, snapshot
from levelwise.app.quality._parse import measure as parse
from levelwise.app.quality.ports import Measures
from levelwise.errors import QualityInputError

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "quality"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = T0 + timedelta(seconds=2)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def first(payload: dict[str, Any]) -> tuple[dict[str, Measures], list[str]]:
    found, notes = measure(None, snapshot(payload), T0, T0)
    return {m.media: m for m in found}, notes


def pair(
    before: dict[str, Any], after: dict[str, Any], seconds: float = 2.0
) -> tuple[dict[str, Measures], list[str]]:
    found, notes = measure(
        snapshot(before), snapshot(after), T0, T0 + timedelta(seconds=seconds)
    )
    return {m.media: m for m in found}, notes


# --- the sample files -------------------------------------------------------


def test_a_native_first_sample_measures_its_per_interval_values():
    found, notes = first(load("agora_native_1.json"))
    assert notes == []
    audio, video = found["audio"], found["video"]
    assert (audio.start, audio.end) == (T0, T0)
    assert audio.transport_ms == 120
    assert audio.jitter_buffer_ms == 60
    assert audio.loss == pytest.approx(0.03)  # audioLossRate 3 %
    assert audio.reported_mos == pytest.approx(4.2)  # mosValue 420 / 100
    assert audio.rtt_ms == 80  # twice lastmileDelay 40
    assert audio.send_loss == pytest.approx(0.01)  # txPacketLossRate 1 %
    assert audio.network_quality == 2
    assert audio.limitation == "none"  # CPU 35 %, uplink 1
    assert audio.connection == "agora:1001"
    # The native video stats carry no delay: the audio's (A/V sync).
    assert (video.transport_ms, video.jitter_buffer_ms) == (120, 60)
    assert video.loss == pytest.approx(0.02)  # packetLossRate 2 %
    assert video.reported_mos is None
    # Freezes need a difference: none on the first sample.
    assert (video.freeze_share, video.paused) == (None, False)


def test_a_native_pair_measures_as_worked_out_by_hand():
    found, notes = pair(load("agora_native_1.json"), load("agora_native_2.json"))
    assert notes == []
    audio, video = found["audio"], found["video"]
    assert (audio.transport_ms, audio.jitter_buffer_ms) == (140, 80)
    assert audio.loss == pytest.approx(0.05)
    assert audio.reported_mos == pytest.approx(3.8)
    assert audio.rtt_ms == 90
    assert audio.send_loss == pytest.approx(0.02)
    assert audio.network_quality == 3
    assert audio.limitation == "bandwidth"  # uplink quality 4
    assert video.loss == pytest.approx(0.04)
    # +500 ms frozen over 2 s; +2000 ms active of 2000: not paused.
    assert video.freeze_share == pytest.approx(0.25)
    assert video.paused is False


def test_a_web_first_sample():
    found, notes = first(load("agora_web_1.json"))
    assert notes == []
    audio, video = found["audio"], found["video"]
    assert audio.transport_ms == 90
    assert audio.jitter_buffer_ms == 60  # receiveDelay 150 - transportDelay 90
    assert audio.loss is None  # the Web's loss needs two samples
    assert audio.reported_mos is None
    assert audio.rtt_ms == 80  # RTT
    assert audio.network_quality == 1
    assert audio.limitation == "none"
    assert audio.connection == "agora:2002"  # a numeric uid
    assert (video.transport_ms, video.jitter_buffer_ms) == (90, 80)
    assert video.loss is None  # its packetLossRate is not read
    assert video.freeze_share == pytest.approx(0.5)  # freezeRate


def test_a_web_pair_measures_as_worked_out_by_hand():
    found, notes = pair(load("agora_web_1.json"), load("agora_web_2.json"))
    assert notes == []
    audio, video = found["audio"], found["video"]
    assert (audio.transport_ms, audio.jitter_buffer_ms) == (100, 70)
    assert audio.loss == pytest.approx(2 / 100)  # +98 received, +2 lost
    assert (video.transport_ms, video.jitter_buffer_ms) == (100, 80)
    assert video.loss == pytest.approx(6 / 200)  # +194 received, +6 lost
    assert video.freeze_share == pytest.approx(0.25)  # +0.5 s over 2 s
    assert audio.rtt_ms == 100
    assert audio.network_quality == 2


def test_the_snapshot_is_json_ready_with_unit_bearing_keys():
    snap = snapshot(load("agora_native_1.json"))
    assert json.loads(json.dumps(snap, allow_nan=False)) == snap
    assert snap["source"] == "agora"
    assert snap["remote"] == "1001"
    assert snap["audio"]["loss_percent"] == 3
    assert snap["video"]["frozen_ms"] == 1000
    assert snap["network"] == {"rx": 2, "tx": 1}
    assert snap["rtc"]["lastmile_ms"] == 40
    assert snap["dropped"] == []


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ([], "must be an object, not list"),
        ("{}", "must be an object, not str"),
        ({"audio": [1, 2]}, "'audio' must be an object"),
        ({"rtc": 3}, "'rtc' must be an object"),
        ({"remote": True}, "'remote' must be the far side's uid"),
        ({"remote": [1]}, "'remote' must be the far side's uid"),
    ],
    ids=["list", "text", "audio-list", "rtc-number", "remote-bool", "remote-list"],
)
def test_malformed_payloads_are_refused(stats, message):
    with pytest.raises(QualityInputError, match=message):
        snapshot(stats)


def test_a_payload_without_media_measures_nothing():
    assert first({"network": {"rxQuality": 1}}) == (
        {},
        ["no audio or video statistics"],
    )


def test_missing_members_are_none():
    found, notes = first({"audio": {}, "video": {}})
    assert notes == []
    for m in found.values():
        assert (m.transport_ms, m.jitter_buffer_ms, m.loss, m.rtt_ms) == (None,) * 4
        assert (m.send_loss, m.network_quality, m.limitation, m.connection) == (
            None,
        ) * 4


# --- conversions and ranges ---------------------------------------------------


@pytest.mark.parametrize(
    ("mos_value", "mos", "note"),
    [
        (420, 4.2, None),
        (500, 5.0, None),
        (50, 1.0, None),  # Agora's 0.5 is below the ITU scale: 1
        (0, None, None),  # 0: not measured
        (501, None, "audio: mosValue 501 is out of [0, 500]"),
    ],
)
def test_agora_mos_is_divided_by_100_and_kept_on_1_to_5(mos_value, mos, note):
    found, notes = first({"audio": {"mosValue": mos_value}})
    assert found["audio"].reported_mos == (None if mos is None else pytest.approx(mos))
    assert notes == ([] if note is None else [note])


@pytest.mark.parametrize(
    ("payload", "media", "loss", "note"),
    [
        ({"audio": {"audioLossRate": 12}}, "audio", 0.12, None),
        ({"audio": {"audioLossRate": 100}}, "audio", 1.0, None),
        (
            {"audio": {"audioLossRate": 150}},
            "audio",
            None,
            "audio: loss 150 % is out of range",
        ),
        ({"video": {"packetLossRate": 7}}, "video", 0.07, None),
        # In a Web payload packetLossRate is not a percentage: not read.
        ({"video": {"packetLossRate": 7, "receivePackets": 1}}, "video", None, None),
    ],
    ids=["audio", "all", "above-100", "native-video", "web-video"],
)
def test_loss_percentages(payload, media, loss, note):
    found, notes = first(payload)
    assert found[media].loss == (None if loss is None else pytest.approx(loss))
    assert notes == ([] if note is None else [note])


def test_uplink_loss_percentage():
    found, notes = first({"audio": {}, "rtc": {"txPacketLossRate": 7}})
    assert found["audio"].send_loss == pytest.approx(0.07)
    found, notes = first({"audio": {}, "rtc": {"txPacketLossRate": 107}})
    assert found["audio"].send_loss is None
    assert notes == ["rtc: txPacketLossRate 107 % is out of range"]


@pytest.mark.parametrize(
    ("network", "level", "note"),
    [
        ({"rxQuality": 1}, 1, None),
        ({"rxQuality": 6}, 6, None),
        ({"rxQuality": 0}, 0, None),
        ({"rxQuality": 7}, 0, None),  # unsupported
        ({"rxQuality": 8}, 0, None),  # detecting
        ({"rxQuality": 9}, None, "network: rxQuality 9 is not a quality level"),
        ({"rxQuality": 2.5}, None, "network: rxQuality 2.5 is not a quality level"),
        ({"downlinkNetworkQuality": 4}, 4, None),  # the Web's name
        ({"rxQuality": 3, "downlinkNetworkQuality": 5}, 3, None),  # native first
    ],
)
def test_network_quality_is_the_downlink_level(network, level, note):
    found, notes = first({"audio": {}, "network": network})
    assert found["audio"].network_quality == level
    assert notes == ([] if note is None else [note])


@pytest.mark.parametrize(
    ("network", "rtc", "reason"),
    [
        ({"txQuality": 1}, {"cpuTotalUsage": 95.0}, "cpu"),
        ({"txQuality": 5}, {"cpuTotalUsage": 95.0}, "cpu"),
        ({"txQuality": 4}, {"cpuTotalUsage": 50.0}, "bandwidth"),
        ({"uplinkNetworkQuality": 6}, {}, "bandwidth"),
        ({"txQuality": 3}, {}, "none"),
        ({}, {"cpuTotalUsage": 20.0}, "none"),
        ({"txQuality": 0}, {}, None),  # unknown
        ({"txQuality": 8}, {}, None),  # detecting
        ({}, {}, None),
    ],
)
def test_limitation_read_from_this_side(network, rtc, reason):
    found, _ = first({"audio": {}, "network": network, "rtc": rtc})
    assert found["audio"].limitation == reason


@pytest.mark.parametrize(
    ("rtc", "rtt"),
    [
        ({"RTT": 70, "lastmileDelay": 50}, 70),  # the Web's round trip first
        ({"lastmileDelay": 50}, 100),  # native: twice the one-way last mile
        ({"gatewayRtt": 3}, None),  # to the local router, not the path
    ],
)
def test_round_trip_of_the_last_mile(rtc, rtt):
    found, _ = first({"audio": {}, "rtc": rtc})
    assert found["audio"].rtt_ms == rtt


@pytest.mark.parametrize(
    ("audio", "transport", "buffer", "note"),
    [
        # Native and Web names for the same thing: the native one wins.
        ({"networkTransportDelay": 50, "transportDelay": 90}, 50, None, None),
        (
            {"jitterBufferDelay": 40, "receiveDelay": 200, "transportDelay": 90},
            90,
            40,
            None,
        ),
        (
            {"receiveDelay": 80, "transportDelay": 90},
            90,
            None,
            "audio: receiveDelay 80 ms is below transportDelay 90 ms",
        ),
        (
            {"networkTransportDelay": 61_000},
            None,
            None,
            "audio: transport delay 61000 ms is out of range",
        ),
        (
            {"jitterBufferDelay": 70_000},
            None,
            None,
            "audio: jitter buffer delay 70000 ms is out of range",
        ),
    ],
    ids=[
        "native-first",
        "buffer-named",
        "receive-below-transport",
        "huge",
        "huge-buffer",
    ],
)
def test_delays(audio, transport, buffer, note):
    found, notes = first({"audio": audio})
    assert (found["audio"].transport_ms, found["audio"].jitter_buffer_ms) == (
        transport,
        buffer,
    )
    assert notes == ([] if note is None else [note])


def test_video_with_its_own_delays_keeps_them():
    found, _ = first(
        {
            "audio": {"networkTransportDelay": 100, "jitterBufferDelay": 40},
            "video": {"transportDelay": 150, "receiveDelay": 400},
        }
    )
    assert (found["video"].transport_ms, found["video"].jitter_buffer_ms) == (150, 250)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-5, "negative"),
        ("120", "text"),
        (False, "bool"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_values_that_are_not_numbers_in_range_are_dropped(value, name):
    snap = snapshot(
        {"audio": {"networkTransportDelay": value, "jitterBufferDelay": 30}}
    )
    assert "transport_ms" not in snap["audio"]
    found, notes = measure(None, snap, T0, T0)
    assert found[0].transport_ms is None
    assert found[0].jitter_buffer_ms == 30
    assert notes == ["ignored audio.networkTransportDelay: not a number in range"]


# --- cumulative figures: pause, freeze, rejoin ----------------------------


def video(**members: Any) -> dict[str, Any]:
    return {
        "remote": "7",
        "rtc": {"duration": members.pop("duration", 10)},
        "video": members,
    }


@pytest.mark.parametrize(
    ("before", "after", "paused", "freeze"),
    [
        # Active 400 ms of 2 s: the far side stopped its video.
        (
            video(totalActiveTime=10_000, totalFrozenTime=0),
            video(totalActiveTime=10_400, totalFrozenTime=0),
            True,
            None,
        ),
        # Active the whole interval, 0.5 s frozen.
        (
            video(totalActiveTime=10_000, totalFrozenTime=0),
            video(totalActiveTime=12_000, totalFrozenTime=500),
            False,
            0.25,
        ),
        # 5 s of freeze counted at once: capped at the interval.
        (video(totalFrozenTime=0), video(totalFrozenTime=5_000), False, 1.0),
        # The app says the far side muted its video.
        (video(totalFrozenTime=0), video(totalFrozenTime=900, muted=True), True, None),
        # Web: +1 s over 2 s, freezeRate not used when the total moved.
        (
            video(totalFreezeTime=3.0, freezeRate=0.9),
            video(totalFreezeTime=4.0, freezeRate=0.9),
            False,
            0.5,
        ),
        # A freezeRate above 1 is not a share.
        (video(), video(freezeRate=1.5), False, None),
    ],
    ids=["inactive", "frozen", "capped", "muted", "web", "bad-rate"],
)
def test_video_pause_or_freeze(before, after, paused, freeze):
    found, _ = pair(before, after)
    assert found["video"].paused is paused
    assert found["video"].freeze_share == (
        None if freeze is None else pytest.approx(freeze)
    )


def test_a_muted_audio_is_not_measured():
    found, notes = first(
        {"audio": {"networkTransportDelay": 0, "muted": True}, "video": {}}
    )
    assert list(found) == ["video"]
    assert notes == ["audio: muted by the far side: not measured"]


def test_a_muted_flag_that_is_not_a_bool_is_dropped():
    found, notes = first({"video": {"muted": "yes"}})
    assert found["video"].paused is False
    assert notes == ["ignored video.muted: not a number in range"]


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        (
            video(totalFrozenTime=0, duration=30),
            video(totalFrozenTime=9_000, duration=2),
            "rtc: duration_s went backwards: rejoined: no differences this time",
        ),
        (
            video(totalFrozenTime=9_000),
            video(totalFrozenTime=500),
            "video: frozen_ms went backwards: rejoined: no differences this time",
        ),
        (
            {**video(totalFrozenTime=0), "remote": "7"},
            {**video(totalFrozenTime=900), "remote": "8"},
            "remote user changed (7 -> 8): no differences this time",
        ),
    ],
    ids=["duration", "frozen", "remote"],
)
def test_a_rejoin_keeps_per_interval_values_but_no_differences(before, after, note):
    after["video"]["packetLossRate"] = 3
    found, notes = pair(before, after)
    assert notes == [note]
    assert found["video"].loss == pytest.approx(0.03)
    assert found["video"].freeze_share is None


def test_web_counters_going_backwards_give_no_loss():
    before = {"audio": {"receivePackets": 900, "receivePacketsLost": 10}}
    after = {"audio": {"receivePackets": 20, "receivePacketsLost": 0}}
    found, notes = pair(before, after)
    assert found["audio"].loss is None
    assert notes == [
        "audio: packets went backwards: rejoined: no differences this time"
    ]


def test_web_lost_counter_going_down_counts_as_no_loss():
    before = {"audio": {"receivePackets": 900, "receivePacketsLost": 10}}
    after = {"audio": {"receivePackets": 1000, "receivePacketsLost": 8}}
    # Duplicates make the browser's lost count go down: no loss, no rejoin.
    found, notes = pair(before, after)
    assert found["audio"].loss == 0.0
    assert notes == []


def test_web_loss_with_nothing_received_or_lost_is_unknown():
    same = {"audio": {"receivePackets": 900, "receivePacketsLost": 10}}
    found, notes = pair(same, same)
    assert found["audio"].loss is None
    assert notes == []


def test_a_sample_not_later_than_the_previous_is_ignored():
    payload = load("agora_native_1.json")
    found, notes = measure(snapshot(payload), snapshot(payload), T2, T0)
    assert found == []
    assert notes == ["sample not later than the previous one: ignored"]


# --- the entry point over both shapes ---------------------------------------


def test_the_entry_point_reads_agora():
    measures, snap, notes = parse("agora", None, load("agora_native_1.json"), T0, T0)
    assert [m.media for m in measures] == ["audio", "video"]
    assert snap == snapshot(load("agora_native_1.json"))
    assert notes == []
    again, _, _ = parse("agora", snap, load("agora_native_2.json"), T0, T2)
    assert again[1].freeze_share == pytest.approx(0.25)


def test_the_entry_point_reads_webrtc():
    measures, snap, notes = parse("webrtc", None, load("webrtc_chrome_1.json"), T0, T0)
    assert measures == []
    assert notes == ["first sample: new baseline"]
    assert snap["source"] == "webrtc"
    measures, _, notes = parse(
        "webrtc", snap, load("webrtc_chrome_2.json"), T0, T0 + timedelta(seconds=1)
    )
    assert [m.media for m in measures] == ["audio", "video"]
    assert measures[0].loss == pytest.approx(0.04)


def test_a_change_of_shape_starts_a_new_baseline():
    _, agora, _ = parse("agora", None, load("agora_native_1.json"), T0, T0)
    measures, snap, notes = parse("webrtc", agora, load("webrtc_chrome_1.json"), T0, T2)
    assert measures == []
    assert notes == [
        "statistics source changed ('agora' -> 'webrtc'): new baseline",
        "first sample: new baseline",
    ]
    assert snap["source"] == "webrtc"


def test_an_unknown_source_or_a_wrong_shape_is_refused():
    with pytest.raises(QualityInputError, match="unknown statistics source 'zoom'"):
        parse("zoom", None, [], T0, T0)  # type: ignore[arg-type]
    with pytest.raises(QualityInputError, match="must be the list"):
        parse("webrtc", None, load("agora_native_1.json"), T0, T0)
    with pytest.raises(QualityInputError, match="must be an object"):
        parse("agora", None, load("webrtc_chrome_1.json"), T0, T0)
