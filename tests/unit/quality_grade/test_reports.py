"""Reports: time in band, the participant's band rule, worst moments, verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from levelwise.app.quality.ports import Bucket, Episode, Presence, Thresholds
from levelwise.app.quality.reports import (
    BandShare,
    Moment,
    class_report,
    main_cause,
    participant_report,
    report_dict,
    verdict,
    worst_band,
)
from levelwise.errors import QualityNotFoundError

T0 = datetime(2026, 3, 2, 19, 40, tzinfo=UTC)


def hm(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 3, 2, h, m, s, tzinfo=UTC)


def presence(participant: str, role: str = "learner", **kw: Any) -> Presence:
    fields: dict[str, Any] = {
        "klass": "c1",
        "participant": participant,
        "role": role,
        "unit": None,
        "first_at": T0,
        "last_at": T0 + timedelta(minutes=30),
        "seconds": 0.0,
        "band_seconds": (0.0, 0.0, 0.0, 0.0),
        "delay_sum": 0.0,
        "delay_max": 0.0,
        "mos_sum": 0.0,
        "mos_seconds": 0.0,
    }
    fields.update(kw)
    return Presence(**fields)


def bucket(
    participant: str,
    start: datetime,
    delay_max: float,
    band_seconds: tuple[float, float, float, float],
    *,
    media: str = "audio",
    role: str = "learner",
    klass: str = "c1",
) -> Bucket:
    seconds = sum(band_seconds)
    return Bucket(
        klass,
        participant,
        role,  # type: ignore[arg-type]
        media,  # type: ignore[arg-type]
        start,
        seconds,
        band_seconds,
        delay_max * seconds,
        delay_max,
    )


def episode(
    participant: str,
    start: datetime,
    end: datetime,
    cause: str = "uplink_congestion",
    side: str = "teacher",
    band: str = "broken",
    klass: str = "c1",
) -> Episode:
    return Episode(
        klass,
        participant,
        "learner",
        start,
        end,
        band,  # type: ignore[arg-type]
        900.0,
        cause,  # type: ignore[arg-type]
        side,  # type: ignore[arg-type]
        (end - start).total_seconds() if band == "broken" else 0.0,
    )


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ((0.96, 0.04, 0.0, 0.0), "good"),  # 4 % acceptable is not enough
        ((0.95, 0.05, 0.0, 0.0), "acceptable"),  # exactly 5 % is
        ((0.9, 0.04, 0.05, 0.01), "degraded"),
        ((0.9, 0.0, 0.04, 0.06), "broken"),
        ((0.5, 0.0, 0.5, 0.0), "degraded"),
        ((0.0, 0.0, 0.0, 0.0), None),  # nothing graded
    ],
)
def test_worst_band_holding_5_percent(shares, expected):
    assert worst_band(shares) == expected


def test_worst_band_at_5_percent_of_real_seconds():
    # 1 s of 20 is exactly 5 %
    p = presence("l1", seconds=20.0, band_seconds=(19.0, 0.0, 0.0, 1.0), delay_sum=0.0)
    assert participant_report(p, [], []).band == "broken"


def test_participant_report():
    p = presence(
        "l1",
        seconds=100.0,
        band_seconds=(80.0, 10.0, 6.0, 4.0),
        delay_sum=100 * 250.0,
        delay_max=1200.0,
        mos_sum=380.0,
        mos_seconds=100.0,
        drops=((hm(19, 50), hm(19, 50, 10)), (hm(20, 0), hm(20, 0, 20))),
    )
    buckets = [
        bucket("l1", hm(19, 47, 20), 1200.0, (0.0, 0.0, 0.0, 2.0)),
        bucket("l1", hm(19, 44, 10), 700.0, (0.0, 0.0, 10.0, 0.0)),
        bucket("l1", hm(19, 48, 0), 3000.0, (0.0, 0.0, 0.0, 10.0), media="video"),
        bucket("l2", hm(19, 49, 0), 5000.0, (0.0, 0.0, 0.0, 10.0)),
    ]
    mine = episode("l1", hm(19, 44), hm(19, 46), "jitter_buffer", "learner", "degraded")
    other = episode("l2", hm(19, 40), hm(19, 59))
    r = participant_report(p, buckets, [other, mine])
    assert (r.participant, r.role, r.seconds) == ("l1", "learner", 100.0)
    assert r.shares == (0.8, 0.1, 0.06, 0.04)
    assert r.band == "degraded"  # broken holds 4 %, under 5 %
    assert (r.mean_delay_ms, r.worst_delay_ms) == (250.0, 1200.0)
    assert r.mos == 3.8
    assert (r.drops, r.drop_seconds) == (2, 30.0)
    assert r.episodes == (mine,)
    assert r.verdict == (
        "Degraded 10% of the time (learner's jitter buffer holding audio back "
        "19:44\u201319:46); heard the teacher 250 ms late on average; "
        "worst 1200 ms at 19:47"
    )
    assert r.band_shares == (
        BandShare("good", 0.8),
        BandShare("acceptable", 0.1),
        BandShare("degraded", 0.06),
        BandShare("broken", 0.04),
    )


def test_participant_report_without_graded_audio():
    r = participant_report(presence("t", "teacher"), [], [])
    assert (r.mean_delay_ms, r.worst_delay_ms, r.mos, r.band) == (
        None,
        None,
        None,
        None,
    )
    assert r.shares == (0.0, 0.0, 0.0, 0.0)
    assert (r.drops, r.drop_seconds) == (0, 0.0)
    assert r.verdict == "No audio graded"


def broken_class() -> tuple[list[Presence], list[Bucket], list[Episode]]:
    presences = [
        presence(
            "b",
            seconds=500.0,
            band_seconds=(300.0, 50.0, 60.0, 90.0),
            delay_sum=305_000.0,
            delay_max=1400.0,
            mos_sum=500 * 3.0,
            mos_seconds=500.0,
        ),
        presence(
            "t",
            "teacher",
            seconds=500.0,
            band_seconds=(500.0, 0.0, 0.0, 0.0),
            delay_sum=500 * 100.0,
            delay_max=120.0,
            mos_sum=500 * 4.4,
            mos_seconds=500.0,
            first_at=T0 - timedelta(minutes=5),
        ),
        presence(
            "a",
            seconds=500.0,
            band_seconds=(300.0, 50.0, 60.0, 90.0),
            delay_sum=305_000.0,
            delay_max=1500.0,
            mos_sum=500 * 3.0,
            mos_seconds=500.0,
            last_at=T0 + timedelta(minutes=45),
        ),
        presence("x", klass="c2", seconds=10.0, band_seconds=(0, 0, 0, 10.0)),
    ]
    buckets = [
        bucket("a", hm(19, 47, 20), 1500.0, (0.0, 0.0, 0.0, 10.0)),
        bucket("b", hm(19, 45), 1400.0, (0.0, 0.0, 2.0, 8.0)),
        bucket("b", hm(19, 45), 1450.0, (0.0, 0.0, 0.0, 1.0)),  # same key: merged
        bucket("a", hm(19, 43), 900.0, (0.0, 0.0, 5.0, 5.0)),
        bucket("a", hm(19, 44), 700.0, (0.0, 0.0, 10.0, 0.0)),
        bucket("t", hm(19, 43), 120.0, (10.0, 0.0, 0.0, 0.0), role="teacher"),
        bucket("a", hm(19, 48), 3000.0, (0.0, 0.0, 0.0, 10.0), media="video"),
        bucket("x", hm(19, 48), 4000.0, (0.0, 0.0, 0.0, 10.0), klass="c2"),
    ]
    episodes = [
        # two learners hear one congested teacher, overlapping: 19:42-19:54
        episode("a", hm(19, 42), hm(19, 50)),
        episode("b", hm(19, 45), hm(19, 54)),
        # a shorter broken stretch of another cause
        episode("a", hm(20, 0), hm(20, 5), "jitter_buffer", "learner"),
        # a longer one, but only degraded: the broken verdict prefers broken
        episode("b", hm(20, 10), hm(20, 40), "long_path", "learner", "degraded"),
    ]
    return presences, buckets, episodes


def test_class_report_of_a_broken_class():
    presences, buckets, episodes = broken_class()
    r = class_report("c1", presences, buckets, episodes)
    assert r.klass == "c1"
    assert (r.first_at, r.last_at) == (
        T0 - timedelta(minutes=5),
        T0 + timedelta(minutes=45),
    )
    assert [p.participant for p in r.participants] == ["t", "a", "b"]
    # (500 + 300 + 300, 100, 120, 180) / 1500
    assert r.shares == pytest.approx((1100 / 1500, 100 / 1500, 0.08, 0.12))
    assert r.band == "broken"  # a and b: 18 % broken
    assert [p.band for p in r.participants] == ["good", "broken", "broken"]
    assert r.verdict == (
        "Broken 12% of the time (teacher's uplink congested 19:42\u201319:54); "
        "learners heard the teacher 610 ms late on average"
    )
    assert r.worst_moments == (
        Moment(
            "a", "learner", "audio", hm(19, 47, 20), hm(19, 47, 30), 1500.0, "broken"
        ),
        Moment("b", "learner", "audio", hm(19, 45), hm(19, 45, 10), 1450.0, "broken"),
        Moment("a", "learner", "audio", hm(19, 43), hm(19, 43, 10), 900.0, "broken"),
    )


def test_class_report_of_a_good_class():
    presences = [
        presence(
            p,
            role,
            seconds=100.0,
            band_seconds=(96.0, 4.0, 0.0, 0.0),
            delay_sum=100 * 110.0,
            delay_max=160.0,
            mos_sum=430.0,
            mos_seconds=100.0,
        )
        for p, role in (("t", "teacher"), ("l1", "learner"))
    ]
    r = class_report("c1", presences, [], [])
    assert r.band == "good"
    assert r.verdict == "Good: 96% of the time under 150 ms, MOS 4.3"
    assert [(s.band, s.share) for s in r.band_shares] == [
        ("good", 0.96),
        ("acceptable", 0.04),
        ("degraded", 0.0),
        ("broken", 0.0),
    ]
    assert class_report("c1", presences, [], [], t=Thresholds(good_ms=120)).verdict == (
        "Good: 96% of the time under 120 ms, MOS 4.3"
    )
    assert r.worst_moments == ()


def test_class_report_of_an_acceptable_class():
    p = presence(
        "l1",
        seconds=100.0,
        band_seconds=(50.0, 46.0, 4.0, 0.0),
        delay_sum=100 * 200.0,
        mos_sum=400.0,
        mos_seconds=100.0,
    )
    r = class_report("c1", [p], [], [])
    assert r.band == "acceptable"
    assert r.verdict == "Acceptable: 96% of the time under 300 ms, MOS 4.0"


def test_class_report_of_a_degraded_class_counts_worse_time_too():
    # 11 % degraded and 4 % broken: degraded (broken under 5 %) 15 % of the time
    p = presence(
        "l1",
        seconds=100.0,
        band_seconds=(80.0, 5.0, 11.0, 4.0),
        delay_sum=100 * 420.0,
    )
    e = episode("l1", hm(19, 42), hm(19, 42, 40), "loss", "unknown", "degraded")
    r = class_report("c1", [p], [], [e])
    assert r.verdict == (
        "Degraded 15% of the time (packet loss 19:42); "
        "learners heard the teacher 420 ms late on average"
    )


def test_class_report_without_learners_audio_says_what_the_teacher_heard():
    t = presence(
        "t", "teacher", seconds=10.0, band_seconds=(0, 0, 10.0, 0), delay_sum=5000.0
    )
    learner = presence("l1")  # connected, but no audio graded
    r = class_report("c1", [t, learner], [], [])
    assert r.verdict == (
        "Degraded 100% of the time; the teacher heard the learners 500 ms late on "
        "average"
    )
    assert [p.band for p in r.participants] == ["degraded", None]


def test_class_report_without_any_audio():
    r = class_report("c1", [presence("l1")], [], [])
    assert (r.band, r.shares) == (None, (0.0, 0.0, 0.0, 0.0))
    assert r.verdict == "No audio graded"


def test_class_report_needs_a_presence_of_the_class():
    with pytest.raises(QualityNotFoundError):
        class_report("c1", [presence("x", klass="c2")], [], [])
    with pytest.raises(QualityNotFoundError):
        class_report("c1", [], [], [])


@pytest.mark.parametrize(
    ("cause", "side", "text"),
    [
        ("uplink_congestion", "teacher", "teacher's uplink congested"),
        ("uplink_congestion", "both", "uplink congested on both sides"),
        ("uplink_congestion", "unknown", "uplink congested"),
        ("sender_cpu", "learner", "learner's device short of CPU"),
        ("sender_cpu", "unknown", "sender short of CPU"),
        ("long_path", "learner", "long network path on the learner's side"),
        ("long_path", "both", "long network path on both sides"),
        ("jitter_buffer", "teacher", "teacher's jitter buffer holding audio back"),
        ("loss", "learner", "packet loss on the learner's side"),
        ("loss", "unknown", "packet loss"),
    ],
)
def test_main_cause_wording(cause, side, text):
    e = episode("l1", hm(19, 42), hm(19, 54), cause, side)
    assert main_cause([e]) == f"{text} 19:42\u201319:54"


def test_main_cause_takes_the_most_time_then_the_earlier():
    # path: two 5-minute stretches (10 min); cpu: one 8-minute stretch
    path = [
        episode("a", hm(19, 0), hm(19, 5), "long_path", "teacher"),
        episode("a", hm(19, 30), hm(19, 35), "long_path", "teacher"),
    ]
    cpu = [episode("b", hm(19, 10), hm(19, 18), "sender_cpu", "teacher")]
    assert main_cause([*cpu, *path]) == (
        "long network path on the teacher's side 19:00\u201319:05"
    )
    # overlaps count once: 19:00-19:06 is 6 min, under the 8 of cpu
    overlapping = [
        episode("a", hm(19, 0), hm(19, 5), "long_path", "teacher"),
        episode("b", hm(19, 1), hm(19, 6), "long_path", "teacher"),
    ]
    assert main_cause([*overlapping, *cpu]) == (
        "teacher's device short of CPU 19:10\u201319:18"
    )
    # a tie goes to the earlier
    late = [episode("c", hm(20, 0), hm(20, 8), "loss", "unknown")]
    assert main_cause([*late, *cpu]) == "teacher's device short of CPU 19:10\u201319:18"
    assert main_cause([]) is None


def test_main_cause_prefers_the_verdicts_band():
    degraded = episode("a", hm(19, 0), hm(19, 30), "long_path", "both", "degraded")
    broken = episode("a", hm(19, 40), hm(19, 41))
    assert main_cause([degraded, broken], "broken") == (
        "teacher's uplink congested 19:40\u201319:41"
    )
    assert main_cause([degraded, broken]) == (
        "long network path on both sides 19:00\u201319:30"
    )
    # without an episode of that band, any will do
    assert main_cause([degraded], "broken") == (
        "long network path on both sides 19:00\u201319:30"
    )


@pytest.mark.parametrize(
    ("shares", "band", "text"),
    [
        ((0.996, 0.004, 0.0, 0.0), "good", "Good: >99% of the time under 150 ms"),
        ((1.0, 0.0, 0.0, 0.0), "good", "Good: 100% of the time under 150 ms"),
        ((0.9, 0.096, 0.0, 0.004), "broken", "Broken <1% of the time"),
        ((0.9, 0.1, 0.0, 0.0), "broken", "Broken 0% of the time"),
    ],
)
def test_verdict_percentages_at_the_ends(shares, band, text):
    assert verdict(shares, band) == text


def test_report_dict_is_json_ready_and_rounded():
    presences, buckets, episodes = broken_class()
    plus2 = timezone(timedelta(hours=2))
    presences[1] = presence(
        "t",
        "teacher",
        seconds=3.0,
        band_seconds=(1.0, 1.0, 1.0, 0.0),
        delay_sum=3 * 200.4,
        delay_max=350.6,
        mos_sum=3 * 4.123,
        mos_seconds=3.0,
        first_at=datetime(2026, 3, 2, 21, 30, tzinfo=plus2),
        drops=((hm(19, 50), hm(19, 50, 12) + timedelta(microseconds=345678)),),
    )
    r = class_report("c1", presences, buckets, episodes)
    d = json.loads(json.dumps(report_dict(r)))
    assert d["class"] == "c1"
    assert d["first_at"] == "2026-03-02T19:30:00+00:00"
    assert d["last_at"] == "2026-03-02T20:25:00+00:00"
    assert d["band"] == "broken"
    assert d["verdict"] == r.verdict
    assert d["worst_moments"][0] == {
        "participant": "a",
        "role": "learner",
        "media": "audio",
        "start": "2026-03-02T19:47:20+00:00",
        "end": "2026-03-02T19:47:30+00:00",
        "delay_ms": 1500,
        "band": "broken",
    }
    teacher = d["participants"][0]
    assert teacher["participant"] == "t"
    assert teacher["shares"] == {
        "good": 0.33,
        "acceptable": 0.33,
        "degraded": 0.33,
        "broken": 0.0,
    }
    assert (teacher["mean_delay_ms"], teacher["worst_delay_ms"]) == (200, 351)
    assert teacher["mos"] == 4.12
    assert (teacher["drops"], teacher["drop_seconds"]) == (1, 12.35)
    assert teacher["episodes"] == []
    a = d["participants"][1]
    assert a["episodes"][0] == {
        "participant": "a",
        "role": "learner",
        "start": "2026-03-02T19:42:00+00:00",
        "end": "2026-03-02T19:50:00+00:00",
        "band": "broken",
        "worst_ms": 900,
        "cause": "uplink_congestion",
        "side": "teacher",
        "broken_seconds": 480.0,
    }
    assert d["shares"]["broken"] == 0.18  # 180 / (3 + 500 + 500)
    silent = report_dict(class_report("c1", [presence("l1")], [], []))
    assert silent["participants"][0]["mean_delay_ms"] is None
    assert silent["participants"][0]["mos"] is None
