"""Facts from events: commutative counters, attendances, snapshot facts."""

from __future__ import annotations

import itertools

import pytest

from levelwise.app.ingest.wire import EVENT_ADAPTER, canonical_body
from levelwise.app.metrics.facts import (
    facts_of,
    furthest_gate,
    live_units,
    merge_attendance,
    merge_learner,
    snapshot_facts,
    week_of,
)
from levelwise.app.metrics.ports import Attendance, DayFacts, LearnerFacts
from levelwise.app.ports import StoredEvent
from levelwise.app.programs.loader import load_program
from levelwise.domain.fold import default_model, initial_state
from levelwise.domain.state import LearnerState, LevelStamp, Profile
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import at, event, interaction, live

PROGRAM = load_program(SMALL_PROGRAM, "tiny.yaml")
UNITS = live_units(PROGRAM)


def stored(raw: dict) -> StoredEvent:
    model = EVENT_ADAPTER.validate_python(raw)
    body = canonical_body(model)
    when = model.occurred_at.astimezone(at("01-01").tzinfo)
    key = when.replace(tzinfo=None).isoformat("T", "microseconds") + "Z"
    return StoredEvent(raw["id"], raw["learner"], raw["type"], 1, key, body, "")


def test_live_units_need_80_percent_of_their_minutes():
    assert UNITS == {"u3": 0.8 * 30 * 60}


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        ("2026-01-05", "2026-01-05"),  # a Monday is its own week
        ("2026-01-11", "2026-01-05"),  # Sunday ends the ISO week
        ("2026-01-01", "2025-12-29"),  # the week crosses the year
    ],
    ids=["monday", "sunday", "new-year"],
)
def test_week_of(day, monday):
    assert week_of(day) == monday


def test_day_counters_and_attendance_from_events():
    events = [
        stored(live("ana", "01-06", 1000)),
        stored(live("ana", "01-06", 500)),
        stored(interaction("ana", "01-06")),
        stored(event("subscription.renewed", learner="ana", at=at("01-07"))),
        stored(event("enrolment.started", learner="ana", at=at("01-05"))),
        stored(event("lesson.watched", learner="ana", at=at("01-05"), seconds=60)),
    ]
    facts = facts_of(events, UNITS)

    assert facts.days[("ana", "2026-01-06")] == DayFacts(
        "ana", "2026-01-06", "2026-01-05", 1, 1500.0, 0, 0, 1, 0
    )
    renewal_day = facts.days[("ana", "2026-01-07")]
    assert (renewal_day.study, renewal_day.renewals) == (0, 1)
    att = facts.attendance[("ana", "u3")]
    assert (att.first_at[:10], att.seconds, att.completed) == ("2026-01-06", 1500, 1)
    ana = facts.learners["ana"]
    assert ana.enrolled_at.startswith("2026-01-05")
    assert ana.first_at.startswith("2026-01-05")
    assert ana.renewed_at.startswith("2026-01-07")
    assert ana.cohort == "2026-01"
    assert facts.last_at.startswith("2026-01-07")


def test_facts_do_not_depend_on_event_order():
    events = [
        stored(live("ana", "01-07", 700)),
        stored(live("ana", "01-06", 800)),
        stored(event("unit.completed", learner="bo", at=at("01-08"), unit="u3")),
        stored(live("bo", "01-09", 10)),
        stored(event("enrolment.started", learner="bo", at=at("01-02"))),
    ]

    def normal(facts):
        return repr(
            [
                sorted(facts.days.items()),
                sorted(facts.attendance.items()),
                sorted(facts.learners.items()),
                facts.last_at,
            ]
        )

    results = {normal(facts_of(list(p), UNITS)) for p in itertools.permutations(events)}

    assert len(results) == 1


def test_a_completion_without_attendance_is_no_attendance():
    facts = facts_of(
        [stored(event("unit.completed", learner="bo", at=at("01-08"), unit="u3"))],
        UNITS,
    )
    att = facts.attendance[("bo", "u3")]

    assert (att.first_at, att.finished, att.completed) == ("", True, False)


@pytest.mark.parametrize(
    ("old", "delta", "moves"),
    [
        # A new attendance counts on its first day.
        (
            None,
            Attendance("a", "u", "2026-01-06T09", 100, False, 1440),
            [
                ("2026-01-06", 1, 0),
            ],
        ),
        # More seconds on a later day complete it where it first counted.
        (
            Attendance("a", "u", "2026-01-06T09", 1000, False, 1440),
            Attendance("a", "u", "2026-01-08T09", 500, False, 1440),
            [("2026-01-06", 0, 1)],
        ),
        # A late, earlier attendance moves it to the earlier day.
        (
            Attendance("a", "u", "2026-01-06T09", 100, False, 1440),
            Attendance("a", "u", "2026-01-04T09", 100, False, 1440),
            [("2026-01-04", 1, 0), ("2026-01-06", -1, 0)],
        ),
        # A completion of an unattended unit changes no day.
        (None, Attendance("a", "u", "", 0, True, 1440), []),
        # Nothing new: no change.
        (
            Attendance("a", "u", "2026-01-06T09", 100, True, 1440),
            Attendance("a", "u", "", 0, True, 1440),
            [],
        ),
    ],
    ids=["new", "completed", "moved", "unattended", "same"],
)
def test_merge_attendance_moves_day_counts(old, delta, moves):
    _, days = merge_attendance(old, delta)

    assert [(d.day, d.attended, d.completed) for d in days] == moves


def test_merge_learner_keeps_the_earliest_times_and_the_new_snapshot():
    old = LearnerFacts("a", "2026-02-01T0", "", "2026-01-01T0", "2026-02", "x", 1, 1)
    new = LearnerFacts("a", "2026-01-15T0", "2026-03-01T0", "2026-01-02T0", klass="y")

    merged = merge_learner(old, new)

    assert merged.enrolled_at == "2026-01-15T0"
    assert merged.cohort == "2026-01"
    assert merged.renewed_at == "2026-03-01T0"
    assert merged.first_at == "2026-01-01T0"
    assert (merged.klass, merged.level) == ("y", 0)


def test_snapshot_facts_take_class_levels_and_cycles():
    state = LearnerState(
        learner="a",
        level=1,
        xp=200,  # 2/3 of the way to a2's 300: the vocabulary gate lags
        enrolled_at="2026-01-05T09:00:00.000000Z",
        history=(
            LevelStamp("a1", "2026-01-19T09:00:00.000000Z", "e1"),
            LevelStamp("a2", "2026-02-02T09:00:00.000000Z", "e2"),
            LevelStamp("a1", "2026-02-09T09:00:00.000000Z", "e3", "down"),
        ),
        profile=Profile(cohort="red"),
    )
    facts, ups = snapshot_facts(state, PROGRAM, default_model(PROGRAM))

    assert (facts.klass, facts.level, facts.peak) == ("red", 1, 2)
    assert facts.gate == "dimension.vocabulary >= 0.5"
    assert [(u.level, u.seq, u.weeks) for u in ups] == [("a1", 0, 2.0), ("a2", 1, 2.0)]


def test_the_top_level_has_no_furthest_gate():
    model = default_model(PROGRAM)
    top = initial_state("a", PROGRAM, model)
    top = LearnerState(**{**top.__dict__, "level": 2})

    assert furthest_gate(top, PROGRAM, model) == ""
