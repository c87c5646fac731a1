"""The QualityStore contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.adapters.sql.quality import SqlQualityStore
from levelwise.app.quality.ports import (
    Bucket,
    ClassState,
    Cursor,
    Episode,
    Graded,
    Measures,
    Media,
    Presence,
    QualityStore,
    Recorded,
)
from levelwise.errors import StoreError


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> QualityStore:
    """Each QualityStore implementation in turn."""
    if request.param == "memory":
        return InMemoryQualityStore()
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlQualityStore(request.getfixturevalue(name))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest) -> SqlQualityStore:
    """Each SQL implementation (for what only a database can get wrong)."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlQualityStore(request.getfixturevalue(name))


T0 = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)


def at(seconds: float, base: datetime = T0) -> datetime:
    """``seconds`` after ``base``."""
    return base + timedelta(seconds=seconds)


def graded(
    participant: str, start: float, media: Media = "audio", klass: str = "c1"
) -> Graded:
    """A graded interval of one second from ``at(start)``."""
    measures = Measures(media, at(start), at(start + 1))
    return Graded(klass, participant, "learner", measures, 120.0, "good")


def bucket(participant: str, start: float, **fields: Any) -> Bucket:
    """A 10 s roll-up of class ``c1`` (override any field)."""
    base = Bucket(
        klass="c1",
        participant=participant,
        role="learner",
        media="audio",
        start=at(start),
        seconds=10.0,
        band_seconds=(6.0, 2.0, 1.5, 0.5),
        delay_sum=2500.0,
        delay_max=900.0,
        mos_sum=40.0,
        mos_seconds=10.0,
        loss_sum=0.25,
        loss_seconds=10.0,
        freeze_seconds=0.0,
        paused_seconds=0.0,
    )
    return replace(base, **fields)


def presence(participant: str, klass: str = "c1", **fields: Any) -> Presence:
    """A presence in ``klass`` (override any field)."""
    base = Presence(
        klass=klass,
        participant=participant,
        role="learner",
        unit=None,
        first_at=at(0),
        last_at=at(60),
        seconds=60.0,
        band_seconds=(50.0, 6.0, 3.0, 1.0),
        delay_sum=9000.0,
        delay_max=850.0,
        mos_sum=240.0,
        mos_seconds=60.0,
    )
    return replace(base, **fields)


def episode(participant: str, start: float, **fields: Any) -> Episode:
    """A degraded stretch of class ``c1`` (override any field)."""
    base = Episode(
        klass="c1",
        participant=participant,
        role="learner",
        start=at(start),
        end=at(start + 5),
        band="degraded",
        worst_ms=500.0,
        cause="jitter_buffer",
        side="learner",
        broken_seconds=0.0,
    )
    return replace(base, **fields)


def state(
    klass: str = "c1", first: float = 0, last: float = 60, **flags: bool
) -> ClassState:
    """A class state from ``at(first)`` to ``at(last)``."""
    return ClassState(klass, at(first), at(last), **flags)


def batch(klass: str = "c1", **parts: Any) -> Recorded:
    """A batch of ``klass``; its state spans its graded intervals by default."""
    fields: dict[str, Any] = {
        "graded": (),
        "buckets": (),
        "presences": (),
        "episodes": (),
        "cursors": {},
        "state": state(klass),
    }
    fields.update(parts)
    return Recorded(klass=klass, **fields)


# -- graded intervals ------------------------------------------------------------


