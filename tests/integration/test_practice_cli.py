"""``levelwise practice try``: a text conversation in the terminal."""

from __future__ import annotations

from importlib import resources

import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app

runner = CliRunner()
ENGLISH = resources.files("levelwise.examples") / "programs" / "english.yaml"
UNIT = "st_practice_meet_partner"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'practice.db'}"
    program = tmp_path / "english.yaml"
    program.write_text(ENGLISH.read_text(encoding="utf-8"))
    done = runner.invoke(app, ["program", "set", str(program), "--db", url])
    assert done.exit_code == 0, done.output
    return url


def test_a_conversation_is_scored_and_recorded(db):
    said = "Hello, my name is Li.\nI am from Wuhan in China.\nI like music.\n/finish\n"
    args = ["practice", "try", "--learner", "li", "--unit", UNIT, "--db", db]
    result = runner.invoke(app, args, input=said)
    assert result.exit_code == 0, result.output
    out = result.output
    # The partner's lines, in the scenario's order.
    lines = [
        "Hi! I'm Sam. What's your name?",
        "Nice to meet you! Where are you from?",
        "Cool! What do you like to do?",
        "That sounds fun. It was nice to meet you.",
    ]
    places = [out.index(line) for line in lines]
    assert places == sorted(places)
    assert "learner turns 3" in out and "target words used" in out
    assert "accepted" in out
    # The event's receipt: hello, name, from and like of the five target words
    # moved vocabulary (the program's lexis measurement).
    assert "Vocabulary: target words used 4" in out
    again = runner.invoke(app, ["learner", "show", "li", "--db", db])
    assert again.exit_code == 0, again.output


def test_quitting_records_nothing(db):
    args = ["practice", "try", "--learner", "li", "--unit", UNIT, "--db", db]
    result = runner.invoke(app, args, input="Hello, I am Li.\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "Left without recording the session." in result.output
    shown = runner.invoke(app, ["learner", "show", "li", "--db", db])
    assert shown.exit_code != 0  # no event: the school has never seen li


def test_a_unit_that_is_not_practice_is_an_error(db):
    args = ["practice", "try", "--learner", "li", "--unit", "a1_lesson_my_family"]
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 1
    assert "not a practice unit" in result.output
