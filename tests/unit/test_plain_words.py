"""Requirements in plain words: every gate shape, in English and Chinese.

The describer never returns an expression: shapes without words of their own
get a general sentence. Names come from the program (its language maps first).
"""

from __future__ import annotations

import dataclasses

import pytest

from levelwise.app.guidance.requirements import (
    Facts,
    describe,
    humanised,
    number_text,
    requirements_of,
    school_name,
    sub_goal,
)
from levelwise.app.programs.loader import load_program

PROGRAM_FILE = """\
program: words
version: "1"
title: Words
dimensions:
  - {id: vocabulary, title: Vocabulary}
knowledge_points:
  - {id: greetings, title: Greetings, dimensions: [vocabulary]}
  - {id: numbers, title: Numbers, dimensions: [vocabulary]}
  - {id: colours, title: Colours, dimensions: [vocabulary]}
  - {id: family, title: Family, dimensions: [vocabulary]}
units:
  - {id: hello, kind: lesson, minutes: 10, knowledge_points: [greetings], title: Hello}
  - {id: n5_mock, kind: test, minutes: 60, title: N5 mock test, pass_mark: 0.6,
     knowledge_points: [numbers]}
  - {id: n4_mock, kind: test, minutes: 60, title: N4 mock test, pass_mark: 0.6,
     knowledge_points: [numbers]}
levels:
  - id: start
  - id: next
    gates:
      - watch_minutes >= 120
      - xp > 3
      - dimension.vocabulary >= 0.28
      - unit_score.n4_mock >= 0.6
      - passed includes [n4_mock]
      - passed includes [n5_mock, n4_mock]
      - units_completed includes [hello, n4_mock]
      - homework_average >= 0.6
      - accuracy >= 0.8
      - speech_rate >= 110
      - mastery.numbers >= 0.5
      - xp < 5 or streak >= 2
      - xp * 2 >= 10
xp_rules:
  - {id: watching, on: lesson.watched, xp: seconds / 60}
"""
PROGRAM = load_program(PROGRAM_FILE, "words.yaml")
ZH = dataclasses.replace(
    PROGRAM,
    languages=("en", "zh-CN"),
    names=(
        ("dimension:vocabulary", (("zh-CN", "词汇"),)),
        ("unit:n4_mock", (("zh-CN", "N4模拟考试"),)),
        ("unit:n5_mock", (("zh-CN", "N5模拟考试"),)),
        ("unit:hello", (("zh-CN", "打招呼"),)),
        ("kp:numbers", (("zh-CN", "数字"),)),
    ),
)
FACTS = Facts(
    counters={"homework_submitted": 2.0, "questions_answered": 0.0},
    # Three of four points answered on; two of them strong.
    mastery={
        "greetings": (0.9, 5),
        "numbers": (0.7, 3),
        "colours": (0.3, 2),
        "family": (0.2, 0),
    },
    scored=frozenset({"n4_mock"}),
)
RAW = (">=", "includes", "[", "dimension.", "unit_score", "mastery.", "_", "*")


