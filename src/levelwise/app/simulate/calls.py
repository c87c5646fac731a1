"""Call quality of the demo school's live classes, second by second.

The demo school (:mod:`levelwise.app.simulate.school`) attends live classes as
``live.attended`` events. :func:`plan_calls` picks some of them and simulates
each as a one-to-one class with a teacher, as the classroom's real-time SDK
would report it: Agora statistics of what each side hears, once a second
(real 1 Hz samples, so drops and drop-outs are found exactly as in a real
class). :func:`run_calls` posts them through the call-quality service and ends
each class, so fair-progression credits happen.

The model, and why latency drives drop-out in it:

* **Networks.** Most learners are on a good network (one way to the edge 15 to
  60 ms, a 20 to 50 ms jitter buffer): they hear the teacher 90 to 190 ms late,
  good or acceptable. :data:`WEAK_SHARE` of learners are on a weak network
  (110 to 220 ms, a 60 to 120 ms buffer, 1 to 4 % loss) with congestion
  bursts (about every four minutes, 25 to 90 s, 500 to 1,100 ms more, 5 to
  15 % loss, the uplink bandwidth-limited), now and then losing the
  connection for 12 to 40 s and coming back.
* **Teachers.** A teacher's uplink congests in a minority of classes (one
  teacher of the pool, :data:`FLAKY_TEACHER`, far more often): 60 to 200 s
  during which the learner hears the teacher 250 to 650 ms later.
* **Leaving.** Each second a learner may leave the class for good, with a
  hazard set by what they hear *that second*: about 4 % over a ten-minute
  class of good audio, a 1/900 chance a second while it is degraded, 1/250
  while it is broken (a minute of broken audio: about one learner in five
  leaves). So degraded and broken classes end in drop-outs more often.
* **Renewing.** A learner who spent their classes hearing the teacher more
  than 300 ms late, or left one, is less likely to renew: each of their
  ``subscription.renewed`` events is dropped with a probability of 0.9 × their
  share of such seconds + 0.35 a drop-out (at most 0.8).

The events are adjusted to the calls before ingestion: a simulated class's
``live.attended`` counts the seconds the learner was connected, and the
``live.interaction`` events after a learner left are dropped, as are the
renewals the learner gave up. The classes are the shorter attendances (4 to 10
minutes), the cost of 1 Hz samples being what it is (see ``docs/quality.md``).
Everything is drawn from a generator seeded apart from the school's.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

SHORTEST = 240
"""The shortest attendance (seconds) simulated as a class."""
LONGEST = 600
"""The longest attendance (seconds) simulated as a class."""
WEAK_SHARE = 0.15
"""The share of learners on a weak network."""
TEACHERS = tuple(f"teacher-{i:02d}" for i in range(1, 9))
"""The demo's teachers."""
FLAKY_TEACHER = "teacher-05"
"""The teacher whose uplink congests most often."""
INCIDENT = {FLAKY_TEACHER: 0.45}
"""The chance of a teacher-side incident in a class, by teacher."""
INCIDENT_OTHERS = 0.08
"""The chance for the other teachers."""
SEND_MS = 40.0
"""The grader's send-side constant: what the heard delay adds on top."""
BATCH = 600
"""Samples per request (about five minutes of a one-to-one class)."""
BURST_EVERY = 240
"""A weak network's congestion bursts start about this often (seconds)."""
INCIDENT_MS = (250.0, 650.0)
"""How much later a learner hears the teacher during a teacher-side incident."""

# Per-second hazard of leaving for good, by the delay heard that second.
LEAVE_GOOD = 0.04 / 600
LEAVE_DEGRADED = 1 / 900
LEAVE_BROKEN = 1 / 250