def test_a_graded_interval_round_trips_whole(store, tenant):
    full = Graded(
        klass="c1",
        participant="ana",
        role="teacher",
        measures=Measures(
            media="video",
            start=datetime(2026, 12, 14, 10, 0, 0, 123456, tzinfo=UTC),
            end=datetime(2026, 12, 14, 10, 0, 1, 654321, tzinfo=UTC),
            rtt_ms=85.5,
            transport_ms=42.25,
            jitter_buffer_ms=60.0,
            playout_ms=12.0,
            jitter_ms=3.5,
            loss=0.015625,
            send_loss=0.03125,
            concealment=0.0625,
            freeze_share=0.125,
            paused=True,
            limitation="bandwidth",
            reported_mos=4.1,
            network_quality=3,
            connection="pc-«1»",
        ),
        delay_ms=233.3333333333333,
        band="acceptable",
        r=87.123456789,
        mos=4.2,
    )
    bare = Graded(
        "c1",
        "bo",
        "learner",
        Measures("audio", at(0), at(1)),
        delay_ms=None,
        band=None,
    )
    store.record(tenant, batch(graded=[bare, full]))

    got = store.graded(tenant, "c1")

    assert got == [full, bare]  # by participant
    for g in got:
        assert g.measures.start.utcoffset() == timedelta(0)
        assert g.measures.end.utcoffset() == timedelta(0)


def test_an_aware_time_in_another_zone_is_the_same_instant(store, tenant):
    plus_two = timezone(timedelta(hours=2))
    local = Graded(
        "c1",
        "ana",
        "learner",
        Measures("audio", at(0).astimezone(plus_two), at(1).astimezone(plus_two)),
        150.0,
        "good",
    )
    store.record(tenant, batch(graded=[local]))

    (got,) = store.graded(tenant, "c1")
    assert got == local
    assert got.measures.start == at(0)


def test_graded_come_by_participant_then_start_across_records(store, tenant):
    store.record(
        tenant,
        batch(graded=[graded("bo", 2), graded("ana", 3), graded("bo", 0)]),
    )
    store.record(
        tenant,
        batch(
            graded=[
                graded("ana", 1),
                # Two media of one start keep the order they came in.
                graded("bo", 1, media="video"),
                graded("bo", 1, media="audio"),
            ]
        ),
    )
    store.record(tenant, batch("c2", graded=[graded("ana", 0, klass="c2")]))

    got = [
        (g.participant, (g.measures.start - T0).seconds, g.measures.media)
        for g in store.graded(tenant, "c1")
    ]
    assert got == [
        ("ana", 1, "audio"),
        ("ana", 3, "audio"),
        ("bo", 0, "audio"),
        ("bo", 1, "video"),
        ("bo", 1, "audio"),
        ("bo", 2, "audio"),
    ]
    only_bo = store.graded(tenant, "c1", "bo")
    assert [g.participant for g in only_bo] == ["bo"] * 4
    assert [g.klass for g in store.graded(tenant, "c2")] == ["c2"]
    assert store.graded(tenant, "c1", "cy") == []


# -- buckets ---------------------------------------------------------------------


def test_buckets_of_one_key_add_across_records(store, tenant):
    first = bucket("ana", 0, role="teacher")
    second = bucket(
        "ana",
        0,
        role="learner",  # the stored role stays
        seconds=4.0,
        band_seconds=(1.0, 1.0, 1.5, 0.5),
        delay_sum=1200.0,
        delay_max=1500.0,
        mos_sum=12.5,
        mos_seconds=4.0,
        loss_sum=0.5,
        loss_seconds=3.0,
        freeze_seconds=1.25,
        paused_seconds=2.0,
    )
    third = bucket("ana", 0, seconds=1.0, delay_max=100.0)  # a lower maximum
    store.record(tenant, batch(buckets=[first]))
    store.record(tenant, batch(buckets=[second, third]))

    (got,) = store.buckets(tenant, "c1")

    assert got == Bucket(
        klass="c1",
        participant="ana",
        role="teacher",
        media="audio",
        start=at(0),
        seconds=10.0 + 4.0 + 1.0,
        band_seconds=(6.0 + 1.0 + 6.0, 2.0 + 1.0 + 2.0, 1.5 + 1.5 + 1.5, 0.5 * 3),
        delay_sum=2500.0 + 1200.0 + 2500.0,
        delay_max=1500.0,
        mos_sum=40.0 + 12.5 + 40.0,
        mos_seconds=10.0 + 4.0 + 10.0,
        loss_sum=0.25 + 0.5 + 0.25,
        loss_seconds=10.0 + 3.0 + 10.0,
        freeze_seconds=1.25,
        paused_seconds=2.0,
    )


