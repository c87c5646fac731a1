"""Leaderboards: the board store port, board keys, windows and ranking order.

A board is a set of members, each with a score (``xp``) and the UTC time at
which it was ``reached``. Every backend ranks the same way: more XP first;
equal XP, whoever reached it first; then the member id (code point order).
Scores are *set*, never incremented, so a re-fold or a replay that recomputes
them gives the same boards.

Board names: ``xp|<window>|<scope>`` for XP boards, where the window is
``all``, ``week:<ISO year>-W<week>`` or ``month:<YYYY-MM>`` and the scope is
``all`` (the whole school), ``cohort:<id>`` or ``team:<id>``. League groups
are ``league:<week>:<tier>:<n>``; :data:`TIER_BOARD` holds each learner's tier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from levelwise.app.recognition.ports import Entry, Standing
from levelwise.domain.recognition import board_windows

XP_PREFIX = "xp|"
"""Every XP board's name starts with this."""
TIER_BOARD = "tier"
"""Each learner's league tier (the tier's index as ``xp``)."""
CLOSED_BOARD = "leagues|closed"
"""The weeks whose leagues were closed (member: the ISO week)."""

WindowKind = Literal["all", "week", "month"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_SCOPE = re.compile(r"^(all|cohort:.+|team:.+)$")


def ranked(entries: Sequence[Entry], start: int = 0) -> list[Standing]:
    """Standings of ``entries`` sorted by :attr:`Entry.order`, ranks from 1.

    Args:
        entries: Members of one board.
        start: How many members rank above the first of them.
    """
    ordered = sorted(entries, key=lambda e: e.order)
    return [
        Standing(start + i + 1, e.member, e.xp, e.reached)
        for i, e in enumerate(ordered)
    ]


# -- windows and keys -----------------------------------------------------------


def week_of(day: date) -> str:
    """The ISO week of a date, as ``2026-W48``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def month_of(day: date) -> str:
    """The month of a date, as ``2026-11``."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_week(week: str) -> date:
    """The Monday of an ISO week ``YYYY-Www``.

    Raises:
        ValueError: The text is not an ISO week that exists.
    """
    match = _WEEK.match(week)
    if match is None:
        msg = f"'{week}' is not an ISO week such as 2026-W48"
        raise ValueError(msg)
    year, number = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        msg = f"'{week}' does not exist: year {year:04d} has no ISO week {number}"
        raise ValueError(msg) from exc


def previous_week(week: str) -> str:
    """The ISO week before ``week``.

    Raises:
        ValueError: ``week`` is not an ISO week that exists, or it is the
            first one (0001-W01), which has no week before it.
    """
    ordinal = parse_week(week).toordinal() - 7
    if ordinal < 1:
        msg = f"'{week}' is the first ISO week: there is no week before it"
        raise ValueError(msg)
    return week_of(date.fromordinal(ordinal))


def windows_of(day: date) -> tuple[str, str, str]:
    """The windows an award on local date ``day`` counts in: all, week, month."""
    return board_windows(day)


def window_at(kind: WindowKind, day: date) -> str:
    """The window of ``kind`` that holds ``day``."""
    if kind == "all":
        return "all"
    return f"week:{week_of(day)}" if kind == "week" else f"month:{month_of(day)}"


def check_scope(scope: str) -> str:
    """Return ``scope`` if it is ``all``, ``cohort:<id>`` or ``team:<id>``.

    Raises:
        ValueError: It is none of those.
    """
    if _SCOPE.match(scope) is None:
        msg = f"scope '{scope}' is not all, cohort:<id> or team:<id>"
        raise ValueError(msg)
    return scope


def board_name(window: str, scope: str = "all") -> str:
    """The name of the XP board of a window and scope."""
    return f"{XP_PREFIX}{window}|{scope}"


def league_name(week: str, tier: str, number: int) -> str:
    """The name of a league group's board."""
    return f"league:{week}:{tier}:{number}"


def scopes_of(cohort: str | None, team: str | None) -> list[str]:
    """The public scopes of a learner in a cohort and a team."""
    scopes = ["all"]
    if cohort:
        scopes.append(f"cohort:{cohort}")
    if team:
        scopes.append(f"team:{team}")
    return scopes


def local_date(occurred_at: str) -> date:
    """The date of an ISO time in its own offset (board weeks and months use it)."""
    return datetime.fromisoformat(occurred_at).date()
