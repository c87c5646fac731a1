"""Roll-ups: 10 s buckets split by time, merged by key, and presences."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from levelwise.app.quality._rollup import (
    buckets,
    presence_delta,
    window_of,
)
from levelwise.app.quality.ports import Graded, Measures, Presence
from levelwise.errors import QualityInputError

T0 = datetime(2026, 3, 2, 19, 42, tzinfo=UTC)  # a multiple of 10 s


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def g(
    start: float,
    end: float,
    *,
    delay: float | None = 200.0,
    band: str | None = "acceptable",
    mos: float | None = None,
    participant: str = "l1",
    media: str = "audio",
    klass: str = "c1",
    **kw: Any,
) -> Graded:
    m = Measures(media, at(start), at(end), **kw)  # type: ignore[arg-type]
    return Graded(klass, participant, "learner", m, delay, band, None, mos)  # type: ignore[arg-type]


def test_an_interval_across_a_window_edge_splits_in_proportion():
    # 19:42:08 -> 19:42:13: 2 s in the first window, 3 s in the next
    first, second = buckets([g(8, 13, mos=4.0, loss=0.02)])
    assert (first.start, second.start) == (at(0), at(10))
    assert (first.seconds, second.seconds) == (2.0, 3.0)
    assert first.band_seconds == (0.0, 2.0, 0.0, 0.0)
    assert second.band_seconds == (0.0, 3.0, 0.0, 0.0)
    assert (first.delay_sum, second.delay_sum) == (400.0, 600.0)
    assert first.delay_max == second.delay_max == 200.0
    assert (first.mos_sum, first.mos_seconds) == (8.0, 2.0)
    assert (second.mos_sum, second.mos_seconds) == (12.0, 3.0)
    assert (first.loss_sum, first.loss_seconds) == pytest.approx((0.04, 2.0))
    assert (second.loss_sum, second.loss_seconds) == pytest.approx((0.06, 3.0))
    assert (first.klass, first.participant, first.role, first.media) == (
        "c1",
        "l1",
        "learner",
        "audio",
    )


def test_a_long_interval_spans_several_windows():
    # 5 -> 32: 5 + 10 + 10 + 2 seconds
    found = buckets([g(5, 32, delay=900.0, band="broken")])
    assert [b.start for b in found] == [at(0), at(10), at(20), at(30)]
    assert [b.seconds for b in found] == [5.0, 10.0, 10.0, 2.0]
    assert [b.band_seconds[3] for b in found] == [5.0, 10.0, 10.0, 2.0]


def test_intervals_of_one_window_merge():
    found = buckets(
        [
            g(0, 1, delay=100.0, band="good"),
            g(1, 2, delay=900.0, band="broken"),
            g(2, 4, delay=300.0, band="acceptable"),
        ]
    )
    [b] = found
    assert b.seconds == 4.0
    assert b.band_seconds == (1.0, 2.0, 0.0, 1.0)
    assert b.delay_sum == 100 + 900 + 2 * 300
    assert b.delay_max == 900.0


def test_keys_stay_apart_and_come_sorted():
    found = buckets(
        [
            g(0, 1, participant="l2"),
            g(0, 1, media="video"),
            g(11, 12),
            g(0, 1),
            g(0, 1, klass="c0"),
        ]
    )
    keys = [(b.klass, b.participant, b.media, b.start) for b in found]
    assert keys == [
        ("c0", "l1", "audio", at(0)),
        ("c1", "l1", "audio", at(0)),
        ("c1", "l1", "audio", at(10)),
        ("c1", "l1", "video", at(0)),
        ("c1", "l2", "audio", at(0)),
    ]


def test_windows_are_utc_multiples_of_10_s_whatever_the_offset():
    plus2 = timezone(timedelta(hours=2))
    local = datetime(2026, 3, 2, 21, 42, 7, tzinfo=plus2)  # 19:42:07 UTC
    m = Measures("audio", local, local + timedelta(seconds=5))
    graded = Graded("c1", "l1", "learner", m, 200.0, "acceptable")
    first, second = buckets([graded])
    assert first.start == datetime(2026, 3, 2, 19, 42, tzinfo=UTC)
    assert first.start.utcoffset() == timedelta(0)
    assert (first.seconds, second.seconds) == (3.0, 2.0)
    assert window_of(datetime(2026, 3, 2, 19, 42, 19, 999999, tzinfo=UTC)) == at(10)
    assert window_of(at(20)) == at(20)


def test_video_paused_and_frozen_seconds():
    [b] = buckets(
        [
            g(0, 4, media="video", band=None, delay=300.0, paused=True),
            g(4, 8, media="video", band="good", delay=120.0, freeze_share=0.25),
        ]
    )
    assert b.paused_seconds == 4.0
    assert b.freeze_seconds == 1.0  # 25 % of 4 s
    assert b.seconds == 4.0  # the paused interval has no band
    assert b.delay_max == 120.0  # nor does its delay count
    assert b.band_seconds == (4.0, 0.0, 0.0, 0.0)


def test_an_interval_without_a_band_still_adds_its_loss():
    [b] = buckets([g(0, 5, delay=None, band=None, loss=0.1)])
    assert (b.seconds, b.delay_sum, b.delay_max) == (0.0, 0.0, 0.0)
    assert (b.loss_sum, b.loss_seconds) == pytest.approx((0.5, 5.0))


def test_an_interval_of_no_length_adds_nothing():
    assert buckets([g(5, 5), g(10, 10), g(7, 3)]) == []


def test_merge_adds_and_takes_the_max():
    a = buckets([g(0, 2, delay=100.0, band="good", mos=4.4, loss=0.0)])[0]
    b = buckets([g(2, 5, delay=850.0, band="broken", mos=2.0, freeze_share=0.5)])[0]
    m = a.merged(b)
    assert m.seconds == 5.0
    assert m.band_seconds == (2.0, 0.0, 0.0, 3.0)
    assert m.delay_sum == 200 + 3 * 850
    assert m.delay_max == 850.0
    assert (m.mos_sum, m.mos_seconds) == pytest.approx((2 * 4.4 + 3 * 2.0, 5.0))
    assert (m.loss_sum, m.loss_seconds) == (0.0, 2.0)
    assert m.freeze_seconds == 1.5
    assert a.merged(b) == b.merged(a)


@pytest.mark.parametrize(
    "change",
    [
        {"klass": "c2"},
        {"participant": "l2"},
        {"media": "video"},
        {"start": at(10)},
    ],
)
def test_merge_refuses_buckets_of_another_key(change):
    a = buckets([g(0, 2)])[0]
    with pytest.raises(QualityInputError):
        a.merged(replace(a, **change))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**8),  # the first start, microseconds
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3 * 10**7),  # length, microseconds
            st.sampled_from(["good", "acceptable", "degraded", "broken"]),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_splitting_keeps_every_second(first_us, spans):
    # one participant's consecutive intervals, as the statistics give them
    graded = []
    start = T0 + timedelta(microseconds=first_us)
    for length_us, band in spans:
        end = start + timedelta(microseconds=length_us)
        m = Measures("audio", start, end)
        graded.append(Graded("c1", "l1", "learner", m, 100.0, band))
        start = end
    found = buckets(graded)
    total = sum(length_us for length_us, _ in spans) / 1e6
    assert sum(b.seconds for b in found) == pytest.approx(total)
    assert sum(b.delay_sum for b in found) == pytest.approx(100.0 * total)
    for i, band in enumerate(("good", "acceptable", "degraded", "broken")):
        in_band = sum(n for n, b in spans if b == band) / 1e6
        assert sum(b.band_seconds[i] for b in found) == pytest.approx(in_band)
    for b in found:
        assert sum(b.band_seconds) == pytest.approx(b.seconds)
        assert 0 < b.seconds <= 10.0 + 1e-9  # consecutive: at most a window
        assert (b.start - T0) % timedelta(seconds=10) == timedelta(0)
    assert len({b.start for b in found}) == len(found)  # merged per window


# --- presences -----------------------------------------------------------


def test_presence_delta_counts_the_participants_audio():
    graded = [
        g(0, 2, delay=100.0, band="good", mos=4.4),
        g(2, 5, delay=900.0, band="broken", mos=1.5),
        g(5, 6, delay=None, band=None),  # no estimate: not graded time
        g(0, 6, media="video", delay=2000.0, band="broken"),  # video: left out
        g(0, 6, participant="l2", delay=2000.0, band="broken", mos=1.0),  # another
        g(0, 6, klass="c2", delay=2000.0, band="broken", mos=1.0),  # another class
    ]
    drops = ((at(60), at(80)), (at(20), at(40)))
    p = presence_delta(graded, "c1", "l1", "learner", "u1", at(0), at(6), drops)
    assert (p.klass, p.participant, p.role, p.unit) == ("c1", "l1", "learner", "u1")
    assert (p.first_at, p.last_at) == (at(0), at(6))
    assert p.seconds == 5.0
    assert p.band_seconds == (2.0, 0.0, 0.0, 3.0)
    assert p.delay_sum == 2 * 100 + 3 * 900
    assert p.delay_max == 900.0
    assert (p.mos_sum, p.mos_seconds) == pytest.approx((2 * 4.4 + 3 * 1.5, 5.0))
    assert p.drops == ((at(20), at(40)), (at(60), at(80)))


def test_presence_delta_of_no_audio_is_empty():
    p = presence_delta([], "c1", "l1", "teacher", None, at(0), at(1), ())
    assert (p.seconds, p.band_seconds, p.delay_sum, p.delay_max) == (
        0.0,
        (0.0, 0.0, 0.0, 0.0),
        0.0,
        0.0,
    )
    assert (p.mos_sum, p.mos_seconds, p.drops) == (0.0, 0.0, ())


def presence(**kw: Any) -> Presence:
    base = Presence(
        klass="c1",
        participant="l1",
        role="learner",
        unit=None,
        first_at=at(0),
        last_at=at(100),
        seconds=90.0,
        band_seconds=(60.0, 20.0, 10.0, 0.0),
        delay_sum=90 * 200.0,
        delay_max=700.0,
        mos_sum=90 * 4.0,
        mos_seconds=90.0,
        drops=((at(40), at(50)),),
    )
    return replace(base, **kw)


def test_merge_presence():
    a = presence()
    b = presence(
        unit="u1",
        first_at=at(-30),
        last_at=at(90),
        seconds=10.0,
        band_seconds=(0.0, 0.0, 0.0, 10.0),
        delay_sum=10 * 900.0,
        delay_max=950.0,
        mos_sum=10 * 1.2,
        mos_seconds=10.0,
        drops=((at(10), at(20)), (at(60), at(70))),
    )
    m = a.merged(b)
    assert (m.first_at, m.last_at) == (at(-30), at(100))
    assert m.seconds == 100.0
    assert m.band_seconds == (60.0, 20.0, 10.0, 10.0)
    assert m.delay_sum == 90 * 200 + 10 * 900
    assert m.delay_max == 950.0
    assert (m.mos_sum, m.mos_seconds) == (90 * 4.0 + 10 * 1.2, 100.0)
    assert m.drops == ((at(10), at(20)), (at(40), at(50)), (at(60), at(70)))
    assert m.unit == "u1"  # the stored one had none
    assert presence(unit="u0").merged(b).unit == "u0"


@pytest.mark.parametrize("change", [{"klass": "c2"}, {"participant": "l2"}])
def test_merge_presence_refuses_another_participant(change):
    with pytest.raises(QualityInputError):
        presence().merged(presence(**change))
