"""Mastery from scored evidence: the model interface and the running estimate."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from levelwise.domain.program import BktParams, MasterySettings, Program
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


class BktMastery:
    """Bayesian Knowledge Tracing with fitted parameters per knowledge point.

    Mastery is P(known). Each piece of evidence with score ``s`` in [0, 1] is
    soft evidence: its likelihood is ``s`` times that of a correct answer plus
    ``1 - s`` times that of a wrong one; then the learning (and forgetting)
    transition applies. One step is O(1) and pure, so the fold stays exact;
    it equals the batch model's online prediction for 0/1 scores. The
    uncertainty is the standard deviation of the known/unknown state,
    ``sqrt(p (1 - p))``.

    Args:
        settings: The program's mastery settings with fitted ``bkt`` parameters;
            knowledge points without them start at ``settings.prior`` and use
            middle-of-the-road parameters.
    """

    def __init__(self, settings: MasterySettings) -> None:
        """Index the fitted parameters by knowledge point."""
        self.params = dict(settings.bkt)
        self.fallback = BktParams(settings.prior, 0.1, 0.2, 0.1)
        self._initial = {
            kp: self._state(1.0 - p.prior, 0) for kp, p in self.params.items()
        }
        self._default = self._state(1.0 - settings.prior, 0)

    @staticmethod
    def _state(p_unknown: float, attempts: int) -> KpMastery:
        # The state is P(unknown): after a long run of right answers P(known)
        # would round to exactly 1.0 and stop reacting to a wrong one.
        known = 1.0 - p_unknown
        sd = math.sqrt(known * p_unknown)
        return KpMastery(round(known, 9), round(sd, 9), attempts, (p_unknown,))

    def initial(self, kp: str) -> KpMastery:
        """P(known) before evidence: the fitted prior of ``kp``."""
        return self._initial.get(kp, self._default)

    def update(
        self,
        current: KpMastery,
        kp: str,
        score: float,
        item: str | None,  # noqa: ARG002 - BKT does not model items
    ) -> KpMastery:
        """Condition on the evidence, then apply the learning transition."""
        p = self.params.get(kp, self.fallback)
        unknown = current.params[0] if current.params else 1.0 - current.value
        if_known = score * (1.0 - p.slip) + (1.0 - score) * p.slip
        if_unknown = score * p.guess + (1.0 - score) * (1.0 - p.guess)
        e_known = (1.0 - unknown) * if_known
        e_unknown = unknown * if_unknown
        total = e_known + e_unknown
        post_known, post_unknown = e_known / total, e_unknown / total
        after = post_known * p.forget + post_unknown * (1.0 - p.learn)
        return self._state(after, current.attempts + 1)

    def p_correct(self, current: KpMastery, kp: str) -> float:
        """The chance of a correct answer on ``kp`` in this state."""
        p = self.params.get(kp, self.fallback)
        unknown = current.params[0] if current.params else 1.0 - current.value
        return (1.0 - unknown) * (1.0 - p.slip) + unknown * p.guess


def model_for(settings: MasterySettings) -> MasteryModel:
    """The mastery model a program's settings ask for."""
    if settings.model == "bkt":
        return BktMastery(settings)
    return RunningMastery(settings)


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