def test_buckets_come_by_participant_medium_then_start(store, tenant):
    rows = [
        bucket("bo", 10),
        bucket("ana", 10, media="video"),
        bucket("ana", 10),
        bucket("bo", 0),
        bucket("ana", 0, media="video"),
        bucket("ana", 20),
    ]
    store.record(tenant, batch(buckets=rows[:3]))
    store.record(tenant, batch(buckets=rows[3:]))
    store.record(tenant, batch("c2", buckets=[bucket("ana", 0, klass="c2")]))

    got = [
        (b.participant, b.media, (b.start - T0).seconds)
        for b in store.buckets(tenant, "c1")
    ]
    assert got == [
        ("ana", "audio", 10),
        ("ana", "audio", 20),
        ("ana", "video", 0),
        ("ana", "video", 10),
        ("bo", "audio", 0),
        ("bo", "audio", 10),
    ]
    assert all(b.seconds == 10.0 for b in store.buckets(tenant, "c1"))  # none added
    assert len(store.buckets(tenant, "c2")) == 1


# -- presences -------------------------------------------------------------------


def test_presences_merge_by_class_and_participant(store, tenant):
    gap_1 = (at(20), at(35))
    gap_2 = (at(70), at(90))
    first = presence(
        "ana",
        role="teacher",
        unit=None,
        first_at=at(5),
        last_at=at(40),
        drops=(gap_1,),
    )
    second = presence(
        "ana",
        role="learner",
        unit="unit-a",
        first_at=at(0),
        last_at=at(100),
        seconds=30.0,
        band_seconds=(20.0, 5.0, 4.0, 1.0),
        delay_sum=6000.0,
        delay_max=1200.0,
        mos_sum=100.5,
        mos_seconds=25.0,
        drops=(gap_2,),
    )
    third = presence(
        "ana",
        unit="unit-b",  # the unit once set stays
        first_at=at(10),
        last_at=at(50),  # neither widens the span
        seconds=1.0,
        band_seconds=(1.0, 0.0, 0.0, 0.0),
        delay_sum=100.0,
        delay_max=100.0,
        mos_sum=4.5,
        mos_seconds=1.0,
        drops=(),
    )
    store.record(tenant, batch(presences=[first]))
    store.record(tenant, batch(presences=[second]))
    store.record(tenant, batch(presences=[third]))

    assert store.presences(tenant, klass="c1") == [
        Presence(
            klass="c1",
            participant="ana",
            role="teacher",
            unit="unit-a",
            first_at=at(0),
            last_at=at(100),
            seconds=60.0 + 30.0 + 1.0,
            band_seconds=(71.0, 11.0, 7.0, 2.0),
            delay_sum=9000.0 + 6000.0 + 100.0,
            delay_max=1200.0,
            mos_sum=240.0 + 100.5 + 4.5,
            mos_seconds=60.0 + 25.0 + 1.0,
            drops=(gap_1, gap_2),
        )
    ]


def test_drops_append_to_an_empty_list_and_in_one_batch(store, tenant):
    gap_1 = (at(20), at(35))
    gap_2 = (at(70), at(90))
    gap_3 = (at(95), at(99))
    store.record(tenant, batch(presences=[presence("ana")]))
    store.record(
        tenant,
        batch(
            presences=[
                presence("ana", drops=(gap_1, gap_2)),
                presence("ana", drops=(gap_3,)),
            ]
        ),
    )

    (got,) = store.presences(tenant, klass="c1")
    assert got.drops == (gap_1, gap_2, gap_3)
    assert got.seconds == 180.0


