"""Forecast accuracy on simulated learners: points, realised times, the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from levelwise.app.programs.loader import load_program
from levelwise.app.simulate.forecast import (
    HISTORY_WEEKS,
    POINTS,
    ForecastPoint,
    ForecastWatch,
    accuracies,
    accuracy,
    diagnostics,
    markdown,
    points_of,
    watcher,
)
from levelwise.app.simulate.simulator import (
    Calibration,
    LearnerRun,
    calibrate,
    simulate,
)
from levelwise.cli.simulate import simulate as simulate_command
from levelwise.domain.fold import default_model, initial_state
from tests.support.factories import SMALL_PROGRAM


@pytest.fixture(scope="module")
def small() -> Calibration:
    return calibrate(None, load_program(SMALL_PROGRAM), 5)


def test_the_watch_forecasts_at_each_level_start_and_measures_what_followed(
    small: Calibration,
) -> None:
    program = small.program
    state = initial_state("sim-0", program, default_model(program))
    watch = ForecastWatch(small, "planner", levels=2)
    for week in range(7):
        level = 0 if week < 5 else 1
        watch.study(week, replace(state, level=level), 60.0)
        watch.study(week, replace(state, level=level), 30.0)
    run = LearnerRun(0, "planner", (4.5, None), 14, 14 * 45.0)
    points = watch.finish(run)
    assert [(p.target, p.week, p.in_level) for p in points] == [
        (program.levels[1].id, w, w) for w in range(POINTS + 1)
    ] + [(program.levels[2].id, 5, 0), (program.levels[2].id, 6, 1)]
    first = points[0]
    assert first.history == 0 and first.realised == 4.5
    assert first.minutes == 5 * 90.0  # up to the study of the level-up
    assert points[2].history == 2 and points[2].realised == 2.5
    assert points[2].minutes == 3 * 90.0
    assert all(p.realised is None and p.minutes is None for p in points[4:])


def test_a_run_forecasts_the_planner_and_fixed_learners_only(
    small: Calibration,
) -> None:
    sim = simulate(
        small,
        learners=4,
        weeks=12,
        weekly_minutes=90,
        seed=3,
        levels=2,
        observe=watcher(small, 2),
    )
    points = points_of(sim)
    assert {p.policy for p in points} == {"planner", "fixed"}
    assert not any(r.notes for r in sim.runs["random"])
    for p in points:
        run = sim.runs[p.policy][p.learner]
        level = [lvl.id for lvl in small.program.levels].index(p.target) - 1
        reached = run.reached[level]
        assert p.realised == (None if reached is None else round(reached - p.week, 6))
        assert p.history == min(p.week, HISTORY_WEEKS)
        assert 0 <= p.in_level <= POINTS
    again = simulate(
        small,
        learners=4,
        weeks=12,
        weekly_minutes=90,
        seed=3,
        levels=2,
        observe=watcher(small, 2),
    )
    assert points_of(again) == points
    plain = simulate(small, learners=4, weeks=12, weekly_minutes=90, seed=3, levels=2)
    assert {p: [r.reached for r in runs] for p, runs in plain.runs.items()} == {
        p: [r.reached for r in runs] for p, runs in sim.runs.items()
    }


def _point(
    median: float, low: float, high: float, realised: float | None
) -> ForecastPoint:
    return ForecastPoint(
        "planner", 0, "a1", 0, 0, 0, 100.0, 50.0, median, low, high, realised,
        None if realised is None else realised * 50.0,
    )  # fmt: skip


def test_accuracy_scores_the_median_and_the_interval() -> None:
    points = [
        _point(4.0, 3.0, 5.0, 4.0),
        _point(4.0, 3.0, 5.0, 2.0),
        _point(4.0, 3.0, 5.0, 8.0),
        _point(4.0, 3.0, 5.0, 5.0),
        _point(4.0, 3.0, 5.0, None),
    ]
    got = accuracy(points, "planner", "all")
    assert got.points == 4 and got.censored == 1
    assert got.mape == pytest.approx((0 + 1 + 0.5 + 0.2) / 4, abs=1e-4)
    assert got.coverage == 0.5 and got.below == 0.25 and got.above == 0.25
    rows = accuracies(points)
    assert [r.group for r in rows] == ["all", "0"]
    text = markdown(rows, diagnostics(points))
    assert "| planner | all | 4 | 1 |" in text
    assert "off by 42.5 % on average; 50.0 % of the real times fell inside" in text


def test_the_command_writes_the_forecast_table_unless_told_not_to(
    tmp_path: Path,
) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(SMALL_PROGRAM, encoding="utf-8")
    app = typer.Typer()
    app.command()(simulate_command)
    args = [
        "--program", str(source), "--learners", "3", "--weeks", "8",
        "--weekly-minutes", "90", "--seed", "2", "--workers", "1",
    ]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "on")])
    assert result.exit_code == 0, result.output
    assert "Forecasts for the planner's learners" in result.output
    table = (tmp_path / "on" / "forecast.md").read_text(encoding="utf-8")
    assert "| planner | all |" in table and "| fixed | all |" in table
    # The file ends with the sentence the terminal prints, no internal goal.
    last = table.rstrip().splitlines()[-1]
    assert last in result.output.replace("\n", " ") or last in result.output
    assert "Goal" not in table and "MAPE at most" not in table
    results = json.loads((tmp_path / "on" / "results.json").read_text("utf-8"))
    groups = {(a["policy"], a["group"]) for a in results["forecast"]["accuracy"]}
    assert ("planner", "all") in groups and ("fixed", "all") in groups
    off = tmp_path / "off"
    result = CliRunner().invoke(app, [*args, "--out", str(off), "--no-forecast"])
    assert result.exit_code == 0, result.output
    assert not (off / "forecast.md").exists()
    assert "forecast" not in json.loads((off / "results.json").read_text("utf-8"))