@dataclass(frozen=True)
class Heard:
    """What one side hears of the other in one second.

    Attributes:
        transport_ms: One-way network delay.
        jitter_ms: The receiver's jitter buffer.
        loss: Share of audio lost.
        uplink: This side's own uplink quality (Agora's 1 excellent ... 6 down).
        downlink: Its downlink quality.
    """

    transport_ms: float
    jitter_ms: float
    loss: float
    uplink: int
    downlink: int

    @property
    def delay_ms(self) -> float:
        """The mouth-to-ear delay the grader will estimate."""
        return self.transport_ms + self.jitter_ms + SEND_MS

    def agora(self, remote: str, audio: bool = True) -> dict[str, Any]:
        """The Agora statistics of this second (without audio: the far side left).

        The network's quality levels are sent when one is not excellent (the
        grader reads a limited uplink from them); leaving the excellent ones
        out keeps the demo's requests small.
        """
        stats: dict[str, Any] = {"remote": remote}
        if self.uplink != 1 or self.downlink != 1:
            stats["network"] = {"rxQuality": self.downlink, "txQuality": self.uplink}
        if audio:
            stats["audio"] = {
                "networkTransportDelay": round(self.transport_ms),
                "jitterBufferDelay": round(self.jitter_ms),
                "audioLossRate": round(self.loss * 100, 1),
            }
        return stats


@dataclass(frozen=True)
class PlannedClass:
    """One simulated one-to-one class.

    Attributes:
        klass: The class id.
        learner: The learner.
        teacher: The teacher.
        unit: The live-class unit.
        start: Its first second (UTC).
        seconds: Its length: the teacher reports every second of it.
        learner_hears: What the learner hears each second they are there
            (None: not connected).
        teacher_hears: What the teacher hears of the learner each second.
        left: The second the learner left for good (None: stayed).
        bad_share: The share of the learner's seconds heard over 300 ms late.
    """

    klass: str
    learner: str
    teacher: str
    unit: str
    start: datetime
    seconds: int
    learner_hears: tuple[Heard | None, ...]
    teacher_hears: tuple[Heard, ...]
    left: int | None
    bad_share: float

    @property
    def connected(self) -> int:
        """Seconds the learner was connected."""
        return sum(1 for h in self.learner_hears if h is not None)

    def samples(self) -> list[dict[str, Any]]:
        """The class's samples, both sides, by time (Agora shape, 1 Hz)."""
        out: list[dict[str, Any]] = []
        for s in range(self.seconds):
            at = (self.start + timedelta(seconds=s)).isoformat()
            mine = self.learner_hears[s]
            out.append(
                {
                    "participant": self.teacher,
                    "role": "teacher",
                    "at": at,
                    "unit": self.unit,
                    "agora": self.teacher_hears[s].agora(
                        self.learner, audio=mine is not None
                    ),
                }
            )
            if mine is not None:
                out.append(
                    {
                        "participant": self.learner,
                        "role": "learner",
                        "at": at,
                        "unit": self.unit,
                        "agora": mine.agora(self.teacher),
                    }
                )
        return out


@dataclass(frozen=True)
class CallPlan:
    """The simulated classes and the school's events adjusted to them.

    Attributes:
        classes: The classes, by start.
        events: The school's events: attendances, interactions and renewals
            adjusted (see the module docstring).
        weak: Learners of the classes who are on a weak network.
        renewals_dropped: Renewals the learners gave up.
    """

    classes: tuple[PlannedClass, ...]
    events: list[dict[str, object]]
    weak: frozenset[str]
    renewals_dropped: int


@dataclass
class _Window:
    start: int
    end: int
    add_ms: float
    loss: float

    def holds(self, second: int) -> bool:
        return self.start <= second < self.end


def _at(event: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(event["occurred_at"])).astimezone(UTC)


def _bursts(rng: random.Random, seconds: int) -> list[_Window]:
    """A weak network's congestion bursts over a class."""
    out: list[_Window] = []
    s = 0
    while s < seconds:
        if rng.random() < 1 / BURST_EVERY:
            length = rng.randint(25, 90)
            out.append(
                _Window(s, s + length, rng.uniform(500, 1100), rng.uniform(0.05, 0.15))
            )
            s += length
        s += 1
    return out


def _incident(rng: random.Random, teacher: str, seconds: int) -> _Window | None:
    """A congestion of the teacher's uplink during the class, if any."""
    if rng.random() >= INCIDENT.get(teacher, INCIDENT_OTHERS):
        return None
    length = rng.randint(60, 200)
    start = rng.randint(0, max(0, seconds - length))
    return _Window(start, start + length, rng.uniform(*INCIDENT_MS), 0.02)


def _hazard(delay_ms: float) -> float:
    if delay_ms > 800:
        return LEAVE_BROKEN
    if delay_ms > 300:
        return LEAVE_DEGRADED
    return LEAVE_GOOD


@dataclass
class _Network:
    """A learner's network, drawn once."""

    weak: bool
    transport_ms: float
    jitter_ms: float
    loss: float