def test_presences_select_a_class_or_classes_by_first_sample(store, tenant):
    day = timedelta(days=1)
    for n, klass in enumerate(("c1", "c2", "c3")):
        first = T0 + n * day
        store.record(
            tenant,
            batch(
                klass,
                presences=[
                    presence("bo", klass, first_at=first + timedelta(seconds=5)),
                    presence("ana", klass, first_at=first),
                ],
                state=ClassState(klass, first, first + timedelta(hours=1)),
            ),
        )
    # Presences of a class with no state are found by class only.
    store.record(
        tenant, batch("c4", presences=[presence("ana", "c4")], state=state("c4"))
    )
    store.set_state(tenant, ClassState("c4", T0 - day, T0 - day))

    def keys(**query: object) -> list[tuple[str, str]]:
        return [(p.klass, p.participant) for p in store.presences(tenant, **query)]

    assert keys(klass="c2") == [("c2", "ana"), ("c2", "bo")]
    assert keys(since=T0 + day) == [
        ("c2", "ana"),
        ("c2", "bo"),
        ("c3", "ana"),
        ("c3", "bo"),
    ]
    assert keys(since=T0, until=T0 + 2 * day) == [
        ("c1", "ana"),
        ("c1", "bo"),
        ("c2", "ana"),
        ("c2", "bo"),
    ]
    assert keys(until=T0) == [("c4", "ana")]  # the first sample set_state gave
    assert keys(klass="c3", since=T0 + day) == [("c3", "ana"), ("c3", "bo")]
    assert keys(klass="c1", since=T0 + day) == []
    assert keys() == [
        ("c1", "ana"),
        ("c1", "bo"),
        ("c2", "ana"),
        ("c2", "bo"),
        ("c3", "ana"),
        ("c3", "bo"),
        ("c4", "ana"),
    ]


# -- episodes --------------------------------------------------------------------


def test_an_episode_that_grows_replaces_the_stored_one(store, tenant):
    opened = episode("ana", 10)
    grown = episode(
        "ana",
        10,
        role="teacher",
        end=at(40),
        band="broken",
        worst_ms=1400.0,
        cause="uplink_congestion",
        side="teacher",
        broken_seconds=12.5,
    )
    store.record(tenant, batch(episodes=[opened]))
    store.record(tenant, batch(episodes=[grown]))

    assert store.episodes(tenant, "c1") == [grown]


def test_episodes_come_by_start_then_participant(store, tenant):
    store.record(
        tenant,
        batch(episodes=[episode("cy", 30), episode("bo", 10), episode("ana", 30)]),
    )
    store.record(tenant, batch(episodes=[episode("ana", 20)]))
    store.record(tenant, batch("c2", episodes=[episode("ana", 0, klass="c2")]))

    got = [
        (e.participant, (e.start - T0).seconds) for e in store.episodes(tenant, "c1")
    ]
    assert got == [("bo", 10), ("ana", 20), ("ana", 30), ("cy", 30)]
    assert [e.klass for e in store.episodes(tenant, "c2")] == ["c2"]


# -- cursors ---------------------------------------------------------------------


def test_cursors_round_trip_and_are_replaced(store, tenant):
    ana = Cursor(
        at=at(1.5),
        snapshot={
            "inbound": {"audio": {"packetsReceived": 1200, "jitter": 0.0125}},
            "pairs": [{"id": "CP1", "rtt": 0.085, "nominated": True}],
            "label": "«café» 咖啡",
            "none": None,
        },
        track={"open": {"start": "2026-12-14T10:00:00.000000Z", "worst": 512.5}},
    )
    bo = Cursor(at=at(2), snapshot={"mos": 4.1})
    store.record(tenant, batch(cursors={"ana": ana, "bo": bo}))

    assert store.cursors(tenant, "c1", ["ana", "bo", "cy"]) == {"ana": ana, "bo": bo}
    assert store.cursors(tenant, "c1", ["bo"]) == {"bo": bo}
    assert store.cursors(tenant, "c1", []) == {}
    assert store.cursors(tenant, "c2", ["ana"]) == {}

    newer = Cursor(at=at(3), snapshot={"inbound": {}}, track={"run": 2.0})
    store.record(tenant, batch(cursors={"ana": newer}))

    assert store.cursors(tenant, "c1", ["ana", "bo"]) == {"ana": newer, "bo": bo}
    assert store.cursors(tenant, "c1", ["ana"])["ana"].at.utcoffset() == timedelta(0)


