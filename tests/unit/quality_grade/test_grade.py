"""Grading an interval: the delay estimate, its band, R and MOS, and the cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from levelwise.app.quality._grade import (
    attribute,
    band,
    estimate_delay,
    far_side,
    grade,
)
from levelwise.app.quality.ports import Graded, Measures, Thresholds

T = Thresholds()
START = datetime(2026, 3, 2, 19, 42, tzinfo=UTC)


def measures(media: str = "audio", **kw: Any) -> Measures:
    return Measures(media, START, START + timedelta(seconds=1), **kw)  # type: ignore[arg-type]


def annex_b(r: float) -> float:
    # G.107 Annex B, written out here rather than taken from the code.
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


@pytest.mark.parametrize(
    ("kw", "t", "expected"),
    [
        # the brief's case: 400 / 2 + 60 + 40
        ({"rtt_ms": 400, "jitter_buffer_ms": 60}, T, 300.0),
        # a one-way transport delay wins over the round trip: 120 + 60 + 40
        ({"rtt_ms": 400, "transport_ms": 120, "jitter_buffer_ms": 60}, T, 220.0),
        # no jitter buffer reported counts 0: 100 / 2 + 40
        ({"rtt_ms": 100}, T, 90.0),
        # playout where reported: 50 + 30 + 25 + 40
        ({"rtt_ms": 100, "jitter_buffer_ms": 30, "playout_ms": 25}, T, 145.0),
        # the send constant is a setting: 200 / 2 + 0
        ({"rtt_ms": 200}, Thresholds(send_ms=0), 100.0),
        # a transport delay of 0 is known, not missing: 0 + 40
        ({"transport_ms": 0.0, "rtt_ms": 300}, T, 40.0),
        # neither transport nor round trip: no estimate
        ({"jitter_buffer_ms": 60, "playout_ms": 10}, T, None),
    ],
    ids=["rtt-half", "transport", "no-jb", "playout", "send-setting", "zero", "none"],
)
def test_estimate_delay(kw, t, expected):
    assert estimate_delay(measures(**kw), t) == expected


@pytest.mark.parametrize(
    ("delay", "media", "expected"),
    [
        (0.0, "audio", "good"),
        (150.0, "audio", "good"),  # a limit belongs to the better band
        (150.5, "audio", "acceptable"),
        (300.0, "audio", "acceptable"),
        (300.5, "audio", "degraded"),
        (800.0, "audio", "degraded"),
        (800.5, "audio", "broken"),
        (150.0, "video", "good"),
        (300.5, "video", "acceptable"),  # video is acceptable up to 400
        (400.0, "video", "acceptable"),
        (400.5, "video", "degraded"),
        (800.0, "video", "degraded"),
        (800.5, "video", "broken"),
    ],
)
def test_band_edges(delay, media, expected):
    assert band(delay, media, T) == expected


def test_band_follows_the_thresholds():
    t = Thresholds(good_ms=100, acceptable_ms=200, degraded_ms=500)
    assert [band(d, "audio", t) for d in (100, 101, 200, 201, 500, 501)] == [
        "good",
        "acceptable",
        "acceptable",
        "degraded",
        "degraded",
        "broken",
    ]


@pytest.mark.parametrize(
    ("rtt", "expected_delay", "expected_band"),
    [
        (400, 300.0, "acceptable"),  # 200 + 60 + 40
        (402, 301.0, "degraded"),  # 201 + 60 + 40
    ],
)
def test_grade_audio_bands_the_estimate(rtt, expected_delay, expected_band):
    g = grade("c1", "l1", "learner", measures(rtt_ms=rtt, jitter_buffer_ms=60), T)
    assert (g.klass, g.participant, g.role) == ("c1", "l1", "learner")
    assert g.delay_ms == expected_delay
    assert g.band == expected_band
    assert g.r is not None and g.mos is not None
    assert g.mos == pytest.approx(annex_b(g.r))


def test_grade_audio_without_delay_or_loss_rates_the_g107_default():
    # G.107: the default connection without delay or loss rates R = 93.2.
    g = grade("c", "p", "learner", measures(rtt_ms=0), Thresholds(send_ms=0))
    assert g.delay_ms == 0
    assert g.r == pytest.approx(93.2, abs=0.05)
    assert g.mos == pytest.approx(annex_b(93.2), abs=0.01)


def test_grade_audio_passes_the_delay_as_ta():
    # R falls with the delay; 400 ms one way, echo cancelled (T = Tr = 0), rates
    # 69.14 (MOS 3.56: the worked value for G.711 with PLC).
    rs = [
        grade("c", "p", "learner", measures(rtt_ms=2 * (d - 40)), T).r or 0.0
        for d in (100, 200, 300, 400)
    ]
    assert rs[0] > rs[1] > rs[2] > rs[3]
    assert rs[-1] == pytest.approx(69.14, abs=0.05)


@pytest.mark.parametrize(
    ("loss", "t", "impairment"),
    [
        # Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl), Ppl = loss x 100
        (0.05, T, 95 * 5 / (5 + 25.1)),
        (0.01, T, 95 * 1 / (1 + 25.1)),
        (0.05, Thresholds(burst_ratio=2.0), 95 * 5 / (5 / 2 + 25.1)),
        (0.05, Thresholds(codec_bpl=10.0), 95 * 5 / (5 + 10.0)),
        (0.0, Thresholds(codec_ie=10.0), 10.0),
        (0.05, Thresholds(codec_ie=10.0), 10 + 85 * 5 / (5 + 25.1)),
    ],
    ids=["5pc", "1pc", "burst", "bpl", "ie", "ie-and-loss"],
)
def test_grade_audio_loss_and_codec_impair_r(loss, t, impairment):
    clean = grade("c", "p", "learner", measures(rtt_ms=100), T)
    lossy = grade("c", "p", "learner", measures(rtt_ms=100, loss=loss), t)
    assert clean.r is not None and lossy.r is not None
    assert clean.r - lossy.r == pytest.approx(impairment)
    assert lossy.mos == pytest.approx(annex_b(lossy.r))


def test_grade_clamps_what_the_e_model_refuses():
    # a negative transport delay and a loss share above 1 still grade
    g = grade("c", "p", "learner", measures(transport_ms=-100, loss=1.5), T)
    assert g.delay_ms == -60.0
    assert g.band == "good"
    full = grade(
        "c", "p", "learner", measures(rtt_ms=0, loss=1.0), Thresholds(send_ms=0)
    )
    assert g.r == pytest.approx(full.r)


def test_grade_video_has_a_band_but_no_r():
    g = grade("c", "p", "teacher", measures("video", rtt_ms=680), T)
    assert g.delay_ms == 380.0  # 340 + 40
    assert g.band == "acceptable"  # audio would be degraded
    assert (g.r, g.mos) == (None, None)


def test_grade_paused_video_has_no_band():
    g = grade("c", "p", "learner", measures("video", rtt_ms=2000, paused=True), T)
    assert g.delay_ms == 1040.0
    assert g.band is None


@pytest.mark.parametrize("media", ["audio", "video"])
def test_grade_without_an_estimate_has_nothing(media):
    g = grade("c", "p", "learner", measures(media, loss=0.1, jitter_buffer_ms=50), T)
    assert (g.delay_ms, g.band, g.r, g.mos) == (None, None, None, None)


# --- attribute -----------------------------------------------------------


def graded(
    participant: str = "l1", role: str = "learner", media: str = "audio", **kw: Any
) -> Graded:
    return grade("c", participant, role, measures(media, **kw), T)  # type: ignore[arg-type]


# A learner hearing degraded audio: 220 + 150 + 40 = 410 ms; the path is the
# largest term but not past 300 ms alone, so the far side decides first.
RX: dict[str, Any] = {"rtt_ms": 440, "jitter_buffer_ms": 150}


@pytest.mark.parametrize(
    ("far", "expected"),
    [
        # the teacher's (video) sender is limited by bandwidth
        ([graded("t", "teacher", "video", rtt_ms=100, limitation="bandwidth")],
         ("uplink_congestion", "teacher")),
        # the teacher loses 5 % of what it sends: congested (edge included)
        ([graded("t", "teacher", rtt_ms=100, send_loss=0.05)],
         ("uplink_congestion", "teacher")),
        # the teacher's sender is short of CPU
        ([graded("t", "teacher", "video", rtt_ms=100, limitation="cpu")],
         ("sender_cpu", "teacher")),
        # bandwidth wins over CPU, whichever interval says which
        ([graded("t", "teacher", "video", rtt_ms=100, limitation="cpu"),
          graded("t", "teacher", rtt_ms=100, limitation="bandwidth")],
         ("uplink_congestion", "teacher")),
        # another learner's congested uplink is not what this learner hears
        ([graded("t", "teacher", rtt_ms=440, send_loss=0.01),
          graded("l2", "learner", "video", rtt_ms=100, limitation="bandwidth")],
         ("long_path", "both")),
        # in a class of learners only, the other learners are the far side
        ([graded("l2", "learner", "video", rtt_ms=100, limitation="bandwidth")],
         ("uplink_congestion", "learner")),
        # the receiver's own figures never count as the far side's
        ([graded("l1", "learner", "video", rtt_ms=100, limitation="bandwidth")],
         ("long_path", "unknown")),
    ],
    ids=["bandwidth", "send-loss", "cpu", "bandwidth-first", "co-learner",
         "learners-only", "self"],
)  # fmt: skip
def test_attribute_sender_causes(far, expected):
    assert attribute(graded(**RX), far, T) == expected


def test_attribute_send_loss_under_5_percent_is_not_congestion():
    far = [graded("t", "teacher", rtt_ms=100, send_loss=0.049)]
    cause, _ = attribute(graded(**RX), far, T)
    assert cause != "uplink_congestion"


def test_attribute_a_teachers_far_side_is_the_learners():
    g = graded("t", "teacher", **RX)
    far = [graded("l1", "learner", "video", rtt_ms=100, limitation="bandwidth")]
    assert attribute(g, far, T) == ("uplink_congestion", "learner")


@pytest.mark.parametrize(
    ("mine", "theirs", "side"),
    [
        (700, 100, "learner"),  # the receiver's own round trip is the long one
        (700, 650, "both"),  # |700 - 650| <= 20 % of 700
        (700, 875, "both"),  # |875 - 700| = 175 <= 20 % of 875
        (700, 900, "teacher"),  # 200 > 20 % of 900
        (500, 400, "both"),  # exactly 20 %: close
        (500, 399, "learner"),  # just past 20 %
        (700, None, "unknown"),  # the far side's round trip is not known
    ],
)
def test_attribute_long_path_and_its_side(mine, theirs, side):
    # 700 / 2 = 350 > 300 alone; 500 / 2 = 250 is not, but is the largest term
    g = graded(rtt_ms=mine)
    far = [graded("t", "teacher", transport_ms=50, rtt_ms=theirs)]
    assert attribute(g, far, T) == ("long_path", side)


def test_attribute_long_path_from_a_transport_delay():
    # Agora: a one-way transport delay of 350 ms, no round trip to compare
    g = graded(transport_ms=350)
    assert attribute(g, [graded("t", "teacher", rtt_ms=80)], T) == (
        "long_path",
        "unknown",
    )


def test_attribute_long_path_uses_the_media_limit():
    # 700 / 2 = 350: past audio's 300 but not video's 400
    far = [graded("t", "teacher", rtt_ms=700)]
    video = graded(media="video", rtt_ms=700, jitter_buffer_ms=500)
    assert attribute(video, far, T) == ("jitter_buffer", "learner")
    assert attribute(graded(rtt_ms=700), far, T)[0] == "long_path"


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        # 100 + 400 + 40 = 540: the jitter buffer is the largest term
        ({"rtt_ms": 200, "jitter_buffer_ms": 400}, ("jitter_buffer", "learner")),
        # the playout delay holds audio back the same way
        ({"rtt_ms": 200, "playout_ms": 400}, ("jitter_buffer", "learner")),
        # 280 + 100 + 40 = 420, the path largest: long_path, sided by rtt
        ({"rtt_ms": 560, "jitter_buffer_ms": 100}, ("long_path", "learner")),
        # the same with 10 % loss: the loss is what stands out
        ({"rtt_ms": 560, "jitter_buffer_ms": 100, "loss": 0.1}, ("loss", "learner")),
        # a high concealment counts as loss
        ({"rtt_ms": 560, "concealment": 0.05}, ("loss", "learner")),
        # buffers first when they are the largest, even with loss
        ({"rtt_ms": 200, "jitter_buffer_ms": 400, "loss": 0.1},
         ("jitter_buffer", "learner")),
    ],
    ids=["jb", "playout", "path", "path-lossy", "concealment", "jb-lossy"],
)  # fmt: skip
def test_attribute_receiver_causes(kw, expected):
    far = [graded("t", "teacher", rtt_ms=100, send_loss=0.0)]
    assert attribute(graded(**kw), far, T) == expected


@pytest.mark.parametrize(
    ("far", "side"),
    [
        # what the teacher sent arrived (its own loss is low): our downlink
        ([graded("t", "teacher", rtt_ms=100, send_loss=0.01)], "learner"),
        # nothing says where it was lost
        ([graded("t", "teacher", rtt_ms=100)], "unknown"),
        ([], "unknown"),
    ],
)
def test_attribute_loss_when_the_delay_is_fine(far, side):
    g = graded(rtt_ms=100, loss=0.08)  # 90 ms: good, but 8 % lost
    assert g.band == "good"
    assert attribute(g, far, T) == ("loss", side)


def test_attribute_loss_before_buffers_when_the_delay_is_fine():
    # 10 + 60 + 40 = 110 ms, good, the jitter buffer the largest term; but 8 %
    # is lost, and that, not the delay, is what is heard
    g = graded(rtt_ms=20, jitter_buffer_ms=60, loss=0.08)
    assert g.band == "good"
    assert attribute(g, [], T) == ("loss", "unknown")


def test_attribute_with_nothing_to_go_on_blames_the_path_unknown_side():
    g = graded(jitter_buffer_ms=0)  # no delay estimate, no loss
    assert attribute(g, [], T) == ("long_path", "unknown")


def test_far_side_prefers_the_other_role():
    me = graded("l1")
    teacher, other, mine = (
        graded("t", "teacher"),
        graded("l2"),
        graded("l1", media="video"),
    )
    assert far_side(me, [teacher, other, mine]) == [teacher]
    assert far_side(me, [other, mine]) == [other]
    assert far_side(me, [mine]) == []
