"""A learner simulator: how many weeks a level-up takes under a study policy.

Simulated learners study a program a fixed number of minutes a week; each
study of a unit generates its events with the study model
(:func:`levelwise.app.guidance.study.study_events`), and the real fold turns them into
XP, mastery and level-ups. Policies (:mod:`levelwise.app.simulate.policies`)
choose what to study; every policy meets the same learners with the same
random numbers, so their weeks per level-up can be compared learner by learner.

**Calibration** (:func:`calibrate`). BKT (:class:`levelwise.learners.bkt.BKT`)
is fitted on a real dataset (all of its learners); skills with fewer than
``min_rows`` answers are left out. Each knowledge point of the program gets
the ``(prior, learn, guess, slip)`` of a fitted skill drawn uniformly with a
seeded generator. Guess and slip are capped at :data:`MAX_GUESS_SLIP` (0.3:
above it an answer says little about knowing), learn is kept within
[:data:`MIN_LEARN`, :data:`MAX_LEARN`] and the prior within
[:data:`MIN_PRIOR`, :data:`MAX_PRIOR`]. Without a dataset the skills are
drawn from :data:`BUILTIN_SKILLS`. The simulated program is the given one
with ``mastery: {model: bkt}`` and these parameters: the planner and the fold
use the school's fitted parameters, as after ``levelwise fit --model bkt``.

**Learners** (:func:`make_learners`). Each learner's true knowledge of each
point is known or unknown, known at first with the point's prior. After an
answer on a point the learner learns it with probability ``learn x m``, where
the learner's multiplier ``m`` is lognormal (``exp(N(0, 0.5))``, median 1).
Known points are answered right with ``1 - slip``, unknown ones with
``guess``; nothing is forgotten (the fit has no forgetting). Learning
opportunities are the study model's answers (:attr:`StudyYield.answers`): a
scored live interaction trains every point of the club, a homework each of
its points once (after its ten scored items). The weekly budget is
``weekly_minutes x exp(N(0, 0.2))`` (clipped to half and one and a half
times), in 1, 2 or 3 sessions a week (probabilities 0.2, 0.4, 0.4) on fixed
days (Saturday; Tuesday and Saturday; Monday, Wednesday and Saturday) from
18:00 UTC, so daily XP caps apply as they would. A unit that does not fit in
what is left of the week starts the next week.

**Random numbers.** Everything about learner ``i`` comes from generators
seeded with ``(seed, i, stream)``: its traits (stream 1), one stream per
knowledge point for answers and learning (stream 2, so the n-th answer on a
point draws the same numbers under every policy) and the policy's own choices
(stream 3).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from levelwise.app.guidance.study import study_events, yield_of
from levelwise.app.simulate.policies import POLICIES, Policy
from levelwise.app.simulate.teachable import Audit
from levelwise.domain.fold import default_model, fold, initial_state
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.outcomes import LevelReached
from levelwise.domain.program import BktParams, Program, Unit
from levelwise.domain.state import LearnerState

MAX_GUESS_SLIP = 0.3
MIN_LEARN, MAX_LEARN = 0.01, 0.6
MIN_PRIOR, MAX_PRIOR = 0.02, 0.95
LEARN_SIGMA = 0.5
"""Sigma of the log of a learner's learn-rate multiplier."""
BUDGET_SIGMA = 0.2
"""Sigma of the log of a learner's weekly budget around ``weekly_minutes``."""
SESSION_DAYS = {1: (5,), 2: (1, 5), 3: (0, 2, 5)}
"""Weekdays (Monday 0) of the study sessions by sessions a week."""
SESSION_WEIGHTS = (0.2, 0.4, 0.4)
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
SESSION_HOUR = 18
WEEK = timedelta(days=7)

BUILTIN_SKILLS: tuple[tuple[float, float, float, float], ...] = (
    (0.50, 0.05, 0.08, 0.12),
    (0.65, 0.10, 0.18, 0.20),
    (0.80, 0.27, 0.30, 0.28),
    (0.35, 0.15, 0.15, 0.10),
    (0.20, 0.08, 0.22, 0.15),
    (0.60, 0.20, 0.25, 0.05),
)
"""``(prior, learn, guess, slip)`` skills used without a dataset: rounded
quartiles of a BKT fit on ASSIST2009, plus two beginners' skills."""


