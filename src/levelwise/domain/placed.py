"""The fold's placement rules: the placed level and the placed mastery priors."""

from __future__ import annotations

import math

from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState


def placed_level(
    program: Program, theta: dict[str, tuple[float, float]]
) -> tuple[int | None, tuple[tuple[str, float, float, float], ...]]:
    """The highest placement level whose every cut ``theta`` reaches, with receipt."""
    if program.placement is None:
        return None, ()
    level, evidence = program.placement.level_for(theta)
    if level is None:
        return None, ()
    ladder = [lvl.id for lvl in program.levels]
    return ladder.index(level), evidence


def placed_priors(
    program: Program, state: LearnerState, theta: dict[str, tuple[float, float]]
) -> tuple[tuple[str, float], ...]:
    """Starting mastery of the placed points that have no evidence yet.

    A point's θ is the weighted mean of θ over its measured dimensions, and its
    prior is ``sigmoid(θ - b)`` with ``b`` the mean difficulty of its placement
    items (0 when it has none): the chance of a correct answer to an average
    item of the point under a 1PL model, the same for every mastery model.
    """
    difficulties: dict[str, list[float]] = {}
    for item in program.placement.items if program.placement else ():
        difficulties.setdefault(item.knowledge_point, []).append(item.b)
    priors: list[tuple[str, float]] = []
    for kp in program.knowledge_points:
        measured = [(w, theta[d][0]) for d, w in kp.dimensions if d in theta]
        if kp.id in state.mastery or not measured:
            continue
        ability = sum(w * t for w, t in measured) / sum(w for w, _ in measured)
        bs = difficulties.get(kp.id, [0.0])
        x = min(max(ability - sum(bs) / len(bs), -30.0), 30.0)  # no exp overflow
        priors.append((kp.id, round(1.0 / (1.0 + math.exp(-x)), 6)))
    return tuple(sorted(priors))
