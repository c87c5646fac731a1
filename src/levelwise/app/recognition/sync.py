"""Board updates computed from the log: what to set after an ingest or a replay.

Scores are recomputed from a learner's stored XP outcomes of the current
program version and *set*, so the same log gives the same boards however it
was folded (in order, with late events, or replayed). Flagged XP (an
integrity check failed) is left out; it still counts for the learner's own
progress. Learners who opted out of public boards are taken off them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import orjson

from levelwise.app.ports import LogSession, StoredEvent
from levelwise.app.recognition.boards import (
    XP_PREFIX,
    board_name,
    local_date,
    parse_week,
    scopes_of,
    windows_of,
)
from levelwise.app.recognition.ports import BoardWriter, Entry
from levelwise.domain.events import Event, ProfileUpdated
from levelwise.domain.state import LearnerState, Profile

_ALL_ROWS = 2**31 - 1


@dataclass(frozen=True)
class Award:
    """One clean XP award, as boards count it.

    Attributes:
        event_id: The event that earned it.
        at: UTC sort key of the event.
        xp: XP awarded.
    """

    event_id: str
    at: str
    xp: int


@dataclass
class Plan:
    """Board changes to make for one tenant, in order."""

    drop_prefix: str | None = None
    sets: dict[str, list[Entry]] = field(default_factory=dict)
    removes: dict[str, set[str]] = field(default_factory=dict)
    retains: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def apply(self, writer: BoardWriter) -> None:
        """Make the changes through ``writer``."""
        if self.drop_prefix is not None:
            for board in writer.boards(self.drop_prefix):
                writer.drop(board)
        for member, keep in self.retains:
            writer.retain(member, keep, XP_PREFIX)
        for board, members in self.removes.items():
            writer.remove(board, members)
        set_many = getattr(writer, "set_many", None)
        if set_many is not None:  # a store that writes many boards at once
            set_many(self.sets)
            return
        for board, entries in self.sets.items():
            writer.set(board, entries)


def clean_awards(s: LogSession, learner: str, version: int) -> list[Award]:
    """The learner's unflagged, non-zero XP awards, oldest first."""
    awards = []
    for row in s.outcomes(learner, version, ("xp",), _ALL_ROWS):
        body = orjson.loads(row.body)
        xp = int(body["xp"])
        if xp > 0 and not body.get("flags"):
            awards.append(Award(row.event_id, row.at, xp))
    awards.reverse()
    return awards


def total(member: str, awards: Iterable[Award]) -> Entry:
    """The XP of ``awards`` and when that total was reached."""
    xp, reached = 0, ""
    for a in awards:
        xp += a.xp
        reached = max(reached, a.at)
    return Entry(member, xp, reached)


def _days(events: Iterable[StoredEvent]) -> dict[str, date]:
    return {e.event_id: local_date(orjson.loads(e.body)["occurred_at"]) for e in events}


def _start(window: str) -> date:
    kind, _, value = window.partition(":")
    if kind == "week":
        return parse_week(value)
    return date.fromisoformat(f"{value}-01")


def window_entries(
    s: LogSession, learner: str, version: int, since: str | None
) -> tuple[dict[str, Entry], set[str]]:
    """A learner's clean XP per window, for the windows events since ``since`` touch.

    Args:
        s: The log session.
        learner: The learner.
        version: The current program version.
        since: UTC key of the earliest new event; None for every window.

    Returns:
        ``(entries, windows)``: every touched window (``all`` always) and the
        totals of those that have XP.
    """
    if since is None:
        days = _days(s.history(learner))
        windows = {w for d in days.values() for w in windows_of(d)}
    else:
        touched = _days(s.history(learner, after=(since, "")))
        windows = {w for d in touched.values() for w in windows_of(d)}
        starts = [_start(w) for w in windows if w != "all"]
        # A local date begins at most 14 hours before its UTC date: a day of
        # margin before the earliest window start holds every event in it.
        cut = (min(starts, default=date.max) - timedelta(days=1)).isoformat()
        days = _days(s.history(learner, after=(cut, ""))) if starts else {}
    windows.add("all")
    awards = clean_awards(s, learner, version)
    per_window: dict[str, list[Award]] = {"all": awards}
    for a in awards:
        day = days.get(a.event_id)
        if day is None:
            continue
        for w in windows_of(day)[1:]:
            if w in windows:
                per_window.setdefault(w, []).append(a)
    entries = {}
    for w, items in per_window.items():
        entry = total(learner, items)
        if entry.xp > 0:
            entries[w] = entry
    return entries, windows


