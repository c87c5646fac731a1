"""Team tasks: keep each task's progress in step with the log, reward, show it.

Progress is kept per ``(task, window, team, learner)``: what each member gave
(:mod:`levelwise.app.teams._count` says exactly what counts). After every
ingest, the learners of the batch are brought up to date: a batch that is in
time order and changes no profile adds its events to the learner's rows; a
late event, a profile change or a replay recomputes the learner's rows from
their whole log, so the same log gives the same progress however it arrived.

When a team's total reaches the goal (and the team has at least
``min_members``), the goal is *met*: each member at that moment (a member
whose joining came at or before it) gets a ``team.rewarded`` event, posted
through the normal ingest after the batch commits. Its id is derived from the
task, window, team and learner, so it is posted once and a replay keeps it.
A reward is never taken back: a late event or a member leaving that brings
the total below the goal again leaves the goal met and the rewards given.
Rewards are not contributions and never trigger a task (no recursion).

Every-member tasks (``every``) hold a gate expression over each member's
state: a member's row in the window of their latest event is 1 while it holds.
The goal is met when enough current members hold it (``goal``, or all of them
when ``goal`` is 0).

Progress and met goals are pushed on the class's live stream
(``team.progress`` and ``team.met`` on ``/v1/streams/classes/{team}``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import orjson

from levelwise.app.ingest.wire import ID_PATTERN, from_body
from levelwise.app.ports import Clock, Decision, EventLog, LogSession
from levelwise.app.teams._count import (
    Counted,
    counted,
    crossing,
    group_of,
    memberships,
    previous_day,
    totals,
    window_of,
)
from levelwise.app.teams.ports import (
    Announcer,
    Member,
    Met,
    Progress,
    TeamReader,
    TeamStore,
)
from levelwise.domain.events import Event, ProfileUpdated, TeamRewarded
from levelwise.domain.fold import learning_events, prior_for
from levelwise.domain.gates import gate_env
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.outcomes import XpAwarded
from levelwise.domain.program import Program, TeamTask
from levelwise.domain.recognition import local_time
from levelwise.domain.state import LearnerState
from levelwise.errors import LearnerNotFoundError

PROGRESS_KIND = "team.progress"
"""Stream message kind: a team's total in a task's window changed."""
MET_KIND = "team.met"
"""Stream message kind: a team met a task's goal (its members are rewarded)."""
TEAM_KINDS = frozenset({PROGRESS_KIND, MET_KIND})
"""The kinds of the messages team tasks push."""

_ALL_ROWS = 2**31 - 1
_ID = re.compile(ID_PATTERN)
_Key = tuple[str, str, str]
ProgramAndModel = Callable[[LogSession], tuple[Program, MasteryModel]]


def reward_id(task: str, window: str, team: str, learner: str) -> str:
    """The id of a member's ``team.rewarded`` event (stable, within the id rule).

    Examples:
        >>> reward_id("class_practice_week", "2026-W50", "7b", "ana")
        'team:class_practice_week:2026-W50:7b:ana'
    """
    plain = f"team:{task}:{window}:{team}:{learner}"
    if _ID.match(plain):
        return plain
    digest = hashlib.sha256("\0".join((task, window, team, learner)).encode())
    return f"team:{digest.hexdigest()[:40]}"


@dataclass(frozen=True)
class TaskProgress:
    """A task as one team stands in one window.

    Attributes:
        task: The task's id.
        title: Its title (in the asked language when the program has it).
        every: Whether it is an every-member task (``total`` counts members).
        team: The class or team.
        window: The window.
        total: What the team has: the sum of its members' parts, or for an
            every-member task how many members meet the condition.
        goal: What it needs (every-member tasks: members).
        given: The asking learner's part (0 when no learner asked).
        members: How many members the team has now.
        met: Whether the goal was met (then ``met_at``: when, UTC key).
        met_at: When it was met, or None.
        reward_xp: What each member got or gets.
        contributors: ``(learner, part)`` of the members who gave, largest first.
        previous: A learner's view only: the same team in the window before
            (last week, yesterday, last month); None for ``all`` tasks.
    """

    task: str
    title: str
    every: bool
    team: str
    window: str
    total: float
    goal: float
    given: float
    members: int
    met: bool
    met_at: str | None
    reward_xp: int
    contributors: tuple[tuple[str, float], ...] = ()
    previous: TaskProgress | None = None


