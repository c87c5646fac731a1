"""``levelwise metrics`` and ``levelwise experiments`` over a SQLite file."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from levelwise import bootstrap
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import scenario

runner = CliRunner()

EXPERIMENT = """\
id: clubs
description: Friday clubs
control: A
variants:
  - {name: A, classes: [red]}
  - {name: B, learners: [bo], share: 0.5}
"""


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    engine = bootstrap.build(url)
    engine.put_program("default", SMALL_PROGRAM)
    engine.ingest("default", scenario())
    return url


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_metrics_show_as_json(db):
    result = invoke("metrics", "show", "--db", db, "--end", "2026-03-10", "--json")

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["overall"]["learners"] == 4
    assert body["overall"]["renewal"]["value"] == pytest.approx(2 / 3)


def test_metrics_show_as_tables_with_an_experiment(db, tmp_path):
    file = tmp_path / "clubs.yaml"
    file.write_text(EXPERIMENT)
    assert invoke("experiments", "set", file, "--db", db).exit_code == 0

    result = invoke("metrics", "show", "--db", db, "--class", "red")

    assert result.exit_code == 0, result.output
    assert "per cohort" in result.output
    assert "units_completed includes" in result.output
    assert "clubs" in result.output


def test_metrics_show_marks_partial_weeks(db):
    # From a Wednesday to a Tuesday: the first and the last week are partial.
    args = ["--start", "2026-01-07", "--end", "2026-03-10"]

    result = invoke("metrics", "show", "--db", db, *args)

    assert result.exit_code == 0, result.output
    keys = [
        line.split("│")[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("│")
    ]
    weeks = [k for k in keys if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", k)]
    assert weeks[0] == "2026-01-05 (partial)"
    assert weeks[-1] == "2026-03-09 (partial)"
    assert weeks[1:-1] and all(re.fullmatch(r"[\d-]+", k) for k in weeks[1:-1])
    assert "(partial): the dates cover only part of the week" in result.stdout


def test_metrics_show_has_no_partial_note_without_partial_weeks(db):
    # Monday 2026-01-05 to Sunday 2026-01-18: two whole weeks.
    args = ["--start", "2026-01-05", "--end", "2026-01-18"]

    result = invoke("metrics", "show", "--db", db, *args)

    assert result.exit_code == 0, result.output
    assert "2026-01-12" in result.stdout
    assert "(partial)" not in result.stdout


def test_metrics_export_to_stdout_and_file(db, tmp_path):
    shown = invoke("metrics", "export", "levels", "--db", db)
    target = tmp_path / "weeks.csv"
    written = invoke("metrics", "export", "weeks", "--db", db, "--out", target)

    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0] == "level,name,current,reached,stuck"
    assert written.exit_code == 0, written.output
    assert target.read_text().startswith("key,learners,")


def test_metrics_rebuild(db):
    result = invoke("metrics", "rebuild", "--db", db)

    assert result.exit_code == 0, result.output
    assert f"rebuilt from {len(scenario())} events of 4 learners" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("metrics", "show", "--start", "2026-02-01", "--end", "2026-01-01"),
        ("metrics", "show", "--end", "soon"),
        ("metrics", "export", "people"),
        ("metrics", "rebuild", "--tenant", "no-program"),
    ],
    ids=["end-before-start", "bad-date", "unknown-table", "no-program"],
)
def test_metrics_errors(db, args):
    result = invoke(*args, "--db", db)

    assert result.exit_code == 1
    assert "error:" in result.output


def test_experiments_set_list_delete(db, tmp_path):
    file = tmp_path / "many.yaml"
    file.write_text("- " + EXPERIMENT.replace("\n", "\n  ").rstrip() + "\n")

    stored = invoke("experiments", "set", file, "--db", db)
    listed = invoke("experiments", "list", "--db", db, "--json")
    table = invoke("experiments", "list", "--db", db)
    deleted = invoke("experiments", "delete", "clubs", "--db", db)
    again = invoke("experiments", "delete", "clubs", "--db", db)

    assert stored.exit_code == 0, stored.output
    assert [e["id"] for e in json.loads(listed.output)] == ["clubs"]
    assert "Friday clubs" in table.output
    assert deleted.exit_code == 0
    assert again.exit_code == 1


@pytest.mark.parametrize(
    "text",
    [
        "id: bad\ncontrol: C\nvariants: [{name: A, share: 1}, {name: B, share: 1}]\n",
        "- 1\n",
        ": not yaml: [\n",
    ],
    ids=["invalid", "not-a-mapping", "not-yaml"],
)
def test_experiments_set_refuses_bad_files(db, tmp_path, text):
    file = tmp_path / "bad.yaml"
    file.write_text(text)

    result = invoke("experiments", "set", file, "--db", db)

    assert result.exit_code == 1
    assert "error:" in result.output
    assert json.loads(invoke("experiments", "list", "--db", db, "--json").output) == []
