"""The ``levelwise learner plan | next | forecast`` commands: guidance in a terminal."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from levelwise.cli.options import (
    DbOpt,
    EngineFor,
    JsonOpt,
    LangOpt,
    TenantOpt,
    escape,
    fail,
    open_engine,
    out,
    school_of,
)
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from levelwise.app.guidance.forecast import Forecast
    from levelwise.app.guidance.plan import Plan
    from levelwise.app.guidance.reasons import StepWords

app = typer.Typer()
"""Nameless: ``levelwise.cli.main`` mounts these commands on ``levelwise learner``."""

TargetOpt = Annotated[
    str | None,
    typer.Option("--target", help="A level above the learner's (default: the next)."),
]


def _percent(value: float) -> str:
    return f"{value:.0%}"


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON data (``inf`` met-at minutes become null)."""
    data = asdict(plan)
    data["met_at"] = [
        [source, None if math.isinf(minutes) else minutes]
        for source, minutes in plan.met_at
    ]
    return data


def week_lines(plan: Plan, words: Sequence[StepWords] | None = None) -> list[str]:
    """The plan by week in words: "this week: ...", "week 2: ...".

    Each step is its title and, when ``words`` are given, why in plain words.
    """
    said = {id(s): w.reason for s, w in zip(plan.steps, words or (), strict=False)}
    lines = []
    for week, steps in plan.weeks():
        head = "this week" if week == 1 else f"week {week}"
        parts = []
        for step in steps:
            why = said.get(id(step))
            chance = f", {step.chance:.0%} chance to pass" if step.chance else ""
            parts.append(f"{step.title}{chance}" + (f" ({why})" if why else ""))
        minutes = sum(s.minutes for s in steps)
        lines.append(f"{head} ({minutes:g} min): " + "; ".join(parts))
    return lines


def print_plan(plan: Plan, words: Sequence[StepWords] | None = None) -> None:
    """Print a plan: its weeks, its steps, then the requirements now and after it."""
    from rich.table import Table

    done = "complete" if plan.complete else "incomplete: some requirements stay unmet"
    out().print(
        f"[bold]{escape(plan.learner)}[/]: {plan.level} → {plan.target}, "
        f"{len(plan.steps)} steps, {plan.minutes:g} min ({done}), "
        f"at {plan.weekly_minutes:g} min a week",
        highlight=False,
    )
    for line in week_lines(plan, words):
        out().print(line, highlight=False, markup=False)
    said = list(words) if words is not None else []
    steps = Table("#", "week", "unit", "kind", "min", "total", "why", "requirement")
    for number, step in enumerate(plan.steps, start=1):
        steps.add_row(
            str(number),
            str(step.week),
            escape(
                f"{step.unit} {step.title}" if step.title != step.unit else step.unit
            ),
            step.kind,
            f"{step.minutes:g}",
            f"{step.total_minutes:g}",
            escape(said[number - 1].reason if said else ""),
            escape(step.reason),
        )
    if plan.steps:
        out().print(steps)
    reqs = Table("level", "requirement", "now", "after plan")
    for now, expected in zip(plan.now, plan.expected, strict=True):
        after = "[green]✓[/]" if expected.met else _percent(expected.progress)
        before = "[green]✓[/]" if now.met else _percent(now.progress)
        reqs.add_row(now.level, escape(now.source), before, after)
    out().print(reqs)
    if plan.binding is not None:
        out().print(f"binding: {plan.binding}", highlight=False, markup=False)
    out().print(f"gains: {plan.gains}", highlight=False, markup=False)


def learner_plan(
    engine_for: EngineFor,
    learner: str,
    target: str | None,
    tenant: str | None,
    db: str | None,
    as_json: bool,
    lang: str | None = None,
) -> None:
    """Print the learner's plan to ``target`` (exit 1 on an error)."""
    engine = engine_for(db)
    school = school_of(engine, tenant)
    try:
        plan = engine.guidance.plan(school, learner, target)
        words = engine.guidance.describe(school, plan, lang)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        data = plan_json(plan)
        for step, said in zip(data["steps"], words, strict=True):
            step["reason_text"] = said.reason
            step["measures"] = list(said.measures)
        out().print_json(json.dumps(data))
        return
    print_plan(plan, words)


