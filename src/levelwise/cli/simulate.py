"""The ``levelwise simulate`` command: weeks per level-up under study policies."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.examples import PROGRAM_HELP, program_file
from levelwise.cli.options import fail, out
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from rich.table import Table

    from levelwise.app.simulate.report import Summary

app = typer.Typer()
"""Nameless: ``simulate`` is a command of ``levelwise`` itself."""


@app.command("simulate")
def simulate(
    program: Annotated[
        Path | None, typer.Option("--program", help=PROGRAM_HELP)
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Dataset to calibrate BKT from (../shared/data/…); "
            "default: built-in parameters.",
        ),
    ] = None,
    learners: Annotated[int, typer.Option("--learners", min=1)] = 200,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, help="Cap on weeks per learner.")
    ] = 52,
    weekly_minutes: Annotated[
        float, typer.Option("--weekly-minutes", min=1.0, help="Nominal minutes a week.")
    ] = 210.0,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for table.md, plot.svg, results.json (and forecast.md).",
        ),
    ] = None,
    levels: Annotated[
        int, typer.Option("--levels", min=1, help="Level-ups to follow.")
    ] = 2,
    replan_every: Annotated[
        int,
        typer.Option("--replan-every", min=1, help="Planner steps taken per plan."),
    ] = 3,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes (default: CPU count)."),
    ] = None,
    with_forecast: Annotated[
        bool,
        typer.Option(
            "--forecast/--no-forecast",
            help="Also measure the forecasts' accuracy on the planner's and the "
            "fixed syllabus's learners.",
        ),
    ] = True,
) -> None:
    """Simulate learners under the fixed syllabus, the planner and random choice."""
    from levelwise.app.programs.loader import load_program_file
    from levelwise.app.simulate.forecast import (
        accuracies,
        diagnostics,
        forecast_line,
        points_of,
        watcher,
    )
    from levelwise.app.simulate.forecast import as_json as forecast_json
    from levelwise.app.simulate.forecast import markdown as forecast_markdown
    from levelwise.app.simulate.report import (
        as_json,
        markdown,
        planner_line,
        summarize,
        svg,
        teachability_line,
    )
    from levelwise.app.simulate.simulator import calibrate
    from levelwise.app.simulate.simulator import simulate as run_simulation

    try:
        with program_file(program) as path:
            compiled = load_program_file(str(path))
        calibration = calibrate(data, compiled, seed)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    sim = run_simulation(
        calibration,
        learners=learners,
        weeks=weeks,
        weekly_minutes=weekly_minutes,
        seed=seed,
        levels=levels,
        replan_every=replan_every,
        workers=workers or os.cpu_count() or 1,
        observe=watcher(calibration, levels) if with_forecast else None,
    )
    summary = summarize(sim)
    results = as_json(sim, summary)
    out().print(_table(summary, compiled.title))
    out().print(planner_line(summary), highlight=False)
    out().print(teachability_line(sim), highlight=False)
    forecast_md = None
    if with_forecast:
        points = points_of(sim)
        rows = accuracies(points)
        forecast_md = forecast_markdown(rows, diagnostics(points))
        results["forecast"] = forecast_json(points)
        out().print(forecast_line(rows), highlight=False)
    out().print(
        f"{len(sim.learners)} learners x {len(sim.runs)} policies "
        f"in {sim.seconds:.1f} s"
    )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "table.md").write_text(markdown(sim, summary), encoding="utf-8")
        title = f"{compiled.title}: weeks per level-up by policy"
        (out_dir / "plot.svg").write_text(svg(summary, title), encoding="utf-8")
        (out_dir / "results.json").write_text(
            json.dumps(results, indent=1) + "\n", encoding="utf-8"
        )
        if forecast_md is not None:
            (out_dir / "forecast.md").write_text(forecast_md, encoding="utf-8")
        out().print(f"wrote {out_dir / 'table.md'}, plot.svg and results.json")


def _table(summary: Summary, title: str) -> Table:
    from rich.table import Table

    from levelwise.app.simulate.report import reduction_text

    table = Table(title=f"{title}: median weeks per level-up (95 % bootstrap CI)")
    for name in (
        "policy",
        "level-up",
        "median",
        "95 % CI",
        "censored",
        "reduction vs fixed",
    ):
        table.add_column(name, justify="right" if name != "policy" else "left")
    for f in summary.figures:
        shown = reduction_text(summary, f.policy, f.level)
        table.add_row(
            f.policy,
            f.level,
            f"{f.median:.2f}",
            f"[{f.low:.2f}, {f.high:.2f}]",
            f"{f.censored}/{f.learners}",
            shown,
        )
    return table
