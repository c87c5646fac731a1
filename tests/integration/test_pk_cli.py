"""``levelwise pk``: start, board and finish against a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM


def test_pk_commands_round_trip(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'pk.db'}"
    source = tmp_path / "program.yaml"
    source.write_text(SMALL_PROGRAM, encoding="utf-8")
    runner = CliRunner()
    assert (
        runner.invoke(app, ["program", "set", str(source), "--db", db]).exit_code == 0
    )
    teams = ["--team", "red=ana,bob", "--team", "blue=cy"]
    started = runner.invoke(app, ["pk", "start", "p1", *teams, "--db", db, "--json"])
    assert started.exit_code == 0, started.output
    assert {t["team"] for t in json.loads(started.output)["teams"]} == {"red", "blue"}
    board = runner.invoke(app, ["pk", "board", "p1", "--db", db])
    assert board.exit_code == 0 and "red" in board.output and "blue" in board.output
    missing = runner.invoke(app, ["pk", "board", "nope", "--db", db])
    assert missing.exit_code == 1 and "nope" in missing.output
