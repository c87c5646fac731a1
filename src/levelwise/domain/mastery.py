"""Mastery from scored evidence: the model interface, running, BKT and logistic."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Protocol

from levelwise.domain.program import (
    BktParams,
    LogisticParams,
    LogisticPoint,
    MasterySettings,
    Program,
)
from levelwise.domain.state import KpMastery, frozen

Changed = dict[str, KpMastery]


class MasteryModel(Protocol):
    """Turns scored evidence into new mastery estimates.

    The fold calls :meth:`observe` once per piece of evidence; it must be pure.
    A model keeps its numbers per knowledge point in ``KpMastery.params`` and,
    when it models the learner as a whole, in ``LearnerState.model_state``.

    Attributes:
        learner_level: False when evidence on a point changes only that point
            (the fold then moves the dimension abilities incrementally, O(1));
            True when it may change every point (the fold then recomputes the
            abilities in full from the new mastery).
    """

    learner_level: bool

    def initial(self, kp: str) -> KpMastery:
        """The estimate before any evidence (of any kind) from the learner."""
        ...

    def observe(
        self,
        model_state: tuple[float, ...],
        mastery: Mapping[str, KpMastery],
        kp: str,
        score: float,
        item: str | None,
    ) -> tuple[tuple[float, ...], Changed]:
        """Fold evidence (``score`` in [0, 1]) on ``kp`` into the learner's numbers.

        Args:
            model_state: The learner-level numbers (empty at first).
            mastery: The current estimates; points missing are at :meth:`initial`.
            kp: The knowledge point the evidence is on.
            score: The evidence, 1 right and 0 wrong (or a share in between).
            item: The question's id, when known.

        Returns:
            The new learner-level numbers and the estimates that changed.
        """
        ...


class PerPointMastery(ABC):
    """Base of models whose estimate of a point rests on that point's evidence only.

    Subclasses implement ``initial`` and ``update``; :meth:`observe` applies
    ``update`` to ``kp``.
    """

    learner_level = False

    @abstractmethod
    def initial(self, kp: str) -> KpMastery:
        """The estimate before any evidence on ``kp``."""

    @abstractmethod
    def update(
        self, current: KpMastery, kp: str, score: float, item: str | None
    ) -> KpMastery:
        """Fold one piece of evidence (``score`` in [0, 1]) into the estimate."""

    @abstractmethod
    def seeded(self, kp: str, value: float) -> KpMastery:
        """The estimate before evidence when mastery is known to start at ``value``.

        Used for a placed learner: their first answer on ``kp`` updates this
        state instead of the model's usual prior.
        """

    def observe(
        self,
        model_state: tuple[float, ...],
        mastery: Mapping[str, KpMastery],
        kp: str,
        score: float,
        item: str | None,
    ) -> tuple[tuple[float, ...], Changed]:
        """Update the estimate of ``kp`` alone; no learner-level numbers."""
        current = mastery.get(kp) or self.initial(kp)
        return model_state, {kp: self.update(current, kp, score, item)}


class RunningMastery(PerPointMastery):
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
        return frozen(
            KpMastery,
            value=round(mean, 6),
            sd=round(sd, 6),
            attempts=attempts,
            params=(wins, losses),
        )

    def initial(self, kp: str) -> KpMastery:  # noqa: ARG002 - same prior for all
        """The prior estimate (the same for every knowledge point)."""
        return self._initial

    def seeded(self, kp: str, value: float) -> KpMastery:  # noqa: ARG002
        """Counts that put the estimate at ``value``; they fade like evidence."""
        shift = (value - self.settings.prior) * self.settings.strength
        return self._estimate(shift, -shift, 0)

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


class BktMastery(PerPointMastery):
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

    def seeded(self, kp: str, value: float) -> KpMastery:  # noqa: ARG002
        """P(known) = ``value`` before evidence."""
        return self._state(1.0 - value, 0)

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


_NO_POINT = LogisticPoint()
_ZEROS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


class LogisticMastery:
    """The fitted logistic model (PFA / Best-LR style) as the fold's mastery.

    Mastery of a point is the model's P(correct) on a typical question of it
    (no item terms; the residual uses the point's training rate), given the
    learner's whole history, so every answer moves every point: the overall
    counts and the ability are shared. Evidence with score ``s`` in [0, 1]
    counts as ``s`` successes and ``1 - s`` failures, with residual
    ``s - rate`` (fractional counts). For 0/1 answers the value equals the
    batch model's online prediction.

    ``model_state`` is the learner's ``(successes, failures, residual,
    recent successes, recent failures, recent residual)``; a point's
    ``KpMastery.params`` the same six numbers on that point (empty = zeros).
    The uncertainty is ``sqrt(p (1 - p) / (1 + n))``, ``n`` the answers on the
    point.

    Args:
        settings: The program's mastery settings with the ``logistic`` weights.
        knowledge_points: Every point of the program: each is re-estimated
            after every piece of evidence, so gates and abilities read exact
            values.
    """

    learner_level = True

    def __init__(
        self, settings: MasterySettings, knowledge_points: Iterable[str] = ()
    ) -> None:
        """Index the weights and compute every point's initial estimate."""
        self.params = settings.logistic or LogisticParams()
        self.points = dict(self.params.points)
        self.knowledge_points = tuple(dict.fromkeys((*knowledge_points, *self.points)))
        self._initial = {
            kp: self._estimate(kp, _ZEROS, _ZEROS, 0) for kp in self.knowledge_points
        }

    def p_correct(
        self, kp: str, learner: tuple[float, ...], point: tuple[float, ...]
    ) -> float:
        """P(correct) on a typical question of ``kp`` given the learner's numbers."""
        w = self.params
        own = self.points.get(kp)
        s, f, r, rs, rf, rr = learner or _ZEROS
        ks, kf, kr, krs, krf, krr = point or _ZEROS
        ability = r / (s + f + w.shrink)
        z = w.bias
        if own is not None:
            z += own.intercept
            z += own.successes * math.log1p(ks)
            z += own.failures * math.log1p(kf)
            z += own.ability * ability
        z += (
            w.successes * math.log1p(s)
            + w.failures * math.log1p(f)
            + w.ability * ability
            + w.point_ability * kr / (ks + kf + w.shrink)
            + w.recent_successes * rs
            + w.recent_failures * rf
            + w.point_recent_successes * krs
            + w.point_recent_failures * krf
            + w.recent_residual * rr
            + w.point_recent_residual * krr
        )
        # A numerically safe logistic function.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def _estimate(
        self,
        kp: str,
        learner: tuple[float, ...],
        point: tuple[float, ...],
        attempts: int,
    ) -> KpMastery:
        p = self.p_correct(kp, learner, point)
        n = point[0] + point[1] if point else 0.0
        sd = math.sqrt(p * (1.0 - p) / (1.0 + n))
        return KpMastery(p, sd, attempts, point)

    def initial(self, kp: str) -> KpMastery:
        """P(correct) before any evidence from the learner."""
        known = self._initial.get(kp)
        return known if known is not None else self._estimate(kp, (), (), 0)

    def observe(
        self,
        model_state: tuple[float, ...],
        mastery: Mapping[str, KpMastery],
        kp: str,
        score: float,
        item: str | None,  # noqa: ARG002 - typical questions: no item terms
    ) -> tuple[tuple[float, ...], Changed]:
        """Advance the learner's and the point's numbers; re-estimate every point."""
        d = self.params.decay
        residual = score - self.points.get(kp, _NO_POINT).rate
        miss = 1.0 - score
        s, f, r, rs, rf, rr = model_state or _ZEROS
        learner: tuple[float, ...] = (s + score, f + miss, r + residual)
        learner += (d * rs + score, d * rf + miss, d * rr + residual)
        before = mastery.get(kp)
        ks, kf, kr, krs, krf, krr = (before.params if before else ()) or _ZEROS
        point: tuple[float, ...] = (ks + score, kf + miss, kr + residual)
        point += (d * krs + score, d * krf + miss, d * krr + residual)
        changed = {kp: self._estimate(kp, learner, point, _attempts(before) + 1)}
        for other in (*self.knowledge_points, *mastery):
            if other not in changed:
                m = mastery.get(other)
                changed[other] = self._estimate(
                    other, learner, m.params if m else (), _attempts(m)
                )
        return learner, changed


def _attempts(m: KpMastery | None) -> int:
    return m.attempts if m is not None else 0


def model_for(
    settings: MasterySettings, knowledge_points: Iterable[str] = ()
) -> MasteryModel:
    """The mastery model a program's settings ask for.

    Args:
        settings: The program's mastery settings.
        knowledge_points: The program's points (a learner-level model
            re-estimates them all after each piece of evidence).
    """
    if settings.model == "bkt":
        return BktMastery(settings)
    if settings.model == "logistic":
        return LogisticMastery(settings, knowledge_points)
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
