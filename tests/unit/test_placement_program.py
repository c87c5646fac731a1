"""The program file's placement section: compiled, and each mistake with file:line."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import load_program, load_program_file
from levelwise.domain.program import PlacementItem, PlacementLevel
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM
from tests.support.placements import SMALL_PLACEMENT

PLACEMENT = SMALL_PLACEMENT.replace(
    "placement:\n",
    "placement:\n  se_target: 0.3\n  max_items: 20\n  min_items: 4\n"
    "  max_exposure: null\n",
)

PLACED_PROGRAM = SMALL_PROGRAM + PLACEMENT


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_placement_section_compiles():
    placement = load_program(PLACED_PROGRAM).placement
    assert placement is not None
    assert placement.items[0] == PlacementItem(
        "v1", "greetings", "vocabulary", 1.2, -1.0, 0.2
    )
    assert placement.items[1].c == 0.0
    assert placement.levels == (
        PlacementLevel("a1", (("speaking", -0.7), ("vocabulary", -0.5))),
        PlacementLevel("a2", (("speaking", 0.2), ("vocabulary", 0.3))),
    )
    assert (placement.se_target, placement.max_items, placement.min_items) == (
        0.3,
        20,
        4,
    )
    assert placement.max_exposure is None


def test_a_program_without_placement_has_none(program):
    assert program.placement is None


def test_defaults_apply():
    text = SMALL_PROGRAM + (
        "placement:\n  items:\n"
        "    - {id: v1, knowledge_point: numbers, dimension: vocabulary, a: 1, b: 0}\n"
    )
    placement = load_program(text).placement
    assert placement is not None
    assert placement.levels == ()
    assert (placement.se_target, placement.max_items, placement.min_items) == (
        0.3,
        30,
        5,
    )
    assert placement.max_exposure == 0.25


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # a starting level that is not on the ladder, with a suggestion
        ("{level: a2,", "{level: a3,", "{level: a3,", "unknown level 'a3'"),
        # a cut on a dimension the program lacks
        (
            "cuts: {vocabulary: 0.3,",
            "cuts: {vocab: 0.3,",
            "cuts: {vocab: 0.3,",
            "unknown dimension 'vocab' (did you mean 'vocabulary'?)",
        ),
        # an item on an unknown knowledge point
        (
            "{id: v2, knowledge_point: numbers,",
            "{id: v2, knowledge_point: number,",
            "{id: v2,",
            "unknown knowledge_point 'number' (did you mean 'numbers'?)",
        ),
        # an item on an unknown dimension
        (
            "{id: s1, knowledge_point: greetings, dimension: speaking,",
            "{id: s1, knowledge_point: greetings, dimension: reading,",
            "{id: s1,",
            "unknown dimension 'reading'",
        ),
        # an item whose knowledge point does not feed its dimension
        (
            "{id: v2, knowledge_point: numbers, dimension: vocabulary,",
            "{id: v2, knowledge_point: numbers, dimension: speaking,",
            "{id: v2,",
            "knowledge point 'numbers' does not feed dimension 'speaking'",
        ),
        # the same item id twice
        (
            "{id: s1,",
            "{id: v1,",
            "{id: v1, knowledge_point: greetings, dimension: s",
            "duplicate placement item id 'v1'",
        ),
        # a non-positive discrimination
        ("a: 0.9,", "a: 0,", "a: 0,", "item 'v2' has discrimination a = 0"),
        # a guessing parameter at 0.5 or above
        ("c: 0.2}", "c: 0.5}", "c: 0.5}", "item 'v1' has guessing c = 0.5"),
        # a negative guessing parameter
        ("c: 0.2}", "c: -0.1}", "c: -0.1}", "item 'v1' has guessing c = -0.1"),
        # levels listed against the ladder order
        (
            "{level: a2, cuts: {vocabulary: 0.3, speaking: 0.2}}",
            "{level: a1, cuts: {vocabulary: 0.3, speaking: 0.2}}",
            "{level: a1, cuts: {vocabulary: 0.3",
            "placement level 'a1' is out of ladder order",
        ),
        # a cut that does not rise over the level below
        (
            "{vocabulary: 0.3, speaking: 0.2}",
            "{vocabulary: -0.5, speaking: 0.2}",
            "{vocabulary: -0.5, speaking: 0.2}",
            "cut vocabulary: -0.5 of 'a2' is not above -0.5 of 'a1'",
        ),
        # a cut on a dimension no item measures
        (
            "    - {id: s1, knowledge_point: greetings, dimension: speaking,"
            " a: 1.0, b: 0.0}\n",
            "",
            "{level: a1,",
            "no placement item measures dimension 'speaking'",
        ),
        # a standard-error target that can never stop the test
        ("se_target: 0.3", "se_target: 0", "se_target: 0", "se_target 0 must be"),
        # more items required than allowed
        ("min_items: 4", "min_items: 25", "min_items: 25", "min_items 25 is above"),
        # a structural mistake is reported by the schema
        ("max_items: 20", "max_items: 0", "max_items: 0", "placement.max_items:"),
    ],
    ids=[
        "unknown-level",
        "unknown-cut-dimension",
        "unknown-item-kp",
        "unknown-item-dimension",
        "kp-not-on-dimension",
        "duplicate-item",
        "a-not-positive",
        "c-too-high",
        "c-negative",
        "levels-out-of-order",
        "cuts-not-increasing",
        "cut-without-items",
        "se-target",
        "min-above-max",
        "schema",
    ],
)
def test_placement_mistakes_are_reported_with_their_line(old, new, needle, expected):
    assert old in PLACED_PROGRAM
    text = PLACED_PROGRAM.replace(old, new, 1)
    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")
    found = [str(i) for i in info.value.issues if expected in str(i)]
    assert found, [str(i) for i in info.value.issues]
    assert found[0].startswith(f"school.yaml:{line_of(text, needle)}:")


def test_the_example_program_has_a_placement_test():
    program = load_program_file("src/levelwise/examples/programs/english.yaml")
    placement = program.placement
    assert placement is not None
    assert len(placement.items) >= 40
    assert {i.dimension for i in placement.items} == {d.id for d in program.dimensions}
    assert [lvl.level for lvl in placement.levels] == ["a1", "a2", "b1", "b2"]