def test_many_cursors_are_read_back(store, tenant):
    cursors = {f"p{n:04d}": Cursor(at(n), {"n": n}) for n in range(1200)}
    store.record(tenant, batch(cursors=cursors))

    wanted = [*cursors, "missing"]
    assert store.cursors(tenant, "c1", wanted) == cursors


# -- class state -----------------------------------------------------------------


def test_a_class_never_seen_has_no_state(store, tenant):
    assert store.class_state(tenant, "c1") is None


def test_record_widens_the_class_span_and_takes_the_flags(store, tenant):
    store.record(tenant, batch(state=state(first=10, last=20, alerted=True)))
    assert store.class_state(tenant, "c1") == state(first=10, last=20, alerted=True)

    store.record(tenant, batch(state=state(first=0, last=15, ended=True)))
    assert store.class_state(tenant, "c1") == state(
        first=0, last=20, alerted=False, ended=True
    )

    store.record(tenant, batch(state=state(first=5, last=30)))
    assert store.class_state(tenant, "c1") == state(first=0, last=30)


def test_set_state_replaces_the_state_as_given(store, tenant):
    store.record(tenant, batch(state=state(first=0, last=60)))

    narrower = state(first=10, last=20, alerted=True, ended=True)
    store.set_state(tenant, narrower)
    assert store.class_state(tenant, "c1") == narrower

    store.set_state(tenant, state(first=10, last=20))
    assert store.class_state(tenant, "c1") == state(first=10, last=20)

    fresh = state("c9", first=1, last=2, alerted=True)
    store.set_state(tenant, fresh)
    assert store.class_state(tenant, "c9") == fresh


def test_classes_come_by_first_sample_in_a_half_open_range(store, tenant):
    store.record(tenant, batch("c3", state=state("c3", first=10)))
    store.record(tenant, batch("c2", state=state("c2", first=20)))
    store.record(tenant, batch("c1", state=state("c1", first=10)))
    store.set_state(tenant, state("c0", first=30))

    def names(**query: object) -> list[str]:
        return [s.klass for s in store.classes(tenant, **query)]

    assert names() == ["c1", "c3", "c2", "c0"]
    assert names(since=at(20)) == ["c2", "c0"]
    assert names(until=at(20)) == ["c1", "c3"]
    assert names(since=at(10), until=at(30)) == ["c1", "c3", "c2"]
    assert names(since=at(31)) == []
    assert store.classes(tenant, since=at(30)) == [state("c0", first=30)]


# -- purge -----------------------------------------------------------------------


def test_purge_drops_old_graded_of_every_tenant_and_keeps_the_rest(
    store, tenant, other_tenant
):
    # A day of its own, long past: the PostgreSQL database is shared, and
    # purge reaches every tenant.
    base = datetime(2001, 3, 4, 5, 0, tzinfo=UTC)
    cut = at(10, base)
    store.purge(cut)  # rows a failed earlier run may have left

    def interval(participant: str, start: float, end: float) -> Graded:
        return Graded(
            "c1",
            participant,
            "learner",
            Measures("audio", at(start, base), at(end, base)),
            200.0,
            "acceptable",
        )

    kept = [interval("ana", 9, 10), interval("ana", 10, 11)]  # end == cut stays
    mine = batch(
        graded=[interval("ana", 0, 1), *kept, interval("bo", 8, 9.999999)],
        buckets=[bucket("ana", 0)],
        presences=[presence("ana")],
        episodes=[episode("ana", 0)],
        cursors={"ana": Cursor(at(11, base), {"n": 1})},
        state=ClassState("c1", at(0, base), at(11, base)),
    )
    store.record(tenant, mine)
    store.record(other_tenant, batch(graded=[interval("cy", 2, 3)]))

    assert store.purge(cut) == 3

    assert store.graded(tenant, "c1") == kept
    assert store.graded(other_tenant, "c1") == []
    assert store.buckets(tenant, "c1") == [bucket("ana", 0)]
    assert store.presences(tenant, klass="c1") == [presence("ana")]
    assert store.episodes(tenant, "c1") == [episode("ana", 0)]
    assert store.cursors(tenant, "c1", ["ana"]) == dict(mine.cursors)
    assert store.class_state(tenant, "c1") == mine.state
    assert store.purge(cut) == 0


