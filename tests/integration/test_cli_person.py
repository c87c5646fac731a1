"""The command line as a person meets it (issue 13, defect 19).

Long commands show progress and end with a summary; every mistake a person
makes on the command line (a missing file, a plain path for ``--db``, a missing
folder, a misspelt database) is a one-line error, never a traceback nor a new
empty database; without ``--tenant`` a database's only school is used; the
example programs ship inside the package; piped tables are never cut; and
``simulate`` speaks to its reader, not of internal goals.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from rich.console import Console
from typer.testing import CliRunner

from levelwise import bootstrap
from levelwise.cli import options
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, answered, homework, watched

runner = CliRunner()

LEVELWISE = "from levelwise.cli import main; main()"
"""The console script, run by this interpreter in a fresh process."""


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def run(*args, cwd):
    """``levelwise ARGS`` in a new process, its stdout and stderr piped."""
    return subprocess.run(
        [sys.executable, "-c", LEVELWISE, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_error(result) -> str:
    """The one line a failed command printed on stderr (it exited cleanly)."""
    assert isinstance(result.exception, SystemExit), result.exception  # no crash
    assert result.exit_code != 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def program_file(tmp_path):
    path = tmp_path / "school.yaml"
    path.write_text(SMALL_PROGRAM)
    return path


def school(tmp_path, tenant="default", name="school.db"):
    """A SQLite file holding ``tenant`` with ana's three events; its URL."""
    url = f"sqlite:///{tmp_path / name}"
    engine = bootstrap.build(url)
    engine.put_program(tenant, SMALL_PROGRAM)
    now = datetime.now(UTC)
    events = [
        watched(600, at=now - timedelta(days=9)),
        homework(8, at=now - timedelta(days=5)),
        answered(True, kp="greetings", at=now - timedelta(days=2)),
    ]
    report = engine.ingest(tenant, events)
    assert {r.status for r in report.results} == {"accepted"}
    return url


# -- 1. progress and a summary -------------------------------------------------


SUMMARY = r"in \d+\.\d s \([\d,]+ events/s\)"


def test_replay_ends_with_a_summary_of_events_learners_time_and_rate(tmp_path):
    db = school(tmp_path)

    result = invoke("replay", "--db", db)

    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert "\n" not in line
    assert line.startswith("school 'default': replayed 1 learners (3 events)")
    assert re.search(SUMMARY, line), line


def test_metrics_rebuild_ends_with_a_summary_of_events_learners_time_and_rate(
    tmp_path,
):
    db = school(tmp_path)

    result = invoke("metrics", "rebuild", "--db", db)

    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert "\n" not in line
    assert "metrics rebuilt from 3 events of 1 learners" in line
    assert re.search(SUMMARY, line), line


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["replay"], "replaying school 'default'"),
        (["metrics", "rebuild"], "rebuilding the metrics of 'default'"),
    ],
    ids=["replay", "metrics-rebuild"],
)
def test_long_commands_show_a_bar_that_fills_to_its_total(
    tmp_path, monkeypatch, command, shown
):
    db = school(tmp_path)
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=120)
    monkeypatch.setattr(options, "err", lambda: console)

    result = invoke(*command, "--db", db)

    assert result.exit_code == 0, result.output
    assert "━" in terminal.getvalue()  # the bar itself
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    frames = [f for f in re.split(r"[\r\n]", plain) if shown in f]
    assert frames, plain
    # The last frame drawn before the bar is cleared: full, at 100 %.
    assert "100%" in frames[-1], frames


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    db = school(tmp_path)

    result = invoke("replay", "--db", db)

    assert result.exit_code == 0 and result.stderr == ""


# -- 2. one-line errors --------------------------------------------------------


def test_a_missing_events_file_is_one_line_and_makes_no_database(tmp_path):
    missing = tmp_path / "events.jsonl"
    db = tmp_path / "new.db"

    result = invoke("ingest", missing, "--db", db)

    assert one_error(result) == f"error: {missing}: no such file"
    assert result.exit_code == 2 and not db.exists()


def test_a_missing_program_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    checked = invoke("program", "check", missing)
    stored = invoke("program", "set", missing, "--db", tmp_path / "new.db")

    expected = f"error: {missing}: cannot read the file: No such file or directory"
    assert one_error(checked) == expected
    assert one_error(stored) == expected
    assert not (tmp_path / "new.db").exists()


def test_a_missing_program_file_of_the_demo_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    result = invoke("demo", "--program", missing, "--db", tmp_path / "d.db")

    assert one_error(result) == f"error: {missing}: no such file"


