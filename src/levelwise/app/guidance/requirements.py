"""What a plan must satisfy: the parts of the target's gates, and their measure.

A :class:`Part` is one thing the learner's numbers must reach: a part of a
gate of a level on the way to the target (:func:`requirements_of`), or a
planner's sub-goal, a prerequisite point to learn first (:func:`sub_goal`,
checked by a :class:`Floor`). :func:`measure` reads a part in an environment
of gate variables as a :class:`Requirement`: the value plans and forecasts
show.
"""

from __future__ import annotations

from dataclasses import dataclass

from levelwise.domain.expr import Comparison, Expr
from levelwise.domain.program import Program


@dataclass(frozen=True)
class Requirement:
    """One part of a gate of the target level (or of a level on the way).

    Attributes:
        level: The level whose gate it is.
        source: The part's source, such as ``xp >= 1800``.
        current: Its value (for ``includes``: how many listed items are in).
        target: What it needs (for ``includes``: how many items are listed).
        progress: ``current / target`` in [0, 1]; 1 when met.
        met: Whether it holds.
    """

    level: str
    source: str
    current: float
    target: float
    progress: float
    met: bool


@dataclass(frozen=True)
class Floor:
    """The check of a sub-goal: the gate variable ``name`` reaches ``target``.

    Attributes:
        name: The gate variable, such as ``ready.en-a1-kp01``.
        target: The least value that meets the sub-goal.
    """

    name: str
    target: float

    def holds(self, env: dict[str, object]) -> bool:
        """Whether the variable reaches the target."""
        return self.value(env) >= self.target

    def value(self, env: dict[str, object]) -> float:
        """The variable's value (0 when absent)."""
        value = env.get(self.name, 0.0)
        return float(value) if isinstance(value, int | float) else 0.0

    def progress(self, env: dict[str, object]) -> tuple[float, float, float]:
        """``(current, target, fraction)``, as a gate comparison gives it."""
        value = self.value(env)
        return value, self.target, min(max(value / self.target, 0.0), 1.0)


@dataclass(frozen=True)
class Part:
    """One requirement to meet: a gate part, or a sub-goal on the way to one.

    Attributes:
        level: The level whose gate it is part of (``""`` for a sub-goal).
        source: Its source, such as ``xp >= 1800``; a plan names it by this.
        names: The gate variables it reads.
        check: What decides it: a comparison with a constant target (which
            gives progress toward it), any other gate part, or a sub-goal's
            floor.
    """

    level: str
    source: str
    names: frozenset[str]
    check: Comparison | Expr | Floor


def requirements_of(program: Program, level: int, target: int) -> list[Part]:
    """The gate parts of the levels above ``level`` up to ``target``."""
    parts: list[Part] = []
    for lvl in program.levels[level + 1 : target + 1]:
        for gate in lvl.gates:
            for part in gate.expr.conjuncts():
                names = part.left.names if isinstance(part, Comparison) else part.names
                parts.append(Part(lvl.id, part.source, names, part))
    return parts


def sub_goal(kp: str, ready: float) -> Part:
    """The sub-goal that ``kp`` is learned: ``mastery.<kp> >= ready`` on evidence.

    It reads ``ready.<kp>``, the mastery that rests on evidence (answers or a
    placement test; see :meth:`levelwise.app.guidance.draft.Draft.value`).
    """
    name = f"ready.{kp}"
    return Part("", f"mastery.{kp} >= {ready}", frozenset({name}), Floor(name, ready))


def measure(part: Part, env: dict[str, object]) -> Requirement:
    """The requirement ``part`` as it stands in ``env``."""
    check = part.check
    if isinstance(check, Comparison | Floor):
        current, target, progress = check.progress(env)
        met = check.holds(env)
    else:
        met = bool(check.evaluate(env))
        current = target = 1.0
        progress = 1.0 if met else 0.0
    return Requirement(
        part.level,
        part.source,
        round(current, 6),
        round(target, 6),
        1.0 if met else round(min(progress, 0.999999), 6),
        met,
    )
