"""A simulated online school: varied learners over some weeks, as wire events.

Personas (daily, steady, binge, casual, drop-out) differ in how often and how
long they study; each learner has a latent ability, so answers and homework
scores improve with practice. Sessions with the AI partner report typed
practice metrics (fluency and lexis) that grow with the learner's ability and
their practice sessions so far. Learners join classes of ``CLASS_SIZE`` in
enrolment order (a ``profile.updated`` with their ``cohort`` right after
enrolling). Everything is drawn from seeded generators: the same seed gives
the same events. The practice metrics have a generator of their own, so the
rest of the school is drawn as it was before they existed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from levelwise.app.engine import Levelwise
from levelwise.app.metrics.experiments import Experiment, Variant
from levelwise.domain.program import Program, Unit

START = datetime(2026, 9, 7, tzinfo=UTC)
OFFSETS = (8, 8, 1, 0, -5, 3, 9)
CLASS_SIZE = 40
"""Learners per class: each learner joins the class of their enrolment order."""


@dataclass(frozen=True)
class Persona:
    """A way of studying.

    Attributes:
        name: Label.
        share: Part of the learners.
        days_per_week: Mean study days a week.
        minutes: Mean minutes a session.
        drops_after: Weeks after which the learner stops (None: never).
    """

    name: str
    share: float
    days_per_week: float
    minutes: float
    drops_after: tuple[int, int] | None = None


PERSONAS = (
    Persona("daily", 0.25, 6.0, 40.0),
    Persona("steady", 0.30, 4.0, 50.0),
    Persona("binge", 0.15, 1.5, 120.0),
    Persona("casual", 0.15, 1.5, 25.0),
    Persona("drop-out", 0.15, 3.0, 35.0, (1, 5)),
)


@dataclass
class _Learner:
    id: str
    persona: Persona
    ability: float
    tz: timezone
    start: datetime
    cursor: int = 0
    n: int = 0
    sessions: int = 0
    """Practice sessions so far."""

    def next_id(self) -> str:
        self.n += 1
        return f"{self.id}-{self.n:05d}"


def simulate(
    program: Program, *, learners: int = 2000, weeks: int = 12, seed: int = 7
) -> Iterator[dict[str, object]]:
    """Yield the school's events, learner by learner, each learner in time order.

    Args:
        program: The program the school teaches.
        learners: How many learners enrol.
        weeks: How long the simulation runs.
        seed: Seed of the random generator.
    """
    rng = random.Random(seed)  # noqa: S311 - a simulation, not security
    voice = random.Random(f"{seed}-practice")  # noqa: S311 - as above
    difficulty = {k.id: rng.gauss(0.0, 0.6) for k in program.knowledge_points}
    end = START + timedelta(weeks=weeks)
    enrolments = sorted(
        START + timedelta(days=rng.uniform(0, min(weeks, 4) * 7))
        for _ in range(learners)
    )
    for i, enrol in enumerate(enrolments):
        persona = rng.choices(PERSONAS, weights=[p.share for p in PERSONAS])[0]
        offset = timezone(timedelta(hours=rng.choice(OFFSETS)))
        learner = _Learner(f"learner-{i:05d}", persona, rng.gauss(0, 1), offset, enrol)
        stop = end
        if persona.drops_after is not None:
            stop = min(end, enrol + timedelta(weeks=rng.randint(*persona.drops_after)))
        yield _event(learner, "enrolment.started", enrol)
        klass = f"class-{i // CLASS_SIZE + 1:02d}"
        yield _event(learner, "profile.updated", enrol, cohort=klass)
        day = enrol
        practice: dict[str, int] = {}
        while True:
            gap = rng.expovariate(persona.days_per_week / 7.0)
            day = day + timedelta(days=max(gap, 0.3))
            if day >= stop:
                break
            budget = max(5.0, rng.gauss(persona.minutes, persona.minutes / 3))
            yield from _session(
                learner, _Draws(rng, voice), program, difficulty, practice, day, budget
            )
        if stop == end and rng.random() < 0.35 + 0.1 * learner.ability:
            yield _event(learner, "subscription.renewed", end - timedelta(days=1))


def _event(
    learner: _Learner, type_: str, at: datetime, **fields: object
) -> dict[str, object]:
    return {
        "id": learner.next_id(),
        "learner": learner.id,
        "type": type_,
        "occurred_at": at.astimezone(learner.tz).isoformat(timespec="seconds"),
        **fields,
    }


@dataclass(frozen=True)
class _Draws:
    """The school's generators: ``main`` for everything, ``voice`` for metrics."""

    main: random.Random
    voice: random.Random