def test_a_plain_path_for_db_is_a_sqlite_file(tmp_path, program_file, monkeypatch):
    monkeypatch.chdir(tmp_path)

    stored = invoke("program", "set", program_file, "--db", "plain.db")
    keys = invoke("keys", "create", "--db", "plain.db")

    assert stored.exit_code == 0, stored.output
    assert keys.exit_code == 0 and keys.stdout.startswith("lw_")
    engine = bootstrap.build(f"sqlite:///{tmp_path / 'plain.db'}")
    assert engine.program("default").title == "Tiny English"


def test_a_missing_folder_is_one_line_and_is_not_made(tmp_path, program_file):
    folder = tmp_path / "nowhere"

    for command in (["program", "set", program_file], ["learner", "show", "ana"]):
        result = invoke(*command, "--db", folder / "school.db")
        message = f"error: no folder {folder} for the database {folder}/school.db"
        assert one_error(result) == message
    assert not folder.exists()


READS = [
    ["learner", "show", "ana"],
    ["learner", "plan", "ana"],
    ["learner", "next", "ana"],
    ["learner", "forecast", "ana"],
    ["replay"],
    ["fit"],
    ["metrics", "show"],
    ["metrics", "export", "cohorts"],
    ["metrics", "rebuild"],
    ["experiments", "list"],
    ["boards", "top"],
    ["leagues", "show", "--week", "2026-W48"],
    ["credentials", "list", "ana"],
    ["pk", "board", "p1"],
    ["webhooks", "list"],
    ["webhooks", "deliver", "--once"],
    ["placement", "try", "--learner", "ana"],
]


@pytest.mark.parametrize("command", READS, ids=[" ".join(c[:2]) for c in READS])
def test_a_read_of_a_misspelt_database_file_creates_nothing(tmp_path, command):
    school(tmp_path, name="school.db")
    misspelt = tmp_path / "shcool.db"

    url = invoke(*command, "--db", f"sqlite:///{misspelt}")
    plain = invoke(*command, "--db", misspelt)

    assert one_error(url) == f"error: no database at {misspelt}"
    assert one_error(plain) == f"error: no database at {misspelt}"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("shcool")]


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(watched()) + "\n")

    result = invoke("learner", "show", "ana", "--db", events)

    assert one_error(result) == (
        f"error: cannot open the database {events}: file is not a database"
    )


# -- 3. the school without --tenant --------------------------------------------


def test_without_tenant_the_only_school_of_the_database_is_used(tmp_path):
    db = school(tmp_path, tenant="acme")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps(watched(600, learner="bo")) + "\n")

    shown = invoke("learner", "show", "ana", "--db", db)
    ingested = invoke("ingest", more, "--db", db)
    top = invoke("boards", "top", "--db", db, "--json")

    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("ana: Starter")
    assert ingested.exit_code == 0, ingested.output
    members = {s["member"] for s in json.loads(top.stdout)["standings"]}
    assert members == {"ana", "bo"}


def test_without_tenant_a_database_of_several_schools_names_them(tmp_path):
    db = school(tmp_path, tenant="acme")
    bootstrap.build(db).put_program("zeta", SMALL_PROGRAM)

    result = invoke("learner", "show", "ana", "--db", db)
    chosen = invoke("learner", "show", "ana", "--db", db, "--tenant", "acme")

    assert one_error(result) == (
        "error: the database holds 2 schools ('acme', 'zeta'): choose one with --tenant"
    )
    assert result.exit_code == 2
    assert chosen.exit_code == 0, chosen.output


def test_a_new_database_gets_the_default_school(tmp_path, program_file):
    db = f"sqlite:///{tmp_path / 'new.db'}"

    result = invoke("program", "set", program_file, "--db", db)

    assert result.exit_code == 0, result.output
    assert bootstrap.build(db).program("default").title == "Tiny English"


@pytest.mark.parametrize(
    "command",
    [
        ["learner", "show", "zoe"],
        ["learner", "plan", "zoe"],
        ["replay", "--tenant", "acne"],
        ["metrics", "show", "--tenant", "acne"],
    ],
    ids=["learner-show", "learner-plan", "replay", "metrics-show"],
)
def test_errors_about_a_school_name_it(tmp_path, command):
    db = school(tmp_path, tenant="acme")

    result = invoke(*command, "--db", db)

    named = "acne" if "--tenant" in command else "acme"
    assert one_error(result).startswith(f"error: school '{named}': ")


# -- 4. the example programs ship inside the package ---------------------------


