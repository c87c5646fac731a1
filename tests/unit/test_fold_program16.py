"""The fold over issue 16's program constructs, table-driven.

Event attributes and unit tags in XP rules and badges, the learner's local
calendar (weekend, hour), test units and unit scores in gates, a study day
with substance, and team task rewards. The program is built directly (no
program file), so these tests read only the domain.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from levelwise.domain.codec import outcome_from_dict, outcome_to_dict
from levelwise.domain.events import (
    Event,
    HomeworkSubmitted,
    LessonWatched,
    LiveAttended,
    LiveInteracted,
    ProfileUpdated,
    QuestionAnswered,
    TeamRewarded,
    UnitFinished,
)
from levelwise.domain.expr import Schema, compile_expr
from levelwise.domain.fields import event_schema
from levelwise.domain.fold import fold_all
from levelwise.domain.gates import gate_schema
from levelwise.domain.outcomes import (
    BadgeEarned,
    LevelReached,
    StreakBroken,
    XpAwarded,
)
from levelwise.domain.program import (
    Attribute,
    Badge,
    BadgeTier,
    Dimension,
    Gate,
    KnowledgePoint,
    Level,
    Program,
    Recognition,
    TeamTask,
    Unit,
    XpRule,
)
from levelwise.domain.recognition import study_day_schema
from levelwise.domain.state import DayTally

MON = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
"""A Monday, 10:00 UTC."""
CST = timezone(timedelta(hours=8))
EST = timezone(timedelta(hours=-5))

_ids = itertools.count()

UNITS = (
    Unit("lesson1", "lesson", "Kana", 10, ("kana",)),
    Unit("club", "live_class", "Club", 50, ("kana",), tags=("group",)),
    Unit("one_on_one", "live_class", "1-on-1", 25, ("kana",), tags=("one_on_one",)),
    Unit("hw", "homework", "Homework", 20, ("kana",)),
    Unit("mock", "test", "N5 mock", 60, ("kana",), tags=("mock",), pass_mark=0.6),
    Unit("quiz", "quiz", "Quiz", 10, ("kana",)),  # scored, no pass mark
)
ATTRIBUTES = (
    (
        "live.interaction",
        (Attribute("rating", "number", minimum=1, maximum=5, optional=True),),
    ),
)


def base_program(**changes: Any) -> Program:
    """A one-dimension program; each test adds the constructs it exercises."""
    program = Program(
        id="nihongo",
        label="1",
        title="Nihongo",
        dimensions=(Dimension("reading", "Reading"),),
        knowledge_points=(KnowledgePoint("kana", "Kana", (("reading", 1.0),)),),
        units=UNITS,
        levels=(Level("intro", "Intro"),),
        xp_rules=(),
        attributes=ATTRIBUTES,
    )
    return replace(program, **changes)


def rule(program: Program, id_: str, on: str, xp: str, when: str = "") -> XpRule:
    schema = event_schema(program, on)
    return XpRule(
        id=id_,
        on=on,
        xp=compile_expr(xp, schema, expect="number"),
        when=compile_expr(when, schema, expect="bool") if when else None,
    )


def gate(program: Program, source: str) -> Gate:
    return Gate(source, compile_expr(source, gate_schema(program), expect="bool"))


def with_rules(*specs: tuple[str, str, str, str]) -> Program:
    program = base_program()
    return replace(program, xp_rules=tuple(rule(program, *s) for s in specs))


def ev(cls: type[Event], at: datetime = MON, **fields: Any) -> Event:
    return cls(id=f"e{next(_ids):05d}", learner="ana", occurred_at=at, **fields)


def mic(rating: float | None, unit: str = "club", at: datetime = MON) -> Event:
    attributes = (("rating", rating),) if rating is not None else ()
    return ev(LiveInteracted, at, unit=unit, kind="mic", attributes=attributes)


def zone(tz: str) -> Event:
    return ev(ProfileUpdated, MON - timedelta(days=30), timezone=tz)


def run(program: Program, events: list[Event]):
    ordered = sorted(events, key=lambda e: e.sort_key)
    return fold_all(ordered, program)


def awards(outcomes) -> list[tuple[str, int]]:
    return [(o.receipt.rule, o.xp) for o in outcomes if isinstance(o, XpAwarded)]


RULES = with_rules(
    (
        "comic_rated",
        "live.interaction",
        "10",
        'kind == "mic" and rating >= 3 and "group" in unit.tags',
    ),
    ("one_on_one", "live.attended", "seconds / 60", '"one_on_one" in unit.tags'),
    ("evening", "lesson.watched", "5", "weekend or hour >= 19"),
    ("weekday_number", "question.answered", "weekday", ""),
)

SAT = MON + timedelta(days=5)
FRI = MON + timedelta(days=4)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # a co-mic turn rated 3 of 5 in a group class earns the rule's 10
        ([mic(3)], [("comic_rated", 10)]),
        # rated 2: below the rule's 3
        ([mic(2)], []),
        # no rating sent: unknown, so the condition does not hold
        ([mic(None)], []),
        # rated 5 but in a 1-on-1 class (no "group" tag)
        ([mic(5, unit="one_on_one")], []),
        # a 1-on-1 class is told from a group class by its tag
        ([ev(LiveAttended, unit="one_on_one", seconds=1500)], [("one_on_one", 25)]),
        ([ev(LiveAttended, unit="club", seconds=3000)], []),
        # Saturday 10:00 UTC, no zone: the event's own offset says Saturday
        ([ev(LessonWatched, SAT, unit="lesson1", seconds=60)], [("evening", 5)]),
        # Monday 10:00 UTC: neither weekend nor evening
        ([ev(LessonWatched, MON, unit="lesson1", seconds=60)], []),
        # Monday 20:00 at +08:00 (12:00 UTC): an evening in the event's offset
        (
            [ev(LessonWatched, MON.replace(hour=20, tzinfo=CST), seconds=60)],
            [("evening", 5)],
        ),
        # Monday 12:00 UTC for a learner in Shanghai: 20:00 local
        (
            [zone("Asia/Shanghai"), ev(LessonWatched, MON.replace(hour=12), seconds=1)],
            [("evening", 5)],
        ),
        # Friday 17:00 UTC, sent as Saturday 01:00 +08:00: Saturday by its offset
        (
            [ev(LessonWatched, SAT.replace(hour=1, tzinfo=CST), seconds=60)],
            [("evening", 5)],
        ),
        # ... but Friday 12:00 for a learner whose zone is New York
        (
            [
                zone("America/New_York"),
                ev(LessonWatched, SAT.replace(hour=1, tzinfo=CST), seconds=60),
            ],
            [],
        ),
        # Friday 23:30 UTC is Saturday 07:30 in Shanghai
        (
            [
                zone("Asia/Shanghai"),
                ev(LessonWatched, FRI.replace(hour=23, minute=30), seconds=60),
            ],
            [("evening", 5)],
        ),
        # an unknown zone falls back to the event's offset (Sunday 09:00 -05:00)
        (
            [
                zone("Mars/Olympus"),
                ev(
                    LessonWatched,
                    (SAT + timedelta(days=1)).replace(hour=9, tzinfo=EST),
                    seconds=60,
                ),
            ],
            [("evening", 5)],
        ),
        # weekday is ISO: Monday 1 ... Sunday 7 (here in the learner's zone:
        # Sunday 23:00 UTC is Monday 07:00 in Shanghai)
        (
            [
                zone("Asia/Shanghai"),
                ev(
                    QuestionAnswered,
                    (SAT + timedelta(days=1)).replace(hour=23),
                    item="q",
                    knowledge_point="kana",
                    correct=True,
                ),
            ],
            [("weekday_number", 1)],
        ),
        (
            [
                ev(
                    QuestionAnswered,
                    (SAT + timedelta(days=1)).replace(hour=23),
                    item="q",
                    knowledge_point="kana",
                    correct=True,
                ),
            ],
            [("weekday_number", 7)],
        ),
    ],
    ids=[
        "rated-3",
        "rated-2",
        "rating-missing",
        "rated-5-not-group",
        "tag-one-on-one",
        "tag-group-no-rule",
        "saturday-utc",
        "monday-morning",
        "evening-by-offset",
        "evening-by-zone",
        "saturday-by-offset",
        "friday-by-zone",
        "saturday-by-zone",
        "unknown-zone-offset",
        "weekday-by-zone",
        "weekday-by-offset",
    ],
)
def test_xp_rules_read_attributes_tags_and_local_calendar(events, expected):
    _, outcomes = run(RULES, events)
    assert awards(outcomes) == expected


@pytest.mark.parametrize(
    ("xp", "event", "inputs", "text"),
    [
        # an attribute in the formula is an input of the receipt
        (
            "rating * 2",
            mic(4),
            (("rating", 4),),
            "+8 XP: r (rating * 2 = 8 with rating=4)",
        ),
        # a unit's tags are an input too, as a set shown sorted
        (
            'if("group" in unit.tags, 4, 2) + count(unit.tags)',
            mic(1),
            (("unit.tags", frozenset({"group"})),),
            '+5 XP: r (if("group" in unit.tags, 4, 2) + count(unit.tags) = 5 '
            "with unit.tags=[group])",
        ),
        # and so are the unit's id, kind and minutes
        (
            'unit.minutes + if(unit.kind == "live_class" and unit.id == "club", 1, 0)',
            mic(1),
            (("unit.id", "club"), ("unit.kind", "live_class"), ("unit.minutes", 50)),
            None,
        ),
    ],
    ids=["attribute", "tags", "unit-fields"],
)
def test_receipts_name_attributes_and_unit_fields(xp, event, inputs, text):
    program = with_rules(("r", "live.interaction", xp, ""))
    _, outcomes = run(program, [event])
    (award,) = [o for o in outcomes if isinstance(o, XpAwarded)]
    assert award.receipt.inputs == inputs
    if text is not None:
        assert award.receipt.text == text
    # The receipt survives the codec exactly (a set as a sorted list).
    data = outcome_to_dict(award)
    assert outcome_from_dict(data) == award


def test_tags_in_a_receipt_are_written_as_a_sorted_list():
    import json

    program = base_program(
        units=(*UNITS, Unit("multi", "lesson", "M", 5, tags=("b", "c", "a"))),
    )
    program = replace(
        program,
        xp_rules=(rule(program, "r", "unit.completed", "count(unit.tags)"),),
    )
    _, outcomes = run(program, [ev(UnitFinished, unit="multi")])
    (award,) = [o for o in outcomes if isinstance(o, XpAwarded)]
    data = outcome_to_dict(award)
    assert json.loads(json.dumps(data))["receipt"]["inputs"] == {
        "unit.tags": ["a", "b", "c"]
    }
    assert "unit.tags=[a, b, c]" in data["receipt"]["text"]


def counting_badge(
    program: Program, on: str, where: str | None, count: int = 2
) -> Badge:
    return Badge(
        id="b",
        title="B",
        tiers=(BadgeTier("bronze", count=count),),
        on=on,
        where=(
            compile_expr(where, event_schema(program, on), expect="bool")
            if where
            else None
        ),
    )


def done(unit: str, day: int = 0) -> Event:
    return ev(UnitFinished, MON + timedelta(days=day), unit=unit)


@pytest.mark.parametrize(
    ("on", "where", "events", "earned_at"),
    [
        # a badge's where reads unit.kind (the lesson does not count)
        (
            "unit.completed",
            'unit.kind == "live_class"',
            [done("club", 0), done("lesson1", 1), done("one_on_one", 2)],
            2,
        ),
        (
            "unit.completed",
            'unit.kind == "live_class"',
            [done("club", 0), done("lesson1", 1), done("hw", 2)],
            None,
        ),
        # ... unit.tags
        (
            "unit.completed",
            '"mock" in unit.tags',
            [done("mock", 0), done("club", 1), done("mock", 2)],
            2,
        ),
        # ... an attribute
        (
            "live.interaction",
            "rating >= 4",
            [
                mic(4),
                mic(3, at=MON + timedelta(hours=1)),
                mic(5, at=MON.replace(hour=12)),
            ],
            2,
        ),
        # ... the local calendar
        (
            "unit.completed",
            "weekend",
            [done("club", 0), done("club", 5), done("club", 6)],
            2,
        ),
        # team rewards count like any event
        (
            "team.rewarded",
            'task == "practice_week"',
            [
                ev(TeamRewarded, MON, task="practice_week", window="w1", team="c"),
                ev(
                    TeamRewarded,
                    MON.replace(hour=11),
                    task="other",
                    window="w",
                    team="c",
                ),
                ev(
                    TeamRewarded,
                    MON.replace(hour=12),
                    task="practice_week",
                    window="w2",
                    team="c",
                ),
            ],
            2,
        ),
    ],
    ids=["unit-kind", "unit-kind-short", "unit-tags", "attribute", "weekend", "team"],
)
def test_counting_badges_read_the_same_fields_as_rules(on, where, events, earned_at):
    program = base_program()
    program = replace(program, badges=(counting_badge(program, on, where),))
    ordered = sorted(events, key=lambda e: e.sort_key)
    _, outcomes = run(program, events)
    earned = [o for o in outcomes if isinstance(o, BadgeEarned)]
    if earned_at is None:
        assert earned == []
    else:
        assert [o.event_id for o in earned] == [ordered[earned_at].id]


def hw(unit: str | None, score: float, max_score: float = 10, day: int = 0) -> Event:
    return ev(
        HomeworkSubmitted,
        MON + timedelta(days=day),
        unit=unit,
        score=score,
        max_score=max_score,
    )


@pytest.mark.parametrize(
    ("events", "submitted", "score_sum", "scores", "evidence"),
    [
        # homework counts as homework and keeps its unit's score
        ([hw("hw", 8)], 1, 0.8, {"hw": (0.8, 0.8)}, 1),
        # a mock test is no homework, but its score and evidence are kept
        ([hw("mock", 7)], 0, 0.0, {"mock": (0.7, 0.7)}, 1),
        # best and latest: a worse retake keeps the best
        ([hw("mock", 7), hw("mock", 4, day=1)], 0, 0.0, {"mock": (0.7, 0.4)}, 2),
        ([hw("mock", 4), hw("mock", 9, day=1)], 0, 0.0, {"mock": (0.9, 0.9)}, 2),
        # scores are clamped to 0..1
        ([hw("quiz", 12)], 1, 1.0, {"quiz": (1.0, 1.0)}, 1),
        # homework without a unit is homework, with no unit score
        ([hw(None, 5)], 1, 0.5, {}, 0),
    ],
    ids=["homework", "test", "worse-retake", "better-retake", "clamped", "no-unit"],
)
def test_homework_and_test_units(events, submitted, score_sum, scores, evidence):
    state, _ = run(base_program(), events)
    assert state.homework_submitted == submitted
    assert state.homework_score_sum == pytest.approx(score_sum)
    assert dict(state.unit_scores) == scores
    kana = state.mastery.get("kana")
    assert (kana.attempts if kana else 0) == evidence


def test_a_test_unit_leaves_the_homework_average_alone():
    state, _ = run(base_program(), [hw("hw", 10), hw("mock", 2, day=1)])
    assert state.homework_submitted == 1
    assert state.homework_score_sum == 1.0


def laddered(*gates: str, can_go_down: bool = False) -> Program:
    program = base_program()
    return replace(
        program,
        levels=(
            Level("intro", "Intro"),
            Level("n5", "N5", tuple(gate(program, g) for g in gates)),
        ),
        can_go_down=can_go_down,
    )


@pytest.mark.parametrize(
    ("gates", "events", "level", "can_go_down"),
    [
        # the best score reaches the gate
        (["unit_score.mock >= 0.6"], [hw("mock", 7)], 1, False),
        (["unit_score.mock >= 0.6"], [hw("mock", 5)], 0, False),
        # never scored: unknown, the gate does not hold (even negated)
        (["not (unit_score.mock >= 0.6)"], [hw("hw", 9)], 0, False),
        # passed reads the unit's pass mark (0.6)
        (["passed includes [mock]"], [hw("mock", 6)], 1, False),
        (["passed includes [mock]"], [hw("mock", 5.9)], 0, False),
        # a unit without a pass mark is never passed
        (["passed includes [quiz]"], [hw("quiz", 10)], 0, False),
        # a later, worse try keeps the best: the level is not lost
        (
            ["unit_score.mock >= 0.6", "passed includes [mock]"],
            [hw("mock", 8), hw("mock", 1, day=1)],
            1,
            True,
        ),
        # a pass after a fail opens the level
        (
            ["passed includes [mock]"],
            [hw("mock", 3), hw("mock", 6, day=1)],
            1,
            False,
        ),
    ],
    ids=[
        "score-met",
        "score-short",
        "unknown",
        "passed",
        "failed",
        "no-pass-mark",
        "best-not-latest",
        "pass-after-fail",
    ],
)
def test_unit_score_and_passed_gates_open_levels(gates, events, level, can_go_down):
    state, outcomes = run(laddered(*gates, can_go_down=can_go_down), events)
    assert state.level == level
    reached = [o for o in outcomes if isinstance(o, LevelReached)]
    assert len(reached) == (1 if level else 0)


def watch(minutes: float, day: int = 0, hour: int = 10) -> Event:
    at = MON + timedelta(days=day)
    return ev(
        LessonWatched, at.replace(hour=hour), unit="lesson1", seconds=minutes * 60
    )


def answer(day: int = 0, hour: int = 10, minute: int = 0) -> Event:
    at = (MON + timedelta(days=day)).replace(hour=hour, minute=minute)
    return ev(
        QuestionAnswered,
        at,
        item=f"q{next(_ids)}",
        knowledge_point="kana",
        correct=False,
    )


def studied(condition: str | None, **changes: Any) -> Program:
    study_day = (
        compile_expr(condition, study_day_schema(), expect="bool")
        if condition
        else None
    )
    return base_program(recognition=Recognition(study_day=study_day), **changes)


SUBSTANCE = "minutes >= 10 or answers >= 3"


@pytest.mark.parametrize(
    ("condition", "events", "active_days", "streak", "counted_at"),
    [
        # one 5-minute lesson is not a study day
        (SUBSTANCE, [watch(5)], 0, 0, None),
        # 5 + 6 minutes is, from the second lesson on
        (SUBSTANCE, [watch(5), watch(6, hour=11)], 1, 1, 1),
        # three scored answers (wrong ones count: they are scored)
        (SUBSTANCE, [answer(), answer(minute=1), answer(minute=2)], 1, 1, 2),
        # a rated live interaction is an answer, an unrated one is not
        (
            SUBSTANCE,
            [
                ev(LiveInteracted, MON, unit="club", kind="mic"),
                ev(LiveInteracted, MON.replace(hour=11), kind="answer", correct=True),
                answer(hour=12),
                answer(hour=13),
            ],
            1,
            1,
            3,
        ),
        # tallies are per day: 5 minutes on two days are two non-study days
        (SUBSTANCE, [watch(5), watch(5, day=1)], 0, 0, None),
        # the day counts once, however much more is done
        (SUBSTANCE, [watch(20), watch(20, hour=11), watch(20, hour=12)], 1, 1, 0),
        # two substantial days in a row make a streak of 2
        (SUBSTANCE, [watch(10), watch(10, day=1)], 2, 2, 0),
        # units and events and XP are tallies too
        ("units >= 1", [watch(30), done("club")], 1, 1, 1),
        ("events >= 2", [watch(1), watch(1, hour=11)], 1, 1, 1),
        ("xp >= 1", [watch(1)], 0, 0, None),  # no XP rules: no XP
        # no condition: any study event makes the day (as before)
        (None, [watch(1)], 1, 1, 0),
    ],
    ids=[
        "short-lesson",
        "minutes-add-up",
        "answers",
        "rated-interactions",
        "per-day",
        "counted-once",
        "two-days",
        "units",
        "events",
        "xp-none",
        "default",
    ],
)
def test_study_day_needs_substance(condition, events, active_days, streak, counted_at):
    state, _ = run(studied(condition), events)
    assert state.active_days == active_days
    assert state.streak.length == streak
    if counted_at is not None:
        # The first study day counts at exactly that event, not before.
        ordered = sorted(events, key=lambda e: e.sort_key)
        before, _ = run(studied(condition), ordered[:counted_at])
        upto, _ = run(studied(condition), ordered[: counted_at + 1])
        assert (before.active_days if before else 0) == 0
        assert upto.active_days == 1
        assert upto.streak.day == ordered[counted_at].occurred_at.date().isoformat()


def test_study_day_xp_tally_counts_the_days_xp():
    program = studied("xp >= 10")
    program = replace(
        program, xp_rules=(rule(program, "w", "lesson.watched", "seconds / 60"),)
    )
    state, _ = run(program, [watch(6), watch(3, hour=11), watch(1, hour=12)])
    assert state.active_days == 1
    assert state.day_tally == DayTally(seconds=600.0, events=3, xp=10, counted=True)


def test_a_one_event_day_neither_extends_nor_counts():
    # Day 0 and day 2 are study days; day 1 has one short lesson: the streak
    # does not extend on day 1 and breaks on day 2 (no freezes in hand).
    events = [watch(10, day=0), watch(2, day=1), watch(10, day=2)]
    program = studied(SUBSTANCE)
    state, outcomes = run(program, events[:2])
    assert (state.streak.length, state.streak.day) == (1, "2026-01-05")
    assert state.day_tally == DayTally(seconds=120.0, events=1)
    state, outcomes = run(program, events)
    assert state.streak.length == 1
    assert state.streak.best == 1
    assert state.active_days == 2
    (broken,) = [o for o in outcomes if isinstance(o, StreakBroken)]
    assert "2026-01-06" in broken.reason


def test_a_non_study_event_on_a_new_day_starts_the_tallies_afresh():
    # A profile update on day 1 starts day 1's tallies without counting it;
    # day 0's 8 minutes do not carry over to day 1.
    program = studied(SUBSTANCE)
    events = [
        watch(8),
        ev(ProfileUpdated, MON + timedelta(days=1), cohort="c1"),
        watch(3, day=1, hour=11),
    ]
    state, _ = run(program, events[:2])
    assert state.day_tally == DayTally()
    state, _ = run(program, events)
    assert state.day_tally == DayTally(seconds=180.0, events=1)
    assert state.active_days == 0
    # ... and on the same day a non-study event leaves the tallies alone.
    same = [watch(8), ev(ProfileUpdated, MON.replace(hour=11), cohort="c1")]
    state, _ = run(program, same)
    assert state.day_tally == DayTally(seconds=480.0, events=1)


def test_without_a_study_day_rule_the_state_keeps_no_tallies():
    state, _ = run(base_program(), [watch(1), watch(1, day=1)])
    assert state.day_tally == DayTally()
    assert (state.active_days, state.streak.length) == (2, 2)


def tasks(*specs: tuple[str, int]) -> tuple[TeamTask, ...]:
    return tuple(
        TeamTask(id_, id_, "cohort", "week", 40, on="practice.completed", reward_xp=xp)
        for id_, xp in specs
    )


def rewarded(task: str, at: datetime = MON) -> Event:
    return ev(TeamRewarded, at, task=task, window="2026-W02", team="c1", total=40)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # the task's reward with a receipt naming it
        ([rewarded("practice_week")], [("task:practice_week", 50)]),
        # an unknown task or a task without XP: no award
        ([rewarded("gone")], []),
        ([rewarded("no_xp")], []),
        # two tasks: two rewards, the totals add up
        (
            [rewarded("practice_week"), rewarded("quiz_all", MON.replace(hour=11))],
            [("task:practice_week", 50), ("task:quiz_all", 30)],
        ),
    ],
    ids=["reward", "unknown-task", "no-xp", "two-tasks"],
)
def test_team_rewards(events, expected):
    program = base_program(
        team_tasks=tasks(("practice_week", 50), ("quiz_all", 30), ("no_xp", 0))
    )
    state, outcomes = run(program, events)
    assert awards(outcomes) == expected
    assert state.xp == sum(xp for _, xp in expected)
    xp_awards = [o for o in outcomes if isinstance(o, XpAwarded)]
    assert [o.total for o in xp_awards] == list(
        itertools.accumulate(xp for _, xp in expected)
    )
    for award in xp_awards:
        assert award.receipt.formula == "team task reward"
        assert award.receipt.base == award.xp
        assert outcome_from_dict(outcome_to_dict(award)) == award
    # Not study: no streak, and never a day of study under a study-day rule.
    assert state.streak.length == 0


def test_a_team_reward_adds_to_rules_on_the_same_event():
    program = base_program(team_tasks=tasks(("practice_week", 50)))
    program = replace(
        program,
        xp_rules=(rule(program, "bonus", "team.rewarded", "total / 10"),),
    )
    state, outcomes = run(program, [rewarded("practice_week")])
    assert awards(outcomes) == [("task:practice_week", 50), ("bonus", 4)]
    assert [o.total for o in outcomes if isinstance(o, XpAwarded)] == [50, 54]
    assert state.xp == 54
    assert state.clean["all"][0] == 54  # unflagged: on the boards
    (award, _) = [o for o in outcomes if isinstance(o, XpAwarded)]
    assert award.receipt.text == "+50 XP: task:practice_week (50)"


def test_a_team_reward_is_no_study_day_under_a_study_day_rule():
    program = studied("events >= 1", team_tasks=tasks(("practice_week", 50)))
    state, _ = run(program, [rewarded("practice_week")])
    assert (state.active_days, state.streak.length, state.xp) == (0, 0, 50)


def test_attribute_schema_reads_declared_attributes_only():
    program = base_program()
    schema: Schema = event_schema(program, "live.interaction")
    assert schema.flat["rating"] == "number"
    assert "rating" in schema.optional
    assert "rating" not in event_schema(program, "lesson.watched").flat
