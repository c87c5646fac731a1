"""Program files: what is valid, and every error with file:line and a hint."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import load_program, load_program_file
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
    program = load_program_file(f"examples/programs/{name}.yaml")
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
