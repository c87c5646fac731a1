"""The command line, end to end on SQLite files."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, completed, homework, watched

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def program_file(tmp_path):
    path = tmp_path / "school.yaml"
    path.write_text(SMALL_PROGRAM)
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_program_check_prints_a_summary(program_file):
    result = invoke("program", "check", program_file)
    assert result.exit_code == 0, result.output
    assert "Tiny English" in result.output and "3 units" in result.output
    assert "units_completed includes [u1]" in result.output  # not eaten as markup
    assert result.output.rstrip().endswith("valid")


def test_program_check_lists_problems_with_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        SMALL_PROGRAM.replace("on: homework.submitted", "on: homework.done")
    )
    result = invoke("program", "check", path)
    assert result.exit_code == 1
    line = SMALL_PROGRAM.splitlines().index("    on: homework.submitted") + 1
    assert f"{path}:{line}: unknown event type 'homework.done'" in result.output
    assert "1 problem(s)" in result.output


IMPOSSIBLE_DATE = SMALL_PROGRAM + (
    "badges:\n  - id: winter\n    on: lesson.watched\n    end: 2025-02-30\n"
)
DATE_LINE = len(SMALL_PROGRAM.splitlines()) + 4
DATE_ERROR = (
    "badges.0.end: input should be a valid date or datetime, day value is outside "
    "expected range (write dates as YYYY-MM-DD)"
)
UNMEASURED = SMALL_PROGRAM.replace(
    "    prerequisites: [greetings]\n",
    "    prerequisites: [greetings]\n  - id: colours\n    dimensions: [vocabulary]\n",
)
COLOURS_LINE = UNMEASURED.splitlines().index("  - id: colours") + 1
COLOURS_WARNING = (
    "warning: no scored unit measures knowledge point 'colours', so plans cannot "
    "raise its mastery"
)


def test_program_check_reports_an_impossible_date_at_its_line(tmp_path):
    path = tmp_path / "winter.yaml"
    path.write_text(IMPOSSIBLE_DATE)
    result = invoke("program", "check", path)
    assert isinstance(result.exception, SystemExit), result.exception  # no crash
    assert result.exit_code == 1
    assert f"{path}:{DATE_LINE}: {DATE_ERROR}" in result.output
    assert "1 problem(s)" in result.output


def test_program_set_reports_an_impossible_date_at_its_line(db, tmp_path):
    path = tmp_path / "winter.yaml"
    path.write_text(IMPOSSIBLE_DATE)
    result = invoke("program", "set", path, "--db", db)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert f"{path}:{DATE_LINE}: {DATE_ERROR}" in result.output


def test_program_commands_report_files_they_cannot_read(db, tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(
        SMALL_PROGRAM.replace("Tiny English", "Caf\xe9").encode("latin-1")
    )
    missing = tmp_path / "missing.yaml"
    for command, path, expected in [
        ("check", latin, f"{latin}:3: the file is not UTF-8 text"),
        ("set", latin, f"{latin}:3: the file is not UTF-8 text"),
        ("set", missing, f"{missing}: cannot read the file"),
    ]:
        args = ("--db", db) if command == "set" else ()
        result = invoke("program", command, path, *args)
        assert isinstance(result.exception, SystemExit), (command, result.exception)
        assert result.exit_code == 1 and expected in result.output, result.output


def test_program_check_and_set_print_warnings_and_succeed(db, tmp_path):
    path = tmp_path / "colours.yaml"
    path.write_text(UNMEASURED)
    checked = invoke("program", "check", path)
    assert checked.exit_code == 0, checked.output
    assert f"{path}:{COLOURS_LINE}: {COLOURS_WARNING}" in checked.output
    assert "1 warning(s)" in checked.output
    assert checked.output.rstrip().endswith("valid")
    stored = invoke("program", "set", path, "--db", db)
    assert stored.exit_code == 0, stored.output
    assert f"{path}:{COLOURS_LINE}: {COLOURS_WARNING}" in stored.output
    assert "stored as version 1" in stored.output


def test_ingest_reports_counts_and_reasons_by_line(db, program_file, tmp_path):
    assert invoke("program", "set", program_file, "--db", db).exit_code == 0
    good = [watched(600, minutes=1), homework(8, minutes=2), completed("u1", minutes=3)]
    lines = [json.dumps(e) for e in good]
    lines += ["{not json", json.dumps(dict(good[0], seconds=1200)), json.dumps(good[0])]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n\n")
    result = invoke("ingest", events, "--db", db)
    assert result.exit_code == 3  # stored in part: some lines were refused
    assert "accepted 3, duplicates 1, conflicts 1, rejected 1" in result.output
    assert f"{events}:4: invalid JSON" in result.output
    assert f"{events}:5: " in result.output and "different body" in result.output
    again = invoke("ingest", events, "--db", db)
    assert again.exit_code == 3  # the stored lines are duplicates now: still part
    assert "accepted 0, duplicates 4, conflicts 1, rejected 1" in again.output

    shown = invoke("learner", "show", "ana", "--db", db)
    assert shown.exit_code == 0
    assert "ana: Starter (starter), 70 XP → next: Breakthrough" in shown.output
    assert "+40 XP: homework" in shown.output and "completed u1" in shown.output
    as_json = json.loads(invoke("learner", "show", "ana", "--db", db, "--json").output)
    assert as_json["xp"] == 70 and as_json["gates"][0]["gate"] == "xp >= 100"

    missing = invoke("learner", "show", "zoe", "--db", db)
    assert missing.exit_code == 1 and "no events" in missing.output

    replayed = invoke("replay", "--db", db)
    assert "replayed 1 learners (3 events)" in replayed.output


def test_ingest_refuses_a_line_that_names_a_key_twice(db, program_file, tmp_path):
    assert invoke("program", "set", program_file, "--db", db).exit_code == 0
    good = json.dumps(watched(60, minutes=1))
    twice = json.dumps(watched(60, minutes=2)).replace(
        '"seconds": 60', '"seconds": 60, "seconds": 6000'
    )
    events = tmp_path / "events.jsonl"
    events.write_text(f"{good}\n{twice}\n")

    result = invoke("ingest", events, "--db", db)

    assert result.exit_code == 3, result.output
    assert "accepted 1, duplicates 0, conflicts 0, rejected 1" in result.output
    assert (
        f"{events}:2: seconds: the key appears more than once in the event"
        in " ".join(result.output.split())
    )


def test_ingest_exits_0_stored_1_nothing_stored_3_in_part(db, program_file, tmp_path):
    assert invoke("program", "set", program_file, "--db", db).exit_code == 0
    good, bad = json.dumps(watched(60, minutes=1)), json.dumps(watched(unit="u9"))
    files = {"all": [good], "none": [bad, "{not json"], "part": [bad, good]}
    codes = {}
    for name, lines in files.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(lines))
        codes[name] = invoke("ingest", path, "--db", db).exit_code
    # "part" holds "all"'s event again: a duplicate is in the log, so in part.
    assert codes == {"all": 0, "none": 1, "part": 3}
    help_text = " ".join(invoke("ingest", "--help").output.split())
    assert "Exit 0 when every event is in the log" in help_text
    assert "1 when nothing of the file was stored" in help_text
    assert "3 when it was stored in part" in help_text


def test_program_set_says_when_the_file_is_already_the_current_version(
    db, program_file
):
    assert invoke("program", "set", program_file, "--db", db).exit_code == 0
    again = invoke("program", "set", program_file, "--db", db)
    assert again.exit_code == 0, again.output
    assert "unchanged: version 1 is already this file" in again.output
    assert "stored as version" not in again.output


def test_program_set_reports_replay_and_rejects_bad_files(db, program_file, tmp_path):
    invoke("program", "set", program_file, "--db", db)
    ingest_file = tmp_path / "e.jsonl"
    ingest_file.write_text(
        "\n".join(json.dumps(e) for e in [homework(10), completed("u1", minutes=1)])
    )
    invoke("ingest", ingest_file, "--db", db)
    easier = tmp_path / "easier.yaml"
    easier.write_text(SMALL_PROGRAM.replace("xp >= 100", "xp >= 60"))
    result = invoke("program", "set", easier, "--db", db)
    assert "stored as version 2; replayed 1 learners (2 events), 1 changed level" in (
        result.output
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("program: [")
    assert invoke("program", "set", bad, "--db", db).exit_code == 1
    reached = invoke("learner", "show", "ana", "--db", db)
    assert "Breakthrough (a1)" in reached.output


def test_commands_without_a_program_fail_clearly(db, tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps(watched(60)))
    result = invoke("ingest", events, "--db", db)
    assert result.exit_code == 1 and "no program is set" in result.output
    assert invoke("replay", "--db", db).exit_code == 1


def test_keys_are_created_for_a_school(db):
    result = invoke("keys", "create", "--tenant", "school-a", "--db", db)
    assert result.exit_code == 0 and result.output.startswith("lw_")


def test_demo_simulates_ingests_and_summarises(tmp_path, monkeypatch):
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw, app=app))
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--learners", "40", "--weeks", "6", "--db", db, "--port", "8123"]
    result = invoke(*args, "--no-open")
    assert result.exit_code == 0, result.output
    assert "ingested" in result.output and "of 40 learners" in result.output
    assert "metrics projection built" in result.output
    assert "median weeks per level-up" in result.output
    assert "example receipts of learner-" in result.output
    # The demo school's weekly class task: progress counted from members' events.
    task = re.search(
        r"Our class: 40 practice sessions this week \[class-\d+, (\S+)\]: (\d+) of 40",
        result.output,
    )
    assert task is not None and int(task.group(2)) > 0, result.output
    assert "team task class_practice_week: goal met" in result.output
    assert served["port"] == 8123 and served["host"] == "127.0.0.1"
    # The printed links open the pages on the served app.
    links = re.findall(r"http://127\.0\.0\.1:8123(/pages/\S+)", result.output)
    assert [link.split("?")[0] for link in links][:1] == ["/pages/dashboard"]
    assert links[1].startswith("/pages/learner/learner-")

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=served["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
            return await c.get(path)

    dashboard, learner = (asyncio.run(fetch(link)) for link in links[:2])
    assert dashboard.status_code == 200 and 'data-metric="completion"' in dashboard.text
    assert learner.status_code == 200 and "<svg" in learner.text
    assert 'data-section="teams"' in learner.text  # the class's task card
    metrics = served["app"].state.engine.metrics.experiments("demo")
    assert [e.id for e in metrics] == ["adaptive-plan"]
    again = invoke(*args, "--no-serve")  # the demo starts from a fresh file
    assert again.exit_code == 0 and "of 40 learners" in again.output


def test_serve_builds_the_api_from_settings(tmp_path, monkeypatch):
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw, app=app))
    monkeypatch.setenv("LEVELWISE_DB", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("LEVELWISE_PORT", "8765")
    assert invoke("serve").exit_code == 0
    assert served["port"] == 8765
    assert served["app"].title == "Levelwise"
