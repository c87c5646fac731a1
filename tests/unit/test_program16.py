"""Issue 16's program file: names per language, attributes, unit tags and
availability, test units and pass marks, study days and team tasks.

Each construct compiles to what the domain reads, and each mistake is an error
(or a warning) naming ``file:line``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from levelwise.app.programs.loader import check_program, load_program_file
from levelwise.domain.events import HomeworkSubmitted, LessonWatched, LiveInteracted
from levelwise.domain.fields import event_env
from levelwise.domain.program import Attribute
from levelwise.errors import ProgramError

NIHONGO = Path(__file__).parents[1] / "data" / "programs" / "nihongo.yaml"

BASE = """\
program: school16
languages: [en, zh-CN]
title: {en: Our school, zh-CN: 我们的学校}
attributes:
  live.interaction:
    rating: {type: number, min: 1, max: 5, title: {en: Rating, zh-CN: 评分}}
    topic: {type: string, values: [grammar, speaking]}
dimensions:
  - id: vocabulary
    title: {en: Vocabulary, zh-CN: 词汇}
knowledge_points:
  - id: kana
    dimensions: [vocabulary]
  - id: keigo
    dimensions: [vocabulary]
    prerequisites: [kana]
    available_from: n4
units:
  - id: lesson1
    kind: lesson
    title: Plain title
    minutes: 10
    knowledge_points: [kana]
  - id: quiz1
    kind: quiz
    minutes: 10
    knowledge_points: [kana, keigo]
  - id: group1
    kind: live_class
    minutes: 50
    tags: [group]
    knowledge_points: [kana]
  - id: mock5
    kind: test
    title: {en: N5 mock, zh-CN: N5模考}
    minutes: 60
    tags: [mock]
    pass_mark: 0.6
    repeats: 2
    knowledge_points: [kana]
  - id: mock4
    kind: test
    minutes: 60
    available_from: n5
    pass_mark: 0.65
    knowledge_points: [kana, keigo]
levels:
  - id: start
  - id: n5
    title: {en: Level N5, zh-CN: N5级}
    gates:
      - xp >= 100
      - passed includes [mock5]
  - id: n4
    gates:
      - xp >= 300
      - unit_score.mock4 >= 0.6
xp_rules:
  - id: comic
    title: {en: Rated mic turn, zh-CN: 连麦获好评}
    on: live.interaction
    when: kind == "mic" and rating >= 3 and "group" in unit.tags
    xp: 2 * rating
  - id: weekend
    on: lesson.watched
    when: weekend or hour >= 19
    xp: seconds / 60
badges:
  - id: mocker
    title: {en: Mock ace, zh-CN: 模考达人}
    on: homework.submitted
    where: unit.kind == "test" and "mock" in unit.tags
    tiers:
      - {tier: bronze, count: 1, title: {en: Bronze, zh-CN: 铜}}
      - {tier: silver, count: 3, title: Silver}
titles:
  - {id: t5, name: {en: N5 holder, zh-CN: N5合格}, level: n5}
recognition:
  study_day: minutes >= 10 or answers >= 3
team_tasks:
  - id: mic_week
    title: {en: Mic week, zh-CN: 连麦周}
    team: cohort
    window: week
    on: live.interaction
    where: kind == "mic"
    value: "1"
    goal: 30
    reward: {xp: 20}
    min_members: 2
  - id: all_pass
    team: team
    window: all
    every: passed includes [mock5]
    goal: 0
    reward: {xp: 10}
