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

Everything is computed on a draft of the learner's numbers; nothing is
stored. Daily XP caps are not modelled (a plan says what to study, not on
which day).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

from levelwise.app.guidance.draft import Draft
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
from levelwise.domain.expr import Comparison
from levelwise.domain.fold import default_model
from levelwise.domain.gates import PRACTICE_VARIABLES, STATE_VARIABLES
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program, Unit
from levelwise.domain.state import LearnerState, as_changes, evolve
from levelwise.errors import PlanError

_EPS = 1e-9


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
        reason: One line: why this unit, now.
    """

    unit: str
    title: str
    kind: str
    minutes: float
    total_minutes: float
    serves: tuple[tuple[str, float, float], ...]
    reason: str


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


def make_plan(
    program: Program,
    state: LearnerState,
    model: MasteryModel | None = None,
    *,
    target: str | None = None,
    max_steps: int = 2000,
    speaking: SpeakingProfile | None = None,
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
    planner = _Planner(program, draft, parts)
    steps = planner.run(max_steps)
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
    )


class _Planner:
    def __init__(self, program: Program, draft: Draft, parts: list[Part]) -> None:
        self.program = program
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
            if not n.startswith(("dimension.", "mastery.", "ready.", "practice."))
            and n not in PRACTICE_VARIABLES
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

    def is_ready(self, unit: Unit) -> bool:
        learned = self.draft.learned
        return all(learned(p) for p in self.blockers[unit.id])

    def score(self, unit: Unit) -> tuple[float, dict[str, object], dict[str, object]]:
        changes, env = self.draft.effect(unit)
        trial = self._env_after(changes, env)
        gained = 0.0
        view: dict[str, object] | None = None
        for part in self._reading(trial):
            before = self.reqs[part.source]
            if before.met:
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

    def run(self, max_steps: int) -> list[PlanStep]:
        steps: list[PlanStep] = []
        units = self.program.unit_by_id
        heap = self._heap()
        total = 0.0
        while not self._done() and len(steps) < max_steps:
            if not heap or -heap[0][0] <= _EPS:
                # Stalled: what is left needs units that are not ready yet, so
                # unlock one (its prerequisites become sub-goals) and value
                # the units that train them. Failing that, value every ready
                # unit afresh, as values can also grow (a point's rising
                # mastery raises the XP of every unit on it).
                goals = self._unlock()
                if goals:
                    for unit in self._trainers_of(goals):
                        entry = (-self.score(unit)[0], self.order[unit.id], unit.id)
                        heapq.heappush(heap, entry)
                    continue
                heap = self._heap()
                if not heap or -heap[0][0] <= _EPS:
                    break
                continue
            _, order, uid = heapq.heappop(heap)
            unit = units[uid]
            value, changes, trial = self.score(unit)
            if heap and value < -heap[0][0] - _EPS:
                heapq.heappush(heap, (-value, order, uid))  # stale: try again
                continue
            if value <= _EPS:
                continue
            before = dict(self.reqs)
            self.draft.apply(unit, changes)
            self.env.update(trial)
            total += unit.minutes
            moved = self._remeasure(trial, total)
            steps.append(self._step(unit, total, before, moved))
            heapq.heappush(heap, (-self.score(unit)[0], order, uid))
            self._recount(unit.knowledge_points)
            for other in self._newly_ready(unit):
                heapq.heappush(
                    heap, (-self.score(other)[0], self.order[other.id], other.id)
                )
        return steps

    def _done(self) -> bool:
        return all(self.reqs[p.source].met for p in self.parts if p.level)

    def _heap(self) -> list[tuple[float, int, str]]:
        """Every ready unit with its value now (values may have grown)."""
        heap = []
        for unit in self.program.units:
            if unit.id in self.queued or self.is_ready(unit):
                self.queued.add(unit.id)
                heap.append((-self.score(unit)[0], self.order[unit.id], unit.id))
        heapq.heapify(heap)
        return heap

    def _trainers_of(self, goals: list[Part]) -> list[Unit]:
        """The ready units that train the points of sub-goals ``goals``."""
        by_id = self.program.unit_by_id
        ids = set().union(*(self.trainers.get(n, ()) for g in goals for n in g.names))
        ready = [by_id[u] for u in ids if u in self.queued]
        return sorted(ready, key=lambda u: self.order[u.id])

    def _unlock(self) -> list[Part]:
        """Add the prerequisites of a blocked unit that would help as sub-goals.

        The first unmet requirement (in gate order, then sub-goals in the
        order they were added) that some unit outside the fringe could move
        picks, of those units, the one with the fewest prerequisites below
        ``ready_mastery`` that are not sub-goals yet (then the first in the
        program); each of those prerequisites becomes a sub-goal
        ``mastery.<point> >= ready_mastery``. Returns the new sub-goals (none
        when no unit helps).
        """
        for part in self.parts:
            if self.reqs[part.source].met:
                continue
            best: tuple[int, str] | None = None
            for uid in self._touching(part):
                if uid in self.queued:
                    continue
                missing = self.missing[uid]
                if missing and (best is None or missing < best[0]):
                    best = (missing, uid)
                    if missing == 1:
                        break
            if best is not None:
                low = [p for p in self.blockers[best[1]] if self._open(p)]
                return [self._add_goal(pre) for pre in low]
        return []

    def _add_goal(self, kp: str) -> Part:
        part = sub_goal(kp, self.ready)
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
        if serves:
            src, p0, p1 = serves[0]
            share = (p1 - p0) / max(1.0 - p0, _EPS)
            reason = f"closes {round(100 * min(share, 1.0))} % of the gap on {src}"
            level = self.levels.get(src)
            if level is None:  # a sub-goal: a prerequisite of what the level needs
                reason += " (a prerequisite of units the target needs)"
        return PlanStep(
            unit=unit.id,
            title=unit.title,
            kind=unit.kind,
            minutes=unit.minutes,
            total_minutes=round(total, 3),
            serves=tuple((s, round(a, 6), round(b, 6)) for s, a, b in serves),
            reason=reason,
        )


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