@dataclass
class _Plan:
    """Changes to one tenant's progress, with reads of the store under them."""

    drop: bool = False
    rows: dict[tuple[str, str, str, str], Progress | None] = field(default_factory=dict)
    cleared: dict[str, set[str]] = field(default_factory=dict)
    members: dict[tuple[str, str], Member | None] = field(default_factory=dict)
    met: dict[_Key, Met] = field(default_factory=dict)
    touched: dict[_Key, str] = field(default_factory=dict)
    mine: dict[str, list[Progress]] = field(default_factory=dict)

    def touch(self, key: _Key, at: str) -> None:
        self.touched[key] = max(self.touched.get(key, ""), at)

    def put(self, row: Progress) -> None:
        self.rows[row.key] = row
        self.touch((row.task, row.window, row.team), row.at)

    def remove(self, row: Progress) -> None:
        self.rows[row.key] = None
        self.touch((row.task, row.window, row.team), "")

    def rows_of(
        self, r: TeamReader, task: str, window: str, team: str
    ) -> list[Progress]:
        stored = [] if self.drop else r.progress(task, window, team)
        out = {
            p.learner: p
            for p in stored
            if task not in self.cleared.get(p.learner, ()) and p.key not in self.rows
        }
        for key, row in self.rows.items():
            if key[:3] == (task, window, team) and row is not None:
                out[row.learner] = row
        return [out[k] for k in sorted(out)]

    def members_of(self, r: TeamReader, kind: str, team: str) -> list[Member]:
        stored = [] if self.drop else r.members(kind, team)
        out = {m.learner: m for m in stored if (kind, m.learner) not in self.members}
        for (k, _), m in self.members.items():
            if k == kind and m is not None and m.team == team:
                out[m.learner] = m
        return [out[k] for k in sorted(out)]

    def learner_rows(self, r: TeamReader, learner: str) -> list[Progress]:
        rows = self.mine.get(learner)
        if rows is None:
            rows = self.mine[learner] = [] if self.drop else r.progress_of(learner)
        return rows

    def apply(self, w: Any) -> None:
        if self.drop:
            w.drop()
        for learner, tasks in self.cleared.items():
            w.clear(learner, tasks)
        gone = [k for k, row in self.rows.items() if row is None]
        if gone:
            w.remove(gone)
        kept = [row for row in self.rows.values() if row is not None]
        if kept:
            w.put(kept)
        for (kind, learner), m in self.members.items():
            if m is None:
                w.remove_members(kind, [learner])
        joined = [m for m in self.members.values() if m is not None]
        if joined:
            w.put_members(joined)
        if self.met:
            w.add_met(list(self.met.values()))


@dataclass(frozen=True)
class Followup:
    """What to do once the log committed: write progress, post rewards.

    Attributes:
        write: Writes progress to a store that does not join the log.
        rewards: The ``team.rewarded`` events to ingest (raw, as sent).
    """

    write: Callable[[], None]
    rewards: tuple[dict[str, Any], ...] = ()


def _nothing() -> None:
    """Nothing to write."""


NOTHING = Followup(_nothing)
"""No team-task work (no store, no tasks, or nothing relevant in the batch)."""


