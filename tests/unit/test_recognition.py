"""Recognition in the fold: streaks across DST and travel, badges, titles, flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain.codec import (
    outcome_from_dict,
    outcome_to_dict,
    state_from_dict,
    state_to_dict,
)
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import (
    BadgeEarned,
    StreakBroken,
    StreakFrozen,
    TitleChanged,
    XpAwarded,
)
from levelwise.domain.recognition import study_day, unlocked_titles
from levelwise.errors import ProgramError
from tests.support.factories import new_id

PROGRAM = """\
program: rec
version: "1"
dimensions: [{id: skill}]
knowledge_points: [{id: a, dimensions: [skill]}]
units:
  - {id: u1, kind: exercise, minutes: 10, knowledge_points: [a]}
  - {id: hw, kind: homework, minutes: 10, knowledge_points: [a]}
levels:
  - {id: start}
  - {id: next, gates: ["xp >= 50"]}
xp_rules:
  - {id: right, on: question.answered, when: correct, xp: 5}
badges:
  - id: homework_hero
    title: Homework hero
    on: homework.submitted
    where: score / max_score >= 0.9
    tiers: [{tier: bronze, count: 2}, {tier: silver, count: 4}]
  - id: streak_3
    title: Three days in a row
    when: streak >= 3
  - id: first_answer
    on: live.interaction
    where: kind == "answer"
    count: 1
    secret: true
  - id: regular
    on: question.answered
    count: 2
    repeatable: true
  - id: perfect
    on: homework.submitted
    where: score == max_score
    count: 1
  - id: spring
    on: homework.submitted
    count: 1
    start: 2026-04-01
    end: 2026-04-30
  - id: ladder
    tiers: [{tier: bronze, when: xp >= 10}, {tier: gold, when: xp >= 20}]
titles:
  - {id: newcomer, name: Newcomer, level: next}
  - {id: hero, name: Homework Hero, badge: homework_hero, tier: silver}
  - {id: any_hero, name: Hero, badge: homework_hero}
recognition:
  day_start: 4
  freeze_every: 3
  max_freezes: 1
  burst_events: 5
  repeat_hours: 24
