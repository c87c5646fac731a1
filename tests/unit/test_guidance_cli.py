"""``levelwise learner plan | next | forecast`` on a small school in a SQLite file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from levelwise.app.guidance.forecast import Forecast
from levelwise.app.guidance.plan import Plan, PlanStep
from levelwise.app.guidance.requirements import Requirement
from levelwise.app.guidance.service import NextActivity
from levelwise.cli import guide as guidecli
from levelwise.cli.main import app
from tests.support.factories import SMALL_PROGRAM, answered, completed, event, watched

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path):
    """The small program; ana enrolled 20 days ago, max is at the top, sam stalled."""
    url = f"sqlite:///{tmp_path / 'guide.db'}"
    program = tmp_path / "school.yaml"
    program.write_text(SMALL_PROGRAM)
    assert invoke("program", "set", program, "--db", url).exit_code == 0
    now = datetime.now(UTC)
    events = [
        event("enrolment.started", at=now - timedelta(days=20)),
        watched(600, at=now - timedelta(days=19)),
        watched(900, at=now - timedelta(days=10)),
        answered(True, kp="greetings", at=now - timedelta(days=2)),
    ]
    top = [
        answered(True, kp=kp, learner="max", at=now - timedelta(days=5, minutes=i))
        for i in range(40)
        for kp in ("greetings", "numbers")
    ]
    events += [completed("u1", learner="max", at=now - timedelta(days=6)), *top]
    events += [
        watched(600, learner="sam", at=now - timedelta(days=d)) for d in (30, 20)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    assert invoke("ingest", path, "--db", url).exit_code == 0
    return url


def test_plan_prints_steps_and_requirements(db):
    result = invoke("learner", "plan", "ana", "--target", "a2", "--db", db)

    assert result.exit_code == 0, result.output
    assert "ana: starter → a2" in result.output and "(complete)" in result.output
    assert "u1" in result.output and "lesson" in result.output
    assert "closes 100 % of the gap" in result.output
    assert "dimension.vocabulary >= 0.5" in result.output
    assert "binding: xp >= 300" in result.output
    assert "gains: BKT defaults" in result.output


def test_plan_as_json_matches_the_table(db):
    result = invoke("learner", "plan", "ana", "--db", db, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["level"], data["target"], data["complete"]) == ("starter", "a1", True)
    assert data["steps"][0]["unit"] == "u1"
    assert data["minutes"] == sum(s["minutes"] for s in data["steps"])
    assert [m[0] for m in data["met_at"]] == [r["source"] for r in data["now"]]


def test_next_prints_the_first_step_and_why(db):
    result = invoke("learner", "next", "ana", "--db", db)

    assert result.exit_code == 0, result.output
    assert "ana (starter → a1): next u1 (lesson, 10 min)" in result.output
    assert "why: closes 100 % of the gap on units_completed includes [u1]" in (
        result.output
    )
    assert "before" in result.output and "0%" in result.output


def test_next_at_the_top_level_says_so(db):
    result = invoke("learner", "next", "max", "--db", db)

    assert result.exit_code == 0, result.output
    assert "max (a2): top_level:" in result.output
    assert "nothing is left to plan" in result.output


def test_forecast_prints_weeks_dates_and_flags(db):
    result = invoke("learner", "forecast", "ana", "--target", "a2", "--db", db)

    assert result.exit_code == 0, result.output
    # u1 once, u2 once (no lesson or homework repeated), live classes for XP.
    assert "ana → a2: plan 120 min" in result.output
    assert "(3 weeks of history)" in result.output
    assert "median" in result.output and "80 % interval" in result.output
    assert re.search(r"\d wk \(\d{4}-\d{2}-\d{2}\)", result.output)  # and dates
    assert "binding: xp >= 300" in result.output
    assert "chance within the horizon:" in result.output


def test_forecast_flags_a_stalled_learner(db):
    result = invoke("learner", "forecast", "sam", "--db", db)

    assert result.exit_code == 0, result.output
    assert "flags: stalled" in result.output
    assert "never at the recent rate" in result.output  # u1 never completed
    assert "current bottleneck: units_completed includes [u1]" in result.output


def test_forecast_at_the_top_level_exits_1(db):
    result = invoke("learner", "forecast", "max", "--db", db)
    assert result.exit_code == 1
    assert "max is at the top level (a2)" in result.output


@pytest.mark.parametrize("command", ["plan", "forecast"])
def test_a_bad_target_exits_1_with_the_reason(db, command):
    result = invoke("learner", command, "ana", "--target", "c2", "--db", db)

    assert result.exit_code == 1
    expected = "error: school 'default': unknown level 'c2'; levels: starter, a1, a2"
    assert expected in result.output


@pytest.mark.parametrize("command", ["plan", "next", "forecast"])
def test_an_unknown_learner_exits_1(db, command):
    result = invoke("learner", command, "zoe", "--db", db)

    assert result.exit_code == 1
    assert "learner 'zoe' has no events in this school" in result.output


def _fake_engine(**guidance):
    """An engine stand-in whose guidance answers with the given results."""
    calls = {name: (lambda *a, value=value: value) for name, value in guidance.items()}
    calls["now"] = lambda: datetime(2026, 3, 2, tzinfo=UTC)
    return lambda db: SimpleNamespace(guidance=SimpleNamespace(**calls))


def test_a_plan_without_steps_prints_only_its_requirements(capsys):
    req = Requirement("a1", "mastery.idioms >= 0.9", 0.2, 0.9, 0.222, False)
    plan = Plan("ana", "starter", "a1", (), 0.0, (req,), (req,), (), None, False, "g")

    guidecli.print_plan(plan)

    shown = capsys.readouterr().out
    assert "0 steps, 0 min (incomplete: some requirements stay unmet)" in shown
    assert "mastery.idioms >= 0.9" in shown and "22%" in shown
    assert "reason" not in shown and "binding" not in shown


def test_titled_steps_show_their_title(capsys):
    step = PlanStep("u9", "Ordering food", "lesson", 10.0, 10.0, (), "keeps moving")
    req = Requirement("a1", "xp >= 10", 10.0, 10.0, 1.0, True)
    plan = Plan(
        "ana", "starter", "a1", (step,), 10.0, (req,), (req,), (), None, True, "g"
    )

    guidecli.print_plan(plan)

    assert "u9 Ordering food" in capsys.readouterr().out


def test_next_and_forecast_without_details_print_dashes(capsys):
    step = PlanStep("u9", "u9", "lesson", 10.0, 10.0, (), "keeps moving")
    nxt = NextActivity("ana", "starter", "a1", "study", step, None, 10.0, "why")
    fc = Forecast(
        "ana", "a1", 100.0, 50.0, 0, None, None, None, None, None, None, None,
        0.0, False, True,
    )  # fmt: skip
    engine = _fake_engine(next_activity=nxt, forecast=fc)

    guidecli.learner_next(engine, "ana", "default", None)
    guidecli.learner_forecast(engine, "ana", None, 8, "default", None)

    shown = capsys.readouterr().out
    assert "next u9 (lesson, 10 min)" in shown and "before" not in shown
    assert "median             │ -" in shown
    assert "binding: -" in shown and "speedup of the plan: -" in shown
    assert "flags: at risk" in shown