def _network(rng: random.Random) -> _Network:
    if rng.random() < WEAK_SHARE:
        return _Network(
            True, rng.uniform(110, 220), rng.uniform(60, 120), rng.uniform(0.01, 0.04)
        )
    return _Network(False, rng.uniform(15, 60), rng.uniform(20, 50), 0.0)


def _simulate_class(
    rng: random.Random,
    klass: str,
    learner: str,
    net: _Network,
    teacher: str,
    unit: str,
    start: datetime,
    seconds: int,
) -> PlannedClass:
    """Simulate one class second by second (see the module docstring).

    Args:
        rng: The generator.
        klass: The class id.
        learner: The learner.
        net: The learner's network.
        teacher: The teacher.
        unit: The unit.
        start: The class's start.
        seconds: Its length.

    Returns:
        The class.
    """
    t_ms, t_jitter = rng.uniform(15, 40), rng.uniform(20, 40)
    bursts = _bursts(rng, seconds) if net.weak else []
    incident = _incident(rng, teacher, seconds)
    learner_hears: list[Heard | None] = []
    teacher_hears: list[Heard] = []
    left: int | None = None
    gap = 0
    bad = 0
    for s in range(seconds):
        burst = next((b for b in bursts if b.holds(s)), None)
        jam = incident if incident is not None and incident.holds(s) else None
        up = 5 if burst else 3 if net.weak else 1
        base = t_ms + net.transport_ms + rng.gauss(0, 8)
        heard_by_teacher = Heard(
            max(5.0, base + (burst.add_ms if burst else 0.0)),
            t_jitter + (rng.uniform(50, 150) if burst else 0.0),
            net.loss + (burst.loss if burst else 0.0),
            5 if jam else 1,
            1,
        )
        teacher_hears.append(heard_by_teacher)
        if left is not None or gap > 0:
            gap = max(0, gap - 1)
            learner_hears.append(None)
            continue
        heard = Heard(
            max(
                5.0,
                base + (burst.add_ms if burst else 0.0) + (jam.add_ms if jam else 0.0),
            ),
            net.jitter_ms + (rng.uniform(50, 150) if burst else 0.0),
            net.loss + (burst.loss if burst else 0.0) + (jam.loss if jam else 0.0),
            up,
            4 if burst or jam else up,
        )
        learner_hears.append(heard)
        bad += heard.delay_ms > 300
        if rng.random() < _hazard(heard.delay_ms):
            left = s + 1
        elif burst is not None and rng.random() < 1 / 150:
            gap = rng.randint(12, 40)
    there = sum(1 for h in learner_hears if h is not None)
    return PlannedClass(
        klass=klass,
        learner=learner,
        teacher=teacher,
        unit=unit,
        start=start,
        seconds=seconds,
        learner_hears=tuple(learner_hears),
        teacher_hears=tuple(teacher_hears),
        left=left,
        bad_share=bad / there if there else 0.0,
    )


def plan_calls(
    events: Sequence[dict[str, object]],
    classes: int,
    *,
    seed: int = 7,
    until: datetime | None = None,
) -> CallPlan:
    """Pick ``classes`` live classes of the school, simulate them, adjust events.

    Args:
        events: The school's events (as :func:`~.school.simulate` yields them).
        classes: How many classes to simulate (fewer if the school has fewer
            attendances of 4 to 10 minutes).
        seed: Seed of the calls' generator (apart from the school's).
        until: Only classes that end by then (the school's clock).

    Returns:
        The classes and the adjusted events.
    """
    rng = random.Random(f"{seed}-calls")  # noqa: S311 - a simulation
    candidates = sorted(
        (
            e
            for e in events
            if e["type"] == "live.attended"
            and SHORTEST <= _seconds(e) <= LONGEST
            and (until is None or _at(e) + timedelta(seconds=_seconds(e)) <= until)
        ),
        key=lambda e: str(e["id"]),
    )
    chosen = rng.sample(candidates, min(classes, len(candidates)))
    chosen.sort(key=lambda e: (_at(e), str(e["id"])))
    networks: dict[str, _Network] = {}
    planned = []
    for e in chosen:
        learner = str(e["learner"])
        if learner not in networks:
            networks[learner] = _network(rng)
        planned.append(
            _simulate_class(
                rng,
                f"live-{e['id']}",
                learner,
                networks[learner],
                rng.choice(TEACHERS),
                str(e["unit"]),
                _at(e),
                _seconds(e),
            )
        )
    adjusted, dropped = _adjust(events, chosen, planned, rng)
    return CallPlan(
        classes=tuple(planned),
        events=adjusted,
        weak=frozenset(k for k, n in networks.items() if n.weak),
        renewals_dropped=dropped,
    )


