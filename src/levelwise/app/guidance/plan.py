"""Plans: the quickest expected way to a target level, and the next best activity.

A plan is an ordered list of units whose study, in expectation, makes every
requirement of the target level hold (and of the levels between), with the
least study time the planner can find:

* **Requirements** are the parts of the gates (``xp >= 1800``,
  ``dimension.speaking_fluency >= 0.3``, ``units_completed includes [...]``),
  effort and ability alike; each has a progress fraction (the gate's own
  progress measure). :mod:`levelwise.app.guidance.requirements` lists and
  measures them.
* **Requirements on practice metrics** (``speech_rate >= 80``) are met by
  practising: sessions of a practice unit with a scenario, as many as the
  learner's trend says (:mod:`levelwise.app.guidance.speaking`).
* **Expected effect of a unit** comes from the study model
  (:mod:`levelwise.app.guidance.study`: what one study yields), the XP rules applied as
  the fold applies them, and the learner model's expected mastery gain on the
  unit's knowledge points (:mod:`levelwise.app.guidance.draft`).
* **Ready to learn**: a unit is a candidate only when every prerequisite of
  its knowledge points (outside the unit) is learned: expected mastery at
  least the program's ``planning.ready_mastery``, resting on evidence (answers
  or a placement test), not on a prior alone (the outer fringe of knowledge
  space theory, with mastery as the knowledge state). Plans therefore never
  violate prerequisites.
* **Choice**: greedy by progress per minute: the unit whose study closes the
  most of the remaining requirement gaps (each gap counted up to what is
  left) per minute, evaluated lazily (a unit's value never grows as other
  units are studied, so a stale value is an upper bound). Units may repeat
  (a weekly live club, a second exercise round) at their decayed value.
* **Preparation, early or late.** A test the next level needs that the
  learner would likely fail (or whose units are not ready) is prepared for
  once the greedy stalls. When that happens the plan is made a second time
  with the preparation (and the test) a goal from the start, so that the
  units that prepare, and the test itself, also earn the level's XP and
  minutes; the quicker of the two complete plans is kept. Only the test a
  ``unit_score.ID`` gate reads is prepared for.

A plan a teacher would sign also keeps to the school's rules:

* **The ladder, in order.** Only the requirements of the next level not yet
  reached (and sub-goals) give a unit value; the plan reaches the levels one
  after the other. A unit is offered only once the plan has reached the level
  it (or any of its knowledge points) is ``available_from``.
* **Tests after their material.** A ``test`` unit is offered only once each
  of its knowledge points rests on evidence, and only when the chance to pass
  it is at least :data:`~levelwise.app.guidance.draft.PASS_CHANCE` (0.9,
  :data:`~levelwise.app.guidance.draft.LAST_PASS_CHANCE`, for the last
  sitting its repeats allow); a test
  the plan needs but would likely fail turns its points into sub-goals
  (preparation) first. When no preparation is left to plan (the units that
  teach its points are used up), the plan takes the test at the chance there
  is. The step says the chance; a test is never assumed passed for sure.
* **No farming.** A unit is scheduled at most its ``max_repeats`` times,
  counting the times the learner already studied it (a completed unit counts
  once unless the caller says more); minute gates are then filled by the
  kinds that may repeat (live classes, practice), each repeat valued at its
  decayed XP.
* **Weeks and reasons.** Steps are grouped into weeks at the learner's pace
  (``weekly_minutes``, else ``planning.weekly_minutes``): a step's ``week``
  is the week it starts in. Each step carries a :class:`Reason` that
  :func:`~levelwise.app.guidance.reasons.describe_reason` says in words.

Everything is computed on a draft of the learner's numbers; nothing is
stored. Daily XP caps are not modelled (a plan says what to study, not on
which day).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from levelwise.app.guidance.draft import (
    LAST_PASS_CHANCE,
    PASS_CHANCE,
    Draft,
    chance_at_least,
)
from levelwise.app.guidance.reasons import Reason
from levelwise.app.guidance.requirements import (
    Part,
    Requirement,
    measure,
    requirements_of,
    sub_goal,
)
from levelwise.app.guidance.speaking import (
    SESSIONS,
    SpeakingProfile,
    practised,
    reads_practice,
)
from levelwise.app.guidance.study import sitting_items
from levelwise.domain.expr import Comparison
from levelwise.domain.fold import default_model
from levelwise.domain.gates import PRACTICE_VARIABLES, STATE_VARIABLES
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program, Unit
from levelwise.domain.state import LearnerState, as_changes, evolve
from levelwise.errors import PlanError

_EPS = 1e-9
_MARGIN = 0.05
_PARKED = ("test", "homework")
"""Kinds a plan may hold back until the learner is ready, then look at again."""
"""How far above a homework average a prepared homework aims."""


@dataclass(frozen=True)
class PlanStep:
    """One unit of a plan.

    Attributes:
        unit: The unit's id.
        title: Its title.
        kind: Its kind.
        minutes: Its expected minutes.
        total_minutes: Minutes from now to the end of this step.
        serves: ``(requirement, progress before, progress after)`` for each
            requirement it moves, the largest move first.
        reason: One line: why this unit, now (names the requirement, for
            teachers).
        week: The week of the plan it starts in (1: this week), at the
            learner's pace.
        why: Why, as data (:func:`~levelwise.app.guidance.reasons.describe_reason`
            says it in words).
        level: The level it works toward.
        chance: A test's chance to pass, in expectation (None: not a test
            with a pass mark).
    """

    unit: str
    title: str
    kind: str
    minutes: float
    total_minutes: float
    serves: tuple[tuple[str, float, float], ...]
    reason: str
    week: int = 1
    why: Reason = Reason("keeps")
    level: str = ""
    chance: float | None = None


@dataclass(frozen=True)
class Plan:
    """An ordered plan to a target level.

    Attributes:
        learner: The learner.
        level: Their level now.
        target: The level planned for.
        steps: The units, in order.
        minutes: Expected study minutes of the whole plan.
        now: The requirements, as they stand.
        expected: The requirements after the plan, in expectation.
        met_at: ``(requirement, plan minutes at which it is met)``; 0 when
            already met, ``inf`` when the plan cannot meet it.
        binding: The requirement met last: the one that holds the learner back.
        complete: Whether every requirement is met in expectation.
        gains: Where the expected mastery gains come from.
        weekly_minutes: The pace the steps' weeks are counted at.
    """

    learner: str
    level: str
    target: str
    steps: tuple[PlanStep, ...]
    minutes: float
    now: tuple[Requirement, ...]
    expected: tuple[Requirement, ...]
    met_at: tuple[tuple[str, float], ...]
    binding: str | None
    complete: bool
    gains: str
    weekly_minutes: float = 0.0

    def weeks(self) -> list[tuple[int, tuple[PlanStep, ...]]]:
        """The steps grouped by week, in order: ``(week, steps)``."""
        grouped: dict[int, list[PlanStep]] = {}
        for step in self.steps:
            grouped.setdefault(step.week, []).append(step)
        return [(week, tuple(steps)) for week, steps in grouped.items()]


def make_plan(
    program: Program,
    state: LearnerState,
    model: MasteryModel | None = None,
    *,
    target: str | None = None,
    max_steps: int = 2000,
    speaking: SpeakingProfile | None = None,
    weekly_minutes: float | None = None,
    studied: Mapping[str, int] | None = None,
) -> Plan:
    """Plan the quickest expected way from ``state`` to ``target``.

    Args:
        program: The compiled program.
        state: The learner's state.
        model: The fold's mastery model (default: the program's).
        target: A level above the learner's (default: the next one).
        max_steps: Give up after this many units (the plan is then incomplete).
        speaking: The learner's speaking profile: its trends set the sessions
            a requirement on a practice metric needs (None: no trends).
        weekly_minutes: The learner's study minutes a week, which group the
            steps into weeks (None or 0: ``planning.weekly_minutes``).
        studied: How many times the learner studied each unit (the repeat
            rule counts them); None: once for each completed unit, or each
            scored one.

    Raises:
        PlanError: ``target`` is unknown, or not above the learner's level.
    """
    model = model or default_model(program)
    ladder = [lvl.id for lvl in program.levels]
    here = ladder[state.level]
    if target is None:
        if state.level + 1 >= len(ladder):
            raise PlanError(f"{state.learner} is at the top level ({here})")
        goal = state.level + 1
    elif target not in ladder:
        raise PlanError(f"unknown level {target!r}; levels: {', '.join(ladder)}")
    else:
        goal = ladder.index(target)
        if goal <= state.level:
            raise PlanError(f"{state.learner} has already reached {target} ({here})")
    parts = requirements_of(program, state.level, goal)
    draft = Draft(program, state, model)
    if any(reads_practice(p.names) for p in parts):
        env = {n: draft.value(n) for p in parts for n in p.names}
        parts = [
            practised(p, env, speaking)
            if reads_practice(p.names) and not measure(p, env).met
            else p
            for p in parts
        ]
    if studied is None:
        done = set(state.units_completed) | set(state.unit_scores)
        studied = dict.fromkeys(done, 1)
    pace = weekly_minutes or program.planning.weekly_minutes
    planner = _Planner(program, draft, parts, state.level, studied)
    found = planner.run(max_steps)
    if planner.prepares or planner.unlocks:
        # A test needed preparation: plan again with it a goal from the start
        # and keep the quicker plan (module notes).
        early = _Planner(
            program, Draft(program, state, model), parts, state.level, studied
        )
        other = early.run(max_steps, foresee=True)
        if (early.done(), -sum(s.minutes for s in other)) > (
            planner.done(),
            -sum(s.minutes for s in found) + _EPS,
        ):
            planner, found = early, other
    steps = [
        replace(s, week=1 + int((s.total_minutes - s.minutes) // pace + _EPS))
        for s in found
    ]
    now = tuple(measure(p, planner.start_env) for p in parts)
    expected = tuple(measure(p, planner.env) for p in parts)
    met_at = tuple((p.source, planner.met_at.get(p.source, math.inf)) for p in parts)
    binding = max(met_at, key=lambda m: m[1])[0] if met_at else None
    if met_at and max(m[1] for m in met_at) == 0:
        binding = None
    return Plan(
        learner=state.learner,
        level=here,
        target=ladder[goal],
        steps=tuple(steps),
        minutes=round(sum(s.minutes for s in steps), 3),
        now=now,
        expected=expected,
        met_at=met_at,
        binding=binding,
        complete=all(r.met for r in expected),
        gains=draft.gains.source,
        weekly_minutes=pace,
    )


def _scored(name: str) -> bool:
    """Whether gate variable ``name`` reads test results."""
    return name == "passed" or name.startswith("unit_score.")


def opens_at(program: Program, unit: Unit) -> int:
    """The ladder index from which ``unit`` is available (0: from the start).

    The later of the unit's own ``available_from`` and its knowledge points'.
    """
    ladder = {lvl.id: i for i, lvl in enumerate(program.levels)}
    found = [unit.available_from] + [
        program.kp_by_id[kp].available_from
        for kp in unit.knowledge_points
        if kp in program.kp_by_id
    ]
    return max((ladder.get(f, 0) for f in found if f), default=0)


class _Planner:
    def __init__(
        self,
        program: Program,
        draft: Draft,
        parts: list[Part],
        level: int = 0,
        studied: Mapping[str, int] | None = None,
    ) -> None:
        self.program = program
        self.ladder = [lvl.id for lvl in program.levels]
        self.at = level  # the level the plan has reached so far
        self.opens = {u.id: opens_at(program, u) for u in program.units}
        self.count = dict(studied or {})
        self.prepares: dict[str, str] = {}  # sub-goal point -> the test it readies
        self.unlocks: dict[str, str] = {}  # sub-goal point -> the unit it opens
        self.tests = [u for u in program.units if u.kind == "test"]
        self.draft = draft
        self.parts = list(parts)  # sub-goals are added to this copy
        self.by_name: dict[str, list[Part]] = {}
        self.levels = {p.source: p.level for p in parts}
        for part in self.parts:
            for name in part.names:
                self.by_name.setdefault(name, []).append(part)
        names = frozenset().union(*(p.names for p in parts)) if parts else frozenset()
        self.names = names
        self.env: dict[str, object] = {n: draft.value(n) for n in names}
        # Practice metrics stay as they are in the draft (speaking module).
        self.plain = [
            n
            for n in sorted(names)
            if not n.startswith(
                ("dimension.", "mastery.", "ready.", "practice.", "unit_score.")
            )
            and n not in PRACTICE_VARIABLES
            and n != "passed"
        ]
        self.start_env = dict(self.env)
        self.reqs = {p.source: measure(p, self.env) for p in parts}
        self.met_at: dict[str, float] = {s: 0.0 for s, r in self.reqs.items() if r.met}
        self.ready = program.planning.ready_mastery
        # Which units wait on which knowledge point.
        self.blockers: dict[str, tuple[str, ...]] = {}
        self.waiting: dict[str, list[Unit]] = {}
        for unit in program.units:
            own = set(unit.knowledge_points)
            needs = sorted(
                {
                    pre
                    for kp in unit.knowledge_points
                    for pre in program.kp_by_id[kp].prerequisites
                    if pre not in own
                }
            )
            self.blockers[unit.id] = tuple(needs)
            for pre in needs:
                self.waiting.setdefault(pre, []).append(unit)
        self.order = {u.id: i for i, u in enumerate(program.units)}
        self.queued: set[str] = set()
        self.goals: set[str] = set()
        self.missing = {
            u.id: sum(map(self._open, self.blockers[u.id])) for u in program.units
        }
        self.trainers: dict[str, set[str]] = {}
        self._touches: dict[str, tuple[str, ...]] = {}
        for unit in program.units:
            for kp in unit.knowledge_points:
                self.trainers.setdefault(f"mastery.{kp}", set()).add(unit.id)
                self.trainers.setdefault(f"ready.{kp}", set()).add(unit.id)
            for dim in unit.dimensions:
                self.trainers.setdefault(f"dimension.{dim}", set()).add(unit.id)
        self.trainers[SESSIONS] = set(draft.speakers)
        self.rank = {lvl: i for i, lvl in enumerate(self.ladder)}
        self.goal = max((self.rank[p.level] for p in parts if p.level), default=level)
        self.parked: set[str] = set()  # tests not offered yet, to look at again
        self.any_chance = False  # once preparation can do no more (run)
        self.homework = next(
            (
                p
                for p in parts
                if p.names == frozenset({"homework_average"})
                and isinstance(p.check, Comparison)
            ),
            None,
        )
        self._advance()

    def is_ready(self, unit: Unit) -> bool:
        learned = self.draft.learned
        return all(learned(p) for p in self.blockers[unit.id])

    def offered(self, unit: Unit) -> bool:
        """Whether the plan may schedule ``unit`` now (module notes).

        Open at the level the plan has reached, within its repeats, and, for
        a test, after its material with a good enough chance to pass.
        """
        if self.opens[unit.id] > self.at:
            return False
        if self._used_up(unit):
            return False
        if unit.kind == "homework" and self.homework is not None:
            return self._homework_ready(unit)
        return unit.kind != "test" or self._test_ready(unit)

    def _used_up(self, unit: Unit) -> bool:
        """Whether the plan already holds ``unit`` its ``max_repeats`` times."""
        cap = unit.max_repeats
        return bool(cap) and self.count.get(unit.id, 0) >= cap

    def _homework_ready(self, unit: Unit) -> bool:
        """Whether ``unit``'s expected score reaches the homework average needed.

        Only while a homework-average requirement of the next level is unmet:
        a homework done before its material would pull the average down, and
        it cannot be done again.
        """
        part = self.homework
        if part is None or self.reqs[part.source].met or not self._active(part):
            return True
        kps = unit.knowledge_points
        if not kps or not isinstance(part.check, Comparison):
            return True
        target = part.check.target
        if not isinstance(target, int | float):
            return True
        chance = sum(self.draft.p(kp) for kp in kps) / len(kps)
        return chance >= float(target)

    def _test_ready(self, unit: Unit) -> bool:
        draft = self.draft
        taught = all(
            draft.mastery[kp].attempts > 0 or kp in draft.placed
            for kp in unit.knowledge_points
        )
        if not taught:
            return False
        return self.any_chance or draft.pass_chance(unit) >= self._needed(unit)

    def _needed(self, unit: Unit) -> float:
        """The chance to pass a plan wants before it takes test ``unit``.

        :data:`~levelwise.app.guidance.draft.PASS_CHANCE`, or
        :data:`~levelwise.app.guidance.draft.LAST_PASS_CHANCE` for the last
        sitting its repeats allow.
        """
        cap = unit.max_repeats
        last = bool(cap) and self.count.get(unit.id, 0) + 1 >= cap
        return LAST_PASS_CHANCE if last else PASS_CHANCE

    def _active(self, part: Part) -> bool:
        """Whether ``part`` counts now: a sub-goal, or a part of the next level."""
        return not part.level or self.rank[part.level] <= self.at + 1

    def _advance(self) -> bool:
        """Move the plan's level up past every level whose parts are all met."""
        moved = False
        while self.at < self.goal:
            nxt = self.ladder[self.at + 1]
            if not all(self.reqs[p.source].met for p in self.parts if p.level == nxt):
                break
            self.at += 1
            moved = True
        return moved

    def score(self, unit: Unit) -> tuple[float, dict[str, object], dict[str, object]]:
        changes, env = self.draft.effect(unit)
        trial = self._env_after(changes, env)
        gained = 0.0
        view: dict[str, object] | None = None
        for part in self._reading(trial):
            before = self.reqs[part.source]
            if before.met or not self._active(part):
                continue
            if view is None:
                view = {**self.env, **trial}
            after = measure(part, view)
            gained += min(after.progress, 1.0) - before.progress
        return gained / max(unit.minutes, _EPS), changes, trial

    def _reading(self, names: Iterable[str]) -> list[Part]:
        """The parts that read any of ``names``, in order."""
        found: dict[str, Part] = {}
        for name in names:
            for part in self.by_name.get(name, ()):
                found[part.source] = part
        return list(found.values())

    def _env_after(
        self, changes: dict[str, object], env: dict[str, object]
    ) -> dict[str, object]:
        names = self.names
        trial = {n: v for n, v in env.items() if n in names}
        plain = self.plain
        if plain:
            state = evolve(self.draft.state, as_changes(changes))
            for n in plain:
                value = STATE_VARIABLES[n][1](state)
                if value != self.env[n]:
                    trial[n] = value
        return trial

    def done(self) -> bool:
        """Whether every requirement of the plan is met, in expectation."""
        return all(r.met for r in self.reqs.values())

    def run(self, max_steps: int, *, foresee: bool = False) -> list[PlanStep]:
        steps: list[PlanStep] = []
        units = self.program.unit_by_id
        if foresee:
            self.queued.update(u.id for u in self.program.units if self.is_ready(u))
            self._foresee()
        heap = self._heap()
        total = 0.0
        while not self._done() and len(steps) < max_steps:
            if not heap or -heap[0][0] <= _EPS:
                # Stalled: what is left needs units that are not ready yet, so
                # unlock one (its prerequisites become sub-goals) or prepare
                # for a test the level needs (its points become sub-goals),
                # and value the units that train them. Failing that, value
                # every offered unit afresh, as values can also grow (a
                # point's rising mastery raises the XP of every unit on it).
                goals = self._prepare() or self._unlock()
                if goals:
                    for unit in self._trainers_of(goals):
                        entry = (-self.score(unit)[0], self.order[unit.id], unit.id)
                        heapq.heappush(heap, entry)
                    continue
                heap = self._heap()
                if heap and -heap[0][0] > _EPS:
                    continue
                if self.any_chance:
                    break
                # Last resort: no more preparation is possible, so a test the
                # level needs is taken at the chance there is (the step says it).
                self.any_chance = True
                heap = self._heap()
                continue
            _, order, uid = heapq.heappop(heap)
            unit = units[uid]
            if not self.offered(unit):
                if unit.kind in _PARKED:
                    self.parked.add(uid)
                continue
            value, changes, trial = self.score(unit)
            if heap and value < -heap[0][0] - _EPS:
                heapq.heappush(heap, (-value, order, uid))  # stale: try again
                continue
            if value <= _EPS:
                continue
            before = dict(self.reqs)
            level = self.ladder[min(self.at + 1, self.goal)]
            chance = self.draft.pass_chance(unit) if unit.kind == "test" else None
            self.draft.apply(unit, changes)
            self.env.update(trial)
            self.count[uid] = self.count.get(uid, 0) + 1
            total += unit.minutes
            moved = self._remeasure(trial, total)
            steps.append(self._step(unit, total, before, moved, level, chance))
            if self._advance():
                heap = self._heap()
                continue
            if self.offered(unit):
                heapq.heappush(heap, (-self.score(unit)[0], order, uid))
            self._recount(unit.knowledge_points)
            for other in self._newly_ready(unit):
                if self.offered(other):
                    heapq.heappush(
                        heap, (-self.score(other)[0], self.order[other.id], other.id)
                    )
                elif other.kind in _PARKED:
                    self.parked.add(other.id)
            goals = self._foresee() if foresee else []
            for other in self._trainers_of(goals):
                heapq.heappush(
                    heap, (-self.score(other)[0], self.order[other.id], other.id)
                )
            for tid in sorted(self.parked, key=self.order.__getitem__):
                test = units[tid]
                if self.offered(test):
                    self.parked.discard(tid)
                    heapq.heappush(heap, (-self.score(test)[0], self.order[tid], tid))
        return steps

    def _done(self) -> bool:
        return all(self.reqs[p.source].met for p in self.parts if p.level)

    def _heap(self) -> list[tuple[float, int, str]]:
        """Every offered ready unit with its value now (values may have grown)."""
        heap = []
        for unit in self.program.units:
            if unit.id in self.queued or self.is_ready(unit):
                self.queued.add(unit.id)
                if self.offered(unit):
                    heap.append((-self.score(unit)[0], self.order[unit.id], unit.id))
                elif unit.kind in _PARKED:
                    self.parked.add(unit.id)
        heapq.heapify(heap)
        return heap

    def _trainers_of(self, goals: list[Part]) -> list[Unit]:
        """The offered ready units that train the points of sub-goals ``goals``."""
        by_id = self.program.unit_by_id
        ids = set().union(*(self.trainers.get(n, ()) for g in goals for n in g.names))
        ready = [by_id[u] for u in ids if u in self.queued and self.offered(by_id[u])]
        return sorted(ready, key=lambda u: self.order[u.id])

    def _foresee(self) -> list[Part]:
        """Sub-goals for the tests the next level needs, from the start.

        A test's preparation (and the prerequisites of a test not ready yet)
        are goals as soon as the plan knows the level needs the test, not only
        once the rest is met: the units that prepare also earn the level's XP
        and minutes, and so does the test itself. Returns the new sub-goals.
        """
        found: list[Part] = []
        while goals := self._prepare() or self._unlock(tests=True):
            found += goals
        return found

    def _prepare(self) -> list[Part]:
        """Sub-goals that ready the learner for a test the next level needs.

        The first unmet requirement (of the next level) on ``passed``, a
        ``unit_score`` or a list of units that an open test with repeats
        left could meet, but
        that the learner would likely fail (or has no material for yet):
        each of its points below the mastery that gives a
        :data:`~levelwise.app.guidance.draft.PASS_CHANCE` to pass becomes a
        sub-goal at that mastery. Returns the new sub-goals (none: no such test).
        """
        by_id = self.program.unit_by_id
        for part in self.parts:
            if self.reqs[part.source].met or not self._active(part):
                continue
            check = part.check
            if "homework_average" in part.names and isinstance(check, Comparison):
                if isinstance(check.target, int | float):
                    goals = self._prepare_homework(float(check.target))
                    if goals:
                        return goals
                continue
            listed = isinstance(check, Comparison) and isinstance(
                check.target, frozenset
            )
            if not listed and not any(_scored(n) for n in part.names):
                continue
            for uid in self._touching(part):
                unit = by_id[uid]
                if unit.kind != "test" or uid not in self.queued:
                    continue
                if self.opens[uid] > self.at or self._used_up(unit):
                    continue
                if self._test_ready(unit):
                    continue
                target = self._pass_mastery(unit)
                goals = []
                for kp in unit.knowledge_points:
                    if kp in self.prepares or self._at(kp, target):
                        continue
                    self.prepares[kp] = uid
                    goals.append(self._add_goal(kp, target))
                if goals:
                    return goals
        return []

    def _prepare_homework(self, average: float) -> list[Part]:
        """Sub-goals that make the next homework score well enough.

        A homework average below ``average`` rises only with homework scored
        above it, and a homework is done once (unless the program says more).
        When no open homework with repeats left is expected to score at least
        ``average``, the points of the first one that can be prepared become
        sub-goals at the mastery that gives ``average`` plus a margin (at
        most what the point's guess and slip allow).
        """
        draft = self.draft
        gains = draft.gains
        candidates = []
        for unit in self.program.units:
            kps = unit.knowledge_points
            if unit.kind != "homework" or not kps or unit.id not in self.queued:
                continue
            if self.opens[unit.id] > self.at or self._used_up(unit):
                continue
            if sum(draft.p(kp) for kp in kps) / len(kps) >= average:
                return []  # the greedy can take it as it is
            candidates.append(unit)
        for unit in candidates:
            goals = []
            for kp in unit.knowledge_points:
                want = min(average + _MARGIN, gains.p_correct(kp, 0.98))
                target = self._mastery_for(kp, want)
                source = sub_goal(kp, target).source
                if source in self.reqs or self._at(kp, target):
                    continue
                self.prepares.setdefault(kp, unit.id)
                goals.append(self._add_goal(kp, target))
            if goals:
                return goals
        return []

    def _mastery_for(self, kp: str, chance: float) -> float:
        """The mastery of ``kp`` that gives ``chance`` of a correct answer."""
        gains = self.draft.gains
        low, high = self.ready, 0.99
        for _ in range(20):
            mid = (low + high) / 2
            if gains.p_correct(kp, mid) >= chance:
                high = mid
            else:
                low = mid
        return round(high, 3)

    def _pass_mastery(self, unit: Unit) -> float:
        """The mastery on every point of ``unit`` that gives a good chance to pass."""
        gains = self.draft.gains
        kps = unit.knowledge_points
        mark = unit.pass_mark if unit.pass_mark is not None else 0.0
        n = sitting_items(unit)
        needed = math.ceil(mark * n - 1e-9)
        low, high = self.ready, 0.99
        for _ in range(20):
            mid = (low + high) / 2
            chances = [gains.p_correct(kps[i % len(kps)], mid) for i in range(n)]
            if chance_at_least(chances, needed) >= self._needed(unit) + 0.02:
                high = mid
            else:
                low = mid
        return round(high, 3)

    def _at(self, kp: str, target: float) -> bool:
        m = self.draft.mastery[kp]
        return m.value >= target and (m.attempts > 0 or kp in self.draft.placed)

    def _unlock(self, *, tests: bool = False) -> list[Part]:
        """Add the prerequisites of a blocked unit that would help as sub-goals.

        The first unmet requirement (of the next level in gate order, then
        sub-goals in the order they were added) that some open unit outside
        the fringe could move picks, of those units, the one with the fewest
        prerequisites below ``ready_mastery`` that are not sub-goals yet
        (then the first in the program); each of those prerequisites becomes
        a sub-goal ``mastery.<point> >= ready_mastery``. Returns the new
        sub-goals (none when no unit helps). With ``tests``, only requirements
        on test results, and only the tests that could meet them.
        """
        by_id = self.program.unit_by_id
        for part in self.parts:
            if self.reqs[part.source].met or not self._active(part):
                continue
            if tests and not any(_scored(n) for n in part.names):
                continue
            best: tuple[int, str] | None = None
            for uid in self._touching(part):
                if uid in self.queued or self.opens[uid] > self.at:
                    continue
                if tests and by_id[uid].kind != "test":
                    continue
                if self._used_up(by_id[uid]):
                    continue
                missing = self.missing[uid]
                if missing and (best is None or missing < best[0]):
                    best = (missing, uid)
                    if missing == 1:
                        break
            if best is not None:
                low = [p for p in self.blockers[best[1]] if self._open(p)]
                for pre in low:
                    self.unlocks.setdefault(pre, best[1])
                return [self._add_goal(pre) for pre in low]
        return []

    def _add_goal(self, kp: str, target: float | None = None) -> Part:
        part = sub_goal(kp, self.ready if target is None else target)
        self.goals.add(kp)
        self._recount((kp,))
        self.parts.append(part)
        for name in part.names:
            self.by_name.setdefault(name, []).append(part)
            self.env[name] = self.draft.value(name)
        self.names = self.names | part.names
        self.reqs[part.source] = measure(part, self.env)
        return part

    def _open(self, kp: str) -> bool:
        """Whether ``kp`` blocks units: not learned and not a sub-goal yet."""
        return kp not in self.goals and not self._at_ready(kp)

    def _recount(self, kps: Iterable[str]) -> None:
        """Recount the open prerequisites of the units waiting on ``kps``."""
        for kp in kps:
            for unit in self.waiting.get(kp, ()):
                uid = unit.id
                self.missing[uid] = sum(map(self._open, self.blockers[uid]))

    def _at_ready(self, kp: str) -> bool:
        return self.draft.learned(kp)

    def _touching(self, part: Part) -> tuple[str, ...]:
        """The units whose study can move ``part`` (by what they train), in order."""
        found = self._touches.get(part.source)
        if found is not None:
            return found
        check = part.check
        if isinstance(check, Comparison) and isinstance(check.target, frozenset):
            ids: set[str] = set(check.target) & self.program.unit_by_id.keys()
        elif part.names and all(n.startswith("unit_score.") for n in part.names):
            # Only the unit it names moves a unit's score.
            ids = {n[11:] for n in part.names} & self.program.unit_by_id.keys()
        elif any(
            not n.startswith(("mastery.", "dimension.", "ready.", "practice."))
            for n in part.names
        ):
            ids = set(self.order)
        else:
            ids = set().union(*(self.trainers.get(n, ()) for n in part.names))
        found = self._touches[part.source] = tuple(
            sorted(ids, key=self.order.__getitem__)
        )
        return found

    def _newly_ready(self, studied: Unit) -> Iterable[Unit]:
        for kp in studied.knowledge_points:
            for unit in self.waiting.get(kp, ()):
                if unit.id not in self.queued and self.is_ready(unit):
                    self.queued.add(unit.id)
                    yield unit

    def _remeasure(self, trial: dict[str, object], total: float) -> list[str]:
        moved = []
        for part in self._reading(trial):
            before = self.reqs[part.source]
            after = measure(part, self.env)
            self.reqs[part.source] = after
            if after.progress != before.progress:
                moved.append(part.source)
            if after.met and part.source not in self.met_at:
                self.met_at[part.source] = round(total, 3)
        return moved

    def _step(
        self,
        unit: Unit,
        total: float,
        before: dict[str, Requirement],
        moved: list[str],
        level: str,
        chance: float | None,
    ) -> PlanStep:
        serves = sorted(
            (
                (src, before[src].progress, self.reqs[src].progress)
                for src in moved
                if not before[src].met
            ),
            key=lambda s: s[1] - s[2],
        )
        reason = "keeps the other requirements moving"
        why = Reason("keeps", level=level)
        active = [x for x in serves if self._active(self._part(x[0]))]
        if active:  # the reason is a move on what the plan works on now
            serves = active + [x for x in serves if x not in active]
        if serves:
            src, p0, p1 = serves[0]
            share = (p1 - p0) / max(1.0 - p0, _EPS)
            reason = f"closes {round(100 * min(share, 1.0))} % of the gap on {src}"
            if self.levels.get(src) is None:  # a sub-goal: what the level needs
                reason += " (a prerequisite of units the target needs)"
            why = self._why(src, level)
        if unit.kind == "test":
            why = Reason("test", unit.id, level, chance)
            if chance is not None and unit.pass_mark is not None:
                reason += f"; chance to pass {round(100 * chance)} %"
        return PlanStep(
            unit=unit.id,
            title=unit.title,
            kind=unit.kind,
            minutes=unit.minutes,
            total_minutes=round(total, 3),
            serves=tuple((s, round(a, 6), round(b, 6)) for s, a, b in serves),
            reason=reason,
            level=level,
            why=why,
            chance=None if chance is None else round(chance, 4),
        )

    def _part(self, source: str) -> Part:
        return next(p for p in self.parts if p.source == source)

    def _why(self, source: str, level: str) -> Reason:
        """The reason of a step whose largest move is on requirement ``source``."""
        part = self._part(source)
        if not part.level:  # a sub-goal on one point
            kp = next(iter(part.names)).partition(".")[2]
            if kp in self.prepares:
                return Reason("prepares", self.prepares[kp], level)
            if kp in self.unlocks:
                return Reason("unlocks", self.unlocks[kp], level)
            return Reason("teaches", f"mastery.{kp}", level)
        names = sorted(part.names)
        for name in names:
            if name.startswith(("dimension.", "mastery.", "ready.")):
                return Reason("teaches", name, part.level)
        check = part.check
        if isinstance(check, Comparison) and isinstance(check.target, frozenset):
            if "passed" in names:
                return Reason("prepares", min(check.target), part.level)
            return Reason("completes", "units_completed", part.level)
        subject = names[0] if names else ""
        return Reason("fills", subject, part.level)


def requirements_at(
    program: Program,
    state: LearnerState,
    plan: Plan,
    model: MasteryModel | None = None,
) -> tuple[Requirement, ...]:
    """``plan``'s requirements as they stand in ``state`` (e.g. weeks ago)."""
    model = model or default_model(program)
    ladder = [lvl.id for lvl in program.levels]
    parts = requirements_of(
        program, ladder.index(plan.level), ladder.index(plan.target)
    )
    draft = Draft(program, state, model)
    env = {n: draft.value(n) for p in parts for n in p.names}
    return tuple(measure(p, env) for p in parts)


def ready_units(
    program: Program, state: LearnerState, model: MasteryModel | None = None
) -> list[Unit]:
    """The units ready to learn for ``state``, in program order (module notes)."""
    model = model or default_model(program)
    draft = Draft(program, state, model)
    ready = []
    for unit in program.units:
        own = set(unit.knowledge_points)
        needs = {
            pre
            for kp in unit.knowledge_points
            for pre in program.kp_by_id[kp].prerequisites
            if pre not in own
        }
        if all(draft.learned(p) for p in needs):
            ready.append(unit)
    return ready
