"""The program file's practice section: compiled, and each mistake with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from levelwise.app.programs.loader import check_program, load_program, load_program_file
from levelwise.app.programs.practice import WORD
from levelwise.domain.practice import PRACTICE_METRICS, forms
from levelwise.domain.program import (
    MetricNorm,
    Practice,
    Scenario,
    ScenarioBranch,
    ScenarioLine,
)
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM

ENGLISH = Path(__file__).parents[2] / "src/levelwise/examples/programs/english.yaml"

UNITS = """\
  - {id: p1, kind: practice, minutes: 10, knowledge_points: [greetings]}
  - {id: p2, kind: practice, minutes: 10, knowledge_points: [numbers]}
levels:
"""

PRACTICE = """\
practice:
  scenarios:
    - unit: p1
      title: Saying hello
      setting: You meet the learner at a party.
      partner: guest
      target_words: [hello, name]
      start: hi
      lines:
        - id: hi
          say: Hello! What's your name?
          branches:
            - keywords: [name, i'm]
              next: bye
              examples:
                - My name is Anna.
                - "I'm Leo."
            - keywords: [pardon]
              next: again
              examples: [Pardon?]
        - id: again
          say: I said hello. What's your name?
          next: bye
          examples:
            - Sorry, Anna. Nice to meet you.
        - id: bye
          say: Nice to meet you. Goodbye!
          end: true
    - unit: p2
      lines:
        - id: count
          say: Can you count to three?
          end: true
  measurements:
    - id: fluency
      dimension: speaking
      metrics:
        speech_rate: {zero: 30, full: {a1: 80, a2: 100}}
        mid_clause_pause_rate: {zero: 20, full: 8}
"""

PRACTISED = SMALL_PROGRAM.replace("levels:\n", UNITS, 1) + PRACTICE


def line_of(text: str, needle: str | tuple[str, int]) -> int:
    """The line holding ``needle`` (or its ``n``-th occurrence, from 1)."""
    text_needle, n = needle if isinstance(needle, tuple) else (needle, 1)
    lines = (i for i, line in enumerate(text.splitlines(), 1) if text_needle in line)
    for _ in range(n - 1):
        next(lines)
    return next(lines)


def test_the_practice_section_compiles():
    practice = load_program(PRACTISED).practice

    hello, count = practice.scenarios
    assert hello == Scenario(
        unit="p1",
        title="Saying hello",
        setting="You meet the learner at a party.",
        partner="guest",
        target_words=("hello", "name"),
        start="hi",
        lines=(
            ScenarioLine(
                "hi",
                "Hello! What's your name?",
                (
                    ScenarioBranch(
                        ("name", "i'm"), "bye", ("My name is Anna.", "I'm Leo.")
                    ),
                    ScenarioBranch(("pardon",), "again", ("Pardon?",)),
                ),
            ),
            ScenarioLine(
                "again",
                "I said hello. What's your name?",
                next="bye",
                examples=("Sorry, Anna. Nice to meet you.",),
            ),
            ScenarioLine("bye", "Nice to meet you. Goodbye!", end=True),
        ),
    )
    # Defaults: the unit's title, a generic partner, the first line to start,
    # no example answers.
    assert (count.title, count.partner, count.start) == ("p2", "partner", "count")
    assert count.lines[0].examples == ()
    assert practice.scenario_by_unit["p2"] is count
    assert hello.line_by_id["again"].next == "bye"
    (fluency,) = practice.measurements
    assert (fluency.id, fluency.dimension) == ("fluency", "speaking")
    # Per level: starter (below the first entry) takes a1's; one number: all.
    assert fluency.metrics == (
        MetricNorm("speech_rate", 30.0, (80.0, 80.0, 100.0)),
        MetricNorm("mid_clause_pause_rate", 20.0, (8.0, 8.0, 8.0)),
    )


def test_a_level_without_an_entry_takes_the_one_below_it():
    text = PRACTISED.replace("full: {a1: 80, a2: 100}", "full: {starter: 50, a2: 90}")

    (norm, _) = load_program(text).practice.measurements[0].metrics

    assert norm.full == (50.0, 50.0, 90.0)


def test_a_program_without_practice_has_an_empty_section(program):
    assert program.practice == Practice()
    assert load_program(SMALL_PROGRAM + "practice: {}\n").practice == Practice()


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # a scenario of a unit the program lacks
        ("    - unit: p2\n", "    - unit: p9\n", "unit: p9", "unknown unit 'p9'"),
        # a scenario of a unit that is no practice unit
        (
            "    - unit: p2\n",
            "    - unit: u2\n",
            "unit: u2",
            "unit 'u2' is a homework unit, not a practice unit",
        ),
        # two scenarios for one unit
        (
            "    - unit: p2\n",
            "    - unit: p1\n",
            ("    - unit: p1", 2),
            "unit 'p1' has more than one scenario",
        ),
        # two lines with one id
        (
            "        - id: again\n",
            "        - id: hi\n",
            ("        - id: hi", 2),
            "duplicate line id 'hi' in the scenario of unit 'p1'",
        ),
        # a branch leading nowhere, with a suggestion
        (
            "              next: again",
            "              next: agian",
            "next: agian",
            "unknown line 'agian' (did you mean 'again'?)",
        ),
        # a default next leading nowhere
        (
            "          next: bye",
            "          next: end",
            "next: end",
            "unknown line 'end'",
        ),
        # a start that is no line
        ("      start: hi", "      start: hey", "start: hey", "unknown line 'hey'"),
        # keywords are single lower-case words
        (
            "[name, i'm]",
            "[Name, i'm]",
            "[Name, i'm]",
            "'Name' is not one lower-case word",
        ),
        (
            "[pardon]",
            "[excuse me]",
            "[excuse me]",
            "'excuse me' is not one lower-case word",
        ),
        # so are target words
        (
            "[hello, name]",
            "[hello, Name!]",
            "[hello, Name!]",
            "'Name!' is not one lower-case word",
        ),
        # an example that says none of its branch's keywords
        (
            "                - My name is Anna.\n",
            "                - Anna, nice to meet you.\n",
            "Anna, nice to meet you.",
            "example 'Anna, nice to meet you.' says none of its branch's keywords "
            "(name, i'm)",
        ),
        # an example an earlier branch would take
        (
            "[Pardon?]",
            "[Pardon? What name?]",
            "[Pardon? What name?]",
            "example 'Pardon? What name?' would take the branch at line "
            f"{line_of(PRACTISED, '- keywords: [name')} first: it says 'name'",
        ),
        # a line's example that a branch would take instead of its next
        (
            "        - id: again\n",
            "          next: again\n          examples:\n            - Call me Anna.\n"
            "            - My names are Anna Maria.\n        - id: again\n",
            "My names are Anna Maria.",
            "example 'My names are Anna Maria.' of line 'hi' would take the branch "
            f"at line {line_of(PRACTISED, '- keywords: [name')}: it says 'name'",
        ),
        # examples of a line without next (an end line here)
        (
            "          say: Can you count to three?\n",
            "          say: Can you count to three?\n"
            "          examples: [One two three]\n",
            "examples: [One two three]",
            "line 'count' has examples but no next",
        ),
        # structure: at most five examples, each at most 200 characters
        (
            "[Pardon?]",
            "[a, b, c, d, e, pardon]",
            "[a, b, c, d, e, pardon]",
            "practice.scenarios.0.lines.0.branches.1.examples: list should have "
            "at most 5 items",
        ),
        (
            "[Pardon?]",
            "[Pardon" + "?" * 200 + "]",
            "[Pardon?",
            "practice.scenarios.0.lines.0.branches.1.examples.0: string should "
            "have at most 200 characters",
        ),
        # a metric that is not a practice metric, with a suggestion
        (
            "        speech_rate: {",
            "        speach_rate: {",
            "speach_rate",
            "unknown practice metric 'speach_rate' (did you mean 'speech_rate'?)",
        ),
        # a dimension the program lacks
        (
            "dimension: speaking\n",
            "dimension: speech\n",
            "dimension: speech",
            "unknown dimension 'speech'",
        ),
        # a level the ladder lacks
        ("{a1: 80, a2: 100}", "{a1: 80, b2: 100}", "b2: 100", "unknown level 'b2'"),
        # full equal to zero at a level
        (
            "{zero: 20, full: 8}",
            "{zero: 20, full: 20}",
            "{zero: 20, full: 20}",
            "metric 'mid_clause_pause_rate': full is 20 at level 'starter', "
            "the same as zero",
        ),
        # full on both sides of zero
        (
            "{a1: 80, a2: 100}",
            "{a1: 20, a2: 100}",
            "{a1: 20, a2: 100}",
            "full is above zero at some levels and below it at others",
        ),
        # two measurements with one id
        (
            "        mid_clause_pause_rate: {zero: 20, full: 8}\n",
            "        mid_clause_pause_rate: {zero: 20, full: 8}\n"
            "    - id: fluency\n      dimension: vocabulary\n"
            "      metrics: {mtld: {zero: 10, full: 40}}\n",
            ("    - id: fluency", 2),
            "duplicate measurement id 'fluency'",
        ),
        # structure: an empty per-level mapping, a line without words
        ("{a1: 80, a2: 100}", "{}", "full: {}", "practice.measurements.0"),
        (
            "          say: Can you count to three?\n",
            "",
            "        - id: count",
            "practice.scenarios.1.lines.0.say: field required",
        ),
    ],
    ids=[
        "unknown-unit",
        "not-practice",
        "two-scenarios",
        "duplicate-line",
        "branch-nowhere",
        "next-nowhere",
        "start-nowhere",
        "keyword-case",
        "keyword-phrase",
        "target-word",
        "example-without-keyword",
        "example-of-an-earlier-branch",
        "line-example-takes-a-branch",
        "line-example-without-next",
        "too-many-examples",
        "long-example",
        "unknown-metric",
        "unknown-dimension",
        "unknown-level",
        "full-is-zero",
        "mixed-direction",
        "duplicate-measurement",
        "empty-full",
        "no-say",
    ],
)
def test_practice_mistakes_are_reported_with_their_line(old, new, needle, expected):
    assert old in PRACTISED
    text = PRACTISED.replace(old, new, 1)
    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")
    found = [str(i) for i in info.value.issues if expected in str(i)]
    assert found, [str(i) for i in info.value.issues]
    assert found[0].startswith(f"school.yaml:{line_of(text, needle)}:")


@pytest.mark.parametrize(
    ("word", "base", "same"),
    [
        ("coffees", "coffee", True),  # -s
        ("boxes", "box", True),  # -es
        ("ordered", "order", True),  # -ed
        ("liked", "like", True),  # -ed after an e
        ("ordering", "ordered", True),  # two inflections of one base
        ("licensing", "license", True),  # -ing after a dropped e
        ("called", "call", True),
        ("tea", "team", False),  # a longer word is no inflection
        ("bus", "bu", False),  # a base is at least three letters
        ("is", "i", False),
        ("red", "r", False),
    ],
)
def test_forms_match_plain_inflections_only(word, base, same):
    assert bool(forms(word) & forms(base)) is same
    assert word in forms(word)


@pytest.mark.parametrize(
    "example",
    [
        "MY NAME IS ANNA.",  # case-folded
        "They named me Anna.",  # an inflection of 'name'
        "Names? Mine is Anna.",
        "i'm Leo",
    ],
)
def test_an_example_with_its_keyword_in_any_plain_form_is_accepted(example):
    text = PRACTISED.replace("My name is Anna.", example, 1)

    hello = load_program(text).practice.scenario_by_unit["p1"]

    assert hello.lines[0].branches[0].examples[0] == example


def test_a_scenario_that_cannot_end_is_a_warning():
    # 'again' leads back to 'hi' and no branch reaches 'bye' any more.
    text = PRACTISED.replace(
        "              next: bye", "              next: again", 1
    ).replace("          next: bye", "          next: hi", 1)

    program, warnings = check_program(text, "school.yaml")

    (warning,) = warnings
    assert warning.line == line_of(text, "    - unit: p1")
    assert "no line with 'end: true' can be reached from line 'hi'" in warning.message
    assert program.practice.scenario_by_unit["p1"].start == "hi"


def test_the_scripted_partners_words_are_the_ones_it_can_hear():
    assert all(WORD.fullmatch(w) for w in ("coffee", "don't", "o'clock", "b2"))
    assert not any(WORD.fullmatch(w) for w in ("Coffee", "ice cream", "-", "café!"))


def test_every_practice_unit_of_the_example_has_a_scenario_that_can_end():
    program, warnings = check_program(ENGLISH.read_text(), ENGLISH.name)

    assert warnings == ()
    practice_units = {u.id for u in program.units if u.kind == "practice"}
    scenarios = program.practice.scenario_by_unit
    assert set(scenarios) == practice_units and len(practice_units) >= 9
    for scenario in scenarios.values():
        assert 4 <= len(scenario.lines) <= 8, scenario.unit
        assert any(line.branches for line in scenario.lines), scenario.unit
        assert scenario.target_words, scenario.unit
        assert scenario.lines[-1].end, scenario.unit


def test_the_example_measures_fluency_and_vocabulary():
    program = load_program_file(str(ENGLISH))
    by_id = {m.id: m for m in program.practice.measurements}

    fluency = {n.metric: n for n in by_id["fluency"].metrics}
    assert by_id["fluency"].dimension == "speaking_fluency"
    assert set(fluency) == {
        "speech_rate",
        "mean_length_of_run",
        "mid_clause_pause_rate",
    }
    pauses = fluency["mid_clause_pause_rate"]
    assert all(full < pauses.zero for full in pauses.full)  # fewer is better
    assert list(fluency["speech_rate"].full) == sorted(fluency["speech_rate"].full)
    assert by_id["lexis"].dimension == "vocabulary"
    assert {n.metric for n in by_id["lexis"].metrics} <= set(PRACTICE_METRICS)
