"""Elo rating with an uncertainty function: learner ability, skill and item difficulty.

The model (Pelánek, "Applications of the Elo rating system in adaptive
educational systems", Computers & Education 2016, §3) predicts

    P(correct) = σ(θ + θ_skill − b)

where θ is the learner's global ability, θ_skill the learner's deviation on the
row's skill, and b the item's difficulty (the skill's difficulty when the item
is unknown or was never seen in training). After each answer every parameter
moves by ``U(n)·(correct − P)`` with the uncertainty function
``U(n) = k / (1 + a·n)``: the more answers a parameter has seen, the smaller its
step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

import numpy as np

from levelwise.learners.base import (
    BaseLearnerModel,
    FloatArray,
    IntArray,
    Responses,
    learner_bounds,
)


@dataclass(frozen=True)
class EloState:
    """One learner's state as seen by one skill (what one answer touches).

    The caller keeps ``theta``/``n`` per learner and ``theta_skill``/``n_skill``
    per (learner, skill); :meth:`Elo.update` maps this view to the next one.

    Attributes:
        theta: Global ability θ.
        n: Number of attempts that updated θ.
        theta_skill: Deviation θ_skill of the learner on this skill.
        n_skill: Number of answers on this skill.
    """

    theta: float = 0.0
    n: int = 0
    theta_skill: float = 0.0
    n_skill: int = 0


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class Elo(BaseLearnerModel):
    """Elo with per-parameter uncertainty steps (learner, learner×skill, item).

    ``fit`` runs the rating over the training learners ``n_passes`` times to
    estimate item and skill difficulties (learner ratings restart each pass).
    ``predict_proba`` is online for new learners: item and skill difficulties
    stay fixed, and only θ and θ_skill move.

    Args:
        k_learner: Step scale ``k`` of the global ability θ.
        a_learner: Decay ``a`` of θ's step, ``k / (1 + a·n)``.
        k_skill: Step scale of the learner's skill deviation θ_skill.
        a_skill: Decay of θ_skill's step.
        k_item: Step scale of item and skill difficulties during ``fit``.
        a_item: Decay of the difficulty steps during ``fit``.
        n_passes: Passes over the training data in ``fit``.

    Attributes:
        item_difficulty_: Difficulty b of each item (skill difficulty if unseen).
        item_count_: Training answers seen per item.
        skill_difficulty_: Difficulty of each skill, used for unknown items.
        n_skills_: Number of skills seen in ``fit``.
        n_items_: Number of items seen in ``fit``.

    Examples:
        >>> from levelwise.learners.base import Responses
        >>> data = Responses.from_arrays(
        ...     learner=[0, 0, 0, 1, 1, 1], skill=[0, 0, 1, 0, 1, 1],
        ...     correct=[1, 1, 0, 0, 1, 1], item=[0, 1, 2, 0, 2, 1])
        >>> model = Elo().fit(data)
        >>> p = model.predict_proba(data)
        >>> p.shape, bool(((p > 0) & (p < 1)).all())
        ((6,), True)
        >>> Elo.from_json(model.to_json()).predict_proba(data).tolist() == p.tolist()
        True
    """

    _PARAMS = (
        "k_learner",
        "a_learner",
        "k_skill",
        "a_skill",
        "k_item",
        "a_item",
        "n_passes",
    )
    _FITTED = (
        ("item_difficulty_", np.float64),
        ("item_count_", np.int64),
        ("skill_difficulty_", np.float64),
    )

    def __init__(
        self,
        *,
        k_learner: float = 0.8,
        a_learner: float = 0.05,
        k_skill: float = 0.4,
        a_skill: float = 0.05,
        k_item: float = 1.0,
        a_item: float = 0.1,
        n_passes: int = 2,
    ) -> None:
        """Store the hyperparameters unchanged (see the class docstring)."""
        self.k_learner = k_learner
        self.a_learner = a_learner
        self.k_skill = k_skill
        self.a_skill = a_skill
        self.k_item = k_item
        self.a_item = a_item
        self.n_passes = n_passes

    def fit(self, data: Responses) -> Self:
        """Estimate item and skill difficulties from training learners.

        Args:
            data: Training responses (rows grouped by learner, in time order).

        Returns:
            The fitted model.
        """
        if self.n_passes < 1:
            raise ValueError("n_passes must be >= 1")
        b_item = np.zeros(data.n_items)
        n_item = np.zeros(data.n_items, dtype=np.int64)
        d_skill = np.zeros(data.n_skills)
        n_dskill = np.zeros(data.n_skills, dtype=np.int64)
        for _ in range(self.n_passes):
            self._run(data, True, b_item, n_item, d_skill, n_dskill, learn=True)
        b_item[n_item == 0] = 0.0
        self.item_difficulty_ = b_item
        self.item_count_ = n_item
        self.skill_difficulty_ = d_skill
        self.n_skills_ = data.n_skills
        self.n_items_ = data.n_items
        return self

    def predict_proba(
        self, data: Responses, *, per_attempt: bool = False
    ) -> FloatArray:
        """Online P(correct) for each row, from the learner's state before it.

        Args:
            data: Responses of (usually unseen) learners.
            per_attempt: Predict all rows of an attempt from the state before
                it and apply their updates together afterwards.

        Returns:
            One probability per row.
        """
        self._check_fitted("item_difficulty_")
        b_item = self.item_difficulty_.copy()
        n_item = self.item_count_.copy()
        if data.n_items > b_item.shape[0]:
            grow = data.n_items - b_item.shape[0]
            b_item = np.concatenate([b_item, np.zeros(grow)])
            n_item = np.concatenate([n_item, np.zeros(grow, dtype=np.int64)])
        d_skill = self.skill_difficulty_
        if data.n_skills > d_skill.shape[0]:
            d_skill = np.concatenate(
                [d_skill, np.zeros(data.n_skills - d_skill.shape[0])]
            )
        return self._run(
            data, per_attempt, b_item, n_item, d_skill.copy(), None, learn=False
        )

    def difficulty(self, skill: int, item: int = -1) -> float:
        """Difficulty b used for an answer on ``skill`` (and ``item`` if known)."""
        self._check_fitted("item_difficulty_")
        if 0 <= item < self.item_count_.shape[0] and self.item_count_[item] > 0:
            return float(self.item_difficulty_[item])
        if 0 <= skill < self.skill_difficulty_.shape[0]:
            return float(self.skill_difficulty_[skill])
        return 0.0

    def predict_one(self, state: EloState, skill: int, item: int = -1) -> float:
        """P(correct) of the next answer given the learner's ``state``."""
        return _sigmoid(state.theta + state.theta_skill - self.difficulty(skill, item))

    def update(
        self, state: EloState, skill: int, correct: int, item: int = -1
    ) -> EloState:
        """The state after one answer: a pure O(1) step for an event fold.

        Equals what ``predict_proba(data)`` does for one row (difficulties fixed).

        Args:
            state: The learner's state before the answer, for ``skill``.
            skill: Skill index of the answer.
            correct: 1 if right, else 0.
            item: Item index, or -1 when unknown.

        Returns:
            The new state (θ, θ_skill and both counts advanced).
        """
        err = correct - self.predict_one(state, skill, item)
        return EloState(
            theta=state.theta + self.k_learner / (1 + self.a_learner * state.n) * err,
            n=state.n + 1,
            theta_skill=state.theta_skill
            + self.k_skill / (1 + self.a_skill * state.n_skill) * err,
            n_skill=state.n_skill + 1,
        )

    def _run(
        self,
        data: Responses,
        per_attempt: bool,
        b_item: FloatArray,
        n_item: IntArray,
        d_skill: FloatArray,
        n_dskill: IntArray | None,
        *,
        learn: bool,
    ) -> FloatArray:
        """Run the rating over ``data``; with ``learn`` also move difficulties."""
        kl, al, ks, as_ = self.k_learner, self.a_learner, self.k_skill, self.a_skill
        ki, ai = self.k_item, self.a_item
        skill: list[int] = data.skill.tolist()
        item: list[int] = data.item.tolist()
        correct: list[int] = data.correct.tolist()
        attempt: list[int] = data.attempt.tolist()
        b: list[float] = b_item.tolist()
        nb: list[int] = n_item.tolist()
        d: list[float] = d_skill.tolist()
        nd: list[int] = [] if n_dskill is None else n_dskill.tolist()
        out = [0.0] * len(correct)
        bounds: list[int] = learner_bounds(data.learner).tolist()
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            theta, n = 0.0, 0
            ts: dict[int, float] = {}
            ns: dict[int, int] = {}
            r = lo
            while r < hi:
                e = r + 1
                if per_attempt:
                    while e < hi and attempt[e] == attempt[r]:
                        e += 1
                for j in range(r, e):
                    s, i = skill[j], item[j]
                    if i >= 0 and learn and nb[i] == 0:
                        b[i] = d[s]  # a new item starts at its skill's difficulty
                    diff = b[i] if i >= 0 and (learn or nb[i] > 0) else d[s]
                    out[j] = _sigmoid(theta + ts.get(s, 0.0) - diff)
                gsum = 0.0
                for j in range(r, e):
                    s, i = skill[j], item[j]
                    err = correct[j] - out[j]
                    gsum += err
                    c = ns.get(s, 0)
                    if learn:
                        if i >= 0:
                            b[i] -= ki / (1 + ai * nb[i]) * err / (e - r)
                            nb[i] += 1
                        pre = theta + ts.get(s, 0.0) - d[s]
                        d[s] -= ki / (1 + ai * nd[s]) * (correct[j] - _sigmoid(pre))
                        nd[s] += 1
                    ts[s] = ts.get(s, 0.0) + ks / (1 + as_ * c) * err
                    ns[s] = c + 1
                theta += kl / (1 + al * n) * gsum / (e - r)
                n += 1
                r = e
        b_item[:] = b
        n_item[:] = nb
        d_skill[:] = d
        if n_dskill is not None:
            n_dskill[:] = nd
        return np.asarray(out, dtype=np.float64)

    def _restore(self) -> None:
        self.n_skills_ = int(self.skill_difficulty_.shape[0])
        self.n_items_ = int(self.item_difficulty_.shape[0])
