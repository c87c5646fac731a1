"""Bayesian Knowledge Tracing (BKT): one 2-state hidden Markov model per skill.

Corbett and Anderson (1994), "Knowledge tracing: Modeling the acquisition of
procedural knowledge", https://doi.org/10.1007/BF01099821. Each learner's
knowledge of a skill is "known" or "unknown"; it starts known with ``prior``,
becomes known between two answers with ``learn`` (and, with forgetting, is
lost with ``forget``); an unknown skill is answered right with ``guess``, a
known one wrong with ``slip``. Parameters are fitted per skill by EM
(Baum-Welch) on each learner's rows of that skill, as pyBKT does; the batched
E-step is in :mod:`levelwise.learners.bkt_em`.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from levelwise.errors import InvalidResponsesError
from levelwise.learners.base import BaseLearnerModel, FloatArray, IntArray, Responses
from levelwise.learners.bkt_em import Chains, Params, fit_em

__all__ = ["BKT", "bkt_p_correct", "bkt_step"]

DEFAULTS = {"prior": 0.5, "learn": 0.1, "guess": 0.2, "slip": 0.1, "forget": 0.0}
"""Parameters of skills without any rows to fit them from."""


def bkt_p_correct(p_unknown: float, *, guess: float, slip: float) -> float:
    """P(correct) of a learner who does not know the skill with ``p_unknown``."""
    return (1.0 - p_unknown) * (1.0 - slip) + p_unknown * guess


def bkt_step(
    p_unknown: float,
    correct: bool,
    *,
    learn: float,
    forget: float,
    guess: float,
    slip: float,
) -> float:
    """P(unknown) before the next answer, after observing one answer.

    Bayes' rule on the answer, then the transition (learn, forget). The state
    is P(unknown), not P(known): without forgetting a streak of right answers
    drives P(unknown) to 1e-20 and below, which ``1 - P(known)`` would round
    to exactly 0, so the state would stay "known" whatever came next. P(known)
    before an answer is at least ``learn``, so nothing is lost on that side.
    :meth:`BKT.predict_proba` performs the same operations in the same order,
    so a loop of ``bkt_step`` reproduces it exactly.

    Args:
        p_unknown: P(unknown) before the answer.
        correct: Whether the answer was right.
        learn: P(unknown -> known) between answers.
        forget: P(known -> unknown) between answers.
        guess: P(correct | unknown).
        slip: P(incorrect | known).
    """
    c = (1.0 - p_unknown) * (1.0 - slip) + p_unknown * guess
    if correct:
        post = p_unknown * guess / c
    else:
        post = p_unknown * (1.0 - guess) / (1.0 - c)
    return forget + post * (1.0 - learn - forget)


def _chains(learner: IntArray, skill: IntArray, n_skills: int) -> tuple[Any, ...]:
    """Rows sorted by (learner, skill), stable, and the chains' bounds."""
    order = np.argsort(learner * max(n_skills, 1) + skill, kind="stable")
    key = learner[order] * max(n_skills, 1) + skill[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    length = np.diff(np.r_[start, key.size])
    return order, start, length, skill[order][start]


class BKT(BaseLearnerModel):
    """Bayesian Knowledge Tracing per skill, fitted by batched EM.

    Args:
        n_restarts: EM runs per skill from random starting points; the one
            with the highest log-likelihood is kept.
        max_iter: Most E-steps per skill and restart.
        tol: A run stops when its skill's log-likelihood improves by less
            (absolute, as pyBKT's ``tol``).
        forgetting: Also fit ``forget`` (otherwise it is 0).
        random_state: Seed of the starting points (``numpy.random.default_rng``).

    Attributes:
        prior_: P(known) before a learner's first row of each skill.
        learn_: P(unknown -> known) between rows, per skill.
        forget_: P(known -> unknown) between rows, per skill (0 without
            forgetting).
        guess_: P(correct | unknown), per skill (below 0.5).
        slip_: P(incorrect | known), per skill (below 0.5).
        n_skills_: Number of skills.
        n_iter_: E-steps of the kept run, per skill (0 without rows).
        log_likelihood_: Log-likelihood of the training rows.

    Examples:
        Two hundred learners answer ten questions of one skill and get better:

        >>> import numpy as np
        >>> from levelwise.learners.base import Responses
        >>> rng = np.random.default_rng(0)
        >>> step = np.tile(np.arange(10), 200)
        >>> correct = (rng.random(2000) < 0.3 + 0.06 * step).astype(int)
        >>> learner, skill = np.repeat(np.arange(200), 10), np.zeros(2000, int)
        >>> data = Responses.from_arrays(learner, skill, correct)
        >>> model = BKT(n_restarts=2).fit(data)
        >>> [round(float(model.learn_[0]), 2), round(float(model.guess_[0]), 2)]
        [0.31, 0.29]
        >>> model.predict_proba(data)[:4].round(2).tolist()
        [0.29, 0.42, 0.56, 0.64]

        The same, one answer at a time (the state is P(unknown)):

        >>> state = model.initial_state(0)
        >>> state = model.update(state, 0, False)
        >>> round(model.p_correct(state, 0), 2)
        0.42
    """

    _PARAMS = ("n_restarts", "max_iter", "tol", "forgetting", "random_state")
    _FITTED = (
        ("prior_", np.float64),
        ("learn_", np.float64),
        ("guess_", np.float64),
        ("slip_", np.float64),
        ("forget_", np.float64),
        ("n_iter_", np.int64),
        ("log_likelihood_", None),
    )

    prior_: FloatArray
    learn_: FloatArray
    forget_: FloatArray
    guess_: FloatArray
    slip_: FloatArray
    n_skills_: int
    n_iter_: IntArray
    log_likelihood_: float

    def __init__(
        self,
        *,
        n_restarts: int = 5,
        max_iter: int = 100,
        tol: float = 1e-4,
        forgetting: bool = False,
        random_state: int | None = 0,
    ) -> None:
        """Store the hyperparameters unchanged (validated by :meth:`fit`)."""
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.forgetting = forgetting
        self.random_state = random_state

    def _validate(self) -> None:
        if not (isinstance(self.n_restarts, int) and self.n_restarts >= 1):
            msg = f"n_restarts must be an int >= 1, got {self.n_restarts!r}"
            raise ValueError(msg)
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            msg = f"max_iter must be an int >= 1, got {self.max_iter!r}"
            raise ValueError(msg)
        if not self.tol >= 0:
            msg = f"tol must be >= 0, got {self.tol!r}"
            raise ValueError(msg)

    def fit(self, data: Responses) -> Self:
        """Fit the parameters of every skill by EM; returns ``self``.

        Args:
            data: Responses; a skill's chains are each learner's rows of it.

        Raises:
            ValueError: A hyperparameter is out of range.
        """
        self._validate()
        for name in ("prior_", "learn_", "forget_", "guess_", "slip_"):
            self.__dict__.pop(name, None)
        k, r = data.n_skills, self.n_restarts
        rng = np.random.default_rng(self.random_state)
        init = Params(
            prior=rng.uniform(0.05, 0.6, (r, k)).ravel(),
            learn=rng.uniform(0.02, 0.4, (r, k)).ravel(),
            guess=rng.uniform(0.05, 0.35, (r, k)).ravel(),
            slip=rng.uniform(0.05, 0.35, (r, k)).ravel(),
            forget=(
                rng.uniform(0.01, 0.1, (r, k)).ravel()
                if self.forgetting
                else np.zeros(r * k)
            ),
        )
        order, start, length, skill = _chains(data.learner, data.skill, k)
        chains = Chains(start, length, skill, data.correct[order])
        fitted, loglik, steps = fit_em(
            chains,
            init,
            n_skills=k,
            forgetting=bool(self.forgetting),
            max_iter=self.max_iter,
            tol=float(self.tol),
        )
        best = np.argmax(loglik.reshape(r, k), axis=0) * k + np.arange(k)
        seen = np.isfinite(loglik[best])
        for name, default in DEFAULTS.items():
            value = np.where(seen, getattr(fitted, name)[best], default)
            setattr(self, name + "_", value.astype(np.float64))
        self.n_skills_ = k
        self.n_iter_ = np.where(seen, steps[best], 0).astype(np.int64)
        self.log_likelihood_ = float(loglik[best][seen].sum())
        return self

    def _check(self, data: Responses) -> None:
        self._check_fitted("prior_")
        if len(data) and int(data.skill.max()) >= self.n_skills_:
            msg = (
                f"skill index {int(data.skill.max())} but the model was fitted "
                f"on {self.n_skills_} skills"
            )
            raise InvalidResponsesError(msg)

    def predict_proba(
        self, data: Responses, *, per_attempt: bool = False
    ) -> FloatArray:
        """P(correct) per row, from the learner's earlier rows of that skill.

        Args:
            data: Responses to predict.
            per_attempt: Predict every row of an attempt from the state before
                the attempt (rows of one attempt and skill share the first
                one's prediction); all of its rows are applied afterwards.

        Raises:
            NotFittedError: The model is not fitted.
            InvalidResponsesError: A skill index is beyond the fitted skills.
        """
        self._check(data)
        p = self._filter(data)
        if per_attempt and len(data):
            order = np.lexsort((data.skill, data.attempt, data.learner))
            keys = (data.learner[order], data.attempt[order], data.skill[order])
            new = np.zeros(order.size, dtype=bool)
            new[0] = True
            for key in keys:
                new[1:] |= key[1:] != key[:-1]
            head = order[np.flatnonzero(new)]
            out = np.empty_like(p)
            out[order] = p[
                np.repeat(head, np.diff(np.r_[np.flatnonzero(new), new.size]))
            ]
            p = out
        return p

    def _filter(self, data: Responses) -> FloatArray:
        """Row-level online predictions: every chain in lock-step over steps."""
        n = len(data)
        out = np.empty(n)
        if not n:
            return out
        order, start, length, skill = _chains(data.learner, data.skill, self.n_skills_)
        rank_order = np.argsort(-length, kind="stable")
        rank = np.empty_like(rank_order)
        rank[rank_order] = np.arange(rank_order.size)
        longest = int(length.max())
        widths = rank_order.size - np.cumsum(np.bincount(length))[:longest]
        offsets = np.r_[0, np.cumsum(widths)]
        chain = np.repeat(np.arange(length.size), length)
        step = np.arange(n) - start[chain]
        flat = offsets[step] + rank[chain]
        correct = np.empty(n, dtype=bool)
        correct[flat] = data.correct[order] == 1
        s = skill[rank_order]
        learn, forget = self.learn_[s], self.forget_[s]
        guess, slip = self.guess_[s], self.slip_[s]
        keep_known, miss, keep = 1.0 - slip, 1.0 - guess, 1.0 - learn - forget
        state = 1.0 - self.prior_[s]
        packed = np.empty(n)
        for t in range(longest):
            m = int(widths[t])
            rows = slice(int(offsets[t]), int(offsets[t]) + m)
            u = state[:m]
            c = (1.0 - u) * keep_known[:m] + u * guess[:m]
            packed[rows] = c
            hit = correct[rows]
            post = np.where(hit, u * guess[:m], u * miss[:m])
            post /= np.where(hit, c, 1.0 - c)
            state[:m] = forget[:m] + post * keep[:m]
        out[order] = packed[flat]
        return out

    def initial_state(self, skill: int) -> float:
        """P(unknown) of ``skill`` before a learner's first answer on it."""
        self._check_fitted("prior_")
        return 1.0 - float(self.prior_[skill])

    def p_correct(self, p_unknown: float, skill: int) -> float:
        """P(correct) on ``skill`` when it is unknown with ``p_unknown``."""
        self._check_fitted("prior_")
        return bkt_p_correct(
            p_unknown, guess=float(self.guess_[skill]), slip=float(self.slip_[skill])
        )

    def update(self, p_unknown: float, skill: int, correct: bool) -> float:
        """P(unknown) of ``skill`` before the next answer, after one answer.

        Start from :meth:`initial_state`; see :func:`bkt_step` for why the
        state is P(unknown).
        """
        self._check_fitted("prior_")
        return bkt_step(
            p_unknown,
            correct,
            learn=float(self.learn_[skill]),
            forget=float(self.forget_[skill]),
            guess=float(self.guess_[skill]),
            slip=float(self.slip_[skill]),
        )

    def _restore(self) -> None:
        self.n_skills_ = int(self.prior_.shape[0])