class TeamTasks:
    """Team tasks of every tenant: progress, goals met, rewards.

    Args:
        log: The event log (progress is computed from its events).
        store: Where progress lives; None keeps none (no team tasks).
        clock: Today's date, the default window of reads.
        notifications: Pushes progress on the classes' live streams.
        programs: The compiled program and mastery model of a session.
    """

    def __init__(
        self,
        log: EventLog,
        store: TeamStore | None,
        clock: Clock,
        notifications: Announcer,
        programs: ProgramAndModel,
    ) -> None:
        """Keep the collaborators."""
        self.log = log
        self._store = store
        self.clock = clock
        self.notifications = notifications
        self.programs = programs

    # -- keeping progress in step -------------------------------------------------

    def after_ingest(
        self,
        s: LogSession,
        program: Program,
        model: MasteryModel,
        events: Sequence[Event],
        states: Mapping[str, LearnerState],
        decisions: Sequence[Decision],
        refolded: Iterable[str] = (),
    ) -> Followup:
        """Bring progress up to date after a batch was folded and stored.

        Args:
            s: The batch's session (its events, outcomes and snapshots written).
            program: The program the batch was folded under.
            model: Its mastery model (every-member conditions read mastery).
            events: The batch's new events.
            states: The learners' states after the batch.
            decisions: What the fold decided (integrity flags of new events).
            refolded: Learners re-folded from a checkpoint (late events, or a
                stale projection): their progress is recomputed from the log.

        Returns:
            What to do after the commit (call :meth:`Followup.write`, then
            ingest :attr:`Followup.rewards`).
        """
        store = self._store
        if store is None or not program.team_tasks:
            return NOTHING
        by_learner: dict[str, list[Event]] = {}
        for e in events:
            if not isinstance(e, TeamRewarded):
                by_learner.setdefault(e.learner, []).append(e)
        if not by_learner:
            return NOTHING
        tasks = program.team_tasks
        on = {t.on for t in tasks if t.on is not None}
        every = [t for t in tasks if t.every is not None]
        flagged = {
            d.event_id
            for d in decisions
            if isinstance(d.outcome, XpAwarded) and d.outcome.flags
        }
        late = set(refolded)
        plan = _Plan()
        joined = s if store.joins_log else None
        with store.reader(s.outbox.tenant, joined) as r:
            for learner in sorted(by_learner):
                new = learning_events(
                    sorted(by_learner[learner], key=lambda e: e.sort_key), program
                )
                state = states[learner]
                moved = any(isinstance(e, ProfileUpdated) for e in new)
                if learner in late or moved:
                    self._relearn(plan, r, s, learner, program)
                elif any(e.type in on for e in new):
                    self._add(plan, r, learner, new, flagged, program, state)
                if every:
                    self._every(plan, r, learner, every, program, model, state)
            rewards = self._settle(plan, r, s, program, announce=True)
        return self._followup(s, plan, rewards)

    def after_replay(
        self, s: LogSession, program: Program, model: MasteryModel
    ) -> Followup:
        """Rebuild every learner's progress from the log (after a replay).

        Goals met before stay met; goals the log now meets are met and
        rewarded like after an ingest.
        """
        store = self._store
        if store is None or not program.team_tasks:
            return NOTHING
        every = [t for t in program.team_tasks if t.every is not None]
        plan = _Plan(drop=True)
        joined = s if store.joins_log else None
        learners = s.learners()
        states = (
            {k: v.learner_state() for k, v in s.snapshots(learners).items()}
            if every
            else {}
        )
        with store.reader(s.outbox.tenant, joined) as r:
            for learner in learners:
                self._relearn(plan, r, s, learner, program)
                if every and learner in states:
                    self._every(
                        plan, r, learner, every, program, model, states[learner]
                    )
            rewards = self._settle(plan, r, s, program, announce=False)
        return self._followup(s, plan, rewards)

    def _followup(
        self, s: LogSession, plan: _Plan, rewards: list[dict[str, Any]]
    ) -> Followup:
        store = self._store
        assert store is not None  # noqa: S101 - checked by the callers
        tenant = s.outbox.tenant
        if store.joins_log:
            with store.writer(tenant, s) as w:
                plan.apply(w)
            return Followup(_nothing, tuple(rewards))

        def write() -> None:
            with store.writer(tenant) as w:
                plan.apply(w)

        return Followup(write, tuple(rewards))

    def _relearn(
        self,
        plan: _Plan,
        r: TeamReader,
        s: LogSession,
        learner: str,
        program: Program,
    ) -> None:
        """Recompute a learner's rows and memberships from their whole log."""
        events = learning_events(
            (from_body(e.body, e.version) for e in s.history(learner)), program
        )
        items = counted(events, _flagged(s, learner, program.version), program)
        tasks = {t.id for t in program.team_tasks if t.on is not None}
        for old in plan.learner_rows(r, learner):
            if old.task in tasks:
                plan.touch((old.task, old.window, old.team), "")
        plan.cleared.setdefault(learner, set()).update(tasks)
        for key in [k for k in plan.rows if k[3] == learner and k[0] in tasks]:
            del plan.rows[key]
        for (task, window, team, _), (value, n, at) in totals(items).items():
            plan.put(Progress(task, window, team, learner, value, n, at))
        now = memberships(events)
        for kind in ("cohort", "team"):
            held = now.get(kind)
            plan.members[(kind, learner)] = (
                None if held is None else Member(kind, learner, held[0], held[1])
            )

    def _add(
        self,
        plan: _Plan,
        r: TeamReader,
        learner: str,
        new: list[Event],
        flagged: set[str],
        program: Program,
        state: LearnerState,
    ) -> None:
        """Add in-order events to a learner's rows (their team did not change)."""
        items = counted(new, flagged, program, state.profile)
        if not items:
            return
        old = {p.key: p for p in plan.learner_rows(r, learner)}
        for key, (value, n, at) in totals(items).items():
            had = plan.rows.get(key) or old.get(key)
            if had is not None:
                value, n, at = had.value + value, had.events + n, max(had.at, at)
            plan.put(Progress(*key, value, n, at))

    def _every(
        self,
        plan: _Plan,
        r: TeamReader,
        learner: str,
        tasks: Sequence[TeamTask],
        program: Program,
        model: MasteryModel,
        state: LearnerState,
    ) -> None:
        """Set the learner's every-member rows from their current state."""
        if not state.last_key[0]:
            return
        moment = datetime.fromisoformat(state.last_key[0].replace("Z", "+00:00"))
        day = local_time(moment, state.profile.timezone).date()
        prior = prior_for(state, model)
        rows = plan.learner_rows(r, learner)
        for t in tasks:
            assert t.every is not None  # noqa: S101 - only every tasks come here
            window = window_of(t.window, day)
            team = group_of(t, state.profile)
            for old in rows:
                if (old.task, old.window) == (t.id, window) and old.team != team:
                    plan.remove(old)  # a member who left takes it with them
            if not team:
                continue
            env = gate_env(state, t.every.names, prior, program)
            row = Progress(t.id, window, team, learner, 1.0, 1, state.last_key[0])
            if t.every.evaluate(env) is True:
                if (plan.rows.get(row.key) or _find(rows, row.key)) is None:
                    plan.put(row)
            elif _find(rows, row.key) is not None:
                plan.remove(row)

    def _settle(
        self,
        plan: _Plan,
        r: TeamReader,
        s: LogSession,
        program: Program,
        *,
        announce: bool,
    ) -> list[dict[str, Any]]:
        """Find the goals the touched teams now meet; announce progress."""
        rewards: list[dict[str, Any]] = []
        cache: dict[str, list[Counted]] = {}
        for key in sorted(plan.touched):
            task = program.task_by_id.get(key[0])
            if task is None:
                continue
            rows = plan.rows_of(r, *key)
            members = plan.members_of(r, task.team, key[2])
            total, goal = _standing(task, rows, members)
            met = plan.met.get(key)
            if met is None:
                found = r.met(*key)
                met = found[0] if found else None
            newly = None
            if met is None and len(members) >= task.min_members and 0 < goal <= total:
                newly = self._meet(task, key, rows, members, goal, s, program, cache)
                if newly is not None:
                    found_met, given, occurred_at = newly
                    sent = _rewards(task, found_met, members, given, occurred_at)
                    met = replace(found_met, rewarded=len(sent))
                    plan.met[key] = met
                    rewards.extend(sent)
            if announce:
                self._announce(s, task, key, total, goal, met, plan.touched[key])
                if newly is not None and met is not None:
                    self._announce_met(s, task, key, met)
        return rewards

    def _meet(
        self,
        task: TeamTask,
        key: _Key,
        rows: Sequence[Progress],
        members: Sequence[Member],
        goal: float,
        s: LogSession,
        program: Program,
        cache: dict[str, list[Counted]],
    ) -> tuple[Met, dict[str, float], str] | None:
        """When the goal was met: the moment, each member's part, the time as sent."""
        if task.every is not None:
            current = {m.learner for m in members}
            holding = sorted(
                (p for p in rows if p.learner in current and p.value > 0),
                key=lambda p: (p.at, p.learner),
            )
            at = holding[int(goal) - 1].at
            given = {p.learner: 1.0 for p in holding if p.at <= at}
            return Met(*key, at, float(len(given)), 0), given, _iso(at)
        items: list[Counted] = []
        for p in rows:
            mine = cache.get(p.learner)
            if mine is None:
                history = learning_events(
                    (from_body(e.body, e.version) for e in s.history(p.learner)),
                    program,
                )
                flags = _flagged(s, p.learner, program.version)
                mine = cache[p.learner] = counted(history, flags, program)
            items.extend(c for c in mine if (c.task, c.window, c.team) == key)
        found = crossing(items, goal)
        if found is None:
            return None
        met = Met(*key, found.key[0], found.total, 0)
        return met, found.given, found.occurred_at

    def _announce(
        self,
        s: LogSession,
        task: TeamTask,
        key: _Key,
        total: float,
        goal: float,
        met: Met | None,
        at: str,
    ) -> None:
        when = at or _utc_key(self.clock.now_iso())
        self.notifications.announce(
            s,
            kind=PROGRESS_KIND,
            cohort=key[2],
            subject=f"team:{key[0]}:{key[1]}:{key[2]}",
            at=_iso(when),
            data={
                "task": task.id,
                "title": task.title,
                "window": key[1],
                "team": key[2],
                "total": total,
                "goal": goal,
                "met": met is not None,
            },
        )

    def _announce_met(self, s: LogSession, task: TeamTask, key: _Key, met: Met) -> None:
        self.notifications.announce(
            s,
            kind=MET_KIND,
            cohort=key[2],
            subject=f"team:{key[0]}:{key[1]}:{key[2]}",
            at=_iso(met.at),
            data={
                "task": task.id,
                "title": task.title,
                "window": key[1],
                "team": key[2],
                "total": met.total,
                "reward_xp": task.reward_xp,
                "rewarded": met.rewarded,
            },
        )

    # -- reading ------------------------------------------------------------------

    def learner_tasks(
        self,
        tenant: str,
        learner: str,
        language: str | None = None,
        day: date | None = None,
    ) -> list[TaskProgress]:
        """Each task as the learner's class or team stands in its current window.

        Args:
            tenant: The school.
            learner: The learner.
            language: The language of titles (default: the file's first).
            day: The day whose windows to show (default: today in the
                learner's time zone).

        Returns:
            One entry per task whose class or team the learner is in, in file
            order, with the learner's own part in ``given``.

        Raises:
            LearnerNotFoundError: The learner has no events in this school.
        """
        with self.log.read(tenant) as s:
            program, _ = self.programs(s)
            snap = s.snapshots([learner]).get(learner)
        if snap is None:
            msg = f"learner {learner!r} has no events in this school"
            raise LearnerNotFoundError(msg)
        profile = snap.learner_state().profile
        if day is None:
            day = local_time(_now(self.clock), profile.timezone).date()
        out = []
        for task in program.team_tasks:
            team = group_of(task, profile)
            if not team:
                continue
            view = self._view(
                tenant,
                program,
                task,
                team,
                window_of(task.window, day),
                learner,
                language,
            )
            before = previous_day(task.window, day)
            if before is not None:
                window = window_of(task.window, before)
                done = self._view(
                    tenant, program, task, team, window, learner, language
                )
                view = replace(view, previous=done)
            out.append(view)
        return out

    def team_tasks(
        self,
        tenant: str,
        team: str,
        language: str | None = None,
        day: date | None = None,
        window: str | None = None,
    ) -> list[TaskProgress]:
        """Every task as a class or team stands (the id read as either).

        Args:
            tenant: The school.
            team: The class or team id.
            language: The language of titles.
            day: The day whose windows to show (default: today, UTC).
            window: One window to show instead (``2026-W50``...).

        Raises:
            ProgramNotFoundError: The school has no program yet.
        """
        with self.log.read(tenant) as s:
            program, _ = self.programs(s)
        day = day if day is not None else _now(self.clock).date()
        return [
            self._view(
                tenant,
                program,
                t,
                team,
                window if window is not None else window_of(t.window, day),
                None,
                language,
            )
            for t in program.team_tasks
        ]

    def standings(
        self, tenant: str, task: str, window: str, language: str | None = None
    ) -> list[TaskProgress]:
        """Every team with progress on a task in a window, the furthest first."""
        if self._store is None:
            return []
        with self.log.read(tenant) as s:
            program, _ = self.programs(s)
        found = program.task_by_id.get(task)
        if found is None:
            return []
        with self._store.reader(tenant) as r:
            teams = sorted({p.team for p in r.progress(task, window)})
        views = [
            self._view(tenant, program, found, t, window, None, language) for t in teams
        ]
        return sorted(views, key=lambda v: (-v.total, v.team))

    def windows(self, tenant: str, task: str) -> list[str]:
        """The windows in which some team made progress on a task, in order."""
        if self._store is None:
            return []
        with self._store.reader(tenant) as r:
            return sorted({p.window for p in r.progress(task)})

    def goals_met(self, tenant: str, task: str | None = None) -> list[Met]:
        """The goals met (of one task, or all), by task, window and team."""
        if self._store is None:
            return []
        with self._store.reader(tenant) as r:
            return r.met(task)

    def _view(
        self,
        tenant: str,
        program: Program,
        task: TeamTask,
        team: str,
        window: str,
        learner: str | None,
        language: str | None,
    ) -> TaskProgress:
        rows: list[Progress] = []
        members: list[Member] = []
        met: list[Met] = []
        if self._store is not None:
            with self._store.reader(tenant) as r:
                rows = r.progress(task.id, window, team)
                members = r.members(task.team, team)
                met = r.met(task.id, window, team)
        total, goal = _standing(task, rows, members)
        given = sum(p.value for p in rows if p.learner == learner)
        current = {m.learner for m in members}
        parts = sorted(
            ((p.learner, p.value) for p in rows if task.on or p.learner in current),
            key=lambda x: (-x[1], x[0]),
        )
        return TaskProgress(
            task=task.id,
            title=program.text(f"task:{task.id}", language, task.title or task.id),
            every=task.every is not None,
            team=team,
            window=window,
            total=total,
            goal=goal,
            given=given,
            members=len(members),
            met=bool(met),
            met_at=met[0].at if met else None,
            reward_xp=task.reward_xp,
            contributors=tuple(parts),
        )


