"""The program file's ``team_tasks:`` section: shared goals of teams and classes.

A counted task (``on``) sums ``value`` over the matching events of a team's
members, read as XP rules and badges read an event
(:func:`~levelwise.domain.fields.event_schema`); an every-member task
(``every``) holds a gate expression for each member
(:func:`~levelwise.domain.gates.gate_schema`).
"""

from __future__ import annotations

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import ProgramIn, TeamTaskIn
from levelwise.app.programs.xapi import refuse_indirect
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.events import EVENT_TYPES, TeamRewarded
from levelwise.domain.expr import Expr
from levelwise.domain.fields import event_schema
from levelwise.domain.gates import gate_schema
from levelwise.domain.program import Program, TeamTask


def compile_team_tasks(
    check: Checker, spec: ProgramIn, program: Program
) -> tuple[TeamTask, ...]:
    """Check and compile the team tasks.

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
        program: The program compiled so far (attributes and units included).
    """
    tasks = []
    for i, raw in enumerate(spec.team_tasks):
        task = _task(check, ("team_tasks", i), raw, program)
        if task is not None:
            tasks.append(task)
    return tuple(tasks)


def _task(
    check: Checker, path: Path, raw: TeamTaskIn, program: Program
) -> TeamTask | None:
    title = check.name((*path, "title"), raw.title, f"task:{raw.id}", raw.id)
    if (raw.on is None) == (raw.every is None):
        check.issue(
            path,
            f"team task '{raw.id}' needs exactly one of 'on' and 'every'",
            "count members' events with 'on' (and 'where'), or ask every "
            "member for a condition with 'every'",
        )
        return None
    if raw.every is not None:
        return _every(check, path, raw, program, title)
    on = raw.on or ""
    if on not in EVENT_TYPES:
        check.issue(
            (*path, "on"),
            f"unknown event type '{shorten(on)}'",
            "known: " + ", ".join(EVENT_TYPES),
        )
        return None
    if refuse_indirect(check, (*path, "on"), on):
        return None
    if on == TeamRewarded.TYPE:
        check.issue(
            (*path, "on"),
            f"team task '{raw.id}' counts team rewards",
            "a task cannot count the rewards of tasks; count study events",
        )
        return None
    if raw.goal <= 0:
        check.issue(
            (*path, "goal"),
            f"team task '{raw.id}' has no goal",
            "a counted task needs a goal above 0, such as 40",
        )
        return None
    schema = event_schema(program, on)
    where: Expr | None = None
    if raw.where is not None:
        where = check.compile((*path, "where"), raw.where, schema, "bool")
        if where is None:
            return None
    value: Expr | None = None
    if raw.value is not None:
        value = check.compile((*path, "value"), raw.value, schema, "number")
        if value is None:
            return None
    return TeamTask(
        id=raw.id,
        title=title,
        team=raw.team,
        window=raw.window,
        goal=raw.goal,
        on=on,
        where=where,
        value=value,
        reward_xp=raw.reward.xp,
        min_members=raw.min_members,
    )


def _every(
    check: Checker, path: Path, raw: TeamTaskIn, program: Program, title: str
) -> TeamTask | None:
    wrong = [k for k in ("where", "value") if getattr(raw, k) is not None]
    if wrong:
        check.issue(
            (*path, wrong[0]),
            f"team task '{raw.id}' asks every member, so '{wrong[0]}' does not apply",
            "'where' and 'value' choose and weigh the events of an 'on' task",
        )
        return None
    if not float(raw.goal).is_integer():
        check.issue(
            (*path, "goal"),
            f"team task '{raw.id}': goal counts members",
            "give a whole number of members, or 0 for every member",
        )
        return None
    every = check.compile(
        (*path, "every"), raw.every or "", gate_schema(program), "bool"
    )
    if every is None:
        return None
    return TeamTask(
        id=raw.id,
        title=title,
        team=raw.team,
        window=raw.window,
        goal=raw.goal,
        every=every,
        reward_xp=raw.reward.xp,
        min_members=raw.min_members,
    )
