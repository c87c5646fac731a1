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

import hashlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from levelwise.app.ports import Clock
from levelwise.app.quality import panel as panels
from levelwise.app.quality import reports
from levelwise.app.quality._grade import grade
from levelwise.app.quality._parse import measure
from levelwise.app.quality._rollup import buckets, presence_delta
from levelwise.app.quality._samples import read_sample
from levelwise.app.quality._track import Tracker
from levelwise.app.quality.ports import (
    Bucket,
    ClassState,
    Cursor,
    Episode,
    Graded,
    Presence,
    QualityStore,
    Recorded,
    Role,
    Sample,
    Thresholds,
)
from levelwise.app.quality.reports import ClassReport
from levelwise.app.views import IngestReport
from levelwise.domain.program import Program
from levelwise.errors import QualityInputError, QualityNotFoundError

MAX_SAMPLES = 2_000
"""The most samples one request may carry."""
DEGRADED = "live.quality_degraded"
"""The alert kind raised when a class stays broken."""
RECOVERED = "live.quality_recovered"
"""The alert kind raised when it recovers."""
QUALITY_KINDS = frozenset({DEGRADED, RECOVERED})
"""The notification kinds of call quality (webhooks may ask for them)."""

Alert = Callable[[str, str, str, Mapping[str, Any]], None]
"""``alert(tenant, class, kind, data)``: notify webhooks and the class's stream."""
IngestEvents = Callable[[str, Sequence[object]], IngestReport]
"""The engine's ingest use case."""


@dataclass(frozen=True)
class Rejected:
    """A sample that was not taken, and why.

    Attributes:
        index: Its place in the request (0-based) or the file's line number.
        participant: Its participant, when that much could be read.
        reason: Why.
    """

    index: int
    participant: str | None
    reason: str


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


@dataclass
class _Run:
    """One participant's progress through a batch."""

    cursor: Cursor | None
    tracker: Tracker
    graded: list[Graded] = field(default_factory=list)
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)
    first_at: datetime | None = None
    role: Role = "learner"
    unit: str | None = None


class _Timeline:
    """One participant's graded intervals of a batch, found by time."""

    def __init__(self, graded: Sequence[Graded]) -> None:
        self.graded = sorted(graded, key=lambda g: g.measures.end)
        self.ends = [g.measures.end for g in self.graded]

    def during(self, start: datetime, end: datetime) -> list[Graded]:
        """The intervals that overlap ``(start, end)``."""
        found = []
        for g in self.graded[bisect_right(self.ends, start) :]:
            if g.measures.start >= end:
                break
            found.append(g)
        return found


@dataclass(frozen=True)
class Advance:
    """What the grader made of one batch, before it is stored.

    Attributes:
        recorded: What to store; None when no sample was taken.
        rejected: Samples not taken.
        notes: What was ignored inside accepted samples.
        alerts: Alert kinds the batch raises, with their data.
    """

    recorded: Recorded | None
    rejected: tuple[Rejected, ...]
    notes: tuple[str, ...]
    alerts: tuple[tuple[str, dict[str, Any]], ...]


