"""Mastery from scored evidence: the model interface and the running estimate."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from levelwise.domain.program import MasterySettings, Program
from levelwise.domain.state import KpMastery


class MasteryModel(Protocol):
    """Turns evidence on a knowledge point into a new mastery estimate.

    The fold calls it once per piece of evidence; it must be pure and O(1). A
    fitted learner model plugs in here without the domain importing it.
    """

    def initial(self, kp: str) -> KpMastery:
        """The estimate before any evidence on ``kp``."""
        ...

    def update(
        self, current: KpMastery, kp: str, score: float, item: str | None
    ) -> KpMastery:
        """Fold one piece of evidence (``score`` in [0, 1]) into the estimate."""
        ...


class RunningMastery:
    """A Beta estimate of recent success with fading memory.

    Each answer adds ``score`` to successes and ``1 - score`` to failures after
    both counts fade by ``1 - 1/memory``; the estimate is the Beta posterior mean
    with ``prior`` worth ``strength`` answers, and ``sd`` its standard deviation.

    Args:
        settings: Prior, strength and memory from the program.
    """

    def __init__(self, settings: MasterySettings) -> None:
        """Store the settings and precompute the fading factor."""
        self.settings = settings
        self._fade = 1.0 - 1.0 / max(settings.memory, 1.0)
        self._initial = self._estimate(0.0, 0.0, 0)

    def _estimate(self, wins: float, losses: float, attempts: int) -> KpMastery:
        s = self.settings
        a = s.prior * s.strength + wins
        b = (1.0 - s.prior) * s.strength + losses
        n = a + b
        mean = a / n
        sd = math.sqrt(a * b / (n * n * (n + 1.0)))
        return KpMastery(round(mean, 6), round(sd, 6), attempts, (wins, losses))

    def initial(self, kp: str) -> KpMastery:  # noqa: ARG002 - same prior for all
        """The prior estimate (the same for every knowledge point)."""
        return self._initial

    def update(
        self,
        current: KpMastery,
        kp: str,  # noqa: ARG002 - the running estimate is per-kp already
        score: float,
        item: str | None,  # noqa: ARG002 - items are not modelled here
    ) -> KpMastery:
        """Fade the counts, add the new evidence and re-estimate."""
        wins, losses = current.params or (0.0, 0.0)
        wins = wins * self._fade + score
        losses = losses * self._fade + (1.0 - score)
        return self._estimate(wins, losses, current.attempts + 1)


def dimension_abilities(
    program: Program,
    mastery: Mapping[str, KpMastery],
    model: MasteryModel,
) -> dict[str, tuple[float, float]]:
    """Ability per dimension: the weighted mean mastery of its knowledge points.

    Knowledge points without evidence count at their prior, so ability grows with
    both accuracy and coverage.

    Args:
        program: Gives each dimension's knowledge points and weights.
        mastery: Estimates per knowledge point.
        model: Gives the prior of knowledge points without evidence.

    Returns:
        ``{dimension: (ability, sd)}`` with values in [0, 1].
    """
    result: dict[str, tuple[float, float]] = {}
    initial = model.initial
    for dim in program.dimension_weights:
        weights = program.dimension_weights[dim]
        total = program.dimension_totals[dim]
        if total <= 0:
            result[dim] = (0.0, 0.0)
            continue
        mean = 0.0
        var = 0.0
        for kp, w in weights:
            m = mastery.get(kp)
            if m is None:
                m = initial(kp)
            mean += w * m.value
            var += (w * m.sd) ** 2
        result[dim] = (mean / total, math.sqrt(var) / total)
    return result