def _standing(
    task: TeamTask, rows: Sequence[Progress], members: Sequence[Member]
) -> tuple[float, float]:
    """``(total, goal)`` of a team: summed parts, or members who hold it."""
    if task.every is None:
        return sum(p.value for p in rows), task.goal
    current = {m.learner for m in members}
    holding = sum(1 for p in rows if p.learner in current and p.value > 0)
    return float(holding), task.goal if task.goal > 0 else float(len(members))


def _rewards(
    task: TeamTask,
    met: Met,
    members: Sequence[Member],
    given: Mapping[str, float],
    occurred_at: str,
) -> list[dict[str, Any]]:
    """The ``team.rewarded`` events of the members at the moment it was met.

    A member is rewarded when they had joined by then (``since <= at``).
    """
    return [
        {
            "id": reward_id(met.task, met.window, met.team, m.learner),
            "type": TeamRewarded.TYPE,
            "learner": m.learner,
            "occurred_at": occurred_at,
            "task": task.id,
            "window": met.window,
            "team": met.team,
            "contribution": given.get(m.learner, 0.0),
            "total": met.total,
        }
        for m in members
        if m.since <= met.at
    ]


def _find(rows: Sequence[Progress], key: tuple[str, str, str, str]) -> Progress | None:
    return next((p for p in rows if p.key == key), None)


def _flagged(s: LogSession, learner: str, version: int) -> set[str]:
    """The learner's events whose XP an integrity check flagged."""
    return {
        row.event_id
        for row in s.outcomes(learner, version, ("xp",), _ALL_ROWS)
        if orjson.loads(row.body).get("flags")
    }


def _now(clock: Clock) -> datetime:
    now = datetime.fromisoformat(clock.now_iso())
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _utc_key(iso: str) -> str:
    return _now_of(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now_of(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(key: str) -> str:
    """A UTC sort key (``...Z``) as an ISO time with an offset."""
    return key.replace("Z", "+00:00") if key.endswith("Z") else key