def _seconds(event: dict[str, object]) -> int:
    value = event.get("seconds", 0)
    return int(value) if isinstance(value, int | float) else 0


def _adjust(
    events: Sequence[dict[str, object]],
    chosen: Sequence[dict[str, object]],
    planned: Sequence[PlannedClass],
    rng: random.Random,
) -> tuple[list[dict[str, object]], int]:
    """The events as the calls went; and how many renewals were given up."""
    attended = {str(e["id"]): c for e, c in zip(chosen, planned, strict=True)}
    gone: dict[tuple[str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    frustration: dict[str, list[PlannedClass]] = defaultdict(list)
    for c in planned:
        frustration[c.learner].append(c)
        if c.left is not None:
            after = c.start + timedelta(seconds=c.left)
            gone[(c.learner, c.unit)].append((after, c.start + timedelta(minutes=20)))
    give_up = {
        learner: min(
            0.8,
            0.9 * sum(c.bad_share for c in mine) / len(mine)
            + 0.35 * sum(c.left is not None for c in mine),
        )
        for learner, mine in sorted(frustration.items())
    }
    out: list[dict[str, object]] = []
    dropped = 0
    for e in events:
        kind, learner = e["type"], str(e["learner"])
        if kind == "live.attended" and str(e["id"]) in attended:
            e = {**e, "seconds": attended[str(e["id"])].connected}
        elif kind == "live.interaction" and any(
            a <= _at(e) < b for a, b in gone.get((learner, str(e.get("unit"))), ())
        ):
            continue
        elif kind == "subscription.renewed" and learner in give_up:
            if rng.random() < give_up[learner]:
                dropped += 1
                continue
        out.append(e)
    return out, dropped


class Posted(Protocol):
    """What posting a batch answers (``StatsReport``)."""

    @property
    def accepted(self) -> int:
        """Samples taken."""
        ...

    @property
    def rejected(self) -> Sequence[object]:
        """Samples refused."""
        ...


class Credited(Protocol):
    """A credit of live minutes (``Credit``)."""

    @property
    def seconds(self) -> float:
        """Seconds credited."""
        ...


class Ended(Protocol):
    """What ending a class answers (``EndReport``)."""

    @property
    def credits(self) -> Sequence[Credited]:
        """The credits given."""
        ...


class CallQuality(Protocol):
    """The call-quality service's use cases the demo runs (``engine.quality``)."""

    def post(self, tenant: str, klass: str, raw: Sequence[object]) -> Posted:
        """Take a batch of a class's samples."""
        ...

    def end(self, tenant: str, klass: str) -> Ended:
        """End a class and credit fair progression."""
        ...


@dataclass
class CallsRun:
    """What running the calls did.

    Attributes:
        classes: Classes posted and ended.
        samples: Samples posted.
        rejected: Samples refused (none, for a fresh school).
        credits: Credits of live minutes given.
        credited_seconds: Their seconds in total.
    """

    classes: int = 0
    samples: int = 0
    rejected: int = 0
    credits: int = 0
    credited_seconds: float = 0.0


def batches(c: PlannedClass, size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """A class's samples in requests of ``size``, as a platform posts them."""
    lines = c.samples()
    for i in range(0, len(lines), size):
        yield lines[i : i + size]


def run_calls(quality: CallQuality, tenant: str, plan: CallPlan) -> CallsRun:
    """Post every planned class's samples, then end it (credits happen).

    Args:
        quality: The call-quality service (``engine.quality``).
        tenant: The school.
        plan: The planned classes.

    Returns:
        What was posted and credited.
    """
    run = CallsRun()
    for c in plan.classes:
        for batch in batches(c):
            report = quality.post(tenant, c.klass, batch)
            run.samples += len(batch)
            run.rejected += len(report.rejected)
        ended = quality.end(tenant, c.klass)
        run.classes += 1
        run.credits += len(ended.credits)
        run.credited_seconds += sum(x.seconds for x in ended.credits)
    return run