@dataclass(frozen=True)
class Calibration:
    """The simulated program and where its BKT parameters come from.

    Attributes:
        program: The program with the drawn BKT parameters as its mastery model.
        params: The drawn parameters per knowledge point, in program order.
        source: Where they come from (dataset and how many skills).
        skills: How many fitted skills were drawn from.
    """

    program: Program
    params: tuple[tuple[str, BktParams], ...]
    source: str
    skills: int


def _clip(value: float, low: float, high: float) -> float:
    return round(min(max(float(value), low), high), 6)


def fitted_skills(
    dataset: Path, *, min_rows: int = 200, random_state: int = 0
) -> list[tuple[float, float, float, float]]:
    """``(prior, learn, guess, slip)`` of each well-supported skill of a BKT fit.

    Args:
        dataset: A dataset file or folder (as
            :func:`levelwise.learners.datasets.load` reads it).
        min_rows: Skills with fewer answers are left out.
        random_state: Seed of the EM restarts.
    """
    from levelwise.learners.bkt import BKT
    from levelwise.learners.datasets import load

    data = load(dataset).responses
    model = BKT(random_state=random_state).fit(data)
    rows = np.bincount(data.skill, minlength=model.n_skills_)
    return [
        (
            float(model.prior_[i]),
            float(model.learn_[i]),
            float(model.guess_[i]),
            float(model.slip_[i]),
        )
        for i in range(model.n_skills_)
        if rows[i] >= min_rows
    ]


def calibrate(
    dataset: Path | None,
    program: Program,
    seed: int,
    *,
    skills: Sequence[tuple[float, float, float, float]] | None = None,
) -> Calibration:
    """Draw BKT parameters for the program's knowledge points (module notes).

    Args:
        dataset: The dataset to fit BKT on; None uses :data:`BUILTIN_SKILLS`.
        program: The program to simulate.
        seed: Seed of the draws.
        skills: Already fitted skills to draw from (skips the fit).
    """
    if skills is None:
        skills = BUILTIN_SKILLS if dataset is None else fitted_skills(dataset)
    if not skills:
        skills = BUILTIN_SKILLS
    source = "built-in skills" if dataset is None else f"BKT fitted on {dataset.name}"
    rng = np.random.default_rng([seed, 0])
    picks = rng.integers(0, len(skills), size=len(program.knowledge_points))
    params = []
    for kp, pick in zip(program.knowledge_points, picks, strict=True):
        prior, learn, guess, slip = skills[int(pick)]
        params.append(
            (
                kp.id,
                BktParams(
                    prior=_clip(prior, MIN_PRIOR, MAX_PRIOR),
                    learn=_clip(learn, MIN_LEARN, MAX_LEARN),
                    guess=_clip(guess, 0.0, MAX_GUESS_SLIP),
                    slip=_clip(slip, 0.0, MAX_GUESS_SLIP),
                ),
            )
        )
    note = f"{source} ({len(skills)} skills), drawn with seed {seed}"
    mastery = replace(program.mastery, model="bkt", bkt=tuple(params), fitted=note)
    return Calibration(
        replace(program, mastery=mastery), tuple(params), note, len(skills)
    )


@dataclass(frozen=True)
class SimLearner:
    """A simulated learner's traits (the same under every policy).

    Attributes:
        index: The learner's number.
        known: Whether each knowledge point is known at first (program order).
        learn: Chance of learning each point after an answer on it.
        multiplier: The learner's learn-rate multiplier.
        weekly_minutes: Minutes studied a week.
        sessions: Study sessions a week.
    """

    index: int
    known: tuple[bool, ...]
    learn: tuple[float, ...]
    multiplier: float
    weekly_minutes: float
    sessions: int


def make_learners(
    calibration: Calibration, count: int, weekly_minutes: float, seed: int
) -> list[SimLearner]:
    """``count`` learners with traits drawn as the module notes say."""
    learners = []
    for i in range(count):
        rng = np.random.default_rng([seed, i, 1])
        multiplier = float(np.exp(rng.normal(0.0, LEARN_SIGMA)))
        factor = float(np.clip(np.exp(rng.normal(0.0, BUDGET_SIGMA)), 0.5, 1.5))
        sessions = int(rng.choice([1, 2, 3], p=SESSION_WEIGHTS))
        known = tuple(bool(rng.random() < p.prior) for _, p in calibration.params)
        learn = tuple(min(1.0, p.learn * multiplier) for _, p in calibration.params)
        learners.append(
            SimLearner(i, known, learn, multiplier, weekly_minutes * factor, sessions)
        )
    return learners


