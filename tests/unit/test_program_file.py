"""Program files: what is valid, and every error with file:line and a hint."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import (
    check_program,
    check_program_file,
    load_program,
    load_program_file,
)
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(text: str) -> list[str]:
    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")
    return [str(i) for i in info.value.issues]


def test_the_small_program_compiles(program):
    assert [lvl.id for lvl in program.levels] == ["starter", "a1", "a2"]
    assert program.unit_by_id["u3"].dimensions == ("speaking", "vocabulary")
    assert program.dimension_weights["vocabulary"] == (
        ("greetings", 1.0),
        ("numbers", 1.0),
    )
    assert program.rules_by_type["lesson.watched"][0].daily_cap == 30
    assert program.level_variables[2] == frozenset({"xp", "dimension.vocabulary"})


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # a prerequisite that does not exist, with a suggestion
        (
            "prerequisites: [greetings]",
            "prerequisites: [greeting]",
            "prerequisites: [greeting]",
            "unknown knowledge_point 'greeting' (did you mean 'greetings'?)",
        ),
        # a unit mapped to an unknown knowledge point
        (
            "knowledge_points: [greetings]}",
            "knowledge_points: [grammar]}",
            "knowledge_points: [grammar]}",
            "unknown knowledge_point 'grammar'",
        ),
        # a gate that needs a unit the program lacks
        ("includes [u1]", "includes [u9]", "includes [u9]", "unknown unit 'u9'"),
        # an ability target above 1 can never be met
        (
            "dimension.vocabulary >= 0.5",
            "dimension.vocabulary >= 1.5",
            "dimension.vocabulary >= 1.5",
            "can never hold: dimension.vocabulary is between 0 and 1",
        ),
        # a level easier than the one below it
        (
            "xp >= 300",
            "xp >= 50",
            "xp >= 50",
            "asks 'xp >= 50', less than the level below it",
        ),
        # a bad expression names the column
        ("xp >= 100", "xp >== 100", "xp >== 100", "bad expression 'xp >== 100'"),
        # an unknown variable, with a suggestion
        (
            "dimension.vocabulary >= 0.5",
            "dimension.vocab >= 0.5",
            "dimension.vocab >= 0.5",
            "unknown variable 'dimension.vocab'",
        ),
        # an XP rule on an unknown event type
        (
            "on: homework.submitted",
            "on: homework.done",
            "on: homework.done",
            "unknown event type 'homework.done'",
        ),
        # an XP formula that reads a field the event does not have
        (
            "xp: 50 * score / max_score",
            "xp: 50 * grade",
            "xp: 50 * grade",
            "unknown variable 'grade'",
        ),
        # a unit kind outside the list
        (
            "kind: homework",
            "kind: homeworks",
            "kind: homeworks",
            "units.1.kind: input should be",
        ),
        # a misspelt key
        (
            "daily_cap: 30",
            "daily_caps: 30",
            "daily_caps: 30",
            "extra inputs are not permitted",
        ),
        # the same id twice
        (
            "- {id: u2,",
            "- {id: u1,",
            "- {id: u1, kind: homework",
            "duplicate units id 'u1'",
        ),
        # the starting level cannot have gates
        (
            "  - id: starter\n    title: Starter\n",
            "  - id: starter\n    title: Starter\n    gates: [xp >= 1]\n",
            "gates: [xp >= 1]",
            "the first level 'starter' has gates",
        ),
        # a gate that is constant false
        ("- xp >= 300", "- 1 > 2", "- 1 > 2", "can never hold"),
        # a level that asks nothing more than the previous one
        (
            "- xp >= 300\n      - dimension.vocabulary >= 0.5",
            "- xp >= 100",
            "- id: a2",
            "asks nothing more than the level below it",
        ),
        # a floor above the decay
        (
            "repeat_floor: 0.25",
            "repeat_floor: 0.75",
            "repeat_floor: 0.75",
            "repeat_floor is above repeat_decay",
        ),
    ],
    ids=[
        "unknown-prerequisite",
        "unknown-kp",
        "unknown-unit-in-gate",
        "unreachable-ability",
        "easier-level",
        "bad-expression",
        "unknown-variable",
        "unknown-event-type",
        "unknown-event-field",
        "bad-kind",
        "extra-key",
        "duplicate-id",
        "gated-start",
        "constant-false",
        "not-harder",
        "floor-above-decay",
    ],
)
def test_errors_name_file_line_and_problem(old, new, needle, expected):
    assert old in SMALL_PROGRAM
    text = SMALL_PROGRAM.replace(old, new, 1)
    found = problems(text)
    line = line_of(text, needle)
    assert any(
        p.startswith(f"school.yaml:{line}: ") and expected in p for p in found
    ), found


def test_a_prerequisite_cycle_is_printed():
    text = SMALL_PROGRAM.replace(
        "  - id: greetings\n    dimensions: {vocabulary: 1, speaking: 1}\n",
        "  - id: greetings\n    dimensions: {vocabulary: 1, speaking: 1}\n"
        "    prerequisites: [numbers]\n",
    )
    found = problems(text)
    assert any(
        "prerequisite cycle: greetings -> numbers -> greetings" in p for p in found
    )
    assert all("must form a DAG" in p for p in found if "cycle" in p)


def test_yaml_syntax_errors_have_a_line():
    found = problems("program: x\ndimensions: [a\nlevels: []\n")
    assert found[0].startswith("school.yaml:3: not valid YAML")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just\n- a list\n", "school.yaml:1: a program file is a YAML mapping"),
        (
            "program: x\nprogram: y\ndimensions: [{id: a}]\nlevels: [{id: s}]\n",
            "school.yaml:2: duplicate key 'program'",
        ),
        (
            "dimensions: [{id: a}]\nlevels: [{id: s}]\n",
            "program: field required (add this field)",
        ),
        (
            "program: x\ndimensions: [{id: a}]\nlevels:\n  - {id: s}\n  - {id: t}\n",
            "school.yaml:5: level 't' has no gates",
        ),
    ],
    ids=["not-a-mapping", "duplicate-key", "missing-field", "gateless-level"],
)
def test_structural_errors(text, expected):
    assert any(expected in p for p in problems(text)), problems(text)


def test_on_and_yes_stay_strings_under_yaml_1_2():
    text = SMALL_PROGRAM.replace("title: Tiny English", "title: yes")
    assert load_program(text).title == "yes"


def test_files_are_read_with_their_name(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(SMALL_PROGRAM.replace("xp >= 100", "xp >= oops"))
    with pytest.raises(ProgramError) as info:
        load_program_file(str(path))
    assert str(info.value.issues[0]).startswith(f"{path}:")
    with pytest.raises(ProgramError, match="cannot read the file"):
        load_program_file(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize("name", ["english", "maths"])
def test_the_example_programs_are_valid(name):
    program = load_program_file(f"src/levelwise/examples/programs/{name}.yaml")
    assert len(program.units) >= 40 and len(program.levels) >= 4


def test_a_higher_level_may_ask_for_other_units():
    text = SMALL_PROGRAM.replace(
        "      - dimension.vocabulary >= 0.5\n",
        "      - dimension.vocabulary >= 0.5\n      - units_completed includes [u2]\n",
    )
    assert (
        load_program(text).levels[2].gates[-1].source == "units_completed includes [u2]"
    )
    same = SMALL_PROGRAM.replace(
        "      - xp >= 300\n      - dimension.vocabulary >= 0.5\n",
        "      - xp >= 100\n      - units_completed includes [u1]\n",
    )
    assert any("asks nothing more" in p for p in problems(same))


# -- issue 13, defect 9: every problem is a file:line issue, never a crash ---------

WINTER = "badges:\n  - id: winter\n    on: lesson.watched\n    end: 2025-02-30\n"


def test_an_impossible_date_is_an_issue_at_its_line():
    text = SMALL_PROGRAM + WINTER
    line = line_of(text, "end: 2025-02-30")
    assert problems(text) == [
        f"school.yaml:{line}: badges.0.end: input should be a valid date or "
        "datetime, day value is outside expected range (write dates as YYYY-MM-DD)"
    ]


def _bomb(levels: int) -> str:
    """A billion-laughs file: each alias level multiplies the values by ten."""
    rows = ["lol0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    for i in range(1, levels):
        rows.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        # an explicit tag whose value it cannot read
        (
            SMALL_PROGRAM.replace('version: "1"', "version: !!int one"),
            "version: !!int one",
            "not valid YAML: cannot read 'one' as !!int",
        ),
        (
            SMALL_PROGRAM.replace("title: Tiny English", "title: !!bool maybe"),
            "title: !!bool maybe",
            "not valid YAML: cannot read 'maybe' as !!bool",
        ),
        (
            SMALL_PROGRAM.replace("title: Tiny English", "title: !!timestamp soon"),
            "title: !!timestamp soon",
            "not valid YAML: cannot read 'soon' as !!timestamp",
        ),
        # an alias inside its own anchor
        (
            SMALL_PROGRAM.replace(
                "  - id: speaking\n", "  - &loop {id: speaking, title: [*loop]}\n"
            ),
            "&loop",
            "a value contains itself through an alias",
        ),
        # aliases that expand to millions of values (a "billion laughs")
        (
            SMALL_PROGRAM + _bomb(5),
            "lol4:",
            "aliases (*name) repeat more than 100000 values",
        ),
        # nesting deep enough to exhaust the stack
        (
            SMALL_PROGRAM.replace(
                "title: Tiny English", "title: " + "[" * 900 + "]" * 900
            ),
            "title: [[[",
            "values are nested more than 32 deep",
        ),
        # keys are names: a number, null or boolean key is read as its text
        (
            SMALL_PROGRAM + "recognition:\n  day_start: 4\n  1: 2\n",
            "  1: 2",
            "recognition.1: extra inputs are not permitted",
        ),
        (
            SMALL_PROGRAM + "~: 1\n",
            "~: 1",
            "~: extra inputs are not permitted",
        ),
        # a key that is a list
        (
            SMALL_PROGRAM + "? [a, b]\n: 1\n",
            "? [a, b]",
            "a key must be a name, not a list or mapping",
        ),
        # a control character, after text that is not ASCII
        (
            SMALL_PROGRAM.replace("Tiny English", "Café").replace(
                "title: Starter", "title: Start\x07er"
            ),
            "Start\x07er",
            "not valid YAML: control characters are not allowed",
        ),
        # numbers beyond float range, and not-a-number
        (
            SMALL_PROGRAM.replace("minutes: 10,", "minutes: 1.0e+999,"),
            "minutes: 1.0e+999",
            "units.0.minutes: input should be a finite number",
        ),
        (
            SMALL_PROGRAM + "mastery:\n  strength: .nan\n",
            "strength: .nan",
            "mastery.strength: input should be a finite number",
        ),
    ],
    ids=[
        "int-tag",
        "bool-tag",
        "timestamp-tag",
        "recursive-alias",
        "alias-bomb",
        "deep-nesting",
        "number-key",
        "null-key",
        "list-key",
        "control-character",
        "infinite-number",
        "nan",
    ],
)
def test_hostile_files_are_issues_with_a_line(text, needle, expected):
    found = problems(text)
    line = line_of(text, needle)
    assert any(
        p.startswith(f"school.yaml:{line}: ") and expected in p for p in found
    ), found


def test_a_file_that_is_not_utf8_is_an_issue_at_its_line(tmp_path):
    path = tmp_path / "latin.yaml"
    raw = SMALL_PROGRAM.replace("Tiny English", "Caf\xe9").encode("latin-1")
    path.write_bytes(raw)
    with pytest.raises(ProgramError) as info:
        load_program_file(str(path))
    assert [str(i) for i in info.value.issues] == [
        f"{path}:3: the file is not UTF-8 text (invalid continuation byte at byte "
        f"{raw.index(0xE9)}) (save it as UTF-8)"
    ]


def test_dates_stay_text_until_a_date_field_reads_them():
    text = SMALL_PROGRAM.replace('version: "1"', "version: 2026-03-01").replace(
        "title: Tiny English", "title: 2026-03-01"
    )
    program = load_program(text + WINTER.replace("2025-02-30", "2026-02-28"))
    assert (program.label, program.title) == ("2026-03-01", "2026-03-01")
    assert program.badges[0].end == "2026-02-28"


# -- issue 13, defect 12: no false follow-on errors, warnings ----------------------


def test_a_title_on_a_badge_that_failed_reports_only_the_badge():
    text = SMALL_PROGRAM + (
        "badges:\n"
        "  - id: hero\n"
        "    on: homework.submitted\n"
        "    where: grade >= 9\n"
        "titles:\n"
        "  - {id: heroic, badge: hero, tier: bronze}\n"
    )
    found = problems(text)
    assert len(found) == 1 and "unknown variable 'grade'" in found[0], found


def test_a_title_still_checks_the_tier_of_a_badge_that_failed():
    text = SMALL_PROGRAM + (
        "badges:\n"
        "  - id: hero\n"
        "    on: homework.submitted\n"
        "    where: grade >= 9\n"
        "titles:\n"
        "  - {id: heroic, badge: hero, tier: gold}\n"
    )
    line = line_of(text, "tier: gold")
    assert (
        f"school.yaml:{line}: badge 'hero' has no tier 'gold' (tiers: bronze)"
        in problems(text)
    )


@pytest.mark.parametrize(
    ("badge", "needle", "expected"),
    [
        # a counting badge with a state condition: the condition was ignored
        (
            "  - id: b\n    on: lesson.watched\n    when: streak >= 7\n",
            "when: streak >= 7",
            "badge 'b' counts lesson.watched events, so 'when' does not apply "
            "(choose the events with 'where', or drop 'on' for a state badge)",
        ),
        (
            "  - id: b\n    on: lesson.watched\n"
            "    tiers: [{tier: bronze, count: 2}, {tier: silver, when: xp >= 9}]\n",
            "tiers:",
            "badge 'b' counts lesson.watched events, so 'when' does not apply",
        ),
        # a state badge with a count on a tier: the count was ignored
        (
            "  - id: b\n    tiers:\n      - {tier: bronze, when: xp >= 9, count: 3}\n",
            "count: 3",
            "badge 'b' uses where/count/repeatable without 'on'",
        ),
        # one condition and tiers, or one count and tiers: one was ignored
        (
            "  - id: b\n    when: xp >= 5\n"
            "    tiers: [{tier: bronze, when: xp >= 9}]\n",
            "when: xp >= 5",
            "badge 'b' has both 'when' and 'tiers' (give the condition of each tier "
            "in 'tiers')",
        ),
        (
            "  - id: b\n    on: lesson.watched\n    count: 4\n"
            "    tiers: [{tier: bronze, count: 2}]\n",
            "count: 4",
            "badge 'b' has both 'count' and 'tiers' (give the count of each tier "
            "in 'tiers')",
        ),
    ],
    ids=[
        "count-when",
        "count-tier-when",
        "state-tier-count",
        "when-tiers",
        "count-tiers",
    ],
)
def test_badge_fields_that_would_be_ignored_are_errors(badge, needle, expected):
    text = SMALL_PROGRAM + "badges:\n" + badge
    found = problems(text)
    line = line_of(text, needle)
    assert any(
        p.startswith(f"school.yaml:{line}: ") and expected in p for p in found
    ), found


@pytest.mark.parametrize(
    ("extra", "needle", "expected"),
    [
        # two badges of one id: the second silently replaced the first
        (
            "badges:\n  - {id: b, on: lesson.watched}\n"
            "  - {id: b, on: live.attended}\n",
            "{id: b, on: live.attended}",
            "duplicate badges id 'b'",
        ),
        (
            "titles:\n  - {id: t, level: a1}\n  - {id: t, level: a2}\n",
            "{id: t, level: a2}",
            "duplicate titles id 't'",
        ),
    ],
    ids=["badges", "titles"],
)
def test_badge_and_title_ids_are_unique(extra, needle, expected):
    text = SMALL_PROGRAM + extra
    line = line_of(text, needle)
    assert any(p.startswith(f"school.yaml:{line}: {expected}") for p in problems(text))


def test_the_id_pattern_keeps_its_case():
    text = SMALL_PROGRAM.replace("  - id: speaking\n", "  - id: speaking skills\n")
    line = line_of(text, "speaking skills")
    assert problems(text) == [
        f"school.yaml:{line}: dimensions.1.id: string should match pattern "
        "'^[A-Za-z0-9][A-Za-z0-9_.:\\-]*$' (ids use letters, digits and _ . : - "
        "and start with a letter or digit)"
    ]


UNMEASURED = SMALL_PROGRAM.replace(
    "    prerequisites: [greetings]\n",
    "    prerequisites: [greetings]\n  - id: colours\n    dimensions: [vocabulary]\n",
).replace(
    "units:\n",
    "units:\n  - {id: u0, kind: lesson, minutes: 10, knowledge_points: [colours]}\n",
)


def test_a_point_no_scored_unit_measures_is_a_warning():
    program, warnings = check_program(UNMEASURED, "school.yaml")
    line = line_of(UNMEASURED, "id: colours")
    assert [str(w) for w in warnings] == [
        f"school.yaml:{line}: no scored unit measures knowledge point 'colours', "
        "so plans cannot raise its mastery (add it to the knowledge_points of an "
        "exercise, quiz, practice, homework or live_class unit)"
    ]
    assert program.kp_by_id["colours"].id == "colours"
    assert load_program(UNMEASURED).id == "tiny-english"  # warnings do not fail


@pytest.mark.parametrize(
    ("unit", "measured"),
    [
        ("{id: u9, kind: exercise, minutes: 9, knowledge_points: [colours]}", True),
        ("{id: u9, kind: quiz, minutes: 9, knowledge_points: [colours]}", True),
        ("{id: u9, kind: practice, minutes: 9, knowledge_points: [colours]}", True),
        ("{id: u9, kind: homework, minutes: 9, knowledge_points: [colours]}", True),
        ("{id: u9, kind: live_class, minutes: 9, knowledge_points: [colours]}", True),
        # no questions: one study yields no scored answer
        (
            "{id: u9, kind: exercise, minutes: 9, questions: 0, "
            "knowledge_points: [colours]}",
            False,
        ),
        # one question: it is on the unit's first point only
        (
            "{id: u9, kind: quiz, minutes: 9, questions: 1, "
            "knowledge_points: [greetings, colours]}",
            False,
        ),
        ("{id: u9, kind: lesson, minutes: 9, knowledge_points: [colours]}", False),
    ],
    ids=[
        "exercise",
        "quiz",
        "practice",
        "homework",
        "live",
        "no-questions",
        "too-few-questions",
        "lesson",
    ],
)
def test_which_units_measure_a_point(unit, measured):
    text = UNMEASURED.replace("units:\n", f"units:\n  - {unit}\n")
    _, warnings = check_program(text)
    assert (not warnings) is measured, warnings


@pytest.mark.parametrize("name", ["english", "maths"])
def test_the_example_programs_have_no_warnings(name):
    _, warnings = check_program_file(f"src/levelwise/examples/programs/{name}.yaml")
    assert warnings == ()
