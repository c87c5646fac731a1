"""The study model: the events one study of a unit yields, and its expected XP."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from levelwise.app.guidance.study import (
    HOMEWORK_POINTS,
    study_events,
    xp_profile,
    yield_of,
)
from levelwise.app.programs.loader import load_program
from levelwise.domain.events import (
    HomeworkSubmitted,
    LessonWatched,
    LiveAttended,
    LiveInteracted,
    PracticeCompleted,
    QuestionAnswered,
    UnitFinished,
)
from levelwise.domain.fold import fold_all
from levelwise.domain.program import Unit

PROGRAM = """\
program: study
version: "1"
dimensions: [{id: skill}]
knowledge_points:
  - {id: a, dimensions: [skill]}
  - {id: b, dimensions: [skill], prerequisites: [a]}
units:
  - {id: lesson, kind: lesson, minutes: 12, knowledge_points: [a]}
  - {id: drill, kind: exercise, minutes: 9, knowledge_points: [a, b]}
  - {id: drill10, kind: exercise, minutes: 4, questions: 10, knowledge_points: [b]}
  - {id: chat, kind: practice, minutes: 6, knowledge_points: [a]}
  - {id: club, kind: live_class, minutes: 40, knowledge_points: [a, b]}
  - {id: hw, kind: homework, minutes: 20, knowledge_points: [a, b]}
  - {id: empty, kind: quiz, minutes: 5}
levels:
  - {id: start}
  - {id: next, gates: ["xp >= 100000"]}
xp_rules:
  - {id: watch, on: lesson.watched, xp: seconds / 60, repeat_decay: 0.5}
  - {id: right, on: question.answered, when: correct, xp: 3}
  - {id: tried, on: question.answered, xp: 1}
  - {id: talk, on: live.interaction, xp: "if(kind in [\\"answer\\", \\"pk\\"], 4, 1)"}
  - {id: good, on: live.interaction, when: correct == true, xp: 2}
  - {id: attend, on: live.attended, xp: seconds / 60}
  - {id: homework, on: homework.submitted, xp: 50 * score / max_score}
  - {id: turns, on: practice.completed, xp: turns / 2}
  - {id: done, on: unit.completed, xp: unit_minutes, repeat_decay: 0.1}
"""

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def program():  # type: ignore[no-untyped-def]
    return load_program(PROGRAM, "study.yaml")


def _kinds(events: list[object]) -> list[type]:
    return [type(e) for e in events]


def test_each_kind_yields_its_events(program) -> None:  # type: ignore[no-untyped-def]
    units = program.unit_by_id

    def right(_: str) -> bool:
        return True

    lesson = study_events(units["lesson"], "ana", START, right, "s")
    assert _kinds(lesson) == [LessonWatched, UnitFinished]
    assert lesson[0].seconds == 720

    drill = study_events(units["drill"], "ana", START, right, "s")
    questions = [e for e in drill if isinstance(e, QuestionAnswered)]
    assert [q.knowledge_point for q in questions] == ["a", "b", "a"]  # 9 min / 3
    assert len(study_events(units["drill10"], "ana", START, right, "s")) == 11

    chat = study_events(units["chat"], "ana", START, right, "s")
    assert _kinds(chat)[0] is PracticeCompleted and chat[0].turns == 12
    assert sum(isinstance(e, QuestionAnswered) for e in chat) == 2

    club = study_events(units["club"], "ana", START, right, "s")
    interactions = [e for e in club if isinstance(e, LiveInteracted)]
    assert isinstance(club[0], LiveAttended) and len(interactions) == 4
    assert [i.correct for i in interactions] == [True, None, True, None]

    hw = study_events(units["hw"], "ana", START, right, "s")
    assert isinstance(hw[0], HomeworkSubmitted) and hw[0].score == HOMEWORK_POINTS

    empty = study_events(units["empty"], "ana", START, right, "s")
    assert _kinds(empty) == [UnitFinished]


def test_events_are_in_time_order_with_unique_ids(program) -> None:  # type: ignore[no-untyped-def]
    for unit in program.units:
        events = study_events(unit, "ana", START, lambda _: False, "p")
        assert len({e.id for e in events}) == len(events)
        times = [e.occurred_at for e in events]
        assert times == sorted(times)
        assert times[0] >= START
        assert (times[-1] - START).total_seconds() == unit.minutes * 60
        assert all(e.unit == unit.id for e in events)


def test_answers_follow_the_unit(program) -> None:  # type: ignore[no-untyped-def]
    units = program.unit_by_id
    assert units["drill"].answers == 3
    assert units["drill10"].answers == 10
    assert units["lesson"].answers == 0
    assert units["empty"].answers == 0  # no knowledge point to answer on
    assert yield_of(units["club"]).answers == ("a", "b", "a", "b")
    assert yield_of(units["hw"]).homework


@pytest.mark.parametrize("unit", ["lesson", "drill", "chat", "club", "hw", "drill10"])
@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_expected_xp_equals_the_fold(program, unit: str, chance: float) -> None:  # type: ignore[no-untyped-def]
    """With certain answers the expectation is exactly what the fold awards."""
    u = program.unit_by_id[unit]
    repeats: dict[str, int] = {}
    state = None
    for n in range(3):  # a first study and two repeats (decay)
        profile = xp_profile(program, u, repeats)
        start = START.replace(day=2 + n)
        events = study_events(u, "ana", start, lambda _: chance == 1.0, f"r{n}")
        before = state.xp if state is not None else 0
        state, _ = fold_all(events, program, state)
        assert state is not None
        assert profile.expected(lambda _: chance) == pytest.approx(state.xp - before)
        repeats = dict(state.repeats)


def test_expected_xp_is_linear_in_the_chance(program) -> None:  # type: ignore[no-untyped-def]
    """The mean of the fold's XP over random answers approaches the expectation."""
    u: Unit = program.unit_by_id["drill10"]
    profile = xp_profile(program, u, {})
    rng = random.Random(3)
    total = 0
    runs = 400
    for n in range(runs):
        events = study_events(u, f"l{n}", START, lambda _: rng.random() < 0.3, "x")
        state, _ = fold_all(events, program)
        assert state is not None
        total += state.xp
    assert total / runs == pytest.approx(profile.expected(lambda _: 0.3), rel=0.03)