class Grader:
    """Grades one class's batches; pure: the caller brings and keeps the state.

    Args:
        thresholds: The bands, the E-model's codec and the alert delay.
    """

    def __init__(self, thresholds: Thresholds) -> None:
        """Keep the thresholds."""
        self.t = thresholds

    def advance(
        self,
        klass: str,
        samples: Sequence[tuple[int, Sample]],
        cursors: Mapping[str, Cursor],
        state: ClassState | None,
    ) -> Advance:
        """Grade a batch of one class from the participants' cursors.

        Args:
            klass: The class.
            samples: ``(index, sample)`` pairs, envelopes already checked.
            cursors: The participants' cursors (those that have one).
            state: The class's state; None for a new class.

        Returns:
            The batch's records, rejections, notes and alerts.
        """
        rejected: list[Rejected] = []
        notes: list[str] = []
        if state is not None and state.ended:
            rejected = [
                Rejected(i, s.participant, "the class has ended") for i, s in samples
            ]
            return Advance(None, tuple(rejected), (), ())
        runs: dict[str, _Run] = {}
        ordered = sorted(samples, key=lambda p: (p[1].participant, p[1].at, p[0]))
        for index, sample in ordered:
            run = runs.get(sample.participant)
            if run is None:
                cursor = cursors.get(sample.participant)
                track = cursor.track if cursor is not None else {}
                run = runs[sample.participant] = _Run(cursor, Tracker.load(track))
            self._take(klass, index, sample, run, rejected, notes)
        accepted = {p: r for p, r in runs.items() if r.first_at is not None}
        rejected.sort(key=lambda r: r.index)
        if not accepted:
            return Advance(None, tuple(rejected), tuple(notes), ())
        episodes = self._track(accepted)
        graded = [g for r in accepted.values() for g in r.graded]
        state, alerts = self._alerts(klass, accepted, state)
        presences = [
            presence_delta(
                r.graded,
                klass,
                p,
                r.role,
                r.unit,
                r.first_at,
                r.cursor.at,
                tuple(r.gaps),
            )
            for p, r in accepted.items()
            if r.first_at is not None and r.cursor is not None
        ]
        recorded = Recorded(
            klass=klass,
            graded=graded,
            buckets=buckets(graded),
            presences=presences,
            episodes=episodes,
            cursors={
                p: replace(r.cursor, track=r.tracker.dump())
                for p, r in accepted.items()
                if r.cursor is not None
            },
            state=state,
        )
        return Advance(recorded, tuple(rejected), tuple(notes), alerts)

    def _take(
        self,
        klass: str,
        index: int,
        sample: Sample,
        run: _Run,
        rejected: list[Rejected],
        notes: list[str],
    ) -> None:
        """Grade one sample of a participant onto its run, or reject it."""
        last = run.cursor
        if last is not None and sample.at <= last.at:
            rejected.append(
                Rejected(
                    index,
                    sample.participant,
                    f"out of order or duplicate: {sample.at.isoformat()} is not after "
                    f"the participant's last sample {last.at.isoformat()}",
                )
            )
            return
        prev: Mapping[str, Any] | None = None
        start = sample.at
        if last is not None:
            if (sample.at - last.at).total_seconds() > self.t.drop_after_s:
                run.gaps.append((last.at, sample.at))
            else:
                prev, start = last.snapshot, last.at
        try:
            measures, snapshot, said = measure(
                sample.source, prev, sample.stats, start, sample.at
            )
        except QualityInputError as e:
            rejected.append(Rejected(index, sample.participant, str(e)))
            return
        notes.extend(f"{sample.participant}: {n}" for n in said)
        for m in measures:
            run.graded.append(grade(klass, sample.participant, sample.role, m, self.t))
        if run.first_at is None:
            run.first_at = sample.at
        run.role = sample.role
        run.unit = sample.unit or run.unit
        run.cursor = Cursor(at=sample.at, snapshot=snapshot, track={})

    def _track(self, runs: Mapping[str, _Run]) -> list[Episode]:
        """Feed each participant's intervals and drops to its tracker in order.

        Each interval goes with the far side's intervals of the same time, of
        every medium (a sender's limitation may show on its video only).
        """
        episodes: dict[tuple[str, datetime], Episode] = {}
        timelines = {p: _Timeline(r.graded) for p, r in runs.items()}
        for participant, run in runs.items():
            others = [t for p, t in timelines.items() if p != participant]
            steps: list[tuple[datetime, int, Graded | tuple[datetime, datetime]]] = [
                (g.measures.end, 1, g) for g in run.graded
            ]
            steps += [(gap[1], 0, gap) for gap in run.gaps]
            steps.sort(key=lambda s: (s[0], s[1]))
            for _, _, step in steps:
                if isinstance(step, Graded):
                    m = step.measures
                    same = [g for t in others for g in t.during(m.start, m.end)]
                    found = run.tracker.feed(step, same, self.t)
                else:
                    found = run.tracker.gap(*step)
                for e in found:
                    episodes[(e.participant, e.start)] = e
        return sorted(episodes.values(), key=lambda e: (e.start, e.participant))

    def _alerts(
        self, klass: str, runs: Mapping[str, _Run], state: ClassState | None
    ) -> tuple[ClassState, tuple[tuple[str, dict[str, Any]], ...]]:
        """The class's new state and the alerts this batch raises."""
        times = [
            t
            for r in runs.values()
            if r.cursor and r.first_at
            for t in (r.first_at, r.cursor.at)
        ]
        first = min([*times, *([state.first_at] if state else [])])
        last = max([*times, *([state.last_at] if state else [])])
        alerted = state.alerted if state else False
        broken = {
            p: r.tracker.broken_run_s
            for p, r in runs.items()
            if r.tracker.broken_run_s > 0
        }
        alerts: list[tuple[str, dict[str, Any]]] = []
        data: dict[str, Any] = {
            "class": klass,
            "at": last.isoformat(),
            "broken_seconds": {p: round(s, 1) for p, s in sorted(broken.items())},
        }
        if not alerted and broken and max(broken.values()) > self.t.alert_after_s:
            alerts.append((DEGRADED, data))
            alerted = True
        elif alerted and runs and not broken:
            alerts.append((RECOVERED, data))
            alerted = False
        return ClassState(klass, first, last, alerted, False), tuple(alerts)


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


