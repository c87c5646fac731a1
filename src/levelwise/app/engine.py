"""The engine: the facade every entry point calls, built complete in one step.

``Levelwise`` holds one service per capability, each given its stores when the
engine is built (``levelwise.bootstrap`` picks them): ingest and replay
(:mod:`levelwise.app.ingest`), placement, guidance, recognition (boards,
leagues, PK), credentials, notifications and webhooks, and metrics. Its own
methods are the thin reads and writes that need no service of their own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import orjson

from levelwise.app import views
from levelwise.app.credentials.ports import CredentialStore
from levelwise.app.credentials.service import Credentials
from levelwise.app.guidance.service import Guidance
from levelwise.app.ingest.acceptance import TimeWindow
from levelwise.app.ingest.service import MAX_BATCH, Ingest, OnProgress
from levelwise.app.ingest.wire import from_body
from levelwise.app.links import PageLinks
from levelwise.app.metrics.ports import MetricStore
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
from levelwise.app.notify.guard import UrlGuard
from levelwise.app.notify.outbox import NOTIFIABLE_KINDS, Notifications
from levelwise.app.notify.webhooks import Webhooks
from levelwise.app.placement.service import Placements
from levelwise.app.ports import Clock, EventLog
from levelwise.app.practice.ports import PracticeStore
from levelwise.app.practice.service import Backends, Practice
from levelwise.app.programs.catalog import Catalog
from levelwise.app.quality.ports import QualityStore
from levelwise.app.quality.service import QUALITY_KINDS, Quality, QualitySettings
from levelwise.app.recognition.pk import NOTIFIED_KINDS, Pk
from levelwise.app.recognition.ports import BoardStore, PkStore
from levelwise.app.recognition.service import Boards
from levelwise.app.teams.ports import TeamStore
from levelwise.app.teams.service import TEAM_KINDS, TeamTasks
from levelwise.app.views import learner_view, speaking_info, summarize
from levelwise.app.xapi.feed import StatementFeed
from levelwise.app.xapi.ports import XapiStore
from levelwise.app.xapi.service import RecordStore
from levelwise.config import (
    DEFAULT_EVENT_EARLIEST,
    DEFAULT_EVENT_MAX_SKEW_SECONDS,
    DEFAULT_PUBLIC_URL,
)
from levelwise.domain import codec
from levelwise.domain.fold import learning_events
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState
from levelwise.errors import FitError, LearnerNotFoundError

__all__ = ["MAX_BATCH", "Levelwise"]


class Levelwise:
    """The engine's use cases over one event log and the stores beside it.

    Args:
        log: Where events, projections and programs live.
        clock: Wall time, for program upload dates and forecasts.
        boards: Where leaderboards live; None keeps none.
        metrics: Where the metrics projection lives; None: metrics are
            unavailable.
        credentials: Where verifiable credentials live; None: unavailable.
        pk: Where group PK definitions live; None: PK is unavailable.
        practice: Where practice sessions live; None: practice is unavailable.
        partner: The speaking partner's back ends (default: the scripted
            partner, text only).
        quality: Where live-class call quality lives; None: unavailable.
        teams: Where team-task progress lives; None: team tasks are not kept.
        xapi: The xAPI record store's statements, documents and clients;
            None: this engine has no record store (``/xapi/`` answers 404).
        xapi_default_version: The version ``/xapi/`` names in answers to
            requests that name none.
        xapi_feed_inline: Whether a request's statements are folded before it
            is answered; else a feed worker drains them
            (``statement_feed.drain_all``).
        quality_settings: How call quality is graded and kept.
        public_url: The public base URL of hosted credentials.
        links: Signs and checks page links (default: the process's own key).
        webhook_guard: Where webhooks may go (default: public addresses only).
        event_max_skew: How far ahead of ``clock`` an ingested event may be.
        event_earliest: The first day ingested events may fall on (every
            school's, for now).
    """

    def __init__(
        self,
        log: EventLog,
        clock: Clock,
        boards: BoardStore | None = None,
        *,
        metrics: MetricStore | None = None,
        credentials: CredentialStore | None = None,
        pk: PkStore | None = None,
        practice: PracticeStore | None = None,
        partner: Backends | None = None,
        quality: QualityStore | None = None,
        quality_settings: QualitySettings | None = None,
        teams: TeamStore | None = None,
        xapi: XapiStore | None = None,
        xapi_default_version: str = "2.0.0",
        xapi_feed_inline: bool = True,
        public_url: str = DEFAULT_PUBLIC_URL,
        links: PageLinks | None = None,
        webhook_guard: UrlGuard | None = None,
        event_max_skew: timedelta = timedelta(seconds=DEFAULT_EVENT_MAX_SKEW_SECONDS),
        event_earliest: date = DEFAULT_EVENT_EARLIEST,
    ) -> None:
        """Build every service over the given stores; programs compile on use."""
        self.log = log
        self.clock = clock
        self.catalog = Catalog()
        self.boards = Boards(log, boards, clock)
        self.notifications = Notifications(log.outbox, clock, NOTIFIED_KINDS)
        self.webhooks = Webhooks(
            log.outbox,
            clock,
            NOTIFIABLE_KINDS | QUALITY_KINDS | TEAM_KINDS,
            guard=webhook_guard,
        )
        window = TimeWindow(event_earliest, event_max_skew)
        self.teams = TeamTasks(
            log, teams, clock, self.notifications, self.catalog.program_and_model
        )
        self._ingest = Ingest(
            log,
            clock,
            self.catalog,
            self.boards,
            self.notifications,
            window,
            teams=self.teams,
        )
        self.placements = Placements(log, clock, self.catalog.program, self.ingest)
        self.guidance = Guidance(log, clock, self.catalog.program_and_model)
        self.credentials = Credentials(
            credentials, log, clock, public_url, programs=self.catalog.program
        )
        self.metrics = Metrics(log, metrics, clock, self.catalog.program_and_model)
        self.pk = Pk(self, pk)
        self.practice = Practice(
            log, practice, clock, self.catalog.program_and_model, self.ingest, partner
        )
        self.quality = Quality(
            quality,
            clock,
            program=self.program,
            ingest=self.ingest,
            alert=self._alert,
            settings=quality_settings,
        )
        self.links = links if links is not None else PageLinks.from_secret(None)
        self.statement_feed = (
            None if xapi is None else StatementFeed(self.program, self.ingest, xapi)
        )
        self.xapi = (
            None
            if xapi is None
            else RecordStore(
                xapi,
                clock,
                feed=self.statement_feed if xapi_feed_inline else None,
                home_page=public_url,
                default_version=xapi_default_version,
            )
        )

    def _alert(
        self, tenant: str, klass: str, kind: str, data: Mapping[str, Any]
    ) -> None:
        """Send a class's call-quality alert to webhooks and its live stream."""
        with self.log.session(tenant) as s:
            self.notifications.announce(
                s,
                kind=kind,
                cohort=klass,
                subject=f"live:{klass}",
                at=str(data["at"]),
                data=data,
            )
        self.notifications.committed(tenant)

    # -- programs ---------------------------------------------------------------

    def current_program(self, tenant: str) -> tuple[views.ProgramSummary, str]:
        """The tenant's current program summary and source text."""
        program, source = self._current(tenant)
        return summarize(program), source

    def program(self, tenant: str) -> Program:
        """The tenant's current program, compiled (from the engine's cache)."""
        return self._current(tenant)[0]

    def _current(self, tenant: str) -> tuple[Program, str]:
        with self.log.read(tenant) as s:
            program = self.catalog.program(s)
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
        return self._ingest.put_program(tenant, source, filename)

    # -- ingest and replay ------------------------------------------------------

    def ingest(self, tenant: str, raw: Sequence[object]) -> views.IngestReport:
        """Validate, deduplicate, fold and store a batch of events atomically.

        See :meth:`levelwise.app.ingest.service.Ingest.ingest`.

        Raises:
            EventRejectedError: The batch has more than ``MAX_BATCH`` events.
            ProgramNotFoundError: The school has no program yet.
        """
        return self._ingest.ingest(tenant, raw)

    def replay(
        self, tenant: str, on_progress: OnProgress | None = None
    ) -> views.ReplayReport:
        """Rebuild every learner's projection from the log with the current program.

        Args:
            tenant: The school.
            on_progress: Told ``(learners done, learners in all)`` as the replay
                advances, ending at ``(n, n)``; see
                :meth:`levelwise.app.ingest.service.Ingest.replay`.
        """
        return self._ingest.replay(tenant, on_progress)

    # -- reads ------------------------------------------------------------------

    def learner(self, tenant: str, learner: str) -> views.LearnerView:
        """Where ``learner`` stands: level, XP, next-level gates, dimensions.

        With the learner's speaking profile (their practice metrics' trends).

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
        """
        with self.log.read(tenant) as s:
            program, model = self.catalog.program_and_model(s)
            snap = s.snapshots([learner]).get(learner)
            if snap is None:
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
        speaking = speaking_info(self.practice.profile(tenant, learner))
        return learner_view(snap.learner_state(), program, model, speaking)

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
            program = self.catalog.program(s, version)
            if not s.snapshots([learner]):
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
            rows = s.outcomes(learner, program.version, kinds, limit)
        return [
            dict(
                codec.outcome_view(
                    orjson.loads(r.body),
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
        return [x.learner_state() for x in snaps.values()]

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
                    e
                    for learner in s.learners()
                    for e in learning_events(
                        (from_body(x.body, x.version) for x in s.history(learner)),
                        program,
                    )
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


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
