"""Study policies of the learner simulator: what a learner studies next.

Every policy answers ``choose(state, program, model, rng) -> Unit`` for one
learner (a new policy object per learner and run):

* ``fixed``: the school's fixed syllabus. The program's units are split into
  stages, one per level: the stage of the level a learner works towards ends
  with the last unit that level's ``units_completed includes [...]`` (or
  ``passed includes [...]``) gates list or whose ``unit_score`` they read (the
  level test) and starts after the previous stage (without such
  gates the whole program is one stage). The learner takes the stage's units
  once in file order (skipping those already completed). After that first
  pass the recurring work of the stage continues, in file order and in a
  cycle, until the level-up: its live clubs, practice sessions, exercises,
  quizzes and homework, but not its recorded lessons (a school does not
  prescribe watching a lesson again; a stage of lessons only cycles through
  them). Then the learner moves on to the next stage. Readiness is not
  checked: the file order is the syllabus.
* ``planner``: the first steps of :func:`levelwise.app.guidance.plan.make_plan` to the
  next level, on the folded state. The policy follows ``replan_every`` steps
  of one plan before asking for a new one (and re-plans at once after a
  level-up or when the plan runs out); a plan without steps falls back to the
  first ready unit in file order that is open at the learner's level and
  within its repeats (not a test). The policy tells the planner how often the
  learner studied each unit (the repeat rule) and checks every plan it gets
  for teachability (:mod:`levelwise.app.simulate.teachable`), timing it.
* ``random``: a uniformly random unit among
  :func:`levelwise.app.guidance.plan.ready_units` (the planner's own readiness rule:
  learned prerequisites, resting on evidence, not on a prior alone); any unit
  when none is ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from levelwise.app.guidance.plan import make_plan, opens_at, ready_units
from levelwise.app.simulate.teachable import Audit, check_plan
from levelwise.domain.expr import Comparison
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program, Unit
from levelwise.domain.state import LearnerState


class Policy(Protocol):
    """Chooses the next unit a simulated learner studies."""

    name: str

    def choose(
        self,
        state: LearnerState,
        program: Program,
        model: MasteryModel,
        rng: np.random.Generator,
    ) -> Unit:
        """The unit to study next."""
        ...


def stages(program: Program) -> list[tuple[int, int]]:
    """``(first, last)`` unit index of the stage towards each level above the first.

    Stage ``j`` (towards level ``j + 1``) ends with the last unit that level's
    ``units_completed includes`` (or ``passed includes``) gates list or whose
    ``unit_score`` they read; a level without such gates ends
    its stage where the previous one ended (or, for the last level, at the
    last unit). Without any such gates every stage is the whole program.
    """
    order = {u.id: i for i, u in enumerate(program.units)}
    last = len(program.units) - 1
    ends: list[int | None] = []
    for level in program.levels[1:]:
        listed = [
            order[uid]
            for gate in level.gates
            for part in gate.expr.conjuncts()
            if isinstance(part, Comparison) and isinstance(part.target, frozenset)
            for uid in part.target
            if uid in order
        ]
        # A gate on a unit's score (``unit_score.n4_mock >= 0.6``) names its
        # unit as a list does: the level test ends the stage.
        listed += [
            order[name[11:]]
            for gate in level.gates
            for name in gate.expr.names
            if name.startswith("unit_score.") and name[11:] in order
        ]
        ends.append(max(listed) if listed else None)
    if all(e is None for e in ends):
        return [(0, last)] * len(ends)
    bounds: list[tuple[int, int]] = []
    first = 0
    for j, end in enumerate(ends):
        stop = last if end is None and j == len(ends) - 1 else end
        if stop is None or stop < first:  # nothing new: keep the previous stage
            bounds.append(bounds[-1] if bounds else (0, last))
            continue
        bounds.append((first, stop))
        first = stop + 1
    return bounds


class FixedSyllabus:
    """The fixed syllabus (module notes)."""

    name = "fixed"

    def __init__(self, program: Program, replan_every: int = 1) -> None:  # noqa: ARG002
        """Split the program into stages."""
        self.stages = stages(program)
        self.cursor: dict[int, int] = {}

    def choose(
        self,
        state: LearnerState,
        program: Program,
        model: MasteryModel,  # noqa: ARG002 - the policy interface
        rng: np.random.Generator,  # noqa: ARG002 - the policy interface
    ) -> Unit:
        """The stage's first unit not yet completed, else the next recurring one."""
        j = min(state.level, len(self.stages) - 1)
        first, last = self.stages[j]
        units = program.units[first : last + 1]
        for unit in units:
            if unit.id not in state.units_completed:
                return unit
        cycle = [u for u in units if u.kind != "lesson"] or list(units)
        at = self.cursor.get(j, 0)
        self.cursor[j] = at + 1
        return cycle[at % len(cycle)]


class PlannerPolicy:
    """The Levelwise planner (module notes)."""

    name = "planner"

    def __init__(self, program: Program, replan_every: int = 1) -> None:  # noqa: ARG002
        """Follow ``replan_every`` steps of each plan."""
        self.every = max(1, replan_every)
        self.queue: list[str] = []
        self.level = -1
        self.plans = 0
        self.studied: dict[str, int] = {}
        self.audit = Audit()

    def choose(
        self,
        state: LearnerState,
        program: Program,
        model: MasteryModel,
        rng: np.random.Generator,  # noqa: ARG002 - the policy interface
    ) -> Unit:
        """The next step of the current plan, re-planning as the notes say."""
        if not self.queue or state.level != self.level:
            started = time.perf_counter()
            plan = make_plan(program, state, model, studied=self.studied)
            took = time.perf_counter() - started
            found = check_plan(program, plan, state, self.studied)
            self.audit = self.audit.add(found, took)
            self.plans += 1
            self.level = state.level
            self.queue = [s.unit for s in plan.steps[: self.every]]
            if not self.queue:
                unit = self._fallback(state, program, model)
                self.studied[unit.id] = self.studied.get(unit.id, 0) + 1
                return unit
        uid = self.queue.pop(0)
        self.studied[uid] = self.studied.get(uid, 0) + 1
        return program.unit_by_id[uid]

    def _fallback(
        self, state: LearnerState, program: Program, model: MasteryModel
    ) -> Unit:
        """The first ready unit open at the learner's level, within its repeats.

        Failing that, the first open unit that may repeat without limit, then
        the program's first unit.
        """

        def within(unit: Unit) -> bool:
            cap = unit.max_repeats
            return not cap or self.studied.get(unit.id, 0) < cap

        for unit in ready_units(program, state, model):
            if (
                opens_at(program, unit) <= state.level
                and within(unit)
                and unit.kind != "test"
            ):
                return unit
        for unit in program.units:
            if opens_at(program, unit) <= state.level and not unit.max_repeats:
                return unit
        return program.units[0]


class RandomReady:
    """A uniformly random ready unit (module notes)."""

    name = "random"

    def __init__(self, program: Program, replan_every: int = 1) -> None:
        """Nothing to prepare."""

    def choose(
        self,
        state: LearnerState,
        program: Program,
        model: MasteryModel,
        rng: np.random.Generator,
    ) -> Unit:
        """A uniformly random ready unit (any unit if none is ready)."""
        ready = ready_units(program, state, model) or list(program.units)
        return ready[int(rng.integers(0, len(ready)))]


POLICIES: dict[str, Callable[[Program, int], Policy]] = {
    "fixed": FixedSyllabus,
    "planner": PlannerPolicy,
    "random": RandomReady,
}
"""Policy factories by name: ``factory(program, replan_every)``."""