"""


@pytest.fixture(scope="module")
def program():  # type: ignore[no-untyped-def]
    return load_program(PROGRAM, "rec.yaml")


def ev(type_: str, at: datetime, **fields: object):  # type: ignore[no-untyped-def]
    raw = {
        "id": new_id(),
        "learner": "ana",
        "type": type_,
        "occurred_at": at.isoformat(),
    }
    return to_domain(EVENT_ADAPTER.validate_python({**raw, **fields}))


def answer(at: datetime, correct: bool = True, item: str | None = None):  # type: ignore[no-untyped-def]
    return ev(
        "question.answered",
        at,
        item=item or new_id("q"),
        knowledge_point="a",
        correct=correct,
    )


def run(program, events):  # type: ignore[no-untyped-def]
    ordered = sorted(events, key=lambda e: e.sort_key)
    return fold_all(ordered, program)


BERLIN = ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_streak_counts_local_days_across_both_dst_changes(program) -> None:  # type: ignore[no-untyped-def]
    profile = ev(
        "profile.updated", local(BERLIN, 2026, 3, 27, 8), timezone="Europe/Berlin"
    )
    # 20:30 local every day around 29 March (23-hour day) and 25 October
    # (25-hour day): one study day each, never a gap.
    days = [local(BERLIN, 2026, 3, d, 20, 30) for d in range(27, 32)]
    days += [local(BERLIN, 2026, 10, d, 20, 30) for d in range(24, 28)]
    state, outcomes = run(program, [profile, *(answer(d) for d in days[:5])])
    assert state is not None
    assert state.streak.length == 5 and state.streak.day == "2026-03-31"
    assert not [o for o in outcomes if isinstance(o, StreakBroken)]
    autumn = [answer(d) for d in days[5:]]
    state2, _ = run(program, [profile, *autumn])
    assert state2 is not None and state2.streak.length == 4


def test_day_start_counts_late_night_study_for_the_day_before(program) -> None:  # type: ignore[no-untyped-def]
    profile = ev(
        "profile.updated", local(BERLIN, 2026, 3, 1, 8), timezone="Europe/Berlin"
    )
    evening = answer(local(BERLIN, 2026, 3, 2, 21))
    after_midnight = answer(local(BERLIN, 2026, 3, 3, 1, 30))  # before 4 a.m.
    state, _ = run(program, [profile, evening, after_midnight])
    assert state is not None and state.streak.length == 1
    assert study_day(after_midnight.occurred_at, "Europe/Berlin", 4) == "2026-03-02"
    next_morning = answer(local(BERLIN, 2026, 3, 3, 9))
    state, _ = run(program, [profile, evening, after_midnight, next_morning])
    assert state is not None and state.streak.length == 2


def test_travel_never_costs_a_day(program) -> None:  # type: ignore[no-untyped-def]
    shanghai, la = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles")
    home = ev(
        "profile.updated", local(shanghai, 2026, 5, 1, 8), timezone="Asia/Shanghai"
    )
    day1 = answer(local(shanghai, 2026, 5, 1, 20))
    # Fly east to west: in Los Angeles it is still 1 May: nothing changes.
    moved = ev(
        "profile.updated", local(la, 2026, 5, 1, 12), timezone="America/Los_Angeles"
    )
    same_day = answer(local(la, 2026, 5, 1, 18))
    next_day = answer(local(la, 2026, 5, 2, 18))
    state, outcomes = run(program, [home, day1, moved, same_day, next_day])
    assert state is not None and state.streak.length == 2
    # Fly back west to east, skipping a calendar day in the new zone: the
    # gap counted in the old zone is 0, so the streak goes on.
    back = ev(
        "profile.updated", local(shanghai, 2026, 5, 4, 8), timezone="Asia/Shanghai"
    )
    landed = answer(local(shanghai, 2026, 5, 4, 9))  # 3 May 18:00 in LA
    state, outcomes = run(
        program, [home, day1, moved, same_day, next_day, back, landed]
    )
    assert state is not None and state.streak.length == 3
    assert not [o for o in outcomes if isinstance(o, StreakBroken | StreakFrozen)]


def test_freezes_are_earned_spent_and_a_break_is_explained(program) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    days = [start + timedelta(days=d) for d in (0, 1, 2)]  # earns a freeze at 3
    skip_one = start + timedelta(days=4)  # 4 June missed: the freeze covers it
    skip_two = start + timedelta(days=7)  # 6 and 7 June missed: no freeze left
    state, outcomes = run(program, [answer(d) for d in (*days, skip_one, skip_two)])
    assert state is not None
    frozen = [o for o in outcomes if isinstance(o, StreakFrozen)]
    broken = [o for o in outcomes if isinstance(o, StreakBroken)]
    assert [(f.days, f.freezes_left) for f in frozen] == [(1, 0)]
    assert len(broken) == 1 and broken[0].length == 4
    assert "2026-06-06 to 2026-06-07" in broken[0].reason
    assert state.streak.length == 1 and state.streak.best == 4


def test_counting_badges_tiers_where_repeat_and_window(program) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2026, 4, 6, 12, tzinfo=UTC)
    good = [
        ev(
            "homework.submitted",
            t + timedelta(hours=i),
            unit="hw",
            score=9,
            max_score=10,
        )
        for i in range(4)
    ]
    poor = ev(
        "homework.submitted", t + timedelta(hours=5), unit="hw", score=5, max_score=10
    )
    late = ev(
        "homework.submitted",
        datetime(2026, 5, 2, tzinfo=UTC),
        unit="hw",
        score=10,
        max_score=10,
    )
    state, outcomes = run(program, [*good, poor, late])
    assert state is not None
    earned = [
        (o.badge, o.tier, o.times) for o in outcomes if isinstance(o, BadgeEarned)
    ]
    assert ("homework_hero", "bronze", 1) in earned and (
        "homework_hero",
        "silver",
        2,
    ) in earned
    assert earned.count(("spring", "bronze", 1)) == 1  # the May homework is outside
    assert state.badges["homework_hero"].count == 5  # the poor one did not count
    answers = [answer(t + timedelta(minutes=i)) for i in range(6)]
    _, outs = run(program, answers)
    regular = [
        o.times for o in outs if isinstance(o, BadgeEarned) and o.badge == "regular"
    ]
    assert regular == [1, 2, 3]  # every second answer, again and again


def test_state_badges_and_titles(program) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2026, 7, 1, 12, tzinfo=UTC)
    answers = [answer(t + timedelta(days=d)) for d in range(3)]
    state, outcomes = run(program, answers)
    assert state is not None
    earned = [(o.badge, o.tier) for o in outcomes if isinstance(o, BadgeEarned)]
    assert ("streak_3", "bronze") in earned
    assert ("ladder", "bronze") in earned and ("ladder", "gold") not in earned
    assert next(
        o for o in outcomes if isinstance(o, BadgeEarned) and o.badge == "streak_3"
    ).reason.startswith("streak >= 3")
    assert state.title == ""
    more = [answer(t + timedelta(days=3, minutes=i)) for i in range(8)]
    state, outcomes = run(program, [*answers, *more])
    assert state is not None and state.level == 1
    assert state.badges["ladder"].tier == 2  # gold at 20 XP
    changed = [o for o in outcomes if isinstance(o, TitleChanged)]
    assert [(c.title, c.name, c.previous) for c in changed] == [
        ("newcomer", "Newcomer", "")
    ]
    hw = [
        ev(
            "homework.submitted",
            t + timedelta(days=4, hours=i),
            unit="hw",
            score=10,
            max_score=10,
        )
        for i in range(2)
    ]
    state, outcomes = run(program, [*answers, *more, *hw])
    assert state is not None and state.title == "any_hero"  # the last unlocked
    choose = ev("profile.updated", t + timedelta(days=5), title="newcomer")
    state, _ = run(program, [*answers, *more, *hw, choose])
    assert state is not None and state.title == "newcomer"
    assert unlocked_titles(state, program) == ["newcomer", "any_hero"]


def test_integrity_flags_keep_receipts_and_xp(program) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2026, 8, 3, 12, tzinfo=UTC)
    burst = [answer(t + timedelta(seconds=5 * i)) for i in range(7)]
    state, outcomes = run(program, burst)
    assert state is not None and state.xp == 35  # flagged XP still counts
    flags = [o.flags for o in outcomes if isinstance(o, XpAwarded)]
    assert flags[:5] == [()] * 5 and flags[5:] == [("rate",), ("rate",)]
    again = [answer(t, item="q1"), answer(t + timedelta(hours=2), item="q1")]
    again.append(answer(t + timedelta(hours=30), item="q1"))
    _, outcomes = run(program, again)
    assert [o.flags for o in outcomes if isinstance(o, XpAwarded)] == [
        (),
        ("repeat",),
        (),
    ]


def test_recognition_round_trips_and_replays_identically(program) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2026, 4, 6, 12, tzinfo=UTC)
    events = [
        ev(
            "profile.updated",
            t,
            timezone="Asia/Shanghai",
            cohort="c1",
            team="red",
            public_boards=False,
        )
    ]
    events += [
        answer(t + timedelta(days=d, seconds=i)) for d in range(4) for i in range(3)
    ]
    events += [
        ev(
            "homework.submitted",
            t + timedelta(days=1),
            unit="hw",
            score=10,
            max_score=10,
        )
    ]
    state, outcomes = run(program, events)
    assert state is not None
    assert state.profile.cohort == "c1" and not state.profile.public_boards
    assert state_from_dict(state_to_dict(state)) == state
    for o in outcomes:
        assert outcome_from_dict(outcome_to_dict(o)) == o
    again, outcomes2 = run(program, events)
    assert again == state and outcomes2 == outcomes


def test_an_unknown_time_zone_is_rejected() -> None:
    raw = {
        "id": "p1",
        "learner": "ana",
        "type": "profile.updated",
        "occurred_at": "2026-01-01T00:00:00Z",
        "timezone": "Mars/Olympus",
    }
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        EVENT_ADAPTER.validate_python(raw)


def test_a_display_name_is_kept_until_the_school_changes_it(program) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2026, 4, 6, 12, tzinfo=UTC)
    named = ev("profile.updated", t, display_name="  Ana Lima  ")
    assert named.display_name == "Ana Lima"  # type: ignore[attr-defined]
    later = ev("profile.updated", t + timedelta(days=1), cohort="c1")
    state, _ = run(program, [named, later])
    assert state is not None
    assert state.profile.display_name == "Ana Lima"
    assert state.profile.cohort == "c1"
    renamed = ev("profile.updated", t + timedelta(days=2), display_name="Ana L.")
    state, _ = run(program, [named, later, renamed])
    assert state is not None and state.profile.display_name == "Ana L."
    assert state_from_dict(state_to_dict(state)) == state


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("", "at least 1 character"),
        ("   ", "at least 1 character"),
        ("x" * 101, "at most 100 characters"),
        ("Ana\nLima", "control character"),
        ("Ana\x00", "control character"),
        ("Ana\u202eLima", "control character"),
        (42, "valid string"),
    ],
)
def test_bad_display_names_are_refused_at_the_edge(name, needle) -> None:  # type: ignore[no-untyped-def]
    raw = {
        "id": "p1",
        "learner": "ana",
        "type": "profile.updated",
        "occurred_at": "2026-01-01T00:00:00Z",
        "display_name": name,
    }
    with pytest.raises(ValidationError, match=needle):
        EVENT_ADAPTER.validate_python(raw)


def test_a_display_name_of_100_characters_is_accepted() -> None:
    raw = {
        "id": "p1",
        "learner": "ana",
        "type": "profile.updated",
        "occurred_at": "2026-01-01T00:00:00Z",
        "display_name": "Zoë " + "x" * 96,
    }
    model = EVENT_ADAPTER.validate_python(raw)
    assert model.display_name == "Zoë " + "x" * 96  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ("badges:\n  - {id: b, on: nope.event, count: 1}\n", "unknown event type"),
        ("badges:\n  - {id: b, where: x > 1}\n", "without 'on'"),
        ("badges:\n  - {id: b}\n", "needs a condition"),
        ("badges:\n  - {id: b, when: streak >=}\n", "bad expression"),
        (
            "badges:\n  - {id: b, on: homework.submitted, where: nope > 1}\n",
            "bad expression",
        ),
        (
            "badges:\n  - {id: b, on: homework.submitted,"
            " tiers: [{tier: x, count: 5}, {tier: y, count: 2}]}\n",
            "rising",
        ),
        (
            "badges:\n  - {id: b, when: streak >= 1,"
            " start: 2026-05-01, end: 2026-04-01}\n",
            "end is before start",
        ),
        ("titles:\n  - {id: t}\n", "no requirement"),
        ("titles:\n  - {id: t, level: nowhere}\n", "nowhere"),
        ("titles:\n  - {id: t, badge: nope}\n", "nope"),
        (
            "badges:\n  - {id: b, when: streak >= 1}\n"
            "titles:\n  - {id: t, badge: b, tier: gold}\n",
            "no tier 'gold'",
        ),
    ],
)
def test_bad_recognition_sections_are_reported_with_lines(
    section: str, needle: str
) -> None:
    base = PROGRAM.split("badges:")[0]
    with pytest.raises(ProgramError) as info:
        load_program(base + section, "rec.yaml")
    text = "\n".join(str(i) for i in info.value.issues)
    assert needle in text and "rec.yaml:" in text


def test_badges_without_titles() -> None:
    text = PROGRAM.split("titles:")[0] + "recognition:\n  burst_events: 5\n"
    program = load_program(text, "rec.yaml")
    t = datetime(2026, 4, 7, 12, tzinfo=UTC)
    hw = ev("homework.submitted", t, unit="hw", score=10, max_score=10)
    state, outcomes = run(program, [hw, answer(t + timedelta(minutes=1))])
    assert state is not None and state.title == ""
    assert {o.badge for o in outcomes if isinstance(o, BadgeEarned)} >= {
        "perfect",
        "spring",
    }
    assert not [o for o in outcomes if isinstance(o, TitleChanged)]