# -- tenants ---------------------------------------------------------------------


def test_a_class_of_one_school_is_invisible_to_another(store, tenant, other_tenant):
    store.record(
        tenant,
        batch(
            graded=[graded("ana", 0)],
            buckets=[bucket("ana", 0)],
            presences=[presence("ana", drops=((at(1), at(20)),))],
            episodes=[episode("ana", 0)],
            cursors={"ana": Cursor(at(1), {"n": 1})},
            state=state(alerted=True),
        ),
    )

    assert store.graded(other_tenant, "c1") == []
    assert store.buckets(other_tenant, "c1") == []
    assert store.presences(other_tenant, klass="c1") == []
    assert store.presences(other_tenant, since=T0 - timedelta(days=1)) == []
    assert store.presences(other_tenant) == []
    assert store.episodes(other_tenant, "c1") == []
    assert store.cursors(other_tenant, "c1", ["ana"]) == {}
    assert store.class_state(other_tenant, "c1") is None
    assert store.classes(other_tenant) == []

    # The same class id in the other school starts from nothing ...
    store.record(
        other_tenant,
        batch(
            buckets=[bucket("ana", 0, seconds=1.0)],
            presences=[presence("ana", seconds=2.0)],
            state=state(first=30, last=40),
        ),
    )
    assert [b.seconds for b in store.buckets(other_tenant, "c1")] == [1.0]
    assert [p.seconds for p in store.presences(other_tenant)] == [2.0]
    assert store.presences(other_tenant)[0].drops == ()
    assert store.class_state(other_tenant, "c1") == state(first=30, last=40)
    # ... and leaves the first school's rows as they were.
    assert [b.seconds for b in store.buckets(tenant, "c1")] == [10.0]
    assert [p.seconds for p in store.presences(tenant)] == [60.0]
    assert store.class_state(tenant, "c1") == state(alerted=True)

    store.set_state(other_tenant, state(ended=True))
    assert store.class_state(tenant, "c1") == state(alerted=True)


# -- transactions ----------------------------------------------------------------


def test_a_batch_that_fails_writes_nothing(sql_store, tenant):
    broken = bucket("bo", 0, seconds=None)  # NOT NULL: the database refuses it
    failing = batch(
        graded=[graded("ana", 0)],
        buckets=[bucket("ana", 0), broken],
        presences=[presence("ana")],
        state=state(),
    )

    with pytest.raises(StoreError):
        sql_store.record(tenant, failing)

    assert sql_store.graded(tenant, "c1") == []
    assert sql_store.buckets(tenant, "c1") == []
    assert sql_store.presences(tenant) == []
    assert sql_store.class_state(tenant, "c1") is None


def test_an_empty_batch_records_the_class_only(store, tenant):
    store.record(tenant, batch(state=state(first=1, last=2)))

    assert store.classes(tenant) == [state(first=1, last=2)]
    assert store.graded(tenant, "c1") == []
    assert store.buckets(tenant, "c1") == []
    assert store.presences(tenant) == []


def test_a_naive_time_is_taken_as_utc(sql_store, tenant):
    naive = Graded(
        "c1",
        "ana",
        "learner",
        Measures("audio", datetime(2026, 12, 14, 10, 0), datetime(2026, 12, 14, 10, 1)),
        150.0,
        "good",
    )
    sql_store.record(tenant, batch(graded=[naive]))

    (got,) = sql_store.graded(tenant, "c1")
    assert (got.measures.start, got.measures.end) == (at(0), at(60))