@dataclass(frozen=True)
class LearnerRun:
    """One learner's course under one policy.

    Attributes:
        learner: The learner's number.
        policy: The policy's name.
        reached: Weeks from the start to each followed level-up (None: not
            within the cap).
        units: Units studied.
        minutes: Minutes studied.
        notes: What an :class:`Observer` kept of the run.
        audit: The teachability of the plans the policy made (None: a
            policy without plans).
    """

    learner: int
    policy: str
    reached: tuple[float | None, ...]
    units: int
    minutes: float
    notes: tuple[Any, ...] = ()
    audit: Audit | None = None


class Observer(Protocol):
    """Watches one learner's run under one policy (e.g. to forecast on the way)."""

    def study(self, week: int, state: LearnerState, minutes: float) -> None:
        """Before each study: its week (from 0), the state before it, its minutes."""

    def finish(self, run: LearnerRun) -> tuple[Any, ...]:
        """The notes to keep with the finished run."""


class _Truth:
    """A learner's true knowledge and the per-point random streams."""

    def __init__(
        self, learner: SimLearner, calibration: Calibration, seed: int
    ) -> None:
        self.known = list(learner.known)
        self.learn = learner.learn
        self.index = {kp: i for i, (kp, _) in enumerate(calibration.params)}
        self.params = [p for _, p in calibration.params]
        self.streams = [
            np.random.default_rng([seed, learner.index, 2, k])
            for k in range(len(self.known))
        ]

    def answer(self, kp: str) -> bool:
        k = self.index[kp]
        p = self.params[k]
        chance = 1.0 - p.slip if self.known[k] else p.guess
        return bool(self.streams[k].random() < chance)

    def practise(self, kp: str) -> None:
        k = self.index[kp]
        if not self.known[k] and self.streams[k].random() < self.learn[k]:
            self.known[k] = True

    def draw_for(self, unit: Unit) -> Callable[[str], bool]:
        """The ``draw`` of one study of ``unit``: answers, learning as it goes."""
        if unit.kind in ("homework", "test"):
            return self.answer  # learning after the whole homework (or test)
        if unit.kind == "live_class":
            kps = unit.knowledge_points

            def live(kp: str) -> bool:
                right = self.answer(kp)
                for point in kps:
                    self.practise(point)
                return right

            return live

        def question(kp: str) -> bool:
            right = self.answer(kp)
            self.practise(kp)
            return right

        return question


