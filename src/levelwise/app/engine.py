"""Use cases: ingest events, read learners and receipts, change programs, replay."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from levelwise.app import views
from levelwise.app.credentials.service import Credentials
from levelwise.app.guidance.service import Guidance
from levelwise.app.ingest.projection import (
    Writes,
    fold_into,
    loads,
    rewind,
    snapshot_of,
    state_of,
)
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    SCHEMA_VERSION,
    canonical_body,
    check_references,
    describe_errors,
    digest_of,
    from_body,
    to_domain,
)
from levelwise.app.metrics.service import Metrics
from levelwise.app.modelling.fitting import (
    Answer,
    Fit,
    LogisticFit,
    answers_from_events,
    fit_bkt,
    fit_logistic,
    mastery_section,
    with_mastery,
)
from levelwise.app.notify.outbox import Notifications
from levelwise.app.notify.webhooks import Webhooks
from levelwise.app.placement.service import Placements
from levelwise.app.ports import Clock, EventLog, LogSession, Snapshot, StoredEvent
from levelwise.app.programs.loader import load_program
from levelwise.app.recognition.boards import BoardStore
from levelwise.app.recognition.pk import NOTIFIED_KINDS
from levelwise.app.recognition.service import Boards
from levelwise.app.views import learner_view, summarize
from levelwise.domain import codec
from levelwise.domain.events import Event
from levelwise.domain.fold import default_model, initial_state
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.outcomes import LevelReached, XpAwarded
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState
from levelwise.errors import (
    EventRejectedError,
    FitError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    ProgramVersionNotFoundError,
)

MAX_BATCH = 5_000


@dataclass
class _Pending:
    index: int
    model: BaseModel
    event: Event
    stored: StoredEvent


class Levelwise:
    """The engine's use cases over one event log.

    Args:
        log: Where events, projections and programs live.
        clock: Wall time, for program upload dates and forecasts.
        boards: Where leaderboards live; None keeps none.
    """

    def __init__(
        self, log: EventLog, clock: Clock, boards: BoardStore | None = None
    ) -> None:
        """Keep the log and clock; programs are compiled on first use."""
        self.log = log
        self.clock = clock
        self.boards = Boards(log, boards, clock)
        self._programs: dict[tuple[str, int], tuple[Program, MasteryModel]] = {}
        self.placements = Placements(log, clock, self._compiled, self.ingest)
        self.guidance = Guidance(log, clock, self._program_and_model)
        self.credentials = Credentials(None, log, clock)  # bootstrap sets a store
        self.notifications = Notifications(log.outbox, clock, NOTIFIED_KINDS)
        self.webhooks = Webhooks(log.outbox, clock)
        self.metrics = Metrics(log, None, clock, self._program_and_model)

    # -- programs ---------------------------------------------------------------

    def _compiled(self, s: LogSession, version: int | None = None) -> Program:
        return self._program_and_model(s, version)[0]

    def _program_and_model(
        self, s: LogSession, version: int | None = None
    ) -> tuple[Program, MasteryModel]:
        stored = s.program(version)
        if stored is None and version is not None:
            msg = f"program version {version} does not exist in this school"
            raise ProgramVersionNotFoundError(msg)
        if stored is None:
            msg = "no program is set for this school; upload one first"
            raise ProgramNotFoundError(msg)
        tenant_key = (stored.digest, stored.version)
        cached = self._programs.get(tenant_key)
        if cached is None:
            program = load_program(stored.source, f"program v{stored.version}")
            program = replace(program, version=stored.version)
            cached = (program, default_model(program))
            self._programs[tenant_key] = cached
        return cached

    def current_program(self, tenant: str) -> tuple[views.ProgramSummary, str]:
        """The tenant's current program summary and source text."""
        program, source = self._current(tenant)
        return summarize(program), source

    def program(self, tenant: str) -> Program:
        """The tenant's current program, compiled (from the engine's cache)."""
        return self._current(tenant)[0]

    def _current(self, tenant: str) -> tuple[Program, str]:
        with self.log.read(tenant) as s:
            program = self._compiled(s)
            stored = s.program(program.version)
        assert stored is not None  # noqa: S101 - just compiled from it
        return program, stored.source

    def put_program(
        self, tenant: str, source: str, filename: str = "program.yaml"
    ) -> views.ProgramSummary:
        """Validate and store a new program version, then replay every learner.

        Raises:
            ProgramError: The file is invalid; nothing is stored.
        """
        program = load_program(source, filename)
        digest = hashlib.sha256(source.encode()).hexdigest()
        with self.log.session(tenant) as s:
            current = s.program(None)
            if current is not None and current.digest == digest:
                return summarize(self._compiled(s))
            version = s.save_program(source, digest, self.clock.now_iso())
            program = replace(program, version=version)
            model = default_model(program)
            self._programs[(digest, version)] = (program, model)
            report = self._replay(s, program, model)
            boards_done = self.boards.after_replay(tenant, s, version)
        boards_done()
        self.notifications.committed(tenant)
        return replace(summarize(program), replay=report)

    # -- ingest -----------------------------------------------------------------

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
        with self.log.session(tenant) as s:
            program, model = self._program_and_model(s)
            pending = self._validate(raw, program, results)
            stored = s.digests([p.stored.event_id for p in pending])
            fresh = []
            for p in pending:
                known = stored.get(p.stored.event_id)
                if known is None:
                    fresh.append(p)
                else:
                    results[p.index] = _dup(p, known)
            refolded = self._apply(s, fresh, program, model, results)
            boards_done = self.boards.after_ingest(
                tenant, s, program.version, [p.stored for p in fresh]
            )
        boards_done()
        self.notifications.committed(tenant)
        done = tuple(r for r in results if r is not None)
        return views.IngestReport(results=done, refolded=refolded)

    def _validate(
        self,
        raw: Sequence[object],
        program: Program,
        results: list[views.EventResult | None],
    ) -> list[_Pending]:
        pending: list[_Pending] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(raw):
            event_id = item.get("id") if isinstance(item, dict) else None
            ident = event_id if isinstance(event_id, str) else None
            try:
                model = EVENT_ADAPTER.validate_python(item)
            except ValidationError as exc:
                reason = describe_errors(exc)
                results[index] = views.EventResult(index, ident, "rejected", reason)
                continue
            problem = check_references(model, program)
            if problem is not None:
                results[index] = views.EventResult(index, ident, "rejected", problem)
                continue
            event = to_domain(model)
            body = canonical_body(model)
            digest = digest_of(body)
            if event.id in seen:
                status: views.Status = (
                    "duplicate" if seen[event.id] == digest else "conflict"
                )
                reason = "" if status == "duplicate" else _CONFLICT
                results[index] = views.EventResult(index, event.id, status, reason)
                continue
            seen[event.id] = digest
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

    def _apply(
        self,
        s: LogSession,
        fresh: list[_Pending],
        program: Program,
        model: MasteryModel,
        results: list[views.EventResult | None],
    ) -> int:
        if not fresh:
            return 0
        by_learner: dict[str, list[_Pending]] = {}
        for p in fresh:
            by_learner.setdefault(p.event.learner, []).append(p)
        learners = sorted(by_learner)
        s.lock_learners(learners)
        snaps = s.snapshots(learners)
        writes = Writes()
        new_snaps: list[Snapshot] = []
        refolded = 0
        for learner in learners:
            batch = sorted(by_learner[learner], key=lambda p: p.event.sort_key)
            new = [p.event for p in batch]
            first = new[0].sort_key
            snap = snaps.get(learner)
            if snap is None:
                state, events = initial_state(learner, program, model), new
            elif snap.program_version != program.version:
                # A stale projection: re-fold the learner from the start.
                refolded += 1
                state, events = rewind(s, learner, None, new, program, model)
            elif first <= (snap.last_at, snap.last_id):
                # A late event: re-fold from the last checkpoint before it, so
                # state equals a fold of the time-sorted log.
                refolded += 1
                since = s.checkpoint_before(learner, program.version, first)
                state, events = rewind(s, learner, since, new, program, model)
            else:
                state, events = state_of(snap), new
            state = fold_into(state, events, program, model, writes)
            new_snaps.append(snapshot_of(state, program))
        s.append([p.stored for p in fresh])
        writes.store(s)
        s.put_snapshots(new_snaps)
        self.notifications.enqueue(s, writes.outcomes, new_snaps)
        produced = writes.produced or {}
        for p in fresh:
            outs = produced.get(p.event.id, [])
            xp = sum(o.xp for o in outs if isinstance(o, XpAwarded))
            lv = tuple(o.level for o in outs if isinstance(o, LevelReached))
            results[p.index] = views.EventResult(
                p.index, p.event.id, "accepted", "", xp, lv
            )
        return refolded

    # -- replay -----------------------------------------------------------------

    def replay(self, tenant: str) -> views.ReplayReport:
        """Rebuild every learner's projection from the log with the current program."""
        with self.log.session(tenant) as s:
            program, model = self._program_and_model(s)
            report = self._replay(s, program, model)
            boards_done = self.boards.after_replay(tenant, s, program.version)
        boards_done()
        self.notifications.committed(tenant)
        return report

    def _replay(
        self, s: LogSession, program: Program, model: MasteryModel
    ) -> views.ReplayReport:
        learners = s.learners()
        before = s.snapshots(learners)
        events_total = 0
        changed = 0
        for chunk_start in range(0, len(learners), 500):
            chunk = learners[chunk_start : chunk_start + 500]
            s.lock_learners(chunk)
            writes = Writes(produced=None)
            snaps: list[Snapshot] = []
            for learner in chunk:
                state, events = rewind(s, learner, None, [], program, model)
                events_total += len(events)
                state = fold_into(state, events, program, model, writes)
                snap = snapshot_of(state, program)
                old = before.get(learner)
                changed += old is None or old.level != snap.level
                snaps.append(snap)
            writes.store(s)
            s.put_snapshots(snaps)
            self.notifications.enqueue(s, writes.outcomes, snaps)
        return views.ReplayReport(program.version, len(learners), events_total, changed)

    # -- reads ------------------------------------------------------------------

    def learner(self, tenant: str, learner: str) -> views.LearnerView:
        """Where ``learner`` stands: level, XP, next-level gates, dimensions.

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
        """
        with self.log.read(tenant) as s:
            program, model = self._program_and_model(s)
            snap = s.snapshots([learner]).get(learner)
            if snap is None:
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
        return learner_view(state_of(snap), program, model)

    def receipts(
        self,
        tenant: str,
        learner: str,
        *,
        limit: int = 100,
        kinds: Sequence[str] = (),
        version: int | None = None,
    ) -> list[dict[str, Any]]:
        """A learner's decisions, newest first, with receipts for XP.

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
        """
        with self.log.read(tenant) as s:
            program = self._compiled(s, version)
            if not s.snapshots([learner]):
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
            rows = s.outcomes(learner, program.version, kinds, limit)
        return [
            dict(
                codec.outcome_view(
                    loads(r.body),
                    kind=r.kind,
                    event_id=r.event_id,
                    learner=r.learner,
                    at=r.at,
                ),
                program_version=r.program_version,
            )
            for r in rows
        ]

    def snapshots(self, tenant: str) -> list[LearnerState]:
        """Every learner's current state (for summaries and exports)."""
        with self.log.read(tenant) as s:
            snaps = s.snapshots(s.learners())
        return [state_of(x) for x in snaps.values()]

    # -- fitting ----------------------------------------------------------------

    def fit_mastery(
        self,
        tenant: str,
        answers: Sequence[Answer] | None = None,
        *,
        model: str = "logistic",
        forgetting: bool = False,
    ) -> tuple[views.ProgramSummary, Fit | LogisticFit]:
        """Fit a mastery model from answers and store it as a new program version.

        Args:
            tenant: The school.
            answers: ``(learner, knowledge point, correct)`` rows in time order
                per learner; by default every ``question.answered`` event in the
                school's log.
            model: ``logistic`` (the default: the evaluation's best model) or
                ``bkt``.
            forgetting: BKT only: also fit a forgetting rate per knowledge point.

        Returns:
            The new program version (replayed with the fitted model) and the fit.

        Raises:
            FitError: No answer is on one of the program's knowledge points, or
                the options do not fit the model.
        """
        if model not in ("logistic", "bkt"):
            msg = f"unknown mastery model '{model}' (use logistic or bkt)"
            raise FitError(msg)
        if forgetting and model != "bkt":
            msg = "forgetting is a BKT option; fit with model bkt to use it"
            raise FitError(msg)
        program, source = self._current(tenant)
        if answers is None:
            with self.log.read(tenant) as s:
                answers = answers_from_events(
                    from_body(e.body, e.version)
                    for learner in s.learners()
                    for e in s.history(learner)
                    if e.type == "question.answered"
                )
        kps = [k.id for k in program.knowledge_points]
        fit: Fit | LogisticFit
        if model == "bkt":
            fit = fit_bkt(answers, kps, forgetting=forgetting)
            found = bool(fit.params)
            name = "BKT"
        else:
            fit = fit_logistic(answers, kps)
            found = bool(fit.params.points)
            name = "Logistic model"
        if not found:
            msg = "no answers on the program's knowledge points to fit from"
            raise FitError(msg)
        note = f"{name} fitted on {fit.answers} answers of {fit.learners} learners"
        section = mastery_section(fit, note=note, prior=program.mastery.prior)
        summary = self.put_program(tenant, with_mastery(source, section), "fitted")
        return summary, fit

    # -- keys -------------------------------------------------------------------

    def create_key(self, tenant: str, label: str = "") -> str:
        """Create an API key for ``tenant`` and return it (only its digest is kept)."""
        key = f"lw_{secrets.token_urlsafe(24)}"
        self.log.add_key(tenant, _key_digest(key), label)
        return key

    def tenant_for_key(self, key: str) -> str | None:
        """The tenant an API key belongs to, or None."""
        return self.log.tenant_for_key(_key_digest(key))


_CONFLICT = "an event with this id was already received with a different body"


def _dup(p: _Pending, known_digest: str) -> views.EventResult:
    if known_digest == p.stored.digest:
        return views.EventResult(p.index, p.event.id, "duplicate")
    return views.EventResult(p.index, p.event.id, "conflict", _CONFLICT)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
