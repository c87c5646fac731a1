"""``levelwise pk``: start a group PK, show its scoreboard, finish it."""

from __future__ import annotations

import json
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
    from levelwise.app.recognition.pk import Pk, Scoreboard

app = typer.Typer(name="pk", no_args_is_help=True, help="Group PK competitions.")


def parse_teams(specs: list[str]) -> dict[str, list[str]]:
    """``team=learner,learner`` options as a mapping of team to learners.

    Raises:
        typer.BadParameter: An option is not ``team=learners``.
    """
    teams: dict[str, list[str]] = {}
    for spec in specs:
        team, sep, learners = spec.partition("=")
        members = [x.strip() for x in learners.split(",") if x.strip()]
        if not sep or not team.strip() or not members:
            msg = f"{spec!r} is not team=learner,learner,…"
            raise typer.BadParameter(msg, param_hint="--team")
        teams.setdefault(team.strip(), []).extend(members)
    return teams


def _render(board: Scoreboard, as_json: bool) -> None:
    """Print a scoreboard as JSON or as a table."""
    if as_json:
        from levelwise.api.schemas.pk import ScoreboardPublic

        _print_json(ScoreboardPublic.of(board).model_dump())
    else:
        _show(board)


def _show(board: Scoreboard) -> None:
    from rich.table import Table

    state = "finished" if board.finished else "running"
    out().print(
        f"PK {escape(board.pk)} ({state}): {board.answers} answers, "
        f"{board.rounds} rounds",
        highlight=False,
    )
    table = Table("place", "rank", "team", "points", "per round", "best learner")
    for t in board.teams:
        rounds = " ".join(str(p) for _, p in t.rounds)
        best = t.learners[0]
        table.add_row(
            str(t.place),
            f"{t.rank}{' won' if t.won else ''}",
            escape(t.team),
            str(t.points),
            rounds,
            f"{escape(best.learner)} ({best.points})",
        )
    out().print(table)
    for i in board.ignored:
        out().print(
            f"ignored {escape(i.event_id)} of {escape(i.learner)}: {escape(i.reason)}",
            highlight=False,
        )


def _print_json(data: object) -> None:
    out().print_json(json.dumps(data))


def _service(db: str | None, tenant: str | None) -> tuple[Pk, str]:
    engine, school = open_school(db, tenant)
    return engine.pk, school


@app.command("start")
def start(
    pk_id: Annotated[str, typer.Argument(metavar="ID")],
    team: Annotated[
        list[str],
        typer.Option("--team", help="team=learner,learner (repeat per team)."),
    ],
    rounds: Annotated[int, typer.Option(min=1)] = 1,
    cohort: Annotated[str | None, typer.Option(help="The class.")] = None,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a PK; answers committed from now on count."""
    teams = parse_teams(team)
    pk, school = _service(db, tenant)
    try:
        board = pk.start(school, pk_id, teams, rounds, cohort)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _render(board, as_json)


@app.command("board")
def board(
    pk_id: Annotated[str, typer.Argument(metavar="ID")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a PK's scoreboard."""
    pk, school = _service(db, tenant)
    try:
        found = pk.scoreboard(school, pk_id)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _render(found, as_json)


@app.command("finish")
def finish(
    pk_id: Annotated[str, typer.Argument(metavar="ID")],
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Finish a PK: freeze its board and log each participant's result."""
    pk, school = _service(db, tenant)
    try:
        done = pk.finish(school, pk_id)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        from levelwise.api.schemas.pk import PkFinishPublic

        _print_json(PkFinishPublic.of(done).model_dump())
        return
    _show(done.scoreboard)
    statuses = [r.status for r in done.report.results]
    counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    out().print(f"pk.finished events: {summary}", highlight=False)