def learner_next(
    engine_for: EngineFor,
    learner: str,
    tenant: str | None,
    db: str | None,
    as_json: bool = False,
) -> None:
    """Print the learner's next best activity (exit 1 on an error)."""
    from rich.table import Table

    engine = engine_for(db)
    school = school_of(engine, tenant)
    try:
        nxt = engine.guidance.next_activity(school, learner)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    if as_json:
        from levelwise.api.schemas.guidance import NextActivityPublic

        out().print_json(NextActivityPublic.from_next(nxt).model_dump_json())
        return
    if nxt.step is None:
        out().print(
            f"[bold]{escape(learner)}[/] ({nxt.level}): {nxt.status}: "
            f"{escape(nxt.reason)}",
            highlight=False,
        )
        return
    step = nxt.step
    out().print(
        f"[bold]{escape(learner)}[/] ({nxt.level} → {nxt.target}): next "
        f"{escape(step.unit)} ({step.kind}, {step.minutes:g} min)",
        highlight=False,
    )
    out().print(f"why: {step.reason}", highlight=False, markup=False)
    tip = nxt.practice
    if tip is not None:
        line = nxt.reason if tip.unit == step.unit else f"also {tip.reason}"
        out().print(
            f"{'practice' if tip.unit == step.unit else 'speaking'}: {line}",
            highlight=False,
            markup=False,
        )
    table = Table("requirement", "before", "after")
    for source, before, after in step.serves:
        table.add_row(escape(source), _percent(before), _percent(after))
    if step.serves:
        out().print(table)


def learner_forecast(
    engine_for: EngineFor,
    learner: str,
    target: str | None,
    weeks: int,
    tenant: str | None,
    db: str | None,
    as_json: bool = False,
) -> None:
    """Print when the learner likely reaches ``target`` (exit 1 on an error)."""
    from rich.table import Table

    engine = engine_for(db)
    school = school_of(engine, tenant)
    try:
        fc = engine.guidance.forecast(school, learner, target, weeks)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    now = engine.guidance.now()
    if as_json:
        from levelwise.api.schemas.guidance import ForecastPublic

        out().print_json(ForecastPublic.from_forecast(fc, now).model_dump_json())
        return

    def when(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:g} wk ({(now + timedelta(weeks=value)).date().isoformat()})"

    out().print(
        f"[bold]{escape(learner)}[/] → {fc.target}: plan {fc.plan_minutes:g} min at "
        f"{fc.pace:g} min/week ({fc.history_weeks} weeks of history)",
        highlight=False,
    )
    table = Table("", "weeks (date)")
    table.add_row("median", when(fc.median_weeks))
    table.add_row("80 % interval", f"{when(fc.low_weeks)} – {when(fc.high_weeks)}")
    never = fc.current_weeks is None and fc.current_binding is not None
    current = "never at the recent rate" if never else when(fc.current_weeks)
    table.add_row("at the current mix", current)
    out().print(table)
    lines = [
        f"binding: {fc.binding or '-'}",
        f"current bottleneck: {fc.current_binding or '-'}",
        f"speedup of the plan: {'-' if fc.speedup is None else _percent(fc.speedup)}",
        f"chance within the horizon: {_percent(fc.p_within_horizon)}",
    ]
    flags = [
        name for name, on in (("stalled", fc.stalled), ("at risk", fc.at_risk)) if on
    ]
    if flags:
        lines.append("flags: " + ", ".join(flags))
    lines.extend(speaking_lines(fc, when))
    for line in lines:
        out().print(line, highlight=False, markup=False)


def speaking_lines(fc: Forecast, when: Callable[[float | None], str]) -> list[str]:
    """The forecast's speaking ETAs, plateaus and predicted bottlenecks as lines."""
    lines = []
    for eta in fc.speaking:
        now = "not measured yet" if eta.current is None else f"{eta.current:g} now"
        if eta.sessions is None:
            outlook = "not improving: no date at this trend"
        else:
            outlook = (
                f"{eta.slope:+g}/session: {eta.sessions} sessions, "
                f"{when(eta.weeks)} at {eta.per_week:g} sessions/week"
            )
        lines.append(f"speaking: {eta.requirement} ({now}): {outlook}")
    if fc.plateaus:
        lines.append("plateaus: " + ", ".join(fc.plateaus))
    for found in fc.bottlenecks:
        lines.append(
            f"predicted bottleneck: {found.metric} plateaus and holds back "
            + ", ".join(found.requirements)
        )
    return lines


@app.command("plan")
def plan(
    learner: str,
    target: TargetOpt = None,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show the quickest expected plan to the next (or a target) level, by week."""
    learner_plan(open_engine, learner, target, tenant, db, as_json, lang)


@app.command("next")
def next_(
    learner: str,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the learner's next best activity and why."""
    learner_next(open_engine, learner, tenant, db, as_json)


@app.command("forecast")
def forecast(
    learner: str,
    target: TargetOpt = None,
    weeks: Annotated[
        int, typer.Option(min=1, max=52, help="Recent weeks to learn pace from.")
    ] = 8,
    tenant: TenantOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast when the learner reaches the next (or a target) level."""
    learner_forecast(open_engine, learner, target, weeks, tenant, db, as_json)
