"""Exact distribution of the attempts a BKT learner needs to get N right in a row.

"Three correct in a row" is the mastery rule of ASSISTments skill builders,
and the attempts until it happens are the product's "time to the next level".
Under Bayesian Knowledge Tracing (:mod:`levelwise.learners.bkt`) a learner's
progress on one skill is an absorbing Markov chain over (knowledge, run):
knowledge is known or unknown, the run is the number of right answers in a
row so far (``0 .. run - 1``), and reaching ``run`` right answers absorbs.

One attempt, from a state before the answer: a known skill is answered right
with ``1 - slip``, an unknown one with ``guess``; a right answer extends the
run, a wrong one resets it to 0; then knowledge moves, unknown to known with
``learn`` and known to unknown with ``forget`` (the order of
:func:`levelwise.learners.bkt.bkt_step`). The state before the first attempt
of the forecast is P(known) after the learner's history (BKT's filtered
state) and the current run.

The chain is propagated step by step for every problem of a batch at once,
up to ``max_steps`` attempts; the mass not absorbed by then is reported as
``tail``. The distribution is linear in P(known), so :func:`base_pmfs` gives
the two distributions of a start known or unknown, and any P(known) is a
mixture of them. :func:`speed_posterior` and :func:`fit_speed_prior` weigh
such chains when learners differ in speed (a mixture over ``learn``
multipliers, see :mod:`levelwise.learners.mastery_forecast`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from levelwise.learners.base import FloatArray

__all__ = [
    "StreakDistribution",
    "attempts_to_streak",
    "base_pmfs",
    "fit_speed_prior",
    "quantiles",
    "speed_posterior",
]

RUN = 3
"""Right answers in a row that count as mastery (ASSISTments skill builders)."""

MAX_STEPS = 300
"""Default horizon of the chain, in attempts."""


@dataclass(frozen=True)
class StreakDistribution:
    """Distribution of the further attempts until ``run`` right in a row.

    Attributes:
        pmf: ``pmf[..., t - 1]`` is P(the run is reached at attempt ``t``),
            for ``t = 1 .. max_steps``.
        tail: P(not reached within ``max_steps`` attempts), per problem.
    """

    pmf: FloatArray
    tail: FloatArray

    def quantile(self, q: float) -> FloatArray:
        """Smallest ``t`` with P(T <= t) >= ``q``; ``inf`` beyond the horizon."""
        return quantiles(self.pmf, q)

    @property
    def median(self) -> FloatArray:
        """The median number of further attempts."""
        return self.quantile(0.5)

    def interval(self, coverage: float = 0.8) -> tuple[FloatArray, FloatArray]:
        """Central interval: the ``(1 - coverage) / 2`` and upper quantiles."""
        half = (1.0 - coverage) / 2.0
        return self.quantile(half), self.quantile(1.0 - half)

    @property
    def mean(self) -> FloatArray:
        """Mean over the horizon (a lower bound when ``tail`` is not 0)."""
        t = np.arange(1, self.pmf.shape[-1] + 1, dtype=np.float64)
        mean: FloatArray = self.pmf @ t
        return mean


def quantiles(pmf: FloatArray, q: float) -> FloatArray:
    """Smallest ``t`` (1-based) whose CDF reaches ``q``, per row of ``pmf``.

    Args:
        pmf: Probabilities of ``t = 1 .. T`` along the last axis.
        q: The level, in ``(0, 1)``.

    Returns:
        The quantiles as floats; ``inf`` where the CDF stays below ``q`` up
        to ``T`` (the rest of the mass lies beyond the horizon).

    Raises:
        ValueError: ``q`` is not in ``(0, 1)``.
    """
    if not 0.0 < q < 1.0:
        msg = f"q must be in (0, 1), got {q!r}"
        raise ValueError(msg)
    cdf = np.cumsum(pmf, axis=-1)
    # A tolerance so that a CDF reaching q up to rounding counts as reaching it.
    below = np.sum(cdf < q - 1e-12, axis=-1)
    t = below.astype(np.float64) + 1.0
    out: FloatArray = np.where(below >= pmf.shape[-1], np.inf, t)
    return out


def base_pmfs(
    *,
    learn: Any,
    guess: Any,
    slip: Any,
    forget: Any = 0.0,
    run: int = RUN,
    max_steps: int = MAX_STEPS,
) -> tuple[FloatArray, FloatArray]:
    """Distributions of the attempts to ``run`` right in a row, per start state.

    Parameters broadcast against each other (shape ``S``, e.g. one value per
    skill). Each problem is started in every (knowledge, run) state.

    Args:
        learn: P(unknown -> known) between attempts.
        guess: P(right | unknown).
        slip: P(wrong | known).
        forget: P(known -> unknown) between attempts.
        run: Right answers in a row that absorb (at least 1).
        max_steps: Attempts propagated.

    Returns:
        ``pmf`` of shape ``S + (2, run, max_steps)`` (axis ``-3``: start
        known, start unknown; axis ``-2``: current run) and the ``tail`` of
        shape ``S + (2, run)``.

    Raises:
        ValueError: A probability is outside ``[0, 1]``, ``learn + forget``
            exceeds 1, or ``run``/``max_steps`` is below 1.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (learn, guess, slip, forget))
    )
    lrn, gss, slp, fgt = (np.asarray(a, dtype=np.float64) for a in arrays)
    _check(lrn, gss, slp, fgt, run, max_steps)
    shape = lrn.shape
    # Mass over (problem..., start, knowledge, run); start states are a batch.
    mass = np.zeros((*shape, 2, run, 2, run))
    for k in range(2):
        for s in range(run):
            mass[..., k, s, k, s] = 1.0
    right = np.stack([1.0 - slp, gss], axis=-1)[..., None, None, :, None]
    stay_known = (1.0 - fgt)[..., None, None, None]
    learn_b = lrn[..., None, None, None]
    forget_b = fgt[..., None, None, None]
    pmf = np.zeros((*shape, 2, run, max_steps))
    for t in range(max_steps):
        hit = mass * right
        pmf[..., t] = hit[..., run - 1].sum(axis=-1)
        moved = np.empty_like(mass)
        moved[..., 1:] = hit[..., :-1]
        moved[..., 0] = (mass - hit).sum(axis=-1)
        known, unknown = moved[..., 0, :], moved[..., 1, :]
        mass[..., 0, :] = known * stay_known + unknown * learn_b
        mass[..., 1, :] = known * forget_b + unknown * (1.0 - learn_b)
    tail: FloatArray = np.clip(mass.sum(axis=(-2, -1)), 0.0, 1.0)
    return pmf, tail


