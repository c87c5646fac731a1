"""The program file's xapi section: compiled, or refused with file:line."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import check_program, load_program
from levelwise.domain.program import XapiActivity, XapiLearner, XapiRule
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM
from tests.support.xapi_statements import xapi_school, xapi_school_source

XAPI = """\
xapi:
  learner:
    mbox: {domain: school.example, keep: local}
  activities:
    - id: https://school.example/lessons/one
      unit: u1
    - pattern: https://school.example/points/{knowledge_point}/{item}
    - pattern: https://school.example/units/{unit}
  rules:
    - verb: http://adlnet.gov/expapi/verbs/answered
      event: question.answered
    - verb: http://adlnet.gov/expapi/verbs/completed
      event: lesson.watched
      unit_kinds: [lesson]
      seconds: duration
    - verb: http://adlnet.gov/expapi/verbs/interacted
      event: live.interaction
      kind: chat
"""
PROGRAM = SMALL_PROGRAM + XAPI


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The line of the ``nth`` line holding ``needle``."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def test_the_section_compiles():
    program = load_program(PROGRAM, "school.yaml")

    mapping = program.xapi
    assert mapping is not None
    assert mapping.learner == XapiLearner("mbox", domain="school.example", keep="local")
    assert mapping.activities[0] == XapiActivity(
        id="https://school.example/lessons/one", unit="u1"
    )
    assert mapping.rules[1] == XapiRule(
        "http://adlnet.gov/expapi/verbs/completed",
        "lesson.watched",
        unit_kinds=("lesson",),
    )
    assert mapping.rules[2].kind == "chat"
    assert [a.pattern for a in mapping.patterns] == [
        "https://school.example/points/{knowledge_point}/{item}",
        "https://school.example/units/{unit}",
    ]
    found = mapping.patterns[0].regex.fullmatch(
        "https://school.example/points/numbers/q.1"
    )
    assert found is not None
    assert found.groupdict() == {"knowledge_point": "numbers", "item": "q.1"}
    # a placeholder never spans a "/"
    assert (
        mapping.patterns[1].regex.fullmatch("https://school.example/units/a/b") is None
    )


def test_a_program_without_the_section_has_no_mapping():
    assert load_program(SMALL_PROGRAM).xapi is None


def test_the_test_school_loads_without_warnings():
    program, warnings = check_program(xapi_school_source(), "xapi_school.yaml")

    assert warnings == ()
    assert program.xapi == xapi_school().xapi
    assert program.xapi is not None and len(program.xapi.rules) == 10


def test_account_and_extension_learners_compile():
    account = PROGRAM.replace(
        "mbox: {domain: school.example, keep: local}",
        "account: {home_page: https://lms.school.example}",
    )
    extension = PROGRAM.replace(
        "mbox: {domain: school.example, keep: local}",
        "extension: https://school.example/xapi/learner",
    )

    first = load_program(account).xapi
    second = load_program(extension).xapi

    assert first is not None and first.learner == XapiLearner(
        "account", home_page="https://lms.school.example"
    )
    assert second is not None and second.learner == XapiLearner(
        "extension", extension="https://school.example/xapi/learner"
    )


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        # an exact activity naming a unit the program lacks
        ("      unit: u1\n", "      unit: u9\n", "unit: u9", "unknown unit 'u9'"),
        # ... or a knowledge point
        (
            "      unit: u1\n",
            "      knowledge_point: nope\n",
            "knowledge_point: nope",
            "unknown knowledge_point 'nope'",
        ),
        # both id and pattern, or neither
        (
            "      unit: u1\n",
            "      pattern: https://school.example/x/{unit}\n",
            "- id: https://school.example/lessons/one",
            "exactly one of id and pattern",
        ),
        (
            "    - id: https://school.example/lessons/one\n      unit: u1\n",
            "    - unit: u1\n",
            "- unit: u1",
            "exactly one of id and pattern",
        ),
        # the same exact id twice
        (
            "    - pattern: https://school.example/units/{unit}\n",
            "    - id: https://school.example/lessons/one\n",
            ("- id: https://school.example/lessons/one", 2),
            "duplicate xapi activity id",
        ),
        # a pattern without placeholder, with an unknown or a repeated one
        (
            "https://school.example/units/{unit}",
            "https://school.example/units/all",
            "units/all",
            "has no placeholder",
        ),
        (
            "https://school.example/units/{unit}",
            "https://school.example/units/{lesson}",
            "units/{lesson}",
            "unknown placeholder {lesson}",
        ),
        (
            "https://school.example/units/{unit}",
            "https://school.example/units/{unit}/{unit}",
            "units/{unit}/{unit}",
            "placeholder {unit} appears twice",
        ),
        (
            "https://school.example/units/{unit}",
            "https://school.example/units/{unit}/}",
            "units/{unit}/}",
            "a brace outside a placeholder",
        ),
        # a field both fixed and captured
        (
            "    - pattern: https://school.example/units/{unit}\n",
            "    - pattern: https://school.example/units/{unit}\n      unit: u1\n",
            ("unit: u1", 2),
            "'unit' is both fixed and taken from the pattern",
        ),
        # an event type a statement cannot become, with a suggestion
        (
            "event: question.answered",
            "event: question.answerd",
            "event: question.answerd",
            "statements cannot become 'question.answerd'",
        ),
        (
            "event: question.answered",
            "event: profile.updated",
            "event: profile.updated",
            "statements cannot become 'profile.updated'",
        ),
        # seconds and kind only where the event reads them
        (
            "      event: question.answered\n",
            "      event: question.answered\n      seconds: segment\n",
            "seconds: segment",
            "'seconds' does not apply to question.answered",
        ),
        (
            "      event: question.answered\n",
            "      event: question.answered\n      kind: mic\n",
            "kind: mic",
            "'kind' does not apply to question.answered",
        ),
        # the learner named by none, or by two identifiers
        (
            "    mbox: {domain: school.example, keep: local}\n",
            "    {}\n",
            "  learner:",
            "exactly one of account, mbox and extension",
        ),
        (
            "    mbox: {domain: school.example, keep: local}\n",
            "    mbox: {}\n    extension: https://school.example/learner\n",
            "  learner:",
            "(not mbox and extension)",
        ),
        # an IRI without a scheme
        (
            "verb: http://adlnet.gov/expapi/verbs/answered",
            "verb: answered",
            "verb: answered",
            "xapi.rules.0.verb: string should match pattern",
        ),
        # a unit kind that does not exist, a seconds source that does not
        (
            "unit_kinds: [lesson]",
            "unit_kinds: [video]",
            "unit_kinds: [video]",
            "xapi.rules.1.unit_kinds.0",
        ),
        (
            "seconds: duration",
            "seconds: minutes",
            "seconds: minutes",
            "xapi.rules.1.seconds",
        ),
    ],
    ids=[
        "unknown-unit",
        "unknown-point",
        "id-and-pattern",
        "neither-id-nor-pattern",
        "duplicate-id",
        "no-placeholder",
        "unknown-placeholder",
        "repeated-placeholder",
        "stray-brace",
        "fixed-and-captured",
        "unknown-event-type",
        "unmappable-event-type",
        "seconds-not-read",
        "kind-not-read",
        "no-learner-identifier",
        "two-learner-identifiers",
        "iri-without-scheme",
        "unknown-unit-kind",
        "unknown-seconds-source",
    ],
)
def test_mapping_mistakes_are_reported_with_their_line(old, new, needle, expected):
    assert old in PROGRAM
    text = PROGRAM.replace(old, new, 1)

    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")

    found = [str(i) for i in info.value.issues if expected in str(i)]
    assert found, [str(i) for i in info.value.issues]
    needle, nth = needle if isinstance(needle, tuple) else (needle, 1)
    assert found[0].startswith(f"school.yaml:{line_of(text, needle, nth)}:")


def test_an_unknown_event_type_suggests_the_nearest():
    text = PROGRAM.replace("event: question.answered", "event: question.answerd")

    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")

    assert "did you mean 'question.answered'?" in str(info.value)


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        (
            "xp_rules:\n  - {id: stmt, on: xapi.statement, xp: 1}\n",
            "on: xapi.statement",
        ),
        (
            "badges:\n  - id: b\n    title: B\n    on: event.voided\n    count: 1\n",
            "on: event.voided",
        ),
        (
            "team_tasks:\n  - id: t\n    team: cohort\n    window: week\n"
            "    on: xapi.statement\n    goal: 3\n",
            "on: xapi.statement",
        ),
        (
            "attributes:\n  xapi.statement:\n    rating: {type: number}\n",
            "xapi.statement:",
        ),
    ],
    ids=["xp-rule", "badge", "team-task", "attributes"],
)
def test_no_rule_may_name_a_statement_or_a_voiding(section, needle):
    text = SMALL_PROGRAM.replace("xp_rules:\n", section + "xp_rules:\n", 1)
    if section.startswith("xp_rules"):
        text = SMALL_PROGRAM.replace("xp_rules:\n", section, 1)

    with pytest.raises(ProgramError) as info:
        load_program(text, "school.yaml")

    found = [
        str(i) for i in info.value.issues if "never folded as themselves" in str(i)
    ]
    assert found, [str(i) for i in info.value.issues]
    assert found[0].startswith(f"school.yaml:{line_of(text, needle)}:")
