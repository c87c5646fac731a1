"""One behaviour suite for every metrics store: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import random
import threading
from datetime import date

import pytest

from levelwise.adapters.sql.metrics import split_range
from levelwise.app.engine import Levelwise
from levelwise.app.metrics.experiments import Experiment, Variant
from levelwise.app.metrics.ports import (
    Cursor,
    DayFacts,
    FactChange,
    FactQuery,
    LearnerFacts,
    MetricStore,
    StoredExperiment,
)
from levelwise.app.metrics.service import Figure, MetricFilter
from levelwise.errors import ConcurrencyError
from tests.support.metrics_support import live, metrics_engine, scenario

END = date(2026, 3, 10)
EVERYONE = FactQuery(None, None, "", "2026-12-31")


@pytest.fixture
def lw(event_log, tenant) -> Levelwise:
    return metrics_engine(event_log, tenant)


def store_of(lw: Levelwise) -> MetricStore:
    assert lw.metrics.store is not None
    return lw.metrics.store


def contents(store: MetricStore, tenant: str) -> tuple:
    """Everything a store reads back for a tenant, in a comparable form."""
    return (
        store.learners(tenant),
        store.learner_sums(tenant, EVERYONE),
        store.week_sums(tenant, EVERYONE),
        sorted(store.active(tenant, EVERYONE)),
        store.level_ups(tenant, EVERYONE),
    )


def test_the_hand_counted_figures(lw, tenant):
    lw.ingest(tenant, scenario())

    row = lw.metrics.dashboard(tenant, MetricFilter(end=END)).overall

    assert (row.learners, row.active, row.level_ups) == (4, 1, 1)
    assert row.completion == Figure(2 / 3, 2, 3, 3)
    assert row.renewal == Figure(2 / 3, 2, 3, 3)
    assert row.interactions_per_class == Figure(1.0, 3, 3, 3)
    assert row.level_up_weeks == Figure(0.57, 0.57, 1, 1)


def test_incremental_catch_up_equals_a_rebuild_with_late_events(lw, tenant):
    events = scenario() + [
        live("bo", "01-08", 900),  # late: moves bo's attendance earlier
        live("dee", "01-06", 2000),
        live("cy", "01-02", 5),
    ]
    random.Random(7).shuffle(events)
    for start in range(0, len(events), 5):
        lw.ingest(tenant, events[start : start + 5])
        lw.metrics.catch_up(tenant)
    store = store_of(lw)
    incremental = contents(store, tenant)
    board = lw.metrics.compute(tenant, MetricFilter(end=END))

    report = lw.metrics.rebuild(tenant)

    assert report.rebuilt
    assert report.events == len(events)
    assert contents(store, tenant) == incremental
    assert lw.metrics.compute(tenant, MetricFilter(end=END)) == board
    assert board.overall.completion == Figure(1.0, 4, 4, 4)  # bo now at 1,500 s


def test_reads_filter_by_cohort_class_and_days(lw, tenant):
    lw.ingest(tenant, scenario())
    lw.metrics.catch_up(tenant)
    store = store_of(lw)

    red = FactQuery(None, "red", "", "2026-12-31")
    december = FactQuery("2025-12", None, "2026-01-13", "2026-01-13")
    no_class = FactQuery(None, "", "", "2026-12-31")

    assert [s.key for s in store.learner_sums(tenant, red)] == ["ana", "cy"]
    ((cy,),) = [store.learner_sums(tenant, december)]
    assert (cy.key, cy.attended, cy.completed, cy.active) == ("cy", 1, 1, 1)
    assert store.active(tenant, no_class) == {"dee"}
    assert [u.learner for u in store.level_ups(tenant, red)] == ["ana"]
    assert store.level_ups(tenant, december) == []
    # Wednesday to the next Tuesday: edge days, a whole week, edge days.
    span = FactQuery(None, None, "2026-01-07", "2026-01-20")
    assert [
        (s.key, s.attended, s.completed, s.interactions, s.seconds, s.active)
        for s in store.learner_sums(tenant, span)
    ] == [
        ("ana", 0, 0, 2, 500.0, 1),
        ("bo", 1, 0, 1, 600.0, 1),
        ("cy", 1, 1, 0, 100.0, 1),
        ("dee", 0, 0, 0, 600.0, 1),
    ]
    assert [
        (s.key, s.attended, s.interactions, s.active)
        for s in store.week_sums(tenant, span)
    ] == [("2026-01-05", 0, 2, 1), ("2026-01-12", 2, 1, 2), ("2026-01-19", 0, 0, 1)]
    weeks = store.week_sums(tenant, EVERYONE)
    assert weeks[0].key == "2026-01-05"  # enrolments are no study


def test_events_are_read_by_position_per_tenant(lw, tenant, other_tenant):
    lw.put_program(other_tenant, lw.current_program(tenant)[1])
    lw.ingest(tenant, scenario()[:3])
    lw.ingest(other_tenant, scenario()[:2])
    lw.ingest(tenant, scenario()[3:5])
    store = store_of(lw)

    rows = store.events_after(tenant, 0, 100)
    positions = [p for p, _ in rows]

    assert len(rows) == 5
    assert positions == sorted(positions)
    assert store.events_after(tenant, positions[2], 100) == rows[3:]
    assert store.events_after(tenant, 0, 2) == rows[:2]
    assert len(store.events_after(other_tenant, 0, 100)) == 2


def test_a_moved_cursor_refuses_the_change(lw, tenant):
    lw.ingest(tenant, scenario())
    lw.metrics.catch_up(tenant)
    store = store_of(lw)
    cursor = store.cursor(tenant)
    before = contents(store, tenant)

    stale = FactChange(since=cursor.position - 1, cursor=Cursor(1, 1, 1), reset=True)
    with pytest.raises(ConcurrencyError):
        store.apply(tenant, stale)
    fresh = FactChange(since=-1, cursor=Cursor(1, 1, 1))
    with pytest.raises(ConcurrencyError):
        store.apply(tenant, fresh)

    assert store.cursor(tenant) == cursor
    assert contents(store, tenant) == before


def test_two_first_catch_ups_at_once_add_their_counts_once(lw, tenant):
    store = store_of(lw)
    day = DayFacts("ana", "2026-01-06", "2026-01-05", study=1, seconds=60.0)
    ana = LearnerFacts("ana", first_at="2026-01-06T09:00:00Z")
    first = FactChange(since=-1, cursor=Cursor(5, 1, 1), days=[day], learners=[ana])
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def catch_up() -> None:
        start.wait()
        try:
            store.apply(tenant, first)
            outcomes.append("applied")
        except ConcurrencyError:
            outcomes.append("gave way")

    threads = [threading.Thread(target=catch_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["applied", "gave way"]
    (sums,) = store.learner_sums(tenant, EVERYONE)
    assert sums.seconds == 60.0


def test_experiments_are_kept_per_tenant_and_survive_a_rebuild(
    lw, tenant, other_tenant
):
    store = store_of(lw)
    experiment = Experiment(
        "e1", "test", "A", (Variant("A", ("x",)), Variant("B", share=0.5))
    )
    lw.metrics.put_experiment(tenant, experiment)
    store.put_experiment(tenant, StoredExperiment("e0", "{}"))
    lw.metrics.put_experiment(tenant, experiment)  # replaces
    lw.ingest(tenant, scenario())
    lw.metrics.rebuild(tenant)

    assert [x.id for x in store.experiments(tenant)] == ["e0", "e1"]
    assert store.delete_experiment(tenant, "e0")
    assert lw.metrics.experiments(tenant) == [experiment]
    assert store.experiments(other_tenant) == []
    assert not store.delete_experiment(other_tenant, "e1")
    assert store.cursor(other_tenant) is None
    assert store.events_after(other_tenant, 0, 10) == []
    assert store.learners(other_tenant) == []


@pytest.mark.parametrize(
    ("start", "end", "weeks", "edges"),
    [
        # Monday to Sunday: whole weeks only.
        ("2026-01-05", "2026-01-18", ("2026-01-05", "2026-01-12"), []),
        # Unbounded start, a Tuesday end: the end's week is an edge.
        ("", "2026-01-13", ("", "2026-01-05"), [("2026-01-12", "2026-01-13")]),
        # Inside one week: no whole week.
        ("2026-01-06", "2026-01-08", None, [("2026-01-06", "2026-01-08")]),
        # Wednesday to the next week's Sunday.
        (
            "2026-01-07",
            "2026-01-18",
            ("2026-01-12", "2026-01-12"),
            [("2026-01-07", "2026-01-11")],
        ),
    ],
    ids=["whole", "unbounded", "inside", "wednesday"],
)
def test_split_range(start, end, weeks, edges):
    assert split_range(start, end) == (weeks, edges)