def plan_learner(
    plan: Plan,
    s: LogSession,
    learner: str,
    version: int,
    since: str | None,
    profile: Profile,
    clean: Mapping[str, tuple[int, str]] | None = None,
    fast: tuple[str, ...] | None = None,
) -> None:
    """Add one learner's board changes to ``plan``.

    Args:
        plan: The plan to extend.
        s: The log session (after the learner's new outcomes are stored).
        learner: The learner.
        version: The current program version.
        since: UTC key of the learner's earliest new event; None rewrites every
            board the learner is on (replay, or a profile change).
        profile: The learner's profile after the batch (scopes and opt-out).
        clean: The learner's clean XP per window as the fold keeps it
            (``LearnerState.clean``), when known.
        fast: The windows of the new events: their totals are read from
            ``clean`` when it keeps them all.
    """
    public = profile.public_boards
    scopes = scopes_of(profile.cohort, profile.team) if public else []
    if fast is not None and clean is not None and _kept(clean, fast):
        # The fold keeps the totals of the learner's latest weeks and months
        # (``state.clean``): when the new events fall in those (or in newer
        # windows without awards), nothing is re-read from the log.
        windows = set(fast)
        entries = {
            w: Entry(learner, xp, at)
            for w, (xp, at) in clean.items()
            if w in windows and xp > 0
        }
    else:
        entries, windows = window_entries(s, learner, version, since)
    keep: set[str] = set()
    for window in sorted(windows):
        entry = entries.get(window)
        for scope in scopes:
            board = board_name(window, scope)
            if entry is None:
                plan.removes.setdefault(board, set()).add(learner)
            else:
                keep.add(board)
                plan.sets.setdefault(board, []).append(entry)
    if since is None:
        plan.retains.append((learner, frozenset(keep)))


def _kept(clean: Mapping[str, object], windows: Iterable[str]) -> bool:
    """Whether ``clean`` has the total of every window (absent = no awards)."""
    for window in windows:
        kind = window.partition(":")[0]
        kept = [k for k in clean if k.partition(":")[0] == kind]
        if kind != "all" and kept and window < min(kept):
            return False  # older than what the state keeps: read the log
    return True


def plan_ingest(
    s: LogSession,
    version: int,
    events: Sequence[Event],
    states: Mapping[str, LearnerState],
) -> Plan:
    """The board changes after ``events`` were folded into ``states`` and stored.

    A learner whose new events include a profile update has every board
    rewritten (its cohort, team or opt-out may have changed); the others have
    the windows their new (and re-folded later) events fall in. When a
    learner's new events share one week and one month, the totals come from
    the learner's state (the fold keeps them); otherwise from the log.
    """
    plan = Plan()
    first: dict[str, str] = {}
    full: set[str] = set()
    spans: dict[str, set[str]] = {}
    for e in events:
        at = e.sort_key[0]
        first[e.learner] = min(first.get(e.learner, at), at)
        if isinstance(e, ProfileUpdated):
            full.add(e.learner)
        spans.setdefault(e.learner, set()).update(windows_of(e.occurred_at.date()))
    for learner in sorted(first):
        state = states[learner]
        since = None if learner in full else first[learner]
        fast = tuple(sorted(spans[learner])) if since is not None else None
        plan_learner(plan, s, learner, version, since, state.profile, state.clean, fast)
    return plan


def plan_rebuild(s: LogSession, version: int, profiles: Mapping[str, Profile]) -> Plan:
    """Every XP board of the tenant, rebuilt from the log (after a replay).

    ``profiles`` holds every replayed learner's profile.
    """
    plan = Plan(drop_prefix=XP_PREFIX)
    for learner in s.learners():
        plan_learner(plan, s, learner, version, None, profiles[learner])
    plan.retains.clear()  # every board was dropped first
    return plan
