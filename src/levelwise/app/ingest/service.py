"""The ingest use case: validate, deduplicate, fold and store; then replay.

One batch is one transaction of the log (ARCHITECTURE.md, "The one flow"):

1. :meth:`Ingest.ingest` validates every raw event (:mod:`levelwise.app.ingest.wire`)
   and looks up the digests of their ids: a known id with the same body is a
   duplicate, with another body a conflict.
2. The fresh events are folded per learner (:mod:`levelwise.app.ingest.projection`),
   from the learner's snapshot, or from a checkpoint when an event is late.
3. Events, outcome rows, checkpoints and snapshots are written; the outbox and
   the leaderboards are given the batch's values (events, decisions, states),
   never the bytes just encoded.
4. After the commit, boards kept outside the log are written and live streams
   are woken (:meth:`Ingest._committed`, the one post-commit step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from levelwise.app import views
from levelwise.app.ingest.acceptance import TimeWindow, check_references
from levelwise.app.ingest.projection import (
    Writes,
    fold_into,
    rewind,
    snapshot_of,
)
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    SCHEMA_VERSION,
    canonical_body,
    describe_errors,
    digest_of,
    event_id_of,
    from_body,
    repeated_keys,
    to_domain,
)
from levelwise.app.notify.outbox import Notifications
from levelwise.app.ports import (
    Clock,
    Decision,
    EventLog,
    LogSession,
    StoredEvent,
)
from levelwise.app.programs.catalog import Catalog
from levelwise.app.programs.loader import check_program
from levelwise.app.recognition.service import Boards
from levelwise.app.teams.service import NOTHING, Followup, TeamTasks
from levelwise.app.views import summarize
from levelwise.domain.events import Event, EventVoided
from levelwise.domain.fold import initial_state
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.outcomes import LevelReached, XpAwarded
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState, Profile
from levelwise.errors import EventRejectedError

MAX_BATCH = 5_000
"""The most events one batch may carry."""

REPLAY_CHUNK = 500
"""Learners re-folded per lock and write during a replay."""

_T = TypeVar("_T")
AfterCommit = Callable[[], None]
OnProgress = Callable[[int, int], None]
"""Told ``(done, total)`` as a long job advances (a progress bar, a log line)."""


@dataclass
class _Pending:
    index: int
    model: BaseModel
    event: Event
    stored: StoredEvent


class Ingest:
    """Events in, exact states and receipts out, one transaction per batch.

    Args:
        log: Where events, projections and programs live.
        clock: Stamps program uploads; events ahead of it are refused.
        catalog: The compiled programs.
        boards: Kept in step with every batch and replay.
        notifications: Filled in the transaction, woken after it.
        window: When an accepted event may have happened.
        teams: Team tasks, kept in step with every batch and replay; their
            rewards are ingested after the batch commits. None: no team tasks.
    """

    def __init__(
        self,
        log: EventLog,
        clock: Clock,
        catalog: Catalog,
        boards: Boards,
        notifications: Notifications,
        window: TimeWindow | None = None,
        teams: TeamTasks | None = None,
    ) -> None:
        """Keep the collaborators."""
        self.log = log
        self.clock = clock
        self.catalog = catalog
        self.boards = boards
        self.notifications = notifications
        self.window = window if window is not None else TimeWindow()
        self.teams = teams

    def _committed(
        self, tenant: str, work: Callable[[LogSession], tuple[_T, AfterCommit]]
    ) -> _T:
        """Run ``work`` in one transaction; after the commit, its boards and streams.

        ``work`` returns its result and what to write once the log committed
        (boards kept outside the log's database); live streams are woken then.
        """
        with self.log.session(tenant) as s:
            result, after = work(s)
        after()
        self.notifications.committed(tenant)
        return result

    # -- programs -----------------------------------------------------------------

    def put_program(
        self, tenant: str, source: str, filename: str = "program.yaml"
    ) -> views.ProgramSummary:
        """Validate and store a new program version, then replay every learner.

        Returns:
            The stored version's summary, with the file's warnings and
            ``changed`` True. When the file is already the current version,
            nothing is stored or replayed: its summary with ``changed`` False
            and no ``replay``.

        Raises:
            ProgramError: The file is invalid; nothing is stored.
        """
        program, warnings = check_program(source, filename)
        digest = hashlib.sha256(source.encode()).hexdigest()

        def work(s: LogSession) -> tuple[views.ProgramSummary, AfterCommit]:
            current = s.program(None)
            if current is not None and current.digest == digest:
                same = summarize(self.catalog.program(s))
                return replace(same, warnings=warnings, changed=False), _nothing
            version = s.save_program(source, digest, self.clock.now_iso())
            compiled, model = self.catalog.remember(digest, version, program)
            report, profiles = self._replay(s, compiled, model)
            after = self.boards.after_replay(tenant, s, version, profiles)
            team = self._teams_replayed(s, compiled, model)
            after = self._then(tenant, after, team)
            stored = summarize(compiled)
            stored = replace(stored, replay=report, warnings=warnings, changed=True)
            return stored, after

        return self._committed(tenant, work)

    # -- ingest -------------------------------------------------------------------

    def ingest(self, tenant: str, raw: Sequence[object]) -> views.IngestReport:
        """Validate, deduplicate, fold and store a batch of events atomically.

        Valid events are stored together with the decisions they cause; invalid
        ones are reported with a reason and change nothing. The same id with the
        same body is a duplicate (no-op); with another body, a conflict.

        Raises:
            EventRejectedError: The batch has more than ``MAX_BATCH`` events.
            ProgramNotFoundError: The school has no program yet.
        """
        if len(raw) > MAX_BATCH:
            msg = f"a batch holds at most {MAX_BATCH} events; this one has {len(raw)}"
            raise EventRejectedError(msg)
        results: list[views.EventResult | None] = [None] * len(raw)
        now = _now(self.clock)

        def work(s: LogSession) -> tuple[int, AfterCommit]:
            program, model = self.catalog.program_and_model(s)
            pending = _validate(raw, program, results, self.window, now)
            # The learners' locks come before the digests: a concurrent writer
            # of the same event has then committed, so its event reads as a
            # duplicate here instead of failing at insert.
            s.lock_learners(sorted({p.event.learner for p in pending}))
            stored = s.digests(sorted({p.stored.event_id for p in pending}))
            fresh, targets = _voids_checked(
                s, _fresh(pending, stored, results), results
            )
            if not fresh:
                return 0, _nothing
            rewound, states, decisions = self._apply(
                s, fresh, program, model, results, targets
            )
            events = [p.event for p in fresh]
            after = self.boards.after_ingest(tenant, s, program.version, events, states)
            team = NOTHING
            if self.teams is not None and program.team_tasks:
                team = self.teams.after_ingest(
                    s, program, model, events, states, decisions, rewound
                )
            return len(rewound), self._then(tenant, after, team)

        refolded = self._committed(tenant, work)
        done = tuple(r for r in results if r is not None)
        return views.IngestReport(results=done, refolded=refolded)

    def _apply(
        self,
        s: LogSession,
        fresh: list[_Pending],
        program: Program,
        model: MasteryModel,
        results: list[views.EventResult | None],
        targets: dict[str, tuple[str, str]] | None = None,
    ) -> tuple[list[str], dict[str, LearnerState], list[Decision]]:
        """Fold the fresh events and store them with what they decided.

        ``targets`` gives, per learner, the earliest key of an event that a
        fresh voiding voids: the learner is re-folded from before it, so the
        voided event's effect goes (as for a late event).

        Returns:
            The learners re-folded from a checkpoint (late events, stale
            projections), every learner's new state, and the decisions.
        """
        by_learner: dict[str, list[_Pending]] = {}
        for p in fresh:
            by_learner.setdefault(p.event.learner, []).append(p)
        learners = sorted(by_learner)  # locked by the caller
        snaps = s.snapshots(learners)
        writes = Writes(program.version)
        states: dict[str, LearnerState] = {}
        rewound: list[str] = []
        for learner in learners:
            batch = sorted(by_learner[learner], key=lambda p: p.event.sort_key)
            new = [p.event for p in batch]
            first = new[0].sort_key
            if targets and learner in targets:
                first = min(first, targets[learner])
            snap = snaps.get(learner)
            if snap is None:
                state, events = initial_state(learner, program, model), new
            elif snap.program_version != program.version:
                # A stale projection: re-fold the learner from the start.
                rewound.append(learner)
                state, events = rewind(s, learner, None, new, program, model)
            elif first <= (snap.last_at, snap.last_id):
                # A late event: re-fold from the last checkpoint before it, so
                # state equals a fold of the time-sorted log.
                rewound.append(learner)
                since = s.checkpoint_before(learner, program.version, first)
                state, events = rewind(s, learner, since, new, program, model)
            else:
                state, events = snap.learner_state(), new
            states[learner] = fold_into(state, events, program, model, writes)
        s.append([p.stored for p in fresh])
        writes.store(s)
        s.put_snapshots([snapshot_of(x, program) for x in states.values()])
        self.notifications.enqueue(s, writes.decisions, states, program.version)
        _accepted(fresh, writes.decisions, results)
        return rewound, states, writes.decisions

    # -- replay -------------------------------------------------------------------

    def replay(
        self, tenant: str, on_progress: OnProgress | None = None
    ) -> views.ReplayReport:
        """Rebuild every learner's projection from the log with the current program.

        Args:
            tenant: The school.
            on_progress: Called with ``(learners done, learners in all)``: once
                before the first learner, then after each chunk of
                ``REPLAY_CHUNK`` learners is written, ending at ``(n, n)``. It
                only observes: the replay is the same with or without it.
        """

        def work(s: LogSession) -> tuple[views.ReplayReport, AfterCommit]:
            program, model = self.catalog.program_and_model(s)
            report, profiles = self._replay(s, program, model, on_progress)
            after = self.boards.after_replay(tenant, s, program.version, profiles)
            team = self._teams_replayed(s, program, model)
            return report, self._then(tenant, after, team)

        return self._committed(tenant, work)

    def _teams_replayed(
        self, s: LogSession, program: Program, model: MasteryModel
    ) -> Followup:
        if self.teams is None or not program.team_tasks:
            return NOTHING
        return self.teams.after_replay(s, program, model)

    def _then(self, tenant: str, after: AfterCommit, team: Followup) -> AfterCommit:
        """``after``, then the team tasks' writes and rewards (after the commit).

        Rewards are ingested as a batch of their own once the batch that met
        the goal committed; they are never counted by team tasks, so posting
        them does not post more.
        """
        if team is NOTHING:
            return after

        def then() -> None:
            after()
            team.write()
            for start in range(0, len(team.rewards), MAX_BATCH):
                self.ingest(tenant, list(team.rewards[start : start + MAX_BATCH]))

        return then

    def _replay(
        self,
        s: LogSession,
        program: Program,
        model: MasteryModel,
        on_progress: OnProgress | None = None,
    ) -> tuple[views.ReplayReport, dict[str, Profile]]:
        learners = s.learners()
        before = s.snapshots(learners)
        if on_progress is not None:
            on_progress(0, len(learners))
        profiles: dict[str, Profile] = {}
        events_total = 0
        changed = 0
        for chunk_start in range(0, len(learners), REPLAY_CHUNK):
            chunk = learners[chunk_start : chunk_start + REPLAY_CHUNK]
            s.lock_learners(chunk)
            writes = Writes(program.version)
            states: dict[str, LearnerState] = {}
            for learner in chunk:
                state, events = rewind(s, learner, None, [], program, model)
                events_total += len(events)
                state = fold_into(state, events, program, model, writes)
                old = before.get(learner)
                changed += old is None or old.level != program.levels[state.level].id
                states[learner] = state
                profiles[learner] = state.profile
            writes.store(s)
            s.put_snapshots([snapshot_of(x, program) for x in states.values()])
            self.notifications.enqueue(s, writes.decisions, states, program.version)
            if on_progress is not None:
                on_progress(chunk_start + len(chunk), len(learners))
        report = views.ReplayReport(
            program.version, len(learners), events_total, changed
        )
        return report, profiles


def _now(clock: Clock) -> datetime:
    """The clock's time, aware (a clock without an offset speaks UTC)."""
    now = datetime.fromisoformat(clock.now_iso())
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _validate(
    raw: Sequence[object],
    program: Program,
    results: list[views.EventResult | None],
    window: TimeWindow,
    now: datetime,
) -> list[_Pending]:
    pending: list[_Pending] = []
    for index, item in enumerate(raw):
        ident = event_id_of(item)
        repeated = repeated_keys(item)
        if repeated:
            reason = f"{repeated[0]}: the key appears more than once in the event"
            results[index] = views.EventResult(index, ident, "rejected", reason)
            continue
        try:
            model = EVENT_ADAPTER.validate_python(item)
        except ValidationError as exc:
            reason = describe_errors(exc)
            results[index] = views.EventResult(index, ident, "rejected", reason)
            continue
        problem = check_references(model, program) or window.check(model, now)
        if problem is not None:
            results[index] = views.EventResult(index, ident, "rejected", problem)
            continue
        event = to_domain(model)
        body = canonical_body(model)
        digest = digest_of(body)
        row = StoredEvent(
            event.id,
            event.learner,
            event.type,
            SCHEMA_VERSION,
            event.sort_key[0],
            body,
            digest,
        )
        pending.append(_Pending(index, model, event, row))
    return pending


def _fresh(
    pending: Sequence[_Pending],
    stored: dict[str, str],
    results: list[views.EventResult | None],
) -> list[_Pending]:
    """The events to store; the others are reported as duplicates or conflicts.

    An id is judged against the body the log holds for it, or, when the log
    does not know it, against its first occurrence in the batch. So a batch
    answers as its events sent one by one in the same order would, whatever
    the batching: a changed body then the original of a stored event is one
    conflict and one duplicate.
    """
    bodies = dict(stored)  # id -> the digest that id stands for
    fresh = []
    for p in pending:
        known = bodies.get(p.stored.event_id)
        if known is None:
            bodies[p.stored.event_id] = p.stored.digest
            fresh.append(p)
        else:
            results[p.index] = _dup(p, known)
    return fresh


def _voids_checked(
    s: LogSession, fresh: list[_Pending], results: list[views.EventResult | None]
) -> tuple[list[_Pending], dict[str, tuple[str, str]]]:
    """Refuse the voidings that cannot be; where the others send each re-fold.

    A voiding (``event.voided``) must void an event of its own learner, in the
    log or earlier in the batch, that is no voiding itself and that no other
    voiding voids. A refused one is reported and changes nothing.

    The learners' whole histories are read: voidings are rare.

    Returns:
        The fresh events without the refused voidings, and per learner the
        earliest ``(occurred_at, id)`` key of an event voided.
    """
    voidings = [p for p in fresh if isinstance(p.event, EventVoided)]
    if not voidings:
        return fresh, {}
    known: dict[str, dict[str, tuple[str, tuple[str, str]]]] = {}
    taken: dict[str, set[str]] = {}
    for learner in sorted({p.event.learner for p in voidings}):
        history = s.history(learner)
        known[learner] = {
            e.event_id: (e.type, (e.occurred_at, e.event_id)) for e in history
        }
        taken[learner] = set()
        for e in history:
            if e.type == EventVoided.TYPE:
                earlier = from_body(e.body, e.version)
                if isinstance(earlier, EventVoided):
                    taken[learner].add(earlier.target)
    targets: dict[str, tuple[str, str]] = {}
    refused: set[int] = set()
    for p in fresh:
        learner = p.event.learner
        own = known.get(learner)
        if own is None:
            continue
        if not isinstance(p.event, EventVoided):
            own.setdefault(p.event.id, (p.event.type, p.event.sort_key))
            continue
        reason = _void_problem(p.event, own, taken[learner])
        if reason is not None:
            refused.add(p.index)
            results[p.index] = views.EventResult(
                p.index, p.event.id, "rejected", reason
            )
            continue
        taken[learner].add(p.event.target)
        own[p.event.id] = (p.event.type, p.event.sort_key)
        key = own[p.event.target][1]
        targets[learner] = min(targets.get(learner, key), key)
    return [p for p in fresh if p.index not in refused], targets


def _void_problem(
    event: EventVoided,
    own: dict[str, tuple[str, tuple[str, str]]],
    taken: set[str],
) -> str | None:
    """Why ``event`` may not void its target, or None."""
    found = own.get(event.target)
    if found is None:
        return (
            f"target: learner {event.learner!r} has no event {event.target!r} to void"
        )
    if found[0] == EventVoided.TYPE:
        return f"target: {event.target!r} is a voiding; a voiding cannot be voided"
    if event.target in taken:
        return f"target: {event.target!r} is already voided"
    return None


def _accepted(
    fresh: Sequence[_Pending],
    decisions: Sequence[Decision],
    results: list[views.EventResult | None],
) -> None:
    """Report each fresh event as accepted, with the XP and levels it caused."""
    xp: dict[str, int] = {}
    levels: dict[str, list[str]] = {}
    for d in decisions:
        if isinstance(d.outcome, XpAwarded):
            xp[d.event_id] = xp.get(d.event_id, 0) + d.outcome.xp
        elif isinstance(d.outcome, LevelReached):
            levels.setdefault(d.event_id, []).append(d.outcome.level)
    for p in fresh:
        event_id = p.event.id
        results[p.index] = views.EventResult(
            p.index,
            event_id,
            "accepted",
            "",
            xp.get(event_id, 0),
            tuple(levels.get(event_id, ())),
        )


_CONFLICT = "an event with this id was already received with a different body"


def _dup(p: _Pending, known_digest: str) -> views.EventResult:
    if known_digest == p.stored.digest:
        return views.EventResult(p.index, p.event.id, "duplicate")
    return views.EventResult(p.index, p.event.id, "conflict", _CONFLICT)


def _nothing() -> None:
    """Nothing to do after the commit."""