def _session(
    learner: _Learner,
    draws: _Draws,
    program: Program,
    difficulty: dict[str, float],
    practice: dict[str, int],
    at: datetime,
    budget: float,
) -> Iterator[dict[str, object]]:
    rng = draws.main
    units = program.units
    clock = at
    while budget > 0:
        if learner.cursor < len(units):
            unit = units[learner.cursor]
        else:  # syllabus done: review exercises
            unit = rng.choice(units)
        minutes = min(unit.minutes * rng.uniform(0.7, 1.3), budget + 5)
        budget -= minutes
        events = list(
            _study(learner, draws, program, unit, minutes, difficulty, practice, clock)
        )
        clock += timedelta(minutes=minutes)
        if minutes >= unit.minutes * 0.8 and learner.cursor < len(units):
            events.append(_event(learner, "unit.completed", clock, unit=unit.id))
            learner.cursor += 1
        yield from events


def _p_correct(
    learner: _Learner, kp: str, difficulty: dict[str, float], n: int
) -> float:
    logit = learner.ability + 0.35 * math.sqrt(n) - difficulty.get(kp, 0.0)
    return 1.0 / (1.0 + math.exp(-logit))


def _study(
    learner: _Learner,
    draws: _Draws,
    program: Program,
    unit: Unit,
    minutes: float,
    difficulty: dict[str, float],
    practice: dict[str, int],
    at: datetime,
) -> Iterator[dict[str, object]]:
    rng = draws.main
    kps = unit.knowledge_points or ("",)
    seconds = round(minutes * 60)
    if unit.kind == "lesson":
        yield _event(learner, "lesson.watched", at, unit=unit.id, seconds=seconds)
    elif unit.kind == "live_class":
        yield _event(learner, "live.attended", at, unit=unit.id, seconds=seconds)
        for j in range(rng.randint(1, 6)):
            kind = rng.choice(("mic", "answer", "chat", "pk"))
            p = _p_correct(learner, kps[0], difficulty, practice.get(kps[0], 0))
            extra = {"correct": rng.random() < p} if kind in ("answer", "pk") else {}
            moment = at + timedelta(minutes=2 + j * 3)
            yield _event(
                learner, "live.interaction", moment, unit=unit.id, kind=kind, **extra
            )
    elif unit.kind == "homework":
        kp = rng.choice(kps)
        p = _p_correct(learner, kp, difficulty, practice.get(kp, 0))
        score = sum(rng.random() < p for _ in range(10))
        practice[kp] = practice.get(kp, 0) + 3
        yield _event(
            learner, "homework.submitted", at, unit=unit.id, score=score, max_score=10
        )
    elif unit.kind == "practice":
        turns = max(1, round(minutes * rng.uniform(1.5, 3)))
        scenario = program.practice.scenario_by_unit.get(unit.id)
        words = scenario.target_words if scenario is not None else ()
        learner.sessions += 1
        played = {"scenario": unit.id} if scenario is not None else {}
        yield _event(
            learner,
            "practice.completed",
            at,
            unit=unit.id,
            seconds=seconds,
            turns=turns,
            metrics=practice_metrics(
                learner.ability, learner.sessions, draws.voice, seconds, turns, words
            ),
            session=f"{learner.id}-p{learner.sessions:04d}",
            **played,
        )
    else:  # exercise and quiz: scored questions
        for j in range(max(1, round(minutes / 3))):  # a question + feedback
            kp = kps[j % len(kps)]
            if not kp:
                break
            n = practice.get(kp, 0)
            correct = rng.random() < _p_correct(learner, kp, difficulty, n)
            practice[kp] = n + 1
            yield _event(
                learner,
                "question.answered",
                at + timedelta(seconds=180 * j),
                unit=unit.id,
                item=f"{unit.id}-q{j + 1}",
                knowledge_point=kp,
                correct=correct,
                seconds=rng.randint(10, 60),
            )


