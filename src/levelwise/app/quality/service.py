"""Live-class call quality: take statistics, grade them, alert, credit, report.

``post`` takes one class's batch of samples (WebRTC ``getStats()`` or Agora
statistics, about one a second per participant). Each participant's samples
continue from their stored :class:`~levelwise.app.quality.ports.Cursor`: the
last snapshot's counters (WebRTC counters are cumulative) and the episode
tracker's state. A sample that is not after the participant's last one (out of
order or a duplicate), malformed, from the future, or for a class that has
ended is rejected with its reason; the others of the batch are kept. Nothing
from a rejected sample reaches a roll-up.

Accepted samples become graded intervals (the raw tier, kept for
``retention``), 10 s buckets and per-participant presences (the roll-ups, kept),
and episodes of degraded audio with their likely cause. A class whose audio
stays broken longer than ``Thresholds.alert_after_s`` raises
``live.quality_degraded`` (once), and ``live.quality_recovered`` when no
participant of a later batch is broken: both go through the signed webhook
outbox and the class's live stream.

``end`` closes a class and credits fair progression as the program's
``live_quality`` section says: minutes a learner lost to a network drop while
quality was broken become a ``live.credited`` event (id derived from the class
and the learner: ending twice credits once), ingested like any other, so the
fold counts them for attendance and gives them a receipt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from levelwise.app.ports import Clock
from levelwise.app.quality import panel as panels
from levelwise.app.quality import reports
from levelwise.app.quality._credit import credit_for
from levelwise.app.quality._credit import credit_id as credit_id
from levelwise.app.quality._grader import DEGRADED as DEGRADED
from levelwise.app.quality._grader import RECOVERED as RECOVERED
from levelwise.app.quality._grader import Grader, Rejected
from levelwise.app.quality._samples import read_sample
from levelwise.app.quality.ports import (
    ClassState,
    QualityStore,
    Sample,
    Thresholds,
)
from levelwise.app.quality.reports import ClassReport
from levelwise.app.views import IngestReport
from levelwise.domain.program import Program
from levelwise.errors import QualityInputError, QualityNotFoundError

MAX_SAMPLES = 2_000
"""The most samples one request may carry."""
QUALITY_KINDS = frozenset({DEGRADED, RECOVERED})
"""The notification kinds of call quality (webhooks may ask for them)."""

Alert = Callable[[str, str, str, Mapping[str, Any]], None]
"""``alert(tenant, class, kind, data)``: notify webhooks and the class's stream."""
IngestEvents = Callable[[str, Sequence[object]], IngestReport]
"""The engine's ingest use case."""


@dataclass(frozen=True)
class StatsReport:
    """What one batch did.

    Attributes:
        klass: The class.
        accepted: Samples taken.
        rejected: Samples not taken, with their reasons.
        notes: What was ignored inside accepted samples (a counter reset, an
            absurd field), each prefixed with the participant.
        intervals: Graded intervals the batch produced.
        alerts: The alerts it raised.
    """

    klass: str
    accepted: int
    rejected: tuple[Rejected, ...]
    notes: tuple[str, ...]
    intervals: int
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credit:
    """Live minutes credited to a learner for one class.

    Attributes:
        learner: The learner.
        seconds: Seconds credited.
        reason: The receipt's reason (``network broken 19:42–19:54 UTC``).
        event_id: The ``live.credited`` event's id.
        status: What ingest made of it (``accepted``, ``duplicate``, ...).
    """

    learner: str
    seconds: float
    reason: str
    event_id: str
    status: str


@dataclass(frozen=True)
class EndReport:
    """What ending a class did.

    Attributes:
        klass: The class.
        credits: The credits given (none when the program credits nothing).
        policy: The program's ``credit`` setting that applied.
    """

    klass: str
    credits: tuple[Credit, ...]
    policy: str


@dataclass(frozen=True)
class QualitySettings:
    """How a school's call quality is graded and kept.

    Attributes:
        thresholds: Bands, codec, alert and drop settings.
        max_skew: How far ahead of now a sample may be.
        retention: How long raw graded intervals are kept.
    """

    thresholds: Thresholds = field(default_factory=Thresholds)
    max_skew: timedelta = timedelta(seconds=600)
    retention: timedelta = timedelta(hours=48)


