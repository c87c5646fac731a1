"""The Metrics service over the hand-worked school of ``tests.support``."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.api.schemas.metrics import DashboardPublic
from levelwise.app.engine import Levelwise
from levelwise.app.metrics import service as metrics_service
from levelwise.app.metrics.experiments import Experiment, Variant
from levelwise.app.metrics.service import Figure, MetricFilter, Shortfall
from levelwise.errors import MetricError, StoreError
from tests.conftest import FixedClock as OtherClock
from tests.support.factories import event, homework, watched
from tests.support.metrics_support import at, live, metrics_engine, scenario

END = date(2026, 3, 10)


@pytest.fixture
def lw() -> Levelwise:
    engine = metrics_engine(InMemoryEventLog(), "s")
    report = engine.ingest("s", scenario())
    assert report.count("accepted") == len(scenario())
    return engine


def test_overall_figures_match_the_hand_count(lw):
    board = lw.metrics.dashboard("s", MetricFilter(end=END))
    row = board.overall

    assert board.as_of == END
    assert row.learners == 4
    assert row.active == 1  # bo watched on 03-09
    assert row.completion == Figure(2 / 3, 2, 3, 3)  # ana and cy of ana, bo, cy
    assert row.renewal == Figure(2 / 3, 2, 3, 3)  # due: ana, bo, cy; renewed: ana, cy
    assert row.interactions_per_class == Figure(1.0, 3, 3, 3)
    assert row.level_ups == 1
    assert row.level_up_weeks == Figure(0.57, 0.57, 1, 1)  # 4 days after enrolment
    assert row.study_minutes == round((1000 + 500 + 600 + 100 + 1200) / 60, 2)


def test_rows_per_cohort_and_class(lw):
    board = lw.metrics.dashboard("s", MetricFilter(end=END))

    assert board.cohorts == ("2025-12", "2026-01")
    assert board.classes == ("blue", "red")
    cohorts = {r.key: r for r in board.by_cohort}
    assert [r.key for r in board.by_cohort] == ["2025-12", "2026-01", "(none)"]
    assert cohorts["2025-12"].learners == 2
    assert cohorts["2025-12"].completion == Figure(0.5, 1, 2, 2)
    assert cohorts["2026-01"].renewal == Figure(1.0, 1, 1, 1)
    assert cohorts["(none)"].renewal.value is None
    classes = {r.key: r for r in board.by_class}
    assert classes["red"].completion == Figure(1.0, 2, 2, 2)
    assert classes["red"].interactions_per_class == Figure(1.0, 2, 2, 2)
    assert classes["blue"].completion == Figure(0.0, 0, 1, 1)
    assert classes["(none)"].learners == 1


def test_default_end_is_the_last_event_day(lw):
    board = lw.metrics.dashboard("s", MetricFilter())

    assert board.as_of == date(2026, 3, 9)


def test_a_range_counts_attendances_by_their_first_day(lw):
    board = lw.metrics.dashboard(
        "s", MetricFilter(start=date(2026, 1, 12), end=date(2026, 1, 18))
    )

    assert board.overall.completion == Figure(0.5, 1, 2, 2)  # bo no, cy yes
    assert board.overall.interactions_per_class == Figure(0.5, 1, 2, 2)
    assert board.overall.level_ups == 0
    assert board.overall.learners == 3  # dee's first event is on 01-20
    assert board.overall.active == 2  # bo and cy studied in 01-12..01-18
    assert [r.key for r in board.by_week] == ["2026-01-12"]


def test_weekly_series(lw):
    board = lw.metrics.dashboard(
        "s", MetricFilter(start=date(2026, 1, 5), end=date(2026, 1, 25))
    )
    weeks = {r.key: r for r in board.by_week}

    assert list(weeks) == ["2026-01-05", "2026-01-12", "2026-01-19"]
    assert weeks["2026-01-05"].completion == Figure(1.0, 1, 1, 1)
    assert weeks["2026-01-05"].level_ups == 1
    assert weeks["2026-01-05"].active == 1
    assert weeks["2026-01-12"].active == 2
    assert weeks["2026-01-19"].active == 1  # dee; a renewal is no study
    # By 01-25, due learners enrolled by 11-30: none.
    assert weeks["2026-01-19"].renewal.n == 0
    assert weeks["2026-01-19"].learners == 4


def test_filters_by_cohort_and_class(lw):
    red = lw.metrics.dashboard("s", MetricFilter(klass="red", end=END))
    december = lw.metrics.dashboard("s", MetricFilter(cohort="2025-12", end=END))
    nobody = lw.metrics.dashboard("s", MetricFilter(cohort="(none)", end=END))

    assert red.overall.learners == 2
    assert red.overall.completion == Figure(1.0, 2, 2, 2)
    assert december.overall.learners == 2
    assert december.overall.interactions_per_class == Figure(0.5, 1, 2, 2)
    assert nobody.overall.learners == 1
    assert red.cohorts == ("2025-12", "2026-01")  # menus list every value


def test_levels_current_reached_and_stuck(lw):
    levels = lw.metrics.dashboard("s", MetricFilter(end=END)).levels

    assert [(r.level, r.current, r.reached) for r in levels] == [
        ("starter", 3, 4),
        ("a1", 1, 1),
        ("a2", 0, 0),
    ]
    assert levels[0].name == "Starter"
    # starter -> a1 asks xp >= 100 and units_completed includes [u1]; with no
    # unit done the includes gate is at 0 %, below any XP progress.
    assert levels[0].stuck == (("units_completed includes [u1]", 3),)
    assert levels[1].stuck[0][1] == 1


def test_late_events_give_the_rebuild_result(lw):
    lw.metrics.catch_up("s")
    lw.ingest(
        "s",
        [live("bo", "01-08", 900), live("bo", "01-09", 600), live("dee", "01-06", 10)],
    )
    incremental = lw.metrics.dashboard("s", MetricFilter(end=END))
    lw.metrics.rebuild("s")
    rebuilt = lw.metrics.compute("s", MetricFilter(end=END))

    assert incremental == rebuilt
    # bo's attendance moved to 01-08 and is now complete (2,100 s).
    assert incremental.overall.completion == Figure(3 / 4, 3, 4, 4)
    weeks = {r.key: r for r in incremental.by_week}
    assert weeks["2026-01-05"].completion == Figure(2 / 3, 2, 3, 3)


def test_events_in_any_order_give_the_same_dashboard():
    events = scenario()
    results = []
    for seed in (1, 2):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        lw = metrics_engine(InMemoryEventLog(), "s")
        for start in range(0, len(shuffled), 4):
            lw.ingest("s", shuffled[start : start + 4])
            lw.metrics.catch_up("s")
        results.append(lw.metrics.compute("s", MetricFilter(end=END)))
    assert results[0] == results[1]
    assert results[0].overall.completion == Figure(2 / 3, 2, 3, 3)


@pytest.mark.parametrize(
    ("read", "batch"),
    [
        (None, None),  # the store's chunks: one read of every event
        (5, 10),  # reads of 5 events, written 10 at a time
    ],
    ids=["one-read", "small-chunks"],
)
def test_a_rebuild_tells_its_progress_and_changes_nothing(monkeypatch, read, batch):
    if read is not None:
        monkeypatch.setattr(metrics_service, "READ_CHUNK", read)
        monkeypatch.setattr(metrics_service, "BATCH", batch)
    read = read or metrics_service.READ_CHUNK
    schools = []
    for _ in range(2):
        lw = metrics_engine(InMemoryEventLog(), "s")
        lw.ingest("s", scenario())
        schools.append(lw)
    quiet, observed = schools
    calls: list[tuple[int, int | None]] = []

    told = observed.metrics.rebuild("s", on_progress=lambda *c: calls.append(c))
    plain = quiet.metrics.rebuild("s")

    n = len(scenario())
    reads = [(min(k, n), None) for k in range(read, n + read, read)]
    assert calls == [*reads, (n, n)]
    assert told == plain and told.events == n
    facts = [lw.metrics.store.learners("s") for lw in schools if lw.metrics.store]
    assert len(facts) == 2 and facts[0] == facts[1]
    board = MetricFilter(end=END)
    assert observed.metrics.compute("s", board) == quiet.metrics.compute("s", board)


def test_a_new_program_version_rebuilds(lw):
    first = lw.metrics.catch_up("s")
    again = lw.metrics.catch_up("s")
    lw.put_program("s", lw.current_program("s")[1] + "\n# v2\n")
    after = lw.metrics.catch_up("s")

    assert (first.rebuilt, first.events) == (True, len(scenario()))
    assert first.learners == len({e["learner"] for e in scenario()})
    assert (again.rebuilt, again.events, again.learners) == (False, 0, 0)
    assert after.rebuilt
    assert after.events == len(scenario())


def test_bad_filters_are_refused(lw):
    with pytest.raises(MetricError, match="before start"):
        lw.metrics.dashboard("s", MetricFilter(start=END, end=date(2026, 1, 1)))
    with pytest.raises(MetricError, match="after the end 2026-03-09"):
        lw.metrics.dashboard("s", MetricFilter(start=date(2026, 4, 1)))
    with pytest.raises(MetricError, match="term_weeks"):
        lw.metrics.dashboard("s", MetricFilter(term_weeks=0))
    with pytest.raises(MetricError, match="unknown table"):
        lw.metrics.csv("s", MetricFilter(), "people")


@pytest.mark.parametrize(
    ("start", "end", "partial"),
    [
        # Monday to Sunday: three whole weeks.
        (date(2026, 1, 5), date(2026, 1, 25), [False, False, False]),
        # Wednesday to Tuesday: the first and the last week are partial.
        (date(2026, 1, 7), date(2026, 1, 20), [True, False, True]),
        # Monday to Wednesday: the last week is partial.
        (date(2026, 1, 5), date(2026, 1, 21), [False, False, True]),
        # A range inside one week.
        (date(2026, 1, 13), date(2026, 1, 14), [True]),
    ],
    ids=["whole", "both-ends", "last", "one-week"],
)
def test_weeks_the_range_covers_in_part_are_partial(lw, start, end, partial):
    board = lw.metrics.dashboard("s", MetricFilter(start=start, end=end))

    assert [w.partial for w in board.by_week] == partial


def test_without_a_start_the_first_week_is_whole_and_today_partial(lw):
    # No start: the range is unbounded below, so the first week (bo's
    # enrolment on Monday 2025-12-01) is whole; the last event is on Monday
    # 2026-03-09, so its week has one day in the range.
    board = lw.metrics.dashboard("s", MetricFilter())

    assert board.by_week[0].key == "2025-12-01"
    assert [w.partial for w in board.by_week] == [False] * 14 + [True]


def test_the_weeks_csv_and_json_say_which_weeks_are_partial(lw):
    f = MetricFilter(start=date(2026, 1, 7), end=date(2026, 1, 20))

    rows = list(csv.DictReader(io.StringIO(lw.metrics.csv("s", f, "weeks"))))
    public = DashboardPublic.of(lw.metrics.dashboard("s", f)).model_dump()

    assert [(r["key"], r["partial"]) for r in rows] == [
        ("2026-01-05", "True"),
        ("2026-01-12", "False"),
        ("2026-01-19", "True"),
    ]
    assert [w["partial"] for w in public["by_week"]] == [True, False, True]
    assert "partial" not in public["overall"]  # weeks only
    assert "partial" not in lw.metrics.csv("s", f, "classes").splitlines()[0]


def test_csv_tables(lw):
    f = MetricFilter(end=END)
    cohorts = lw.metrics.csv("s", f, "cohorts").splitlines()
    levels = lw.metrics.csv("s", f, "levels").splitlines()
    weeks = lw.metrics.csv("s", f, "weeks").splitlines()
    classes = lw.metrics.csv("s", f, "classes").splitlines()

    assert cohorts[0].startswith("key,learners,active,completion,")
    assert cohorts[1].startswith("2025-12,2,")
    assert levels[1] == "starter,Starter,3,4,units_completed includes [u1]: 3"
    assert len(weeks) == 1 + 15  # the weeks of 2025-12-01 .. 2026-03-09
    assert classes[1].startswith("blue,1,")


def test_csv_cells_that_look_like_formulas_are_quoted():
    lw = metrics_engine(InMemoryEventLog(), "s")
    formula = '=HYPERLINK("http://x","y")'
    # Such cohorts are not ids (issue 13), so ingest refuses them...
    cohorts = [
        event("profile.updated", learner="ana", at=at("01-05"), cohort=cohort)
        for cohort in (formula, "-5")
    ]
    assert lw.ingest("s", cohorts).count("rejected") == 2
    # ...but an experiment's variant names still reach a CSV cell.
    lw.ingest(
        "s", [watched(600, learner=x, at=at("01-06")) for x in ("ana", "bo", "cy")]
    )
    variants = (
        Variant("A", learners=("ana",)),
        Variant(formula, learners=("bo",)),
        Variant("-5", learners=("cy",)),
    )
    lw.metrics.put_experiment("s", Experiment("club", "Formulas", "A", variants))

    table = lw.metrics.csv("s", MetricFilter(), "experiments")

    rows = list(csv.reader(io.StringIO(table)))
    assert sorted({r[1] for r in rows[1:]}) == ["'-5", "'" + formula]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_experiments_are_compared_per_variant(lw):
    experiment = Experiment(
        "club",
        "Clubs on Friday",
        "A",
        (Variant("A", classes=("red",)), Variant("B", learners=("bo", "dee"))),
    )
    lw.metrics.put_experiment("s", experiment)
    board = lw.metrics.dashboard("s", MetricFilter(end=END))
    (view,) = board.experiments

    assert view.sizes == (("A", 2), ("B", 2))
    ((variant, comparisons),) = view.comparisons
    assert variant == "B"
    by = {c.metric: c for c in comparisons}
    assert list(by) == [
        "completion",
        "renewal",
        "interactions_per_class",
        "level_up_weeks",
    ]
    assert by["completion"].control == Figure(1.0, 2.0, 2, 2)
    assert by["completion"].variant == Figure(0.0, 0.0, 1, 1)
    assert by["completion"].difference == -1.0
    assert not by["completion"].enough
    assert by["completion"].reason == "fewer than 20 learners with live classes in A"
    assert by["level_up_weeks"].reason == "no level-ups in B"
    assert by["renewal"].reason == "fewer than 20 due learners in A"
    assert by["renewal"].shortfall == Shortfall("due learners", "A", 20)
    assert by["level_up_weeks"].shortfall == Shortfall("level-ups", "B", 0)
    csv_rows = lw.metrics.csv("s", MetricFilter(end=END), "experiments").splitlines()
    assert csv_rows[1].startswith("club,B,completion,1.0,2,0.0,1,-1.0,,,False,")
    assert lw.metrics.experiments("s") == [experiment]
    assert lw.metrics.delete_experiment("s", "club")
    assert not lw.metrics.delete_experiment("s", "club")


def test_an_engine_without_a_metrics_store_says_so():
    engine = Levelwise(InMemoryEventLog(), OtherClock())

    with pytest.raises(StoreError, match="not set up"):
        engine.metrics.experiments("s")


def test_a_level_up_before_enrolling_has_no_cycle():
    lw = metrics_engine(InMemoryEventLog(), "s")
    lw.ingest(
        "s",
        [  # a trial learner reaches a1 on 01-09 and enrols on 01-20
            event(
                "lesson.watched", learner="ana", at=at("01-06"), unit="u1", seconds=3000
            ),
            event("unit.completed", learner="ana", at=at("01-08"), unit="u1"),
            homework(10, learner="ana", at=at("01-08", 11)),
            homework(10, learner="ana", at=at("01-09")),
            event("enrolment.started", learner="ana", at=at("01-20")),
        ],
    )

    row = lw.metrics.dashboard("s", MetricFilter(end=date(2026, 2, 1))).overall

    assert row.level_ups == 1
    assert row.level_up_weeks == Figure(None, 0, 0, 0)
