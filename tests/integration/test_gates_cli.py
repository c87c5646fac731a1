"""`learner show` lists each part of an `and` gate with its own values."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, completed, homework

runner = CliRunner()

AND_GATES = {
    "      - xp >= 100\n      - units_completed includes [u1]\n": (
        "      - xp >= 100 and units_completed includes [u1]\n"
    ),
    "      - xp >= 300\n      - dimension.vocabulary >= 0.5\n": (
        "      - xp >= 300 and units_completed includes [u2]\n"
    ),
}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


@pytest.fixture
def db(tmp_path):
    source = SMALL_PROGRAM
    for both, joined in AND_GATES.items():
        assert both in source
        source = source.replace(both, joined)
    program = tmp_path / "school.yaml"
    program.write_text(source)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert invoke("program", "set", program, "--db", url).exit_code == 0
    events = tmp_path / "events.jsonl"
    raws = [homework(10, minutes=m) for m in (1, 2, 3)] + [completed("u1", minutes=4)]
    events.write_text("\n".join(json.dumps(e) for e in raws) + "\n")
    assert invoke("ingest", events, "--db", url).exit_code == 0
    return url


def test_learner_show_lists_the_parts_of_and_gates(db):
    shown = invoke("learner", "show", "ana", "--db", db)

    assert shown.exit_code == 0, shown.output
    rows = [" ".join(line.strip("│ ").split()) for line in shown.output.splitlines()]
    # the gate shows its furthest part (u2: 0 of 1); then each part on its own row
    assert "xp >= 300 and units_completed includes [u2] │ 0 │ 1 │ 0%" in rows
    assert "· xp >= 300 │ 170 │ 300 │ 57%" in rows
    assert "· units_completed includes [u2] │ 0 │ 1 │ 0%" in rows
    # the receipt that opened a1 keeps the value of each part
    reached = [r for r in rows if "reached Breakthrough (a1)" in r]
    assert reached[0].endswith(
        ": xp >= 100 (170); units_completed includes [u1] (1)"
    ), reached


def test_learner_show_json_writes_parts_only_for_and_gates(db):
    shown = invoke("learner", "show", "ana", "--db", db, "--json")

    (gate,) = json.loads(shown.output)["gates"]
    assert [(p["gate"], p["current"], p["target"]) for p in gate["parts"]] == [
        ("xp >= 300", 170.0, 300.0),
        ("units_completed includes [u2]", 0.0, 1.0),
    ]
    assert all(set(p) == {"gate", "current", "target", "progress", "met"}
               for p in gate["parts"])  # fmt: skip