def attempts_to_streak(
    p_known: Any,
    streak: Any,
    *,
    learn: Any,
    guess: Any,
    slip: Any,
    forget: Any = 0.0,
    run: int = RUN,
    max_steps: int = MAX_STEPS,
) -> StreakDistribution:
    """Distribution of the further attempts until ``run`` right in a row.

    All arguments broadcast against each other (one problem per element).

    Args:
        p_known: P(known) before the next attempt (BKT's filtered state; the
            skill's ``prior`` when there is no history yet).
        streak: Right answers in a row so far, ``0 .. run - 1``.
        learn: P(unknown -> known) between attempts.
        guess: P(right | unknown).
        slip: P(wrong | known).
        forget: P(known -> unknown) between attempts.
        run: Right answers in a row that count as mastery.
        max_steps: Attempts propagated; the rest is ``tail``.

    Returns:
        The distribution, with ``pmf`` of shape ``broadcast + (max_steps,)``.

    Raises:
        ValueError: A probability is out of range or ``streak`` is not in
            ``0 .. run - 1``.

    Examples:
        A learner who knows the skill and never slips needs exactly three:

        >>> d = attempts_to_streak(1.0, 0, learn=0.1, guess=0.2, slip=0.0)
        >>> float(d.median), d.interval()
        (3.0, (array(3.), array(3.)))
        >>> float(d.tail)
        0.0
    """
    pk, st, lrn, gss, slp, fgt = np.broadcast_arrays(
        np.asarray(p_known, dtype=np.float64),
        np.asarray(streak),
        *(np.asarray(v, dtype=np.float64) for v in (learn, guess, slip, forget)),
    )
    if np.any((pk < 0.0) | (pk > 1.0)):
        raise ValueError("p_known must be in [0, 1]")
    if not np.issubdtype(st.dtype, np.integer) or np.any((st < 0) | (st >= run)):
        msg = f"streak must be an integer in 0..{run - 1}"
        raise ValueError(msg)
    pmf, tail = base_pmfs(
        learn=lrn, guess=gss, slip=slp, forget=fgt, run=run, max_steps=max_steps
    )
    index = st.astype(np.int64)[..., None, None, None]
    by_start = np.take_along_axis(pmf, index, axis=-2)[..., 0, :]
    tails = np.take_along_axis(tail, index[..., 0], axis=-1)[..., 0]
    weight = np.stack([pk, 1.0 - pk], axis=-1)
    mixed: FloatArray = np.einsum("...k,...kt->...t", weight, by_start)
    mixed_tail: FloatArray = np.einsum("...k,...k->...", weight, tails)
    return StreakDistribution(pmf=mixed, tail=mixed_tail)


def speed_posterior(log_prior: FloatArray, loglik: FloatArray) -> FloatArray:
    """Posterior weights over speeds: ``softmax(log_prior + loglik)`` per row."""
    logit = log_prior + loglik
    logit = logit - logit.max(axis=-1, keepdims=True)
    weight: FloatArray = np.exp(logit)
    weight /= weight.sum(axis=-1, keepdims=True)
    return weight


def fit_speed_prior(loglik: FloatArray, *, n_iter: int = 200) -> FloatArray:
    """Mixture weights of speeds by EM, from each learner's total log-likelihood.

    Args:
        loglik: ``(learners, speeds)`` log-likelihood of every learner's
            attempts under each speed.
        n_iter: EM iterations.

    Returns:
        The weights (summing to 1).
    """
    k = loglik.shape[1]
    prior = np.full(k, 1.0 / k)
    for _ in range(n_iter):
        prior = speed_posterior(np.log(np.maximum(prior, 1e-300)), loglik).mean(0)
    return prior


def _check(
    learn: FloatArray,
    guess: FloatArray,
    slip: FloatArray,
    forget: FloatArray,
    run: int,
    max_steps: int,
) -> None:
    named = {"learn": learn, "guess": guess, "slip": slip, "forget": forget}
    for name, value in named.items():
        if np.any((value < 0.0) | (value > 1.0)) or np.any(np.isnan(value)):
            msg = f"{name} must be in [0, 1]"
            raise ValueError(msg)
    if np.any(learn + forget > 1.0 + 1e-12):
        raise ValueError("learn + forget must be at most 1")
    if run < 1 or max_steps < 1:
        msg = f"run and max_steps must be >= 1, got {run} and {max_steps}"
        raise ValueError(msg)
