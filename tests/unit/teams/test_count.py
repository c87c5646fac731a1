"""What one learner's events give to team tasks (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from levelwise.app.programs.loader import load_program
from levelwise.app.teams._count import (
    Counted,
    counted,
    crossing,
    memberships,
    window_of,
)
from levelwise.domain.events import LessonWatched, ProfileUpdated, TeamRewarded
from tests.support.factories import SMALL_PROGRAM

PROGRAM = load_program(
    SMALL_PROGRAM
    + """
team_tasks:
  - {id: w, team: cohort, window: week, on: lesson.watched, where: 'seconds >= 60',
     value: 'seconds / 60', goal: 30, reward: {xp: 5}}
  - {id: d, team: team, window: day, on: lesson.watched, goal: 3, reward: {xp: 5}}
""",
    "t.yaml",
)
T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday, ISO week 2


def watch(minute, seconds=600, id_=None):
    return LessonWatched(
        id=id_ or f"w{minute}",
        learner="ana",
        occurred_at=T + timedelta(minutes=minute),
        unit="u1",
        seconds=seconds,
    )


def moved(minute, cohort=None, team=None, tz=None):
    return ProfileUpdated(
        id=f"p{minute}",
        learner="ana",
        occurred_at=T + timedelta(minutes=minute),
        cohort=cohort,
        team=team,
        timezone=tz,
    )


@pytest.mark.parametrize(
    ("kind", "day", "window"),
    [
        ("day", date(2026, 1, 4), "2026-01-04"),
        ("week", date(2026, 1, 4), "2026-W01"),  # a Sunday ends ISO week 1
        ("week", date(2026, 1, 5), "2026-W02"),
        ("month", date(2026, 12, 31), "2026-12"),
        ("all", date(2026, 1, 4), "all"),
    ],
    ids=["day", "sunday", "monday", "month", "all"],
)
def test_window_of(kind, day, window):
    assert window_of(kind, day) == window


def test_events_count_for_the_team_of_their_time_with_value_and_where():
    events = [moved(0, cohort="7b", team="red"), watch(1), watch(2, seconds=30)]
    got = counted(events, set(), PROGRAM)
    assert [(c.task, c.window, c.team, c.value) for c in got] == [
        ("w", "2026-W02", "7b", 10.0),
        ("d", "2026-01-05", "red", 1.0),
        ("d", "2026-01-05", "red", 1.0),
    ]


def test_no_team_flagged_and_rewards_give_nothing():
    reward = TeamRewarded(
        id="r", learner="ana", occurred_at=T, task="w", window="all", team="7b"
    )
    events = [watch(1), moved(2, cohort="7b"), watch(3), watch(4), reward]
    got = counted(events, {"w3"}, PROGRAM)
    assert [(c.task, c.key[1]) for c in got] == [("w", "w4")]


def test_leaving_within_the_window_takes_the_part_along():
    events = [moved(0, cohort="7b"), watch(1), moved(2, cohort="8a"), watch(3)]
    got = [c for c in counted(events, set(), PROGRAM) if c.task == "w"]
    assert [(c.team, c.key[1]) for c in got] == [("8a", "w3")]
    # Leaving in a later week keeps the earlier week's part with 7b.
    later = [moved(0, cohort="7b"), watch(1), moved(60 * 24 * 7, cohort="8a")]
    got = [c for c in counted(later, set(), PROGRAM) if c.task == "w"]
    assert [(c.team, c.window) for c in got] == [("7b", "2026-W02")]


def test_the_profile_zone_moves_an_event_into_another_day():
    # 09:01 UTC on Monday is 23:01 on Sunday in Honolulu (UTC-10).
    events = [moved(0, team="red", tz="Pacific/Honolulu"), watch(1)]
    (day,) = [c for c in counted(events, set(), PROGRAM) if c.task == "d"]
    assert day.window == "2026-01-04"


def test_crossing_is_the_first_event_in_time_that_reaches_the_goal():
    def item(minute, learner, value):
        at = (T + timedelta(minutes=minute)).isoformat()
        return Counted("w", "2026-W02", "7b", learner, (at, f"e{minute}"), at, value)

    items = [item(3, "bob", 2.0), item(1, "ana", 1.0), item(2, "ana", 1.0)]
    found = crossing(items, 3.0)
    assert found is not None
    assert (found.key[1], found.total, found.given) == (
        "e3",
        4.0,
        {"ana": 2.0, "bob": 2.0},
    )
    assert crossing(items, 5.0) is None


def test_memberships_keep_when_a_learner_joined():
    events = [
        moved(0, cohort="7b"),
        moved(5, cohort="7b", team="red"),
        moved(9, cohort="8a"),
    ]
    got = memberships(events)
    assert got["cohort"] == ("8a", events[2].sort_key[0])
    assert got["team"] == ("red", events[1].sort_key[0])
    assert memberships([replace(events[0], cohort="")]) == {}
