"""The program file's ``planning`` section and the units' ``questions``."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import load_program
from levelwise.domain.program import Planning
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM


def test_planning_defaults_when_absent() -> None:
    program = load_program(SMALL_PROGRAM, "p.yaml")
    assert program.planning == Planning()


def test_planning_section_is_read() -> None:
    text = SMALL_PROGRAM + (
        "planning:\n  ready_mastery: 0.7\n  weekly_minutes: 240\n  horizon_weeks: 12\n"
    )
    planning = load_program(text, "p.yaml").planning
    assert (planning.ready_mastery, planning.weekly_minutes) == (0.7, 240)
    assert planning.horizon_weeks == 12


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ("planning:\n  ready_mastery: 1.5\n", "ready_mastery"),
        ("planning:\n  weekly_minutes: 0\n", "weekly_minutes"),
        ("planning:\n  horizon: 3\n", "horizon"),
    ],
)
def test_bad_planning_is_reported_with_its_line(section: str, needle: str) -> None:
    text = SMALL_PROGRAM + section
    with pytest.raises(ProgramError) as info:
        load_program(text, "p.yaml")
    line = len(SMALL_PROGRAM.splitlines()) + 2
    issue = str(info.value.issues[0])
    assert issue.startswith(f"p.yaml:{line}:"), issue
    assert needle in issue


def test_unit_questions() -> None:
    text = SMALL_PROGRAM.replace(
        "kind: homework, minutes: 20,", "kind: exercise, minutes: 20, questions: 7,"
    )
    units = load_program(text, "p.yaml").unit_by_id
    assert units["u2"].questions == 7 and units["u2"].answers == 7
    assert units["u1"].questions is None and units["u1"].answers == 0
    bad = text.replace("questions: 7", "questions: -1")
    with pytest.raises(ProgramError, match="questions"):
        load_program(bad, "p.yaml")