class Quality:
    """Call quality of a school's live classes over a :class:`QualityStore`.

    Args:
        store: Where quality lives; None: call quality is unavailable.
        clock: Now, for samples from the future and retention.
        program: The school's current program (for its ``live_quality``).
        ingest: The engine's ingest use case (credits are events).
        alert: Sends an alert to webhooks and the class's stream.
        settings: Grading and retention (default: the seed's targets).
    """

    def __init__(
        self,
        store: QualityStore | None,
        clock: Clock,
        *,
        program: Callable[[str], Program],
        ingest: IngestEvents,
        alert: Alert,
        settings: QualitySettings | None = None,
    ) -> None:
        """Keep the collaborators."""
        self._store = store
        self.clock = clock
        self._program = program
        self._ingest = ingest
        self._alert = alert
        self.settings = settings or QualitySettings()
        self.thresholds = self.settings.thresholds
        self.grader = Grader(self.thresholds)

    @property
    def store(self) -> QualityStore:
        """The store; raises when call quality is unavailable."""
        if self._store is None:
            raise QualityNotFoundError("call quality is not configured")
        return self._store

    def now(self) -> datetime:
        """The clock's time, aware."""
        return datetime.fromisoformat(self.clock.now_iso())

    def post(self, tenant: str, klass: str, raw: Sequence[object]) -> StatsReport:
        """Take one class's batch of samples (see the module docstring).

        Args:
            tenant: The school.
            klass: The class (checked by the caller against the id rule).
            raw: The samples as decoded JSON.

        Returns:
            What was taken, what was not and why, and the alerts raised.

        Raises:
            QualityInputError: More than :data:`MAX_SAMPLES` samples.
        """
        if len(raw) > MAX_SAMPLES:
            msg = f"a batch holds at most {MAX_SAMPLES} samples, not {len(raw)}"
            raise QualityInputError(msg)
        now = self.now()
        rejected: list[Rejected] = []
        samples: list[tuple[int, Sample]] = []
        for i, item in enumerate(raw):
            try:
                samples.append(
                    (i, read_sample(item, klass, (now, self.settings.max_skew)))
                )
            except QualityInputError as e:
                who = item.get("participant") if isinstance(item, Mapping) else None
                rejected.append(
                    Rejected(i, who if isinstance(who, str) else None, str(e))
                )
        store = self.store
        if not samples:
            return StatsReport(klass, 0, tuple(rejected), (), 0)
        participants = sorted({s.participant for _, s in samples})
        done = self.grader.advance(
            klass,
            samples,
            store.cursors(tenant, klass, participants),
            store.class_state(tenant, klass),
        )
        if done.recorded is not None:
            store.record(tenant, done.recorded)
        for kind, data in done.alerts:
            self._alert(tenant, klass, kind, data)
        rejected += done.rejected
        return StatsReport(
            klass=klass,
            accepted=len(samples) - len(done.rejected),
            rejected=tuple(sorted(rejected, key=lambda r: r.index)),
            notes=done.notes,
            intervals=0 if done.recorded is None else len(done.recorded.graded),
            alerts=tuple(k for k, _ in done.alerts),
        )

    def purge(self) -> int:
        """Drop raw graded intervals older than the retention (every school).

        Returns:
            How many were dropped; the roll-ups stay.
        """
        return self.store.purge(self.now() - self.settings.retention)

    def report(self, tenant: str, klass: str) -> ClassReport:
        """A class's report: per participant time in band, worst moments, verdict.

        Raises:
            QualityNotFoundError: The school has no statistics of this class.
        """
        store = self.store
        presences = store.presences(tenant, klass=klass)
        if not presences:
            raise QualityNotFoundError(
                f"no call-quality statistics for class {klass!r}"
            )
        return reports.class_report(
            klass,
            presences,
            store.buckets(tenant, klass),
            store.episodes(tenant, klass),
            t=self.thresholds,
        )

    def end(self, tenant: str, klass: str) -> EndReport:
        """End a class: no more samples, and credit fair progression.

        Raises:
            QualityNotFoundError: The school has no statistics of this class.
        """
        store = self.store
        state = store.class_state(tenant, klass)
        if state is None:
            raise QualityNotFoundError(
                f"no call-quality statistics for class {klass!r}"
            )
        program = self._program(tenant)
        policy = program.live_quality
        credits: list[Credit] = []
        if policy.credit == "drops":
            credits = self._credit(tenant, klass, state, program)
        if not state.ended:
            store.set_state(tenant, replace(state, ended=True))
        return EndReport(klass, tuple(credits), policy.credit)

    def _credit(
        self, tenant: str, klass: str, state: ClassState, program: Program
    ) -> list[Credit]:
        """Compute and ingest the class's credits."""
        store = self.store
        presences = store.presences(tenant, klass=klass)
        episodes = store.episodes(tenant, klass)
        learners = [p for p in presences if p.role == "learner"]
        minutes = {u.id: u.minutes for u in program.units}
        wanted = []
        for p in learners:
            found = credit_for(
                p,
                state,
                episodes,
                one_to_one=len(learners) == 1,
                within=program.live_quality.drop_within,
                scheduled=(
                    minutes.get(p.unit or "")
                    if program.live_quality.up_to == "scheduled"
                    else None
                ),
                drop_after=self.thresholds.drop_after_s,
            )
            if found is not None:
                wanted.append((p, *found))
        if not wanted:
            return []
        events: list[object] = [
            {
                "id": credit_id(klass, p.participant),
                "type": "live.credited",
                "learner": p.participant,
                "occurred_at": at.isoformat(),
                "unit": p.unit,
                "seconds": round(seconds, 3),
                "reason": reason,
                "live_class": klass,
            }
            for p, seconds, reason, at in wanted
        ]
        report = self._ingest(tenant, events)
        return [
            Credit(p.participant, round(seconds, 3), reason, r.id or "", r.status)
            for (p, seconds, reason, _), r in zip(wanted, report.results, strict=True)
        ]

    def participations(
        self,
        tenant: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[panels.Participation]:
        """Every learner's participation in the classes that started in a range.

        A participation's band, drop-out and completion are defined in
        :mod:`levelwise.app.quality.panel`.

        Args:
            tenant: The school.
            since: Classes whose first sample is at or after this (None: any).
            until: Classes whose first sample is before this (None: any).

        Returns:
            The participations, by class start; none when call quality is not
            configured.
        """
        if self._store is None:
            return []
        return panels.participations(
            self._store.classes(tenant, since=since, until=until),
            self._store.presences(tenant, since=since, until=until),
            self.thresholds.drop_after_s,
        )

    def panel(
        self,
        tenant: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> panels.Panel:
        """The dashboard's class-quality panel of the classes started in a range.

        Args:
            tenant: The school.
            since: Classes whose first sample is at or after this (None: any).
            until: Classes whose first sample is before this (None: any).

        Returns:
            Per class and per week, with the classes that break most; empty
            when call quality is not configured.
        """
        if self._store is None:
            return panels.build([], [], self.thresholds.drop_after_s)
        return panels.build(
            self._store.classes(tenant, since=since, until=until),
            self._store.presences(tenant, since=since, until=until),
            self.thresholds.drop_after_s,
        )