"""

T = datetime(2026, 1, 10, 20, 30, tzinfo=timezone(timedelta(hours=8)))  # Sat


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as info:
        check_program(text, "school.yaml")
    return [str(i) for i in info.value.issues]


@pytest.fixture(scope="module")
def base():
    program, warnings = check_program(BASE, "school.yaml")
    assert warnings == ()
    return program


def test_names_per_language_keep_the_first_as_the_title(base):
    assert base.languages == ("en", "zh-CN")
    assert base.title == "Our school"
    assert base.text("program", "zh-CN", base.title) == "我们的学校"
    # the primary language finds the regional one; an unknown one falls back
    assert base.text("dimension:vocabulary", "zh", "?") == "词汇"
    assert base.text("dimension:vocabulary", "fr", "Vocabulary") == "Vocabulary"
    assert base.dimensions[0].title == "Vocabulary"
    assert base.unit_by_id["mock5"].title == "N5 mock"
    assert base.text("unit:mock5", "zh-CN", "") == "N5模考"
    # a plain string is the title in every language, with no translations
    assert base.unit_by_id["lesson1"].title == "Plain title"
    assert "unit:lesson1" not in base.name_by_key
    assert base.levels[1].title == "Level N5"
    assert base.text("level:n5", "zh-CN", "") == "N5级"
    assert base.xp_rules[0].title == "Rated mic turn"
    assert base.xp_rules[1].title == ""  # no title: readers show the id
    assert base.text("rule:comic", "zh-CN", "") == "连麦获好评"
    badge = base.badges[0]
    assert (badge.title, [t.title for t in badge.tiers]) == (
        "Mock ace",
        ["Bronze", "Silver"],
    )
    assert base.text("tier:mocker:bronze", "zh-CN", "") == "铜"
    assert base.text("title:t5", "zh-CN", "") == "N5合格"
    assert base.text("task:mic_week", "zh-CN", "") == "连麦周"
    assert base.text("attribute:live.interaction:rating", "zh-CN", "") == "评分"


def test_attributes_compile_per_event_type(base):
    assert base.attributes_by_type["live.interaction"] == {
        "rating": Attribute("rating", "number", 1.0, 5.0, (), True, "Rating"),
        "topic": Attribute("topic", "string", values=("grammar", "speaking")),
    }


def test_units_and_points_carry_tags_availability_and_pass_marks(base):
    mock5, mock4 = base.unit_by_id["mock5"], base.unit_by_id["mock4"]
    assert (mock5.kind, mock5.tags, mock5.pass_mark, mock5.max_repeats) == (
        "test",
        ("mock",),
        0.6,
        2,
    )
    assert (mock4.available_from, mock4.pass_mark, mock4.max_repeats) == (
        "n5",
        0.65,
        1,
    )
    assert base.unit_by_id["group1"].tags == ("group",)
    assert base.kp_by_id["keigo"].available_from == "n4"
    assert base.kp_by_id["kana"].available_from is None


def test_rules_read_attributes_unit_tags_and_the_local_calendar(base):
    comic, weekend = base.xp_rules
    assert comic.when is not None and weekend.when is not None

    def mic(rating: float | None, unit: str = "group1") -> bool:
        attrs = () if rating is None else (("rating", rating),)
        e = LiveInteracted(
            id="e", learner="a", occurred_at=T, unit=unit, kind="mic", attributes=attrs
        )
        return bool(comic.when.evaluate(event_env(e, base, T)))

    assert mic(4)
    assert not mic(2)  # rated below 3
    assert not mic(None)  # not rated: unknown, so the rule does not apply
    assert not mic(5, unit="lesson1")  # not a group class

    def watched(local: datetime) -> bool:
        e = LessonWatched(id="w", learner="a", occurred_at=local, seconds=60)
        return bool(weekend.when.evaluate(event_env(e, base, local)))

    monday = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    assert watched(T)  # Saturday evening
    assert watched(T.replace(hour=9))  # Saturday morning
    assert watched(monday.replace(hour=19))  # a weekday evening
    assert not watched(monday)


def test_badges_read_the_same_fields_as_rules(base):
    where = base.badges[0].where
    assert where is not None

    def submitted(unit: str) -> bool:
        e = HomeworkSubmitted(
            id="h", learner="a", occurred_at=T, unit=unit, score=8, max_score=10
        )
        return bool(where.evaluate(event_env(e, base, T)))

    assert submitted("mock5")
    assert not submitted("mock4")  # a test, but not tagged mock
    assert not submitted("lesson1")


def test_a_study_day_reads_the_days_tallies(base):
    study_day = base.recognition.study_day
    assert study_day is not None
    day = {"minutes": 0.0, "answers": 0.0, "events": 1.0, "units": 0.0, "xp": 0.0}
    assert not study_day.evaluate(day)
    assert study_day.evaluate({**day, "minutes": 10.0})
    assert study_day.evaluate({**day, "answers": 3.0})
    assert not study_day.evaluate({**day, "minutes": 9.0, "answers": 2.0})


def test_gates_read_unit_scores_and_passed_units(base):
    n5, n4 = base.levels[1].gates, base.levels[2].gates
    assert n5[1].expr.evaluate({"passed": frozenset({"mock5"})})
    assert not n5[1].expr.evaluate({"passed": frozenset({"mock4"})})
    assert n4[1].expr.evaluate({"unit_score.mock4": 0.7})
    assert not n4[1].expr.evaluate({"unit_score.mock4": 0.5})


def test_team_tasks_compile_counted_and_every_member(base):
    counted, every = base.team_tasks
    assert (counted.team, counted.window, counted.goal, counted.on) == (
        "cohort",
        "week",
        30.0,
        "live.interaction",
    )
    assert (counted.reward_xp, counted.min_members, counted.every) == (20, 2, None)
    assert counted.value is not None and counted.value.evaluate({}) == 1
    assert counted.where is not None
    assert (every.team, every.window, every.goal, every.on, every.reward_xp) == (
        "team",
        "all",
        0.0,
        None,
        10,
    )
    assert every.every is not None
    assert every.every.evaluate({"passed": frozenset({"mock5"})})
    assert base.task_by_id["all_pass"].title == "all_pass"


def test_a_file_without_the_new_sections_has_none_of_them():
    program, _ = check_program(
        "program: p\ndimensions: [{id: d}]\nlevels: [{id: s}]\n", "p.yaml"
    )
    assert (program.languages, program.names, program.attributes) == ((), (), ())
    assert (program.team_tasks, program.recognition.study_day) == ((), None)


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # names per language
        (
            "title: {en: Our school, zh-CN: 我们的学校}",
            "title: {zh-CN: 我们的学校}",
            "title: {zh-CN: 我们的学校}",
            "no 'en' name, the file's first language",
        ),
        (
            "title: {en: Vocabulary, zh-CN: 词汇}",
            "title: {en: Vocabulary, fr: Vocabulaire}",
            "fr: Vocabulaire",
            "language 'fr' is not declared",
        ),
        (
            "title: {en: Vocabulary, zh-CN: 词汇}",
            "title: {en: Vocabulary, zh-CN: ''}",
            "title: {en: Vocabulary, zh-CN: ''}",
            "empty 'zh-CN' name",
        ),
        (
            "languages: [en, zh-CN]",
            "languages: [en, zh_CN]",
            "languages:",
            "is not a language tag",
        ),
        (
            "languages: [en, zh-CN]",
            "languages: [en, zh-CN, en]",
            "languages:",
            "'en' given twice",
        ),
        (
            "languages: [en, zh-CN]\n",
            "",
            "title: {en: Our school",
            "names per language need the file's 'languages'",
        ),
        (
            "{tier: bronze, count: 1, title: {en: Bronze, zh-CN: 铜}}",
            "{tier: bronze, count: 1, title: {zh-CN: 铜}}",
            "{tier: bronze, count: 1",
            "no 'en' name",
        ),
        (
            "name: {en: N5 holder, zh-CN: N5合格}",
            "name: {zh-CN: N5合格}",
            "id: t5",
            "no 'en' name",
        ),
        (
            "title: {en: Rated mic turn, zh-CN: 连麦获好评}",
            "title: {zh-CN: 连麦获好评}",
            "title: {zh-CN: 连麦获好评}",
            "no 'en' name",
        ),
        (
            "title: {en: Mic week, zh-CN: 连麦周}",
            "title: {de: Mikrowoche}",
            "title: {de: Mikrowoche}",
            "language 'de' is not declared",
        ),
        # attributes
        (
            "  live.interaction:\n    rating",
            "  live.interactions:\n    rating",
            "live.interactions:",
            "unknown event type 'live.interactions' (did you mean 'live.interaction'?)",
        ),
        (
            "topic: {type: string",
            "correct: {type: string",
            "correct: {type: string",
            "attribute 'correct' clashes with a field live.interaction events",
        ),
        (
            "topic: {type: string",
            "team: {type: string",
            "team: {type: string",
            "attribute 'team' clashes",
        ),
        (
            "topic: {type: string",
            "weekend: {type: string",
            "weekend: {type: string",
            "attribute 'weekend' clashes",
        ),
        (
            "topic: {type: string",
            "Topic: {type: string",
            "Topic: {type: string",
            "attribute name 'Topic' is not a plain name",
        ),
        (
            "topic: {type: string, values",
            "topic: {type: string, min: 1, values",
            "topic: {type: string, min: 1",
            "attribute 'topic' is a string: no min or max",
        ),
        (
            "rating: {type: number, min: 1, max: 5",
            "rating: {type: number, min: 5, max: 1",
            "rating: {type: number, min: 5",
            "max is below min",
        ),
        (
            "rating: {type: number, min: 1, max: 5",
            "rating: {type: number, values: [a], min: 1, max: 5",
            "rating: {type: number, values",
            "attribute 'rating' is a number: no values",
        ),
        (
            "values: [grammar, speaking]",
            "values: [grammar, grammar]",
            "values: [grammar, grammar]",
            "attribute 'topic' repeats a value",
        ),
        (
            "topic: {type: string",
            "topic: {type: text",
            "topic: {type: text",
            "input should be 'number', 'string' or 'bool'",
        ),
        # units and knowledge points
        (
            "    available_from: n5\n",
            "    available_from: n9\n",
            "available_from: n9",
            "unknown level 'n9'",
        ),
        (
            "    available_from: n4\n",
            "    available_from: n3\n",
            "available_from: n3",
            "unknown level 'n3'",
        ),
        (
            "pass_mark: 0.6\n",
            "pass_mark: 1.5\n",
            "pass_mark: 1.5",
            "less than or equal to 1",
        ),
        ("pass_mark: 0.6\n", "pass_mark: 0\n", "pass_mark: 0", "greater than 0"),
        ("repeats: 2", "repeats: -1", "repeats: -1", "greater than or equal to 0"),
        ("tags: [mock]", "tags: [mock, mock]", "tags: [mock, mock]", "repeats a tag"),
        ("tags: [mock]", "tags: [a b]", "tags: [a b]", "should match pattern"),
        (
            "kind: test\n    title",
            "kind: exam\n    title",
            "kind: exam",
            "input should be",
        ),
        # gates over scored units
        (
            "passed includes [mock5]",
            "passed includes [lesson1]",
            "passed includes [lesson1]",
            "can never hold: unit 'lesson1' has no pass_mark",
        ),
        (
            "passed includes [mock5]",
            "passed includes [mock9]",
            "passed includes [mock9]",
            "unknown unit 'mock9'",
        ),
        (
            "unit_score.mock4 >= 0.6",
            "unit_score.mock4 >= 1.5",
            "unit_score.mock4 >= 1.5",
            "can never hold: unit_score.mock4 is between 0 and 1",
        ),
        (
            "unit_score.mock4 >= 0.6",
            "unit_score.mock9 >= 0.6",
            "unit_score.mock9",
            "unknown variable 'unit_score.mock9'",
        ),
        # rules and badges read declared attributes and unit fields only
        (
            "rating >= 3 and",
            "mood >= 3 and",
            "mood >= 3 and",
            "unknown variable 'mood'",
        ),
        (
            'where: unit.kind == "test"',
            'where: unit.kinds == "test"',
            "unit.kinds",
            "unknown variable 'unit.kinds'",
        ),
        (
            "when: weekend or hour >= 19",
            "when: weekend or hour >= '19'",
            "when: weekend or hour",
            "bad expression",
        ),
        # study day
        (
            "study_day: minutes >= 10 or answers >= 3",
            "study_day: minutes >= 10 or streak >= 3",
            "study_day:",
            "unknown variable 'streak'",
        ),
        (
            "study_day: minutes >= 10 or answers >= 3",
            "study_day: minutes",
            "study_day:",
            "bad expression 'minutes'",
        ),
        # team tasks
        (
            '    where: kind == "mic"\n    value',
            '    every: xp > 1\n    where: kind == "mic"\n    value',
            "- id: mic_week",
            "team task 'mic_week' needs exactly one of 'on' and 'every'",
        ),
        (
            "    every: passed includes [mock5]\n",
            "",
            "- id: all_pass",
            "needs exactly one of 'on' and 'every'",
        ),
        ("goal: 30", "goal: 0", "goal: 0", "team task 'mic_week' has no goal"),
        ("goal: 0\n", "goal: 1.5\n", "goal: 1.5", "goal counts members"),
        (
            "    on: live.interaction\n    where",
            "    on: live.interactoin\n    where",
            "on: live.interactoin",
            "unknown event type 'live.interactoin'",
        ),
        (
            "    on: live.interaction\n    where: kind",
            "    on: team.rewarded\n    where: kind",
            "on: team.rewarded",
            "counts team rewards",
        ),
        (
            "    every: passed includes [mock5]\n",
            "    every: passed includes [mock5]\n    where: xp > 1\n",
            "where: xp > 1",
            "asks every member, so 'where' does not apply",
        ),
        (
            "every: passed includes [mock5]",
            'every: kind == "mic"',
            "every: kind",
            "unknown variable 'kind'",
        ),
        (
            'value: "1"',
            'value: "rating * 2 > 1"',
            "value:",
            "bad expression",
        ),
        ("window: week", "window: fortnight", "window: fortnight", "input should be"),
        ("team: cohort", "team: school", "team: school", "input should be"),
        ("reward: {xp: 20}", "reward: {xp: -5}", "reward: {xp: -5}", "greater than"),
        ("  - id: all_pass", "  - id: mic_week", "  - id: mic_week\n", "duplicate"),
    ],
)
def test_mistakes_are_errors_with_file_and_line(old, new, needle, expected):
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    found = problems(text)
    if needle.endswith("\n"):  # the second of two equal lines
        lines = [i for i, ln in enumerate(text.splitlines(), 1) if needle[:-1] == ln]
        line = lines[-1]
    else:
        line = line_of(text, needle)
    assert any(
        p.startswith(f"school.yaml:{line}: ") and expected in p for p in found
    ), found


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # a unit that opens only at the level whose gates ask for it
        (
            "    tags: [mock]\n    pass_mark: 0.6",
            "    tags: [mock]\n    available_from: n5\n    pass_mark: 0.6",
            "passed includes [mock5]",
            "level 'n5' asks for unit 'mock5', which opens only at level 'n5'",
        ),
        (
            "    available_from: n5\n    pass_mark: 0.65\n",
            "    available_from: n4\n    pass_mark: 0.65\n",
            "unit_score.mock4",
            "opens only at level 'n4'",
        ),
        # a score read from a unit that sets no pass mark
        (
            "    pass_mark: 0.65\n",
            "",
            "unit_score.mock4",
            "reads the score of unit 'mock4', which has no pass_mark",
        ),
    ],
)
def test_likely_mistakes_are_warnings_with_file_and_line(old, new, needle, expected):
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    _, warnings = check_program(text, "school.yaml")
    line = line_of(text, needle)
    assert any(
        str(w).startswith(f"school.yaml:{line}: ") and expected in str(w)
        for w in warnings
    ), [str(w) for w in warnings]


def test_the_japanese_school_compiles_with_every_construct():
    program = load_program_file(str(NIHONGO))
    assert program.languages == ("zh-CN", "en")
    assert program.text("level:nyumon", "en", program.levels[0].title) == "Beginner"
    assert program.levels[0].title == "入门"
    assert [lvl.id for lvl in program.levels] == ["nyumon", "n5", "n4", "n3", "n2"]
    kinds = {u.kind for u in program.units}
    assert kinds == {
        "lesson",
        "exercise",
        "live_class",
        "homework",
        "practice",
        "quiz",
        "test",
    }
    tags = {t for u in program.units for t in u.tags}
    assert {"one_on_one", "group", "mock"} <= tags
    assert program.unit_by_id["business_1on1"].available_from == "n3"
    assert program.kp_by_id["keigo"].available_from == "n3"
    assert program.unit_by_id["n4_mock"].pass_mark == 0.6
    assert "rating" in program.attributes_by_type["live.interaction"]
    sources = [g.source for lvl in program.levels for g in lvl.gates]
    assert "passed includes [n5_mock]" in sources
    assert "unit_score.n4_mock >= 0.6" in sources
    assert program.recognition.study_day is not None
    assert [t.id for t in program.team_tasks] == [
        "class_mic_week",
        "everyone_passes_n5",
    ]


def test_the_japanese_school_has_no_warnings():
    text = NIHONGO.read_text(encoding="utf-8")
    _, warnings = check_program(text, "nihongo.yaml")
    assert [str(w) for w in warnings] == []


def test_the_demo_school_names_things_in_english_and_chinese():
    demo = (
        Path(__file__).parents[2]
        / "src"
        / "levelwise"
        / "examples"
        / "programs"
        / "english.yaml"
    )
    program = load_program_file(str(demo))
    assert program.languages == ("en", "zh-CN")
    for key, default in [
        *((f"dimension:{d.id}", d.title) for d in program.dimensions),
        *((f"unit:{u.id}", u.title) for u in program.units),
        *((f"level:{lvl.id}", lvl.title) for lvl in program.levels),
        *((f"rule:{r.id}", r.title) for r in program.xp_rules),
        *((f"badge:{b.id}", b.title) for b in program.badges),
        *((f"title:{t.id}", t.name) for t in program.titles),
    ]:
        chinese = program.text(key, "zh-CN", default)
        assert chinese != default and chinese.strip(), key
        assert program.text(key, "en", "") == default, key
    assert all(r.title for r in program.xp_rules)
    task = program.task_by_id["class_practice_week"]
    assert (task.title, task.team, task.window, task.on, task.goal) == (
        "Our class: 40 practice sessions this week",
        "cohort",
        "week",
        "practice.completed",
        40.0,
    )
    assert (task.reward_xp, task.min_members) == (50, 2)
    assert (
        program.text("task:class_practice_week", "zh-CN", "") == "全班本周完成40次练习"
    )
    badge = next(b for b in program.badges if b.id == "team_player")
    assert badge.on == "team.rewarded" and badge.where is not None
    assert badge.where.evaluate({"task": "class_practice_week"})
    assert not badge.where.evaluate({"task": "other"})
