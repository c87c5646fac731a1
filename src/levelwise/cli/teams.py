"""The ``levelwise teams`` commands: a learner's team tasks, a team's tasks."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from levelwise.cli.options import (
    DbOpt,
    JsonOpt,
    LangOpt,
    TenantOpt,
    escape,
    fail,
    open_school,
    out,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.teams.service import TaskProgress

app = typer.Typer(name="teams", no_args_is_help=True, help="Team tasks.")


def progress_line(p: TaskProgress, learner: bool = False) -> str:
    """One task as a team stands: ``Our class: 31 of 40 (you gave 6)``."""
    unit = " members" if p.every else ""
    line = f"{p.title} [{p.team}, {p.window}]: {p.total:g} of {p.goal:g}{unit}"
    if learner:
        line += f", you gave {p.given:g}"
    if p.met:
        line += f" - met, +{p.reward_xp} XP each"
    return line


def _show(found: list[TaskProgress], as_json: bool, learner: bool) -> None:
    if as_json:
        out().print_json(json.dumps([asdict(p) for p in found]))
        return
    if not found:
        out().print("no team tasks")
    for p in found:
        out().print(escape(progress_line(p, learner)), highlight=False)
        if not learner:
            for who, given in p.contributors:
                out().print(f"  {escape(who)}: {given:g}", highlight=False)


@app.command("learner")
def learner_cmd(
    learner: str,
    db: DbOpt = None,
    tenant: TenantOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The team tasks of a learner's class and team, with their own part."""
    engine, school = open_school(db, tenant)
    try:
        found = engine.teams.learner_tasks(school, learner, lang)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _show(found, as_json, learner=True)


@app.command("show")
def show_cmd(
    team: str,
    window: Annotated[
        str | None, typer.Option("--window", help="2026-W50, 2026-12, all...")
    ] = None,
    db: DbOpt = None,
    tenant: TenantOpt = None,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every team task as a class or team stands, with each member's part."""
    engine, school = open_school(db, tenant)
    try:
        found = engine.teams.team_tasks(school, team, lang, window=window)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    _show(found, as_json, learner=False)
