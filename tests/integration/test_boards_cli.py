"""``levelwise boards`` and ``levelwise leagues`` over a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from levelwise import bootstrap
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, event, watched

runner = CliRunner()
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'boards.db'}"
    engine = bootstrap.build(url)
    engine.put_program("default", SMALL_PROGRAM)
    engine.ingest(
        "default",
        [
            event("profile.updated", learner="bo", team="red", at=T),
            watched(600, learner="ana", at=T),
            watched(1200, learner="bo", at=T + timedelta(minutes=1)),
        ],
    )
    return url


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_boards_top_as_json(db):
    result = invoke("boards", "top", "--db", db, "--json")

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [(s["member"], s["xp"]) for s in body["standings"]] == [
        ("bo", 20),
        ("ana", 10),
    ]


def test_boards_top_of_a_team_as_a_table(db):
    result = invoke("boards", "top", "--db", db, "--scope", "team:red")

    assert result.exit_code == 0, result.output
    assert "bo" in result.output
    assert "ana" not in result.output


def test_boards_rank(db):
    result = invoke(
        "boards", "rank", "ana", "--db", db, "--window", "week", "--at", "2026-11-26"
    )

    assert result.exit_code == 0, result.output
    assert "ana: #2 of 2, 10 XP" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "year"], "window 'year' is not all, week or month"),
        (["--at", "soon"], "'soon' is not a date"),
        (["--scope", "class:1"], "scope 'class:1' is not all"),
    ],
    ids=["window", "date", "scope"],
)
def test_bad_options_fail_clearly(db, args, message):
    result = invoke("boards", "top", "--db", db, *args)

    assert result.exit_code == 1
    assert message in result.output


def test_leagues_close_is_idempotent(db):
    first = invoke("leagues", "close", "--week", "2026-W48", "--db", db)
    again = invoke("leagues", "close", "--week", "2026-W48", "--db", db, "--json")
    shown = invoke("leagues", "show", "--week", "2026-W48", "--db", db)

    assert first.exit_code == 0, first.output
    assert "week 2026-W48 closed: 2 learners" in first.output
    assert json.loads(again.output)["closed_now"] is False
    assert "closed" in shown.output and "bronze #1" in shown.output


def test_leagues_close_refuses_a_bad_week(db):
    result = invoke("leagues", "close", "--week", "48", "--db", db)

    assert result.exit_code == 1
    assert "not an ISO week" in result.output
