"""``levelwise quality``: grade call-quality statistics, report on a class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    TenantOpt,
    escape,
    fail,
    open_engine,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.quality.reports import ClassReport

app = typer.Typer(name="quality", no_args_is_help=True, help="Live-class call quality.")

BAND_STYLE = {
    "good": "green",
    "acceptable": "cyan",
    "degraded": "yellow",
    "broken": "red",
}


@app.command("grade")
def grade(
    file: Annotated[
        Path, typer.Argument(help="Samples, one JSON object a line.", exists=True)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the reports as JSON.")
    ] = False,
) -> None:
    """Grade a file of samples: per participant delay, bands, MOS and verdict.

    Each line is ``{"class", "participant", "role", "at", "webrtc": [...]}``
    or ``{..., "agora": {...}}``; nothing is stored.
    """
    from levelwise.app.quality.recorded import grade_numbered
    from levelwise.app.quality.reports import report_dict

    numbered: list[tuple[int, object]] = []
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                numbered.append((number, json.loads(line)))
            except json.JSONDecodeError as e:
                raise fail(f"{file}:{number}: not JSON: {e.msg}") from e
    if not numbered:
        raise fail(f"{file}: no samples")
    try:
        found = grade_numbered(numbered)
    except LevelwiseError as e:
        raise fail(f"{file}:{str(e).removeprefix('line ')}") from e
    if as_json:
        print(json.dumps([report_dict(r) for r in found], indent=2, ensure_ascii=False))
        return
    for r in found:
        show(r)


@app.command("report")
def report(
    klass: Annotated[str, typer.Argument(help="The live class.")],
    db: DbOpt = None,
    tenant: TenantOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON.")
    ] = False,
) -> None:
    """Report on a class from the statistics stored for it."""
    from levelwise.app.quality.reports import report_dict

    engine, school = open_school(db, tenant)
    try:
        found = engine.quality.report(school, klass)
    except LevelwiseError as e:
        raise fail(e) from e
    if as_json:
        print(json.dumps(report_dict(found), indent=2, ensure_ascii=False))
    else:
        show(found)


@app.command("purge")
def purge(db: DbOpt = None) -> None:
    """Drop raw graded intervals older than the retention (roll-ups stay)."""
    dropped = open_engine(db).quality.purge()
    out().print(f"Dropped {dropped} raw intervals.")


def show(r: ClassReport) -> None:
    """Print one class's report: a line per participant, then the verdict."""
    from rich.table import Table

    table = Table(title=f"class {escape(r.klass)}", title_justify="left")
    for name in ("participant", "role", "mean ms", "worst ms"):
        table.add_column(name, justify="right" if "ms" in name else "left")
    for band in BAND_STYLE:
        table.add_column(band, justify="right")
    table.add_column("MOS", justify="right")
    table.add_column("band")
    for p in r.participants:
        style = BAND_STYLE[p.band] if p.band else "dim"
        table.add_row(
            escape(p.participant),
            p.role,
            _ms(p.mean_delay_ms),
            _ms(p.worst_delay_ms),
            *(f"{share:.0%}" for share in p.shares),
            "-" if p.mos is None else f"{p.mos:.2f}",
            f"[{style}]{p.band or '-'}[/]",
        )
    out().print(table)
    for p in r.participants:
        out().print(f"  {escape(p.participant)}: {escape(p.verdict)}", highlight=False)
    style = BAND_STYLE[r.band] if r.band else "dim"
    out().print(f"[{style}]{escape(r.verdict)}[/]", highlight=False)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
