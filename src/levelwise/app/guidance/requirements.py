"""What a plan must satisfy: the parts of the target's gates, and their measure.

A :class:`Part` is one thing the learner's numbers must reach: a part of a
gate of a level on the way to the target (:func:`requirements_of`), or a
planner's sub-goal, a prerequisite point to learn first (:func:`sub_goal`,
checked by a :class:`Floor`). A gate part on practice metrics is met by
practising, so the planner checks it with a :class:`Practised` (see
:mod:`levelwise.app.guidance.speaking`). :func:`measure` reads a part in an
environment of gate variables as a :class:`Requirement`: the value plans and
forecasts show.
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
class Practised:
    """The check of a practice-metric requirement: enough practice sessions.

    The study model cannot predict a practice metric from minutes, so the plan
    counts the practice sessions it schedules (the gate variable ``name``) and
    takes the requirement as met after ``sessions`` of them (estimated from
    the learner's trend, see :func:`levelwise.app.guidance.speaking.practised`),
    its progress growing linearly from ``start`` to 1 on the way.

    Attributes:
        name: The draft's count of planned practice sessions.
        sessions: Sessions that meet the requirement (at least 1).
        start: Its progress now, in [0, 1).
        current: The metric's value now (None: never reported, or a part that
            is not one comparison of one metric).
        target: The value it needs (1.0 for any other part).
    """

    name: str
    sessions: int
    start: float
    current: float | None
    target: float

    def done(self, env: dict[str, object]) -> float:
        """The share of the sessions planned so far, in [0, 1]."""
        value = env.get(self.name, 0)
        count = float(value) if isinstance(value, int | float) else 0.0
        return min(count / self.sessions, 1.0)

    def holds(self, env: dict[str, object]) -> bool:
        """Whether the plan has scheduled the sessions it needs."""
        return self.done(env) >= 1.0

    def progress(self, env: dict[str, object]) -> tuple[float, float, float]:
        """``(value, target, fraction)``: the value expected after the sessions.

        The value moves linearly from the metric's value now to the target
        (an unknown one reads 0 until the requirement is met).
        """
        done = self.done(env)
        if self.current is None:
            value = self.target if done >= 1.0 else 0.0
        else:
            value = self.current + (self.target - self.current) * done
        return value, self.target, self.start + (1.0 - self.start) * done


@dataclass(frozen=True)
class Part:
    """One requirement to meet: a gate part, or a sub-goal on the way to one.

    Attributes:
        level: The level whose gate it is part of (``""`` for a sub-goal).
        source: Its source, such as ``xp >= 1800``; a plan names it by this.
        names: The gate variables it reads.
        check: What decides it: a comparison with a constant target (which
            gives progress toward it), any other gate part, a sub-goal's
            floor, or the practice sessions a practice-metric part needs.
    """

    level: str
    source: str
    names: frozenset[str]
    check: Comparison | Expr | Floor | Practised


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
    if isinstance(check, Comparison | Floor | Practised):
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