def credit_id(klass: str, learner: str) -> str:
    """The ``live.credited`` event id of a learner in a class (stable)."""
    digest = hashlib.sha256(f"{klass}\0{learner}".encode()).hexdigest()[:32]
    return f"live-credit-{digest}"


def credit_for(
    p: Presence,
    state: ClassState,
    episodes: Sequence[Episode],
    *,
    one_to_one: bool,
    within: float,
    scheduled: float | None,
    drop_after: float,
) -> tuple[float, str, datetime] | None:
    """The seconds a learner lost to drops during broken quality, if any.

    A drop (a gap in the learner's samples, or their leaving before the class's
    last sample) counts when the broken band was seen within ``within``
    seconds before it: in what the learner heard, or, in a one-to-one class,
    in what the teacher heard with the cause on the learner's side.
    Credited and connected seconds together never pass the scheduled length.

    Returns:
        ``(seconds, reason, at)``; ``at`` is the end of the last credited drop;
        None when nothing is credited.
    """
    drops = list(p.drops)
    if (state.last_at - p.last_at).total_seconds() > drop_after:
        drops.append((p.last_at, state.last_at))
    broken = [
        e
        for e in episodes
        if e.broken_seconds > 0
        and (
            e.participant == p.participant
            or (one_to_one and e.role == "teacher" and e.side in ("learner", "both"))
        )
    ]
    counted = [
        (a, b)
        for a, b in drops
        if any(e.start <= a and e.end >= a - timedelta(seconds=within) for e in broken)
    ]
    if not counted:
        return None
    seconds = sum((b - a).total_seconds() for a, b in counted)
    if scheduled is not None:
        span = (p.last_at - p.first_at).total_seconds()
        connected = span - sum((b - a).total_seconds() for a, b in p.drops)
        seconds = min(seconds, max(0.0, scheduled * 60 - connected))
    if seconds <= 0:
        return None
    start = min(e.start for e in broken if any(e.start <= a for a, _ in counted))
    end = max(b for _, b in counted)
    reason = f"network broken {start:%H:%M}–{end:%H:%M} UTC"
    return seconds, reason, end


def grade_samples(
    lines: Iterable[Mapping[str, Any]], thresholds: Thresholds | None = None
) -> list[ClassReport]:
    """Grade samples of any number of classes without a store.

    Args:
        lines: Samples, each naming its class.
        thresholds: The bands (default: the seed's).

    Returns:
        One report per class, by class id.

    Raises:
        QualityInputError: A sample's envelope is wrong (the message starts
            with its place, ``sample N``, from 1).
    """
    return grade_numbered(enumerate(lines, start=1), thresholds, "sample")


def grade_numbered(
    lines: Iterable[tuple[int, object]],
    thresholds: Thresholds | None = None,
    place: str = "line",
) -> list[ClassReport]:
    """Grade numbered samples (a file's lines) of any number of classes.

    Args:
        lines: ``(number, sample)`` pairs, each sample naming its class.
        thresholds: The bands (default: the seed's).
        place: What a number is, for messages (``line``).

    Returns:
        One report per class, by class id.

    Raises:
        QualityInputError: A sample's envelope is wrong, or no sample of a
            class could be graded; the message starts with ``{place} N``.
    """
    samples: dict[str, list[tuple[int, Sample]]] = defaultdict(list)
    for i, raw in lines:
        try:
            sample = read_sample(raw, None)
        except QualityInputError as e:
            raise QualityInputError(f"{place} {i}: {e}") from None
        samples[sample.klass].append((i, sample))
    return [
        grade_class(klass, found, thresholds or Thresholds(), place)
        for klass, found in sorted(samples.items())
    ]


def grade_class(
    klass: str,
    samples: Sequence[tuple[int, Sample]],
    thresholds: Thresholds,
    place: str = "sample",
) -> ClassReport:
    """Grade one class's samples in one batch and report on it.

    Raises:
        QualityInputError: A sample was rejected (out of order, duplicated or
            unreadable statistics): a file is graded whole or not at all.
    """
    done = Grader(thresholds).advance(klass, samples, {}, None)
    if done.rejected:
        first = done.rejected[0]
        raise QualityInputError(f"{place} {first.index}: {first.reason}")
    r = done.recorded
    if r is None:  # pragma: no cover - every sample was taken, and one at least
        raise QualityInputError(f"class {klass!r}: no samples")
    merged: dict[tuple[str, str, datetime], Bucket] = {}
    for b in r.buckets:
        key = (b.participant, b.media, b.start)
        merged[key] = merged[key].merged(b) if key in merged else b
    return reports.class_report(
        klass,
        list(r.presences),
        list(merged.values()),
        list(r.episodes),
        t=thresholds,
    )