@pytest.mark.parametrize(
    ("source", "current", "met", "english", "chinese"),
    [
        # A counter: its goal and how far the learner is.
        (
            "watch_minutes >= 120",
            45.0,
            False,
            "Watch 120 minutes of lessons: 45 so far",
            "观看120分钟录播课：目前45",
        ),
        # "More than 3" of a whole count is 4.
        ("xp > 3", 2.0, False, "Earn 4 XP: 2 so far", "获得4经验值：目前2"),
        # A dimension: the strong skills of its knowledge points.
        (
            "dimension.vocabulary >= 0.28",
            0.4,
            True,
            "Answer Vocabulary questions well: 2 of 4 skills strong enough",
            "词汇题目答得好：4项技能中2项已达标",
        ),
        # A test's score, with the best so far.
        (
            "unit_score.n4_mock >= 0.6",
            0.52,
            False,
            "Score 60% on the N4 mock test: best 52%",
            "N4模拟考试得分达到60%：最好成绩52%",
        ),
        # One test to pass, then two.
        (
            "passed includes [n4_mock]",
            0.0,
            False,
            "Pass the N4 mock test: 0 of 1 passed",
            "通过N4模拟考试：已通过0/1",
        ),
        (
            "passed includes [n5_mock, n4_mock]",
            1.0,
            False,
            "Pass N5 mock test and N4 mock test: 1 of 2 passed",
            "通过N5模拟考试和N4模拟考试：已通过1/2",
        ),
        # Key units, in the program's order.
        (
            "units_completed includes [hello, n4_mock]",
            1.0,
            False,
            "Complete Hello and N4 mock test: 1 of 2 done",
            "完成打招呼和N4模拟考试：已完成1/2",
        ),
        # A share over work done, then over no work at all.
        (
            "homework_average >= 0.6",
            0.55,
            False,
            "Score 60% on average in homework: 55% so far",
            "作业平均得分60%：目前55%",
        ),
        (
            "accuracy >= 0.8",
            0.0,
            False,
            "Get 80% of your answers right: no answers yet",
            "答题正确率达到80%：还没有答题",
        ),
        # A practice metric with its unit.
        (
            "speech_rate >= 110",
            95.0,
            False,
            "Speech rate at 110 wpm or more: 95 wpm now",
            "语速达到110 wpm或以上：目前95 wpm",
        ),
        # A knowledge point with answers on it.
        (
            "mastery.numbers >= 0.5",
            0.7,
            True,
            "Learn Numbers well: done",
            "学好数字：已完成",
        ),
        # Shapes without words of their own: a general sentence, never the source.
        (
            "xp < 5 or streak >= 2",
            0.0,
            False,
            "Meet a requirement set by your school: not yet",
            "达到学校设定的一项要求：还没有",
        ),
        (
            "xp * 2 >= 10",
            1.0,
            True,
            "Meet a requirement set by your school: done",
            "达到学校设定的一项要求：已完成",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.split()[0].isidentifier() else None,
)
def test_each_gate_shape_reads_in_both_languages(
    source, current, met, english, chinese
):
    en = describe(source, ZH, "en", current=current, met=met, facts=FACTS)
    zh = describe(source, ZH, "zh-CN", current=current, met=met, facts=FACTS)

    assert en.text == english
    assert zh.text == chinese
    for raw in RAW:
        assert raw not in en.text.replace("N4 mock", "")
        assert raw not in zh.text


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("dimension.vocabulary >= 0.28", "ability"),
        ("mastery.numbers >= 0.5", "ability"),
        ("speech_rate >= 110", "metric"),
        ("homework_average >= 0.6", "share"),
        ("unit_score.n4_mock >= 0.6", "score"),
    ],
)
def test_without_evidence_there_is_no_progress_to_show(source, kind):
    said = describe(source, PROGRAM, "en", current=None, facts=Facts())

    assert said.kind == kind
    assert not said.evidence
    assert said.progress in {
        "no answers yet",
        "no practice yet",
        "no homework yet",
        "not taken yet",
    }


def test_a_placement_is_evidence_of_a_dimension():
    placed = Facts(placed=frozenset({"vocabulary"}))

    said = describe(
        "dimension.vocabulary >= 0.28", PROGRAM, "en", current=0.3, facts=placed
    )

    assert said.evidence
    assert said.progress == "0 of 4 skills strong enough"


def test_without_progress_only_the_goal_is_said():
    said = describe("watch_minutes >= 120", PROGRAM, "zh")

    assert (said.goal, said.progress, said.text) == (
        "观看120分钟录播课",
        "",
        "观看120分钟录播课",
    )


def test_plan_parts_and_sub_goals_have_words():
    parts = requirements_of(PROGRAM, 0, 1)
    words = [describe(p, PROGRAM, "en").goal for p in parts]

    assert words[0] == "Watch 120 minutes of lessons"
    assert len(words) == len(parts)
    assert (
        describe(sub_goal("numbers", 0.6), PROGRAM, "en").goal == "Learn Numbers well"
    )


def test_an_unknown_language_reads_english_and_unknown_source_a_sentence():
    assert describe("xp >= 10", PROGRAM, "fr").goal == "Earn 10 XP"
    assert describe("not an expression ((", PROGRAM, "en").goal == (
        "Meet a requirement set by your school"
    )


def test_school_names_fall_back_to_titles_then_ids_in_words():
    assert school_name(ZH, "unit", "n4_mock", "zh-CN") == "N4模拟考试"
    assert school_name(ZH, "unit", "n4_mock", "en") == "N4 mock test"
    assert school_name(ZH, "rule", "watching", "zh-CN") == "Watching"  # no title
    assert school_name(ZH, "unit", "no_such_unit", "en") == "No such unit"
    assert humanised("st_quiz-check") == "St quiz check"


@pytest.mark.parametrize(
    ("value", "shown"), [(1800, "1,800"), (2.5, "2.5"), (3.04, "3.0"), (0, "0")]
)
def test_numbers_are_grouped_with_at_most_one_decimal(value, shown):
    assert number_text(value) == shown
