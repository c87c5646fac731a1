"""The grader: one class's batch of samples graded from the participants' cursors.

Pure: the caller brings the cursors and the class's state and keeps what comes
back. Samples become graded intervals, buckets, presences and episodes;
a class broken for longer than the thresholds allow raises an alert.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from levelwise.app.quality._grade import grade
from levelwise.app.quality._parse import measure
from levelwise.app.quality._rollup import buckets, presence_delta
from levelwise.app.quality._track import Tracker
from levelwise.app.quality.ports import (
    ClassState,
    Cursor,
    Episode,
    Graded,
    Recorded,
    Role,
    Sample,
    Thresholds,
)
from levelwise.errors import QualityInputError

DEGRADED = "live.quality_degraded"
"""The alert kind raised when a class stays broken."""
RECOVERED = "live.quality_recovered"
"""The alert kind raised when it recovers."""


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
