"""Refitting mastery: the program's mastery section is replaced, nothing else."""

from __future__ import annotations

from levelwise.app.modelling.fitting import Fit, mastery_section, with_mastery
from levelwise.app.programs.loader import load_program
from levelwise.domain.program import BktParams
from tests.support.factories import SMALL_PROGRAM

FIT = Fit(
    params={
        "numbers": BktParams(0.25, 0.12, 0.2, 0.08, 0.0),
        "greetings": BktParams(0.4, 0.2, 0.15, 0.1, 0.01),
    },
    answers=120,
    learners=10,
    skipped=3,
)


def test_the_section_is_appended_and_loads():
    source = "# Tiny English, annotated\n" + SMALL_PROGRAM
    text = with_mastery(source, mastery_section(FIT, note='fit "A"', prior=0.3))
    assert text.startswith("# Tiny English, annotated\n")
    program = load_program(text)
    assert program.mastery.model == "bkt" and program.mastery.fitted == 'fit "A"'
    assert dict(program.mastery.bkt)["greetings"] == FIT.params["greetings"]
    assert program.mastery.prior == 0.3


def test_an_existing_section_is_replaced_and_what_follows_is_kept():
    source = SMALL_PROGRAM.replace(
        "xp_rules:", "mastery:\n  prior: 0.1\n  memory: 5\n# rules below\nxp_rules:"
    )
    text = with_mastery(source, mastery_section(FIT, note="n"))
    assert text.count("mastery:") == 1 and "memory: 5" not in text
    assert "# rules below\nxp_rules:" in text
    assert load_program(text).rules_by_type["lesson.watched"][0].id == "watching"
    again = with_mastery(text, mastery_section(FIT, note="n"))
    assert again == text  # refitting the same parameters changes nothing


def test_a_file_without_a_final_newline_still_gets_a_section():
    text = with_mastery(SMALL_PROGRAM.rstrip("\n"), mastery_section(FIT, note="n"))
    assert load_program(text).mastery.model == "bkt"