@dataclass
class _Clock:
    """Places studies in a learner's week (module notes)."""

    budget: float
    sessions: int
    week: int = 0
    used: float = 0.0
    days: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.days = SESSION_DAYS[self.sessions]

    def place(self, minutes: float) -> datetime:
        """When a study of ``minutes`` starts; moves to next week if it must."""
        if self.used > 0 and self.used + minutes > self.budget + 1e-9:
            self.week += 1
            self.used = 0.0
        length = self.budget / self.sessions
        s = min(int(self.used // length), self.sessions - 1)
        offset = self.used - s * length
        self.used += minutes
        return (
            START
            + self.week * WEEK
            + timedelta(days=self.days[s], hours=SESSION_HOUR, minutes=offset)
        )


def run_learner(
    learner: SimLearner,
    calibration: Calibration,
    policy: Policy,
    *,
    weeks: int,
    levels: int,
    seed: int,
    model: MasteryModel | None = None,
    observer: Observer | None = None,
) -> LearnerRun:
    """Follow one learner under one policy until ``levels`` level-ups or ``weeks``.

    Args:
        learner: The learner.
        calibration: The simulated program and its parameters.
        policy: Chooses each unit.
        weeks: Cap on the weeks simulated.
        levels: Level-ups to follow.
        seed: The run's seed.
        model: The fold's mastery model (default: the program's).
        observer: Sees every study and keeps notes of the run.
    """
    program = calibration.program
    model = model or default_model(program)
    levels = min(levels, len(program.levels) - 1)
    truth = _Truth(learner, calibration, seed)
    choices = np.random.default_rng([seed, learner.index, 3])
    clock = _Clock(learner.weekly_minutes, learner.sessions)
    name = f"sim-{learner.index}"
    state = initial_state(name, program, model)
    reached: list[float | None] = [None] * levels
    units = 0
    minutes = 0.0
    while state.level < levels:
        unit = policy.choose(state, program, model, choices)
        start = clock.place(unit.minutes)
        if clock.week >= weeks:
            break
        if observer is not None:
            observer.study(clock.week, state, unit.minutes)
        events = study_events(
            unit, name, start, truth.draw_for(unit), f"{learner.index}-{units}"
        )
        if unit.kind in ("homework", "test"):
            for kp in yield_of(unit).answers:
                truth.practise(kp)
        for event in events:
            state, outcomes = fold(state, event, program, model)
            for outcome in outcomes:
                if isinstance(outcome, LevelReached):
                    at = (event.occurred_at - START) / WEEK
                    for lvl in range(state.level):
                        if lvl < levels and reached[lvl] is None:
                            reached[lvl] = round(at, 6)
        units += 1
        minutes += unit.minutes
    audit = getattr(policy, "audit", None)
    run = LearnerRun(
        learner.index,
        policy.name,
        tuple(reached),
        units,
        minutes,
        audit=audit if isinstance(audit, Audit) else None,
    )
    return replace(run, notes=observer.finish(run)) if observer else run


@dataclass(frozen=True)
class Simulation:
    """All runs of one simulation.

    Attributes:
        calibration: The simulated program and its parameters.
        learners: The learners.
        runs: Per policy, one run per learner (learner order).
        weeks: The cap on weeks.
        levels: Level-ups followed.
        weekly_minutes: The nominal weekly budget.
        seed: The seed.
        replan_every: Units the planner policy follows before re-planning.
        seconds: Wall-clock time of the runs.
    """

    calibration: Calibration
    learners: tuple[SimLearner, ...]
    runs: dict[str, tuple[LearnerRun, ...]]
    weeks: int
    levels: int
    weekly_minutes: float
    seed: int
    replan_every: int
    seconds: float


_SHARED: dict[str, Any] = {}


def _job(args: tuple[str, int]) -> LearnerRun:
    policy_name, index = args
    s = _SHARED
    policy = POLICIES[policy_name](s["calibration"].program, s["replan_every"])
    learner = s["learners"][index]
    return run_learner(
        learner,
        s["calibration"],
        policy,
        weeks=s["weeks"],
        levels=s["levels"],
        seed=s["seed"],
        model=s["model"],
        observer=s["observe"](policy_name, learner) if s["observe"] else None,
    )


def simulate(
    calibration: Calibration,
    *,
    learners: int,
    weeks: int,
    weekly_minutes: float,
    seed: int,
    levels: int,
    policies: Sequence[str] = ("fixed", "planner", "random"),
    replan_every: int = 3,
    workers: int = 1,
    observe: Callable[[str, SimLearner], Observer | None] | None = None,
) -> Simulation:
    """Run every policy on the same learners (module notes).

    Args:
        calibration: The simulated program and its parameters.
        learners: How many learners.
        weeks: Cap on the weeks simulated per learner.
        weekly_minutes: Nominal study minutes a week.
        seed: The seed of everything random.
        levels: Level-ups to follow.
        policies: Names from :data:`POLICIES`.
        replan_every: Units the planner policy takes from one plan.
        workers: Processes to run learners in (forked; 1 runs in this one).
        observe: ``observe(policy, learner)``: the observer of a run, if any
            (called in the process that runs it).
    """
    started = time.perf_counter()
    people = make_learners(calibration, learners, weekly_minutes, seed)
    levels = min(levels, len(calibration.program.levels) - 1)
    _SHARED.update(calibration=calibration, learners=people, weeks=weeks, seed=seed)
    _SHARED.update(levels=levels, replan_every=replan_every, observe=observe)
    _SHARED["model"] = default_model(calibration.program)
    jobs = [(p, i) for p in policies for i in range(learners)]
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.map(_job, jobs, chunksize=max(1, len(jobs) // 64))
        else:
            done = [_job(j) for j in jobs]
    finally:
        _SHARED.clear()
    runs = {p: tuple(r for r in done if r.policy == p) for p in policies}
    return Simulation(
        calibration,
        tuple(people),
        runs,
        weeks,
        levels,
        weekly_minutes,
        seed,
        replan_every,
        round(time.perf_counter() - started, 3),
    )
