"""The ``levelwise boards`` and ``levelwise leagues`` commands."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    TenantOpt,
    escape,
    fail,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from rich.table import Table

    from levelwise.app.recognition.boards import WindowKind
    from levelwise.app.recognition.ports import Standing

boards_app = typer.Typer(name="boards", no_args_is_help=True, help="Leaderboards.")
leagues_app = typer.Typer(name="leagues", no_args_is_help=True, help="Weekly leagues.")
app = typer.Typer()
"""Nameless: mounts ``levelwise boards`` and ``levelwise leagues``."""
app.add_typer(boards_app)
app.add_typer(leagues_app)

ScopeOpt = Annotated[
    str, typer.Option("--scope", help="all, cohort:<id> or team:<id>.")
]
WindowOpt = Annotated[str, typer.Option("--window", help="all, week or month.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="A date (YYYY-MM-DD) in the week or month."),
]


_KINDS: dict[str, WindowKind] = {"all": "all", "week": "week", "month": "month"}


def _window(window: str, at: str | None) -> tuple[WindowKind, date | None]:
    kind = _KINDS.get(window)
    if kind is None:
        raise fail(f"window '{window}' is not all, week or month")
    try:
        day = None if at is None else date.fromisoformat(at)
    except ValueError:
        raise fail(f"'{at}' is not a date (YYYY-MM-DD)") from None
    return kind, day


def _table(
    rows: tuple[Standing, ...],
    title: str,
    mark: str = "",
    zones: dict[str, str] | None = None,
) -> Table:
    from rich.table import Table

    table = Table(title=escape(title))
    for name in ("rank", "learner", "xp", "reached"):
        table.add_column(name, justify="right" if name in ("rank", "xp") else "left")
    if zones is not None:
        table.add_column("zone")
    for s in rows:
        style = "bold" if s.member == mark else None
        cells = [str(s.rank), escape(s.member), str(s.xp), s.reached]
        if zones is not None:
            cells.append(zones[s.member])
        table.add_row(*cells, style=style)
    return table


@boards_app.command("top")
def top(
    scope: ScopeOpt = "all",
    window: WindowOpt = "all",
    at: AtOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the top of a board."""
    kind, day = _window(window, at)
    engine, school = open_school(db, tenant)
    try:
        page = engine.boards.top(school, scope, kind, day, limit)
    except (LevelwiseError, ValueError) as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        out().print_json(json.dumps(asdict(page)))
        return
    title = f"{page.board} ({page.count} learners)"
    out().print(_table(page.standings, title))


@boards_app.command("rank")
def rank(
    learner: str,
    scope: ScopeOpt = "all",
    window: WindowOpt = "all",
    at: AtOpt = None,
    k: Annotated[int, typer.Option("--k", min=0, max=50)] = 5,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a learner's rank and the learners around it."""
    kind, day = _window(window, at)
    engine, school = open_school(db, tenant)
    try:
        view = engine.boards.rank(school, learner, scope, kind, day, k)
    except (LevelwiseError, ValueError) as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        out().print_json(json.dumps(asdict(view)))
        return
    shown = "—" if view.rank is None else f"#{view.rank} of {view.count}"
    private = "" if view.public else " (private: off public boards)"
    out().print(f"{escape(learner)}: {shown}, {view.xp} XP{private}")
    if view.neighbours:
        out().print(_table(view.neighbours, view.board, mark=learner))


@leagues_app.command("show")
def show(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2026-W48.")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a week's league groups and zones."""
    from levelwise.app.recognition import leagues

    engine, school = open_school(db, tenant)
    try:
        result = engine.boards.league(school, week)
    except (LevelwiseError, ValueError) as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        from levelwise.api.schemas.boards import LeagueWeekPublic

        out().print_json(LeagueWeekPublic.of(result).model_dump_json())
        return
    state = "closed" if result.closed else "live"
    out().print(f"week {week} ({state}): {len(result.groups)} groups")
    for g in result.groups:
        zones: dict[str, str] = {m.learner: m.zone for m in leagues.close_group(g)}
        title = f"{g.tier_name} #{g.number}"
        out().print(_table(g.standings, title, zones=zones))


@leagues_app.command("close")
def close(
    week: Annotated[str, typer.Option("--week", help="ISO week, e.g. 2026-W48.")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a week: promote and demote (closing again changes nothing)."""
    engine, school = open_school(db, tenant)
    try:
        result = engine.boards.close_week(school, week)
    except (LevelwiseError, ValueError) as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        out().print_json(json.dumps(asdict(result)))
        return
    from levelwise.app.recognition import leagues

    done = "closed" if result.closed_now else "was already closed"
    out().print(f"week {week} {done}: {len(result.moves)} learners")
    for m in result.moves:
        if m.zone != "stay":
            was, now = leagues.TIERS[m.from_tier], leagues.TIERS[m.to_tier]
            out().print(f"  {escape(m.learner)}: {was} → {now} ({m.zone})")
