"""The class-quality panel and each learner's band, drop-out and completion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.app.engine import Levelwise
from levelwise.app.quality.panel import (
    BREAKING,
    build,
    participation,
    participations,
    week_of,
)
from levelwise.app.quality.ports import ClassState, Presence
from tests.support.quality_calls import START, Path, one_to_one, steady

T0 = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # a Tuesday
GOOD = Path(rtt_ms=60, jb_ms=30)  # 30 + 30 + 40 = 100 ms: good
SLOW = Path(rtt_ms=500, jb_ms=60)  # 250 + 60 + 40 = 350 ms: degraded


def at(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)


def presence(
    who: str = "ana",
    *,
    klass: str = "c1",
    role: str = "learner",
    first: float = 0,
    last: float = 600,
    bands: tuple[float, float, float, float] = (100, 0, 0, 0),
    drops: tuple[tuple[float, float], ...] = (),
    base: datetime = T0,
    unit: str | None = "u3",
    mos: float = 4.0,
) -> Presence:
    seconds = sum(bands)
    return Presence(
        klass=klass,
        participant=who,
        role=role,  # type: ignore[arg-type]
        unit=unit,
        first_at=at(first, base),
        last_at=at(last, base),
        seconds=seconds,
        band_seconds=bands,
        delay_sum=100.0 * seconds,
        delay_max=100.0,
        mos_sum=mos * seconds,
        mos_seconds=seconds,
        drops=tuple((at(a, base), at(b, base)) for a, b in drops),
    )


def state(
    klass: str = "c1", first: float = 0, last: float = 600, base: datetime = T0
) -> ClassState:
    return ClassState(klass, at(first, base), at(last, base))


@pytest.mark.parametrize(
    ("last", "dropped"),
    [
        # Silence up to drop_after_s (10 s) before the class's end is not leaving.
        (590, False),
        (595, False),
        # More than 10 s before the end, never back: a drop-out.
        (589.9, True),
        (300, True),
    ],
    ids=["exactly-10s", "5s", "just-over-10s", "half-way"],
)
def test_a_learner_who_left_more_than_drop_after_before_the_end_dropped_out(
    last, dropped
):
    p = participation(presence(last=last), state(), 10.0)

    assert p.dropped is dropped


@pytest.mark.parametrize(
    ("first", "last", "drops", "completed", "connected"),
    [
        # 80 % of the 600 s span is 480 s.
        (0, 600, (), True, 600),
        (120, 600, (), True, 480),
        (121, 600, (), False, 479),
        # Drops come off the connected time: 600 - 150 = 450.
        (0, 600, ((100, 250),), False, 450),
        (0, 600, ((100, 200), (300, 310)), True, 490),
        # Left at 500 s: a drop-out, still connected for 500 s of 600.
        (0, 500, (), True, 500),
    ],
    ids=["whole", "late-80", "late-just-under", "dropped-150", "two-drops", "left"],
)
def test_completion_is_80_percent_of_the_span_connected(
    first, last, drops, completed, connected
):
    p = participation(presence(first=first, last=last, drops=drops), state(), 10.0)

    assert p.connected == connected
    assert p.span == 600
    assert p.completed is completed


@pytest.mark.parametrize(
    ("bands", "band"),
    [
        # The worst band holding at least 5 % of the time.
        ((100, 0, 0, 0), "good"),
        ((90, 10, 0, 0), "acceptable"),
        ((90, 0, 6, 4), "degraded"),  # 4 % broken is under 5 %
        ((90, 0, 5, 5), "broken"),  # exactly 5 % counts
        ((96, 4, 0, 0), "good"),
        ((0, 0, 0, 0), None),  # no graded audio
    ],
    ids=["good", "acceptable", "broken-under-5", "broken-5", "acceptable-4", "none"],
)
def test_a_participations_band_is_the_worst_with_5_percent(bands, band):
    p = participation(presence(bands=bands), state(), 10.0)

    assert p.band == band


def test_participations_are_learners_of_known_classes_by_class_start():
    later = T0 + timedelta(hours=2)
    found = participations(
        [state("c2", base=later), state("c1")],
        [
            presence("teacher", role="teacher"),
            presence("bo", klass="c2", base=later),
            presence("ana"),
            presence("cy", klass="gone"),  # no class state: left out
        ],
        10.0,
    )

    assert [(p.klass, p.learner) for p in found] == [("c1", "ana"), ("c2", "bo")]
    assert found[1].start == later
    assert found[0].unit == "u3"


def test_the_panel_ranks_classes_by_time_broken_and_rolls_weeks_up():
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    next_monday = monday + timedelta(days=7)
    classes = [
        state("quiet", base=monday),
        state("rough"),
        state("ok", base=next_monday),
    ]
    presences = [
        # quiet: good for everyone, one learner left half-way.
        presence("t1", klass="quiet", role="teacher", base=monday, mos=4.4),
        presence("ana", klass="quiet", base=monday, last=300, mos=4.2),
        # rough: the teacher heard broken audio 20 % of the time, the learner
        # 10 % degraded; the class is broken (its worst participant's band).
        presence("t1", klass="rough", role="teacher", bands=(80, 0, 0, 20), mos=2.0),
        presence("bo", klass="rough", bands=(90, 0, 10, 0), mos=3.0),
        presence("cy", klass="rough", bands=(100, 0, 0, 0), mos=4.0),
        # ok: acceptable, in the next week.
        presence("dee", klass="ok", base=next_monday, bands=(50, 50, 0, 0)),
    ]

    panel = build(classes, presences, 10.0)

    assert [c.klass for c in panel.classes] == ["rough", "ok", "quiet"]
    rough = panel.classes[0]
    assert rough.band == "broken"
    assert rough.learners == 2
    assert rough.shares == pytest.approx((270 / 300, 0, 10 / 300, 20 / 300))
    assert rough.mos == pytest.approx((2.0 * 100 + 3.0 * 100 + 4.0 * 100) / 300)
    assert panel.classes[2].dropouts == 1
    assert panel.bands == (1, 1, 0, 1)
    assert panel.participations == 4 and panel.dropouts == 1
    assert [c.klass for c in panel.breaking] == ["rough"]
    assert [(w.week, w.classes, w.bands) for w in panel.weeks] == [
        (date(2026, 11, 30), 2, (1, 0, 0, 1)),
        (date(2026, 12, 7), 1, (0, 1, 0, 0)),
    ]
    first = panel.weeks[0]
    assert (first.participations, first.dropouts) == (3, 1)
    assert first.shares[3] == pytest.approx(20 / 500)


def test_the_breaking_list_names_the_worst_few_degraded_or_broken_classes():
    classes = [state(f"c{i:02d}", base=T0 + timedelta(hours=i)) for i in range(14)]
    presences = [
        presence(
            "ana",
            klass=f"c{i:02d}",
            base=T0 + timedelta(hours=i),
            bands=(100 - 2 * i, 0, 0, 2 * i),
        )
        for i in range(14)
    ]

    panel = build(classes, presences, 10.0)

    # c13 has the most broken time (26 %). c00 to c02 (under 5 % broken) are
    # good; of the 11 broken classes, the worst 10 are named: c03 is not.
    assert len(panel.breaking) == BREAKING == 10
    assert [c.klass for c in panel.breaking[:3]] == ["c13", "c12", "c11"]
    assert panel.breaking[-1].klass == "c04"


def test_an_empty_panel():
    panel = build([], [], 10.0)

    assert panel.classes == () and panel.weeks == ()
    assert panel.bands == (0, 0, 0, 0) and panel.mos is None
    assert panel.breaking == ()


def test_weeks_start_on_monday_in_utc():
    # Monday 00:30 at UTC+8 is Sunday in UTC: the week before.
    east = datetime.fromisoformat("2026-12-07T00:30:00+08:00")

    assert week_of(east) == date(2026, 11, 30)
    assert week_of(datetime(2026, 12, 7, tzinfo=UTC)) == date(2026, 12, 7)


class Clock:
    def now_iso(self) -> str:
        return (START + timedelta(days=2)).isoformat()


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(InMemoryEventLog(), Clock(), quality=InMemoryQualityStore())


def test_the_service_reports_participations_from_posted_samples(engine):
    # c1: the learner hears 350 ms (degraded) and leaves after 60 of 120 s.
    engine.quality.post(
        "s",
        "c1",
        one_to_one(
            "c1", 120, steady(GOOD), lambda s: SLOW if s < 60 else None, unit="u3"
        ),
    )
    # c2, a day later: good, but the learner's statistics stop for 20 s.
    later = START + timedelta(days=1)
    engine.quality.post(
        "s",
        "c2",
        one_to_one(
            "c2",
            120,
            steady(GOOD),
            lambda s: None if 30 <= s < 50 else GOOD,
            start=later,
        ),
    )

    found = {p.klass: p for p in engine.quality.participations("s")}

    left, stayed = found["c1"], found["c2"]
    assert (left.learner, left.band, left.unit) == ("learner-1", "degraded", "u3")
    assert left.dropped is True
    # Connected 59 s (samples at 0..59) of a 119 s span.
    assert left.connected == 59 and left.span == 119
    assert left.completed is False
    assert stayed.band == "good" and stayed.dropped is False
    # Samples 29 then 50: a 21 s drop off the 119 s from first to last.
    assert stayed.connected == 98 and stayed.completed is True
    since = engine.quality.participations("s", since=later - timedelta(hours=1))
    assert [p.klass for p in since] == ["c2"]
    until = engine.quality.participations("s", until=later)
    assert [p.klass for p in until] == ["c1"]


def test_the_service_builds_the_panel_of_a_range(engine):
    engine.quality.post("s", "c1", one_to_one("c1", 30, steady(GOOD), steady(SLOW)))

    panel = engine.quality.panel("s")
    other = engine.quality.panel("other-school")

    assert [(c.klass, c.band, c.learners) for c in panel.classes] == [
        ("c1", "degraded", 1)
    ]
    assert panel.weeks[0].week == date(2026, 11, 30)
    assert other.classes == ()
    assert engine.quality.panel("s", since=START + timedelta(hours=1)).classes == ()


def test_without_a_store_there_is_nothing_to_show():
    engine = Levelwise(InMemoryEventLog(), Clock())

    assert engine.quality.participations("s") == []
    assert engine.quality.panel("s").classes == ()
