"""The ``levelwise metrics`` and ``levelwise experiments`` commands."""

from __future__ import annotations

import json
import time
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
    open_school,
    out,
    progress,
    rate,
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

PARTIAL = "(partial)"
"""After the key of a week the dates cover only in part (``docs/metrics.md``)."""

PARTIAL_NOTE = (
    f"{PARTIAL}: the dates cover only part of the week; "
    "its counts are not a whole week's"
)

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


def _key(row: MetricRow) -> str:
    """A row's key; a partial week's says so, as the dashboard does."""
    from levelwise.app.metrics.views import WeekRow

    partial = isinstance(row, WeekRow) and row.partial
    return f"{row.key} {PARTIAL}" if partial else row.key


def _rows(title: str, rows: tuple[MetricRow, ...], caption: str | None = None) -> Table:
    from rich.table import Table

    table = Table(title=escape(title), caption=caption)
    for name in ("key", "learners", "active", "completion", "renewal"):
        table.add_column(name)
    for name in ("interactions/class", "weeks/level-up", "level-ups"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            escape(_key(r)),
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
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the outcome metrics (catching up with the log first)."""
    from rich.table import Table

    f = _filter(cohort, klass, start, end, term_weeks)
    engine, school = open_school(db, tenant)
    try:
        board = engine.metrics.dashboard(school, f)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        out().print_json(json.dumps(asdict(board), default=str))
        return
    out().print(f"metrics of {escape(school)} as of {board.as_of}", highlight=False)
    out().print(_rows("overall", (board.overall,)))
    out().print(_rows("per cohort", board.by_cohort))
    out().print(_rows("per class", board.by_class))
    partial = any(w.partial for w in board.by_week)
    out().print(_rows("per week", board.by_week, PARTIAL_NOTE if partial else None))
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
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Export one dashboard table as CSV."""
    f = _filter(cohort, klass, start, end, term_weeks)
    engine, school = open_school(db, tenant)
    try:
        text = engine.metrics.csv(school, f, table)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if output is None:
        out().file.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output}: cannot write the file: {exc.strerror}") from exc
    out().print(f"wrote {len(text.splitlines()) - 1} rows to {output}")


@metrics_app.command("rebuild")
def rebuild(tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Recompute the metrics projection from the start of the log.

    Shows a progress bar on a terminal (the events read so far, full once the
    projection is written), then one line: events, learners, seconds and
    events per second.
    """
    engine, school = open_school(db, tenant)
    started = time.perf_counter()
    label = f"rebuilding the metrics of '{escape(school)}'"
    try:
        with progress() as bar:
            task = bar.add_task(label, total=None)

            def advance(done: int, events: int | None) -> None:
                # The store tells no total before the end: until then the bar
                # pulses and counts the events read.
                shown = label if events is not None else f"{label}: {done:,} events"
                bar.update(task, completed=done, total=events, description=shown)

            report = engine.metrics.rebuild(school, on_progress=advance)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    took = time.perf_counter() - started
    out().print(
        f"school '{school}': metrics rebuilt from {report.events} events of "
        f"{report.learners} learners (log position {report.position}) in "
        f"{took:.1f} s ({rate(report.events, took)})",
        highlight=False,
        markup=False,
    )


@experiments_app.command("set")
def set_(file: Path, tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Create or replace experiments from a YAML file (one, or a list)."""
    from levelwise.app.metrics.experiments import experiment_from_dict

    docs = _experiment_docs(file)
    try:
        found = [experiment_from_dict(str(d["id"]), d) for d in docs]
    except LevelwiseError as exc:
        raise fail(exc) from exc
    engine, school = open_school(db, tenant, create=True)
    try:
        for experiment in found:
            engine.metrics.put_experiment(school, experiment)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    for experiment in found:
        out().print(f"stored {experiment.id}", highlight=False)


@experiments_app.command("list")
def list_(tenant: TenantOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the experiments."""
    from rich.table import Table

    engine, school = open_school(db, tenant)
    try:
        found = engine.metrics.experiments(school)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
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
def delete(experiment_id: str, tenant: TenantOpt = None, db: DbOpt = None) -> None:
    """Delete an experiment."""
    engine, school = open_school(db, tenant)
    try:
        gone = engine.metrics.delete_experiment(school, experiment_id)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if not gone:
        raise fail(f"no experiment {experiment_id!r}", school=school)
    out().print(f"deleted {experiment_id}", highlight=False)
