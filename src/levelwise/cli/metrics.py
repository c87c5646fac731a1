"""The ``levelwise metrics`` and ``levelwise experiments`` commands."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    TenantOpt,
    escape,
    fail,
    open_engine,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from rich.table import Table

    from levelwise.app.metrics.service import Figure, MetricFilter, MetricRow

metrics_app = typer.Typer(name="metrics", no_args_is_help=True, help="Outcome metrics.")
experiments_app = typer.Typer(
    name="experiments", no_args_is_help=True, help="A/B experiments."
)
app = typer.Typer()
"""Nameless: mounts ``levelwise metrics`` and ``levelwise experiments``."""
app.add_typer(metrics_app)
app.add_typer(experiments_app)

TABLES = ("cohorts", "classes", "weeks", "levels", "experiments")
"""The tables ``metrics export`` writes: the metrics service's ``TABLES``, repeated
here for the argument's help so that start-up imports no service
(``tests/integration/test_cli_startup.py`` keeps the two equal)."""

CohortOpt = Annotated[
    str | None, typer.Option("--cohort", help="Enrolment month, e.g. 2026-09.")
]
ClassOpt = Annotated[str | None, typer.Option("--class", help="The learners' class.")]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="First day, YYYY-MM-DD (UTC).")
]
EndOpt = Annotated[
    str | None,
    typer.Option("--end", help="Last day, YYYY-MM-DD (default: the last event's)."),
]
TermOpt = Annotated[
    int, typer.Option("--term-weeks", min=1, max=520, help="Weeks until renewal.")
]


def _day(value: str | None) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise fail(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _filter(
    cohort: str | None, klass: str | None, start: str | None, end: str | None, term: int
) -> MetricFilter:
    from levelwise.app.metrics.service import MetricFilter

    return MetricFilter(cohort, klass, _day(start), _day(end), term)


def _pct(f: Figure) -> str:
    return "—" if f.value is None else f"{f.value:.0%} ({f.numerator:g}/{f.n})"


def _num(f: Figure) -> str:
    return "—" if f.value is None else f"{f.value:.2f} (n {f.n})"


def _rows(title: str, rows: tuple[MetricRow, ...]) -> Table:
    from rich.table import Table

    table = Table(title=escape(title))
    for name in ("key", "learners", "active", "completion", "renewal"):
        table.add_column(name)
    for name in ("interactions/class", "weeks/level-up", "level-ups"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            escape(r.key),
            str(r.learners),
            str(r.active),
            _pct(r.completion),
            _pct(r.renewal),
            _num(r.interactions_per_class),
            _num(r.level_up_weeks),
            str(r.level_ups),
        )
    return table


def _experiment_docs(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise fail(f"{path}: {exc}") from exc
    docs = data if isinstance(data, list) else [data]
    if not docs or not all(isinstance(d, dict) and d.get("id") for d in docs):
        msg = f"{path}: give an experiment (a mapping with an id) or a list of them"
        raise fail(msg)
    return docs


@metrics_app.command("show")
def show(
    cohort: CohortOpt = None,
    klass: ClassOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    term_weeks: TermOpt = 8,
    tenant: TenantOpt = "default",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the outcome metrics (catching up with the log first)."""
    from rich.table import Table

    f = _filter(cohort, klass, start, end, term_weeks)
    try:
        board = open_engine(db).metrics.dashboard(tenant, f)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if as_json:
        out().print_json(json.dumps(asdict(board), default=str))
        return
    out().print(f"metrics of {escape(tenant)} as of {board.as_of}", highlight=False)
    out().print(_rows("overall", (board.overall,)))
    out().print(_rows("per cohort", board.by_cohort))
    out().print(_rows("per class", board.by_class))
    out().print(_rows("per week", board.by_week))
    levels = Table("level", "now", "reached", "stuck on", title="levels")
    for lvl in board.levels:
        stuck = "; ".join(f"{g} ({n})" for g, n in lvl.stuck[:3])
        levels.add_row(
            escape(lvl.name), str(lvl.current), str(lvl.reached), escape(stuck)
        )
    out().print(levels)
    for e in board.experiments:
        table = Table(
            "variant",
            "metric",
            "control",
            "variant",
            "difference",
            "95 % CI",
            title=escape(f"{e.id}: {e.description} (control {e.control})"),
        )
        for name, comparisons in e.comparisons:
            for c in comparisons:
                ci = f"{c.low:+.3f} … {c.high:+.3f}" if c.enough else c.reason
                diff = "—" if c.difference is None else f"{c.difference:+.3f}"
                table.add_row(
                    escape(name),
                    c.metric,
                    _num(c.control),
                    _num(c.variant),
                    diff,
                    escape(ci or ""),
                )
        out().print(table)


@metrics_app.command("export")
def export(
    table: Annotated[str, typer.Argument(help=", ".join(TABLES))],
    output: Annotated[
        Path | None, typer.Option("--out", help="Write to this file.")
    ] = None,
    cohort: CohortOpt = None,
    klass: ClassOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    term_weeks: TermOpt = 8,
    tenant: TenantOpt = "default",
    db: DbOpt = None,
) -> None:
    """Export one dashboard table as CSV."""
    f = _filter(cohort, klass, start, end, term_weeks)
    try:
        text = open_engine(db).metrics.csv(tenant, f, table)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if output is None:
        out().file.write(text)
        return
    output.write_text(text)
    out().print(f"wrote {len(text.splitlines()) - 1} rows to {output}")


@metrics_app.command("rebuild")
def rebuild(tenant: TenantOpt = "default", db: DbOpt = None) -> None:
    """Recompute the metrics projection from the start of the log."""
    try:
        report = open_engine(db).metrics.rebuild(tenant)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    out().print(
        f"rebuilt from {report.events} events of {report.learners} learners "
        f"(log position {report.position})"
    )


@experiments_app.command("set")
def set_(file: Path, tenant: TenantOpt = "default", db: DbOpt = None) -> None:
    """Create or replace experiments from a YAML file (one, or a list)."""
    from levelwise.app.metrics.experiments import experiment_from_dict

    docs = _experiment_docs(file)
    try:
        found = [experiment_from_dict(str(d["id"]), d) for d in docs]
        engine = open_engine(db)
        for experiment in found:
            engine.metrics.put_experiment(tenant, experiment)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    for experiment in found:
        out().print(f"stored {experiment.id}", highlight=False)


@experiments_app.command("list")
def list_(
    tenant: TenantOpt = "default", db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """List the experiments."""
    from rich.table import Table

    try:
        found = open_engine(db).metrics.experiments(tenant)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if as_json:
        out().print_json(json.dumps([asdict(e) for e in found]))
        return
    table = Table("id", "control", "variants", "description")
    for e in found:
        names = ", ".join(v.name for v in e.variants)
        table.add_row(
            escape(e.id), escape(e.control), escape(names), escape(e.description)
        )
    out().print(table)


@experiments_app.command("delete")
def delete(experiment_id: str, tenant: TenantOpt = "default", db: DbOpt = None) -> None:
    """Delete an experiment."""
    try:
        gone = open_engine(db).metrics.delete_experiment(tenant, experiment_id)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if not gone:
        raise fail(f"no experiment {experiment_id!r}")
    out().print(f"deleted {experiment_id}", highlight=False)
