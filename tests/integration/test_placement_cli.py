"""``levelwise placement try``: the placement test in a terminal."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM
from tests.support.placements import with_placement

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "school.yaml"
    path.write_text(with_placement())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["program", "set", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    return url


def test_a_learner_who_knows_everything_is_placed_high(db):
    args = ["placement", "try", "--learner", "ana", "--db", db]
    result = runner.invoke(app, args, input="y\n" * 40)
    assert result.exit_code == 0, result.output
    assert (
        "right? [y/n]" in result.output and "knowledge point greetings" in result.output
    )
    assert "vocabulary: θ +" in result.output and "speaking: θ +" in result.output
    assert "starting level: a2" in result.output
    assert "event placement-" in result.output
    shown = runner.invoke(app, ["learner", "show", "ana", "--db", db])
    assert "ana: Waystage (a2)" in shown.output
    assert "placement: Waystage after " in shown.output
    number = r"-?\d+\.\d\d"
    interval = rf"vocabulary θ {number} ± {number} \[{number}, {number}\]"
    assert re.search(interval, shown.output), shown.output


def test_a_learner_who_knows_nothing_starts_nowhere(db):
    args = ["placement", "try", "--learner", "bo", "--db", db]
    result = runner.invoke(app, args, input="n\n" * 40)
    assert result.exit_code == 0, result.output
    assert "vocabulary: θ -" in result.output
    assert "starting level: (none)" in result.output


def test_a_program_without_placement_fails(tmp_path, monkeypatch):
    path = tmp_path / "school.yaml"
    path.write_text(SMALL_PROGRAM)
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    runner.invoke(app, ["program", "set", str(path), "--db", url])
    result = runner.invoke(app, ["placement", "try", "--learner", "ana", "--db", url])
    assert result.exit_code == 1
    assert "no placement test" in result.output