def practice_metrics(
    ability: float,
    sessions: int,
    rng: random.Random,
    seconds: float,
    turns: int,
    words: tuple[str, ...],
) -> dict[str, float | int]:
    """Plausible metrics of a practice session, as a scorer would report them.

    The learner's speaking skill is a logistic of their ability plus a gain
    that grows with the square root of their practice sessions, so every
    metric improves with ability and with practice: faster speech, longer runs
    between pauses, fewer pauses inside clauses, more varied words and more of
    the scenario's target words. Each draw adds noise.

    Args:
        ability: The learner's latent ability (0 is the average learner).
        sessions: Their practice sessions so far, this one included.
        rng: The generator of practice metrics.
        seconds: The session's length.
        turns: The conversation's turns (the learner has every other one).
        words: The scenario's target words.

    Returns:
        The metrics by name, as a ``practice.completed`` event carries them.
    """
    skill = 1.0 / (1.0 + math.exp(1.5 - ability - 0.35 * math.sqrt(sessions)))

    def draw(mean: float, sd: float, low: float, high: float) -> float:
        return round(min(max(rng.gauss(mean, sd), low), high), 1)

    speech = draw(25 + 110 * skill, 8, 15, 220)
    speaking = seconds * 0.45  # the learner speaks a little under half the time
    used = sum(rng.random() < 0.2 + 0.7 * skill for _ in words)
    return {
        "speech_rate": speech,
        "articulation_rate": round(speech * rng.uniform(1.15, 1.35), 1),
        "mean_length_of_run": draw(0.8 + 8 * skill, 0.6, 0.5, 30),
        "mid_clause_pause_rate": draw(20 - 16 * skill, 1.5, 0, 60),
        "mtld": draw(8 + 60 * skill, 5, 5, 200),
        "tokens": max(1, round(speech * speaking / 60)),
        "target_words": len(words),
        "target_words_used": used,
        "learner_turns": max(1, turns // 2),
    }


def demo_experiment(learners: int) -> Experiment:
    """The demo's A/B experiment: the classes of ``learners`` split in two.

    Odd classes follow the adaptive plan, even ones the fixed syllabus (with
    a single class, a random half of its learners each). The
    simulated learners study the same way in both, so the dashboard should
    find no real difference: its intervals show how large the noise is.
    """
    classes = [f"class-{k:02d}" for k in range(1, -(-learners // CLASS_SIZE) + 1)]
    fixed = Variant("fixed-syllabus", classes=tuple(classes[1::2]))
    adaptive = Variant("adaptive-plan", classes=tuple(classes[0::2]))
    how = "odd classes against even ones"
    if len(classes) < 2:  # one class: split its learners at random instead
        fixed = Variant("fixed-syllabus", share=0.5)
        adaptive = Variant("adaptive-plan", share=0.5)
        how = "half the learners against the other half"
    return Experiment(
        id="adaptive-plan",
        description=f"Adaptive plan against the fixed syllabus ({how})",
        control="fixed-syllabus",
        variants=(fixed, adaptive),
    )


def start_demo_experiment(engine: Levelwise, tenant: str, learners: int) -> None:
    """Store :func:`demo_experiment` for ``learners`` in ``tenant``."""
    engine.metrics.put_experiment(tenant, demo_experiment(learners))
