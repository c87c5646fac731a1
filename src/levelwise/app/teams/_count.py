"""What members' events give to team tasks: pure, from one learner's events.

One learner's events, in log order, give each counted task a list of
contributions. Each names the team the learner was in *when the event
happened* (``profile.updated`` before it), in the window of the event's local
date (the learner's profile time zone before it, else the event's own offset).
A learner who leaves that team before the window ends takes the window's
contributions with them: a contribution counts only while the learner is
still in that team at the window's end (the ``all`` window never ends, so for
it the learner's current team). Flagged events give nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import date, timedelta

from levelwise.domain.events import Event, ProfileUpdated, TeamRewarded
from levelwise.domain.fields import event_env
from levelwise.domain.program import Program, TaskWindow, TeamTask
from levelwise.domain.recognition import local_time
from levelwise.domain.state import Profile


@dataclass(frozen=True)
class Counted:
    """One event's contribution to a task.

    Attributes:
        task: The task's id.
        window: Its window.
        team: The team it counts for.
        learner: Who gave it.
        key: The event's ``(occurred_at UTC key, id)``.
        occurred_at: The event's time as sent (ISO, with its offset).
        value: What it gives.
    """

    task: str
    window: str
    team: str
    learner: str
    key: tuple[str, str]
    occurred_at: str
    value: float


def window_of(kind: TaskWindow, day: date) -> str:
    """The window of ``kind`` that holds local date ``day``.

    Examples:
        >>> window_of("week", date(2026, 12, 7))
        '2026-W50'
        >>> window_of("month", date(2026, 12, 7)), window_of("all", date(2026, 1, 1))
        ('2026-12', 'all')
    """
    if kind == "all":
        return "all"
    if kind == "day":
        return day.isoformat()
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def previous_day(kind: TaskWindow, day: date) -> date | None:
    """A day of the window before the one of ``kind`` that holds ``day``.

    None for ``all``, which has no window before it.

    Examples:
        >>> previous_day("week", date(2026, 12, 7))
        datetime.date(2026, 11, 30)
        >>> previous_day("month", date(2026, 3, 31))
        datetime.date(2026, 2, 28)
        >>> previous_day("day", date(2026, 1, 1)), previous_day("all", date(2026, 1, 1))
        (datetime.date(2025, 12, 31), None)
    """
    if kind == "all":
        return None
    if kind == "day":
        return day - timedelta(days=1)
    if kind == "week":
        return day - timedelta(days=7)
    return day.replace(day=1) - timedelta(days=1)


def group_of(task: TeamTask, profile: Profile) -> str:
    """The class or team ``profile`` puts a learner in for ``task`` ("" if none)."""
    found = profile.cohort if task.team == "cohort" else profile.team
    return found or ""


def joined(profile: Profile, event: ProfileUpdated) -> Profile:
    """``profile`` after ``event`` (the fields it carries; the rest unchanged)."""
    return replace(
        profile,
        timezone=event.timezone if event.timezone is not None else profile.timezone,
        cohort=event.cohort if event.cohort is not None else profile.cohort,
        team=event.team if event.team is not None else profile.team,
    )


def counted(
    events: Iterable[Event],
    flagged: AbstractSet[str],
    program: Program,
    start: Profile | None = None,
) -> list[Counted]:
    """One learner's contributions to the program's counted tasks, in log order.

    Args:
        events: The learner's events, sorted by ``(occurred_at, id)``.
        flagged: Ids of events an integrity check flagged (they give nothing).
        program: The program with the tasks.
        start: The profile before the first event (default: none).
    """
    tasks = [t for t in program.team_tasks if t.on is not None]
    profile = start if start is not None else Profile()
    found: list[Counted] = []
    end: dict[tuple[str, str], str] = {}  # (task, window) -> team at its end
    for e in events:
        if isinstance(e, TeamRewarded):
            continue  # a reward is the team's doing, never a contribution
        local = local_time(e.occurred_at, profile.timezone)
        if isinstance(e, ProfileUpdated):
            profile = joined(profile, e)
        env: dict[str, object] | None = None
        for t in tasks:
            window = window_of(t.window, local.date())
            team = group_of(t, profile)
            end[(t.id, window)] = team
            if e.type != t.on or not team or e.id in flagged:
                continue
            if env is None:
                env = event_env(e, program, local)
            if t.where is not None and not t.where.evaluate(env):
                continue
            value = 1.0 if t.value is None else _number(t.value.evaluate(env))
            if value:
                found.append(
                    Counted(
                        t.id,
                        window,
                        team,
                        e.learner,
                        e.sort_key,
                        e.occurred_at.isoformat(),
                        value,
                    )
                )
    return [c for c in found if end.get((c.task, c.window)) == c.team]


def _number(value: object) -> float:
    """A task value as a number: unknown, non-numbers and non-finite give 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0


def totals(
    items: Iterable[Counted],
) -> dict[tuple[str, str, str, str], tuple[float, int, str]]:
    """Sum contributions per ``(task, window, team, learner)``.

    Returns:
        ``(value, events, latest UTC key)`` per key.
    """
    out: dict[tuple[str, str, str, str], tuple[float, int, str]] = {}
    for c in items:
        key = (c.task, c.window, c.team, c.learner)
        value, n, at = out.get(key, (0.0, 0, ""))
        out[key] = (value + c.value, n + 1, max(at, c.key[0]))
    return out


@dataclass(frozen=True)
class Crossing:
    """The moment a team's total first reached a goal.

    Attributes:
        key: The ``(occurred_at, id)`` of the event that reached it.
        occurred_at: That event's time as sent.
        total: The total right after it.
        given: Each member's part up to and including it.
    """

    key: tuple[str, str]
    occurred_at: str
    total: float
    given: dict[str, float]


def crossing(items: Sequence[Counted], goal: float) -> Crossing | None:
    """When the running total of ``items`` (in time order) first reaches ``goal``."""
    total = 0.0
    given: dict[str, float] = {}
    for c in sorted(items, key=lambda c: (c.key, c.learner)):
        total += c.value
        given[c.learner] = given.get(c.learner, 0.0) + c.value
        if total >= goal:
            return Crossing(c.key, c.occurred_at, total, dict(given))
    return None


def memberships(events: Iterable[Event]) -> dict[str, tuple[str, str]]:
    """A learner's current class and team, with when they joined them.

    Returns:
        ``{"cohort": (cohort, since), "team": (team, since)}`` for those the
        learner has; ``since`` is the UTC key of the profile update that
        joined (a later update that repeats the same class does not move it).
    """
    out: dict[str, tuple[str, str]] = {}
    for e in events:
        if not isinstance(e, ProfileUpdated):
            continue
        for kind, value in (("cohort", e.cohort), ("team", e.team)):
            if value is None:
                continue
            held = out.get(kind)
            if not value:
                out.pop(kind, None)
            elif held is None or held[0] != value:
                out[kind] = (value, e.sort_key[0])
    return out
