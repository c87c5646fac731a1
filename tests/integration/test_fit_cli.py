"""`levelwise fit`: from the log, from events files and from CSV tables."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.integration.test_fit import simulated_answers
from tests.support.factories import SMALL_PROGRAM

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def setup(tmp_path):
    db = f"sqlite:///{tmp_path / 'fit.db'}"
    program = tmp_path / "p.yaml"
    program.write_text(SMALL_PROGRAM)
    assert invoke("program", "set", program, "--db", db).exit_code == 0
    return db


def test_fit_from_the_school_log(tmp_path):
    db = setup(tmp_path)
    events = tmp_path / "e.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in simulated_answers(60, 8)))
    invoke("ingest", events, "--db", db)
    result = invoke("fit", "--db", db)
    assert result.exit_code == 0, result.output
    assert (
        "fitted logistic on 960 answers of 60 learners (2 knowledge points"
        in result.output
    )
    assert "intercept" in result.output
    assert "stored as program version 2; replayed 60 learners" in result.output
    shown = invoke("learner", "show", "l0", "--db", db)
    assert "mastery (answers): " in shown.output and "(8)" in shown.output
    result = invoke("fit", "--db", db, "--model", "bkt")
    assert result.exit_code == 0, result.output
    assert (
        "fitted BKT on 960 answers of 60 learners (2 knowledge points" in result.output
    )
    assert "stored as program version 3; replayed 60 learners" in result.output


def test_fit_from_an_events_file_and_a_csv(tmp_path):
    db = setup(tmp_path)
    events = tmp_path / "history.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in simulated_answers(40, 6)))
    result = invoke("fit", "--data", events, "--db", db, "--forgetting")
    assert result.exit_code == 1 and "forgetting is a BKT option" in result.output
    args = ("fit", "--data", events, "--db", db, "--model", "bkt", "--forgetting")
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "fitted BKT" in result.output
    assert "480 answers of 40 learners" in result.output
    table = tmp_path / "answers.csv"
    rows = ["learner,knowledge_point,correct"]
    rows += [f"x{i % 7},numbers,{int(i % 3 != 0)}" for i in range(70)]
    rows += ["x1,geometry,1"]
    table.write_text("\n".join(rows) + "\n")
    result = invoke("fit", "--data", table, "--db", db)
    assert result.exit_code == 0, result.output
    assert "fitted logistic on 70 answers of 7 learners" in result.output
    assert "(1 knowledge points; 1 answers" in result.output
    assert "program version 3" in result.output


def test_bad_files_name_the_line_and_change_nothing(tmp_path):
    db = setup(tmp_path)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("learner,knowledge_point,correct\na,numbers,1\nb,numbers,yes\n")
    result = invoke("fit", "--data", bad_csv, "--db", db)
    assert result.exit_code == 1 and f"{bad_csv}:3: correct must be" in result.output
    no_cols = tmp_path / "cols.csv"
    no_cols.write_text("who,kp,ok\n")
    assert (
        "missing column(s) learner"
        in invoke("fit", "--data", no_cols, "--db", db).output
    )
    empty = tmp_path / "blank.csv"
    empty.write_text("learner,knowledge_point,correct\n,numbers,1\n")
    assert (
        ":2: learner and knowledge_point"
        in invoke("fit", "--data", empty, "--db", db).output
    )
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"id": 1\n')
    result = invoke("fit", "--data", bad_json, "--db", db)
    assert f"{bad_json}:1: invalid JSON" in result.output
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"id": "a", "type": "question.answered"}) + "\n")
    assert f"{wrong}:1: " in invoke("fit", "--data", wrong, "--db", db).output
    bad_model = invoke("fit", "--db", db, "--model", "irt")
    assert bad_model.exit_code == 2
    missing = invoke("fit", "--data", tmp_path / "nope.csv", "--db", db)
    assert missing.exit_code == 1 and "cannot read the file" in missing.output
    none = invoke("fit", "--db", db)  # the log has no answers
    assert none.exit_code == 1 and "no answers" in none.output
    assert "Tiny English" in invoke("program", "check", tmp_path / "p.yaml").output
