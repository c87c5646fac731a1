"""The edge of the event log, on every store: what ingest refuses, and why.

Whatever ingest accepts, the fold can fold and replay can read back; what it
refuses is rejected on its own, with a reason naming the field, and the valid
events beside it are stored.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from levelwise import bootstrap
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.metrics import SqlMetricStore
from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import parse_time
from levelwise.app.metrics.service import MetricFilter
from levelwise.app.ports import EventLog
from levelwise.app.views import IngestReport
from levelwise.config import Settings
from tests.conftest import FixedClock
from tests.support.factories import (
    SMALL_PROGRAM,
    T0,
    answered,
    completed,
    event,
    homework,
    watched,
)

NOW = "2026-01-06T00:00:00+00:00"
"""The server's clock: a day after ``T0``, the factories' first event."""


@pytest.fixture
def edge(event_log: EventLog, school: str) -> Levelwise:
    engine = Levelwise(event_log, FixedClock(NOW))
    engine.put_program(school, SMALL_PROGRAM)
    return engine


def practice(**fields: Any) -> dict[str, Any]:
    """A ``practice.completed`` event of ten minutes."""
    return event("practice.completed", seconds=600, **fields)


def pk_finished(**fields: Any) -> dict[str, Any]:
    """A ``pk.finished`` event of a won PK."""
    values: dict[str, Any] = {"pk": "pk-1", "team": "red", "points": 30}
    values |= {"team_points": 90, "rank": 1, "won": True}
    return event("pk.finished", **(values | fields))


def fates(report: IngestReport) -> list[str]:
    return [r.status for r in report.results]


def one_bad_beside_a_good(lw: Levelwise, school: str, bad: object) -> str:
    """Ingest a valid event and ``bad``; check the fates; return the reason."""
    good = completed("u1", learner="good", minutes=1)
    report = lw.ingest(school, [good, bad])
    assert fates(report) == ["accepted", "rejected"], report.results
    assert lw.learner(school, "good").xp == 20  # stored beside the bad one
    return report.results[1].reason


def assert_the_log_reads_back(lw: Levelwise, school: str) -> None:
    """A late event, a new program and a replay all still work for the school."""
    late = watched(60, learner="good", at=T0 - timedelta(days=1))
    assert fates(lw.ingest(school, [late])) == ["accepted"]
    easier = SMALL_PROGRAM.replace("xp >= 100", "xp >= 90")
    assert lw.put_program(school, easier).replay is not None
    assert lw.replay(school).events == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        # NaN, which JSON encoders write as null: the stored body broke replay.
        (practice(metrics={"speech_rate": math.nan}), "metrics.speech_rate"),
        # +Infinity, also what 1e999 parses to.
        (practice(metrics={"speech_rate": math.inf}), "metrics.speech_rate"),
        (practice(metrics={"speech_rate": -math.inf}), "metrics.speech_rate"),
        # Infinite scores crashed the fold (inf / inf is NaN).
        (homework(math.inf, max_score=math.inf), "score"),
        (homework(5, max_score=math.inf), "max_score"),
    ],
    ids=["metric-nan", "metric-inf", "metric-minus-inf", "score-inf", "max-score-inf"],
)
def test_a_non_finite_number_is_rejected_naming_its_field(edge, school, bad, field):
    reason = one_bad_beside_a_good(edge, school, bad)

    assert reason.startswith(f"{field}: ")
    assert "finite" in reason
    assert_the_log_reads_back(edge, school)


def test_a_resend_with_another_non_finite_value_is_not_a_duplicate(edge, school):
    first = practice(metrics={"speech_rate": math.nan})
    again = {**first, "metrics": {"speech_rate": math.inf}}

    reports = [edge.ingest(school, [first]), edge.ingest(school, [again])]

    assert [fates(r) for r in reports] == [["rejected"], ["rejected"]]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        # 50 * 1e308 overflows to infinity: the fold raised OverflowError.
        (homework(1e308, max_score=1e308), "score"),
        (homework(1, max_score=1e7), "max_score"),
        (pk_finished(points=10**400), "points"),
        (pk_finished(team_points=10**12), "team_points"),
        (pk_finished(rank=10**9), "rank"),
        (practice(metrics={"mtld": 1e300}), "metrics.mtld"),
        # The UTC time of these is outside what a datetime can hold.
        (watched(600) | {"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
        (watched(600) | {"occurred_at": "9999-12-31T23:00:00-05:00"}, "occurred_at"),
    ],
    ids=[
        "score-1e308",
        "max-score-1e7",
        "points-10e400",
        "team-points-10e12",
        "rank-10e9",
        "metric-1e300",
        "year-1",
        "year-9999",
    ],
)
def test_a_value_out_of_range_is_rejected_and_the_batch_is_stored(
    edge, school, bad, field
):
    reason = one_bad_beside_a_good(edge, school, bad)

    assert reason.startswith(f"{field}: ")
    assert_the_log_reads_back(edge, school)


def test_an_event_more_than_ten_minutes_ahead_of_the_clock_is_rejected(edge, school):
    now = parse_time(NOW)
    soon = watched(600, learner="good", at=now + timedelta(minutes=9))

    report = edge.ingest(school, [soon, watched(600, at=now + timedelta(minutes=11))])

    assert fates(report) == ["accepted", "rejected"]
    reason = report.results[1].reason
    assert reason.startswith("occurred_at: ")
    assert "more than 10 minutes ahead of the server's clock" in reason
    assert NOW[:16] in reason


def test_an_event_years_ahead_never_reaches_the_learner(edge, school):
    reason = one_bad_beside_a_good(
        edge,
        school,
        completed("u1", learner="good") | {"occurred_at": "2030-01-01T00:00:00Z"},
    )

    assert "ahead of the server's clock" in reason
    assert edge.learner(school, "good").xp == 20


def test_the_skew_is_configurable(event_log, school):
    lw = Levelwise(event_log, FixedClock(NOW), event_max_skew=timedelta(hours=1))
    lw.put_program(school, SMALL_PROGRAM)
    now = parse_time(NOW)

    report = lw.ingest(
        school,
        [
            watched(600, at=now + timedelta(minutes=59)),
            watched(600, at=now + timedelta(minutes=61)),
        ],
    )

    assert fates(report) == ["accepted", "rejected"]
    assert "more than 1 hour ahead" in report.results[1].reason


@pytest.mark.parametrize(
    "when",
    ["1970-01-01T00:00:00Z", "1999-12-31T23:59:59+00:00", "1999-12-31T23:00:00-05:00"],
    ids=["1970", "last-second", "local-day-before"],
)
def test_an_event_before_the_earliest_date_is_rejected(edge, school, when):
    reason = one_bad_beside_a_good(edge, school, watched(600) | {"occurred_at": when})

    assert reason.startswith("occurred_at: ")
    assert "before 2000-01-01, the earliest date this school accepts" in reason


def test_the_earliest_date_is_configurable(event_log, school):
    lw = Levelwise(event_log, FixedClock(NOW), event_earliest=date(2026, 1, 5))
    lw.put_program(school, SMALL_PROGRAM)

    report = lw.ingest(
        school,
        [
            watched(600, at=T0),  # 2026-01-05
            watched(600, at=T0 - timedelta(days=1)),
        ],
    )

    assert fates(report) == ["accepted", "rejected"]
    assert "before 2026-01-05" in report.results[1].reason


def test_the_figures_end_no_later_than_today(event_log, school):
    store = (
        SqlMetricStore(event_log.engine)
        if isinstance(event_log, SqlEventLog)
        else InMemoryMetricStore(event_log)
    )
    lw = Levelwise(event_log, FixedClock("2026-03-31T23:55:00+00:00"), metrics=store)
    lw.put_program(school, SMALL_PROGRAM)
    # Eight minutes ahead is within the skew, and falls on tomorrow.
    soon = watched(600, at=parse_time("2026-04-01T00:03:00+00:00"))
    assert fates(lw.ingest(school, [watched(600, at=T0), soon])) == ["accepted"] * 2

    assert lw.metrics.dashboard(school, MetricFilter()).as_of == date(2026, 3, 31)
    asked = MetricFilter(end=date(2030, 1, 1))
    assert lw.metrics.dashboard(school, asked).as_of == date(2026, 3, 31)


# -- ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learner", "ana\x00"),  # PostgreSQL refused it: 503, retried forever
        ("learner", "abc/"),  # can never be read at /v1/learners/{id}
        ("learner", ".."),
        ("learner", "a b"),
        ("learner", "ana\n"),
        ("learner", "-ana"),
        ("learner", "x" * 201),
        ("learner", ""),
        ("learner", "anä"),
        ("id", "../e1"),
        ("id", "e1?x=1"),
        ("item", "q/1"),
        ("cohort", "red\x00"),
        ("team", "red team"),
        ("title", "a/b"),
        ("pk", "pk#1"),
        ("session", "s/1"),
    ],
    ids=[
        "nul",
        "trailing-slash",
        "dot-dot",
        "space",
        "newline",
        "leading-dash",
        "too-long",
        "empty",
        "non-ascii",
        "event-id-path",
        "event-id-query",
        "item",
        "cohort-nul",
        "team-space",
        "title-slash",
        "pk-hash",
        "placement-session",
    ],
)
def test_an_id_outside_the_grammar_is_rejected_on_every_store(
    edge, school, field, value
):
    kinds = {
        "item": answered(True),
        "cohort": event("profile.updated"),
        "team": event("profile.updated"),
        "title": event("profile.updated"),
        "pk": event("live.interaction", kind="pk", team="red", unit="u3"),
        "session": event(
            "placement.completed",
            abilities={"vocabulary": {"theta": 0.5, "se": 0.3}},
            items=12,
        ),
    }
    bad = kinds.get(field, watched(600)) | {field: value}

    reason = one_bad_beside_a_good(edge, school, bad)

    assert reason.startswith(f"{field}: ")
    assert "letters, digits" in reason or "at most 200 characters" in reason


def test_ids_of_every_shape_the_platforms_use_are_accepted(edge, school):
    ids = [
        "ana",
        "learner-0001",
        "ana@school.example",
        "urn:uuid:0b6f0c5e-6e2b-4b8e-9d6f-3f2d7e1c0a9b",
        "A.B_C",
        "7",
        "x" * 200,
    ]
    batch = [watched(600, learner=x, id_=f"{x[:190]}.e", minutes=1) for x in ids]

    report = edge.ingest(school, batch)

    assert fates(report) == ["accepted"] * len(ids)
    assert {s.learner for s in edge.snapshots(school)} == set(ids)


def test_a_huge_value_is_never_echoed(edge, school):
    huge = "x" * 1_000_000
    batch = [
        watched(600, learner=huge),
        watched(600, id_=huge),
        event(huge),  # an unknown type
        watched(600) | {huge: 1},  # an unknown field
        practice(metrics={huge: 1.0}),
    ]

    report = edge.ingest(school, batch)

    assert fates(report) == ["rejected"] * len(batch)
    for result in report.results:
        assert len(result.reason) < 400, result.reason[:400]
        assert result.id is None or len(result.id) <= 200


def test_a_formula_beyond_float_range_earns_nothing_and_never_crashes(
    event_log, school
):
    # Inputs in range can still overflow a program's formula: 10 / 1e-310.
    lw = Levelwise(event_log, FixedClock(NOW))
    lw.put_program(
        school, SMALL_PROGRAM.replace("50 * score / max_score", "10 / max_score")
    )
    tiny = homework(1e-310, max_score=1e-310, learner="good", minutes=1)

    report = lw.ingest(school, [tiny, completed("u1", learner="good", minutes=2)])

    assert fates(report) == ["accepted", "accepted"]
    assert [r.xp for r in report.results] == [0, 20]
    assert lw.replay(school).events == 2


def test_the_window_comes_from_the_settings(monkeypatch):
    monkeypatch.setenv("LEVELWISE_EVENT_MAX_SKEW_SECONDS", "3600")
    monkeypatch.setenv("LEVELWISE_EVENT_EARLIEST", "2026-01-05")
    lw = bootstrap.build("memory", settings=Settings(), clock=FixedClock(NOW))
    lw.put_program("s", SMALL_PROGRAM)
    now = parse_time(NOW)

    report = lw.ingest(
        "s",
        [
            watched(600, at=now + timedelta(minutes=59)),
            watched(600, at=T0 - timedelta(days=1)),
        ],
    )

    assert fates(report) == ["accepted", "rejected"]
    assert "before 2026-01-05" in report.results[1].reason