def test_simulate_runs_the_packaged_example_from_any_folder(tmp_path):
    args = ["--learners", "3", "--weeks", "8", "--levels", "1", "--workers", "1"]

    done = run("simulate", *args, "--no-forecast", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "Brightway English" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_simulate_takes_an_example_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--learners", "3", "--weeks", "8", "--levels", "1", "--workers", "1"]

    maths = invoke("simulate", "--program", "maths", *args, "--no-forecast")
    unknown = invoke("simulate", "--program", "latin", *args)

    assert maths.exit_code == 0, maths.output
    assert "Number Ninjas Maths" in maths.stdout
    assert one_error(unknown) == (
        "error: latin: no such file, nor an example program (english, maths)"
    )


def test_the_demo_runs_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)

    result = invoke(
        "demo", "--learners", "12", "--weeks", "2", "--db", "demo.db", "--no-open"
    )

    assert result.exit_code == 0, result.output
    assert "program: Brightway English" in result.stdout
    assert (tmp_path / "demo.db").exists()  # a plain path is a SQLite file here too


# -- 5. piped output is never cut ----------------------------------------------


LONG = "learner-" + "x" * 150 + "-end"


def test_piped_tables_show_every_cell_in_full(tmp_path):
    url = f"sqlite:///{tmp_path / 'wide.db'}"
    engine = bootstrap.build(url)
    engine.put_program("default", SMALL_PROGRAM)
    engine.ingest("default", [watched(600, learner=LONG)])

    top = run("boards", "top", "--db", url, cwd=tmp_path)
    shown = run("learner", "show", LONG, "--db", url, cwd=tmp_path)

    assert top.returncode == 0, top.stderr
    assert any(LONG in line and "10" in line for line in top.stdout.splitlines())
    assert "…" not in top.stdout
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{LONG}: Starter")
    assert "xp >= 100" in shown.stdout  # the gates table, uncut


def test_the_table_commands_print_json(tmp_path):
    db = school(tmp_path)
    commands = {
        "learner show": ["learner", "show", "ana"],
        "learner next": ["learner", "next", "ana"],
        "learner forecast": ["learner", "forecast", "ana"],
        "boards top": ["boards", "top"],
        "leagues show": ["leagues", "show", "--week", "2026-W48"],
        "metrics show": ["metrics", "show"],
    }
    for name, command in commands.items():
        result = invoke(*command, "--db", db, "--json")
        assert result.exit_code == 0, (name, result.output)
        assert isinstance(json.loads(result.stdout), dict), name
    nxt = json.loads(invoke("learner", "next", "ana", "--db", db, "--json").stdout)
    assert nxt["learner"] == "ana" and nxt["status"] == "study"
    week = invoke("leagues", "show", "--week", "2026-W48", "--db", db, "--json")
    assert set(json.loads(week.stdout)) == {"week", "closed", "groups"}


def test_learner_show_prints_every_kind_of_receipt(tmp_path):
    db = school(tmp_path)  # ana studied with gaps: her streak broke twice

    result = invoke("learner", "show", "ana", "--db", db)

    assert result.exit_code == 0, result.output
    assert "streak of 1 day(s) broken: no study on" in result.stdout


def test_learner_show_names_rules_and_levels_in_the_language(tmp_path):
    from tests.support.factories import BILINGUAL_PROGRAM, completed

    url = f"sqlite:///{tmp_path / 'zh.db'}"
    engine = bootstrap.build(url)
    engine.put_program("default", BILINGUAL_PROGRAM)
    now = datetime.now(UTC)
    events = [
        completed("u1", at=now - timedelta(days=2)),
        homework(10, at=now - timedelta(days=2, minutes=-1)),
        homework(10, at=now - timedelta(days=2, minutes=-2)),
    ]
    assert {r.status for r in engine.ingest("default", events).results} == {"accepted"}

    chinese = invoke("learner", "show", "ana", "--lang", "zh-CN", "--db", url)
    plain = invoke("learner", "show", "ana", "--db", url)

    assert chinese.exit_code == 0, chinese.output
    # The rule's title in Chinese, then the exact formula, for staff.
    assert "XP: 完成作业 (50 * score / max_score = 50 with" in chinese.stdout
    assert "reached 突破级 (a1)" in chinese.stdout
    assert "ana: 突破级 (a1)" in chinese.stdout
    assert "earned the badge 完成者 (铜牌)" in chinese.stdout
    assert "XP: homework (50 * score / max_score" in plain.stdout
    assert "ana: Breakthrough (a1)" in plain.stdout


# -- 6. simulate speaks to its reader -------------------------------------------


def test_simulate_prints_a_summary_and_no_internal_goal(tmp_path, program_file):
    args = ["--learners", "3", "--weeks", "8", "--weekly-minutes", "90"]

    result = invoke(
        "simulate", "--program", program_file, *args, "--seed", "2", "--workers", "1"
    )

    assert result.exit_code == 0, result.output
    assert "goal" not in result.output.lower()
    assert "37.5" not in result.output
    assert "With the planner, learners levelled up" in result.stdout
    assert "than with the fixed syllabus" in result.stdout or "as fast as" in (
        result.stdout
    )
    assert "Forecasts for the planner's learners" in result.stdout
