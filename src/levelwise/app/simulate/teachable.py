"""Teachability: would a teacher sign this plan? Checked from the plan alone.

The check does not trust the planner: it reads the plan's steps, its
requirements (``now``, with their levels) and when it meets each
(``met_at``), and the program, and counts four kinds of violation:

* ``skipped``: a level of the plan is complete before a lower one is (the
  plan goes through the ladder out of order);
* ``locked``: a step studies a unit (or a unit on a knowledge point) that is
  ``available_from`` a level above the one the plan has reached by then;
* ``early_test``: a ``test`` unit comes before its material: one of its
  knowledge points has no evidence yet (no answer on it in the learner's
  state and no earlier non-test step on it);
* ``repeat``: a unit scheduled more often than its ``max_repeats``, counting
  the times the learner already studied it (each step over the limit counts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from levelwise.app.guidance.plan import opens_at
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState

KINDS = ("skipped", "locked", "early_test", "repeat")
"""The kinds of violation, in report order."""


class _Step(Protocol):
    @property
    def unit(self) -> str: ...
    @property
    def total_minutes(self) -> float: ...


class _Requirement(Protocol):
    @property
    def level(self) -> str: ...
    @property
    def source(self) -> str: ...


class PlanLike(Protocol):
    """What the check reads of a plan (:class:`levelwise.app.guidance.plan.Plan`)."""

    @property
    def steps(self) -> Sequence[_Step]:
        """The steps in order: each a unit id and the plan minutes at its end."""
        ...

    @property
    def now(self) -> Sequence[_Requirement]:
        """The plan's requirements, each with the level whose gate it is."""
        ...

    @property
    def met_at(self) -> Sequence[tuple[str, float]]:
        """``(requirement, plan minutes at which it is met)``."""
        ...


@dataclass(frozen=True)
class Violation:
    """One thing a teacher would not sign.

    Attributes:
        kind: One of :data:`KINDS`.
        step: The step's index in the plan (the level's index for ``skipped``).
        unit: The unit (the level for ``skipped``).
    """

    kind: str
    step: int
    unit: str


def check_plan(
    program: Program,
    plan: PlanLike,
    state: LearnerState,
    studied: Mapping[str, int] | None = None,
) -> tuple[Violation, ...]:
    """The violations of ``plan`` for the learner in ``state`` (module notes).

    Args:
        program: The program the plan is for.
        plan: The plan.
        state: The learner's state the plan starts from.
        studied: Times the learner already studied each unit; None: once for
            each completed unit.
    """
    ladder = [lvl.id for lvl in program.levels]
    done_at: dict[int, float] = {}
    met = dict(plan.met_at)
    for req in plan.now:
        index = ladder.index(req.level)
        done_at[index] = max(done_at.get(index, 0.0), met.get(req.source, math.inf))
    found: list[Violation] = []
    ordered = sorted(done_at)
    for low, high in zip(ordered, ordered[1:], strict=False):
        if done_at[high] < done_at[low]:
            found.append(Violation("skipped", high, ladder[high]))
    counts = dict(studied if studied is not None else {})
    if studied is None:
        counts = dict.fromkeys(state.units_completed, 1)
    evidence = {kp for kp, m in state.mastery.items() if m.attempts > 0}
    units = program.unit_by_id
    start = 0.0
    for i, step in enumerate(plan.steps):
        unit = units[step.unit]
        reached = state.level
        for index in ordered:
            if index == reached + 1 and done_at[index] <= start + 1e-9:
                reached = index
        if opens_at(program, unit) > reached:
            found.append(Violation("locked", i, unit.id))
        if unit.kind == "test":
            if any(kp not in evidence for kp in unit.knowledge_points):
                found.append(Violation("early_test", i, unit.id))
        else:
            evidence.update(unit.knowledge_points)
        counts[unit.id] = counts.get(unit.id, 0) + 1
        cap = unit.max_repeats
        if cap and counts[unit.id] > cap:
            found.append(Violation("repeat", i, unit.id))
        start = step.total_minutes
    return tuple(found)


@dataclass(frozen=True)
class Audit:
    """Teachability and planning time over many plans.

    Attributes:
        plans: Plans checked.
        flagged: Plans with at least one violation.
        violations: ``(kind, count)`` for each of :data:`KINDS`.
        seconds: Time spent making the plans.
    """

    plans: int = 0
    flagged: int = 0
    violations: tuple[tuple[str, int], ...] = tuple((k, 0) for k in KINDS)
    seconds: float = 0.0

    def add(self, found: Iterable[Violation], seconds: float) -> Audit:
        """This audit with one more plan and its violations."""
        found = list(found)
        counts = dict(self.violations)
        for v in found:
            counts[v.kind] = counts.get(v.kind, 0) + 1
        return Audit(
            self.plans + 1,
            self.flagged + bool(found),
            tuple((k, counts.get(k, 0)) for k in KINDS),
            self.seconds + seconds,
        )

    def merged(self, other: Audit) -> Audit:
        """The audit of both sets of plans."""
        a, b = dict(self.violations), dict(other.violations)
        return Audit(
            self.plans + other.plans,
            self.flagged + other.flagged,
            tuple((k, a.get(k, 0) + b.get(k, 0)) for k in KINDS),
            self.seconds + other.seconds,
        )

    @property
    def total(self) -> int:
        """Violations of every kind."""
        return sum(n for _, n in self.violations)
