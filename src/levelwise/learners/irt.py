"""Item response theory: 3PL probabilities, information and ability estimates.

An item has discrimination ``a``, difficulty ``b`` and guessing ``c`` (``c = 0``
is the 2PL): ``P(θ) = c + (1 − c) / (1 + exp(−a (θ − b)))``. Information is
``a² (P − c)² (1 − P) / ((1 − c)² P)`` (Lord 1980; for ``c = 0`` it is
``a² P (1 − P)``). Abilities are estimated by EAP (the posterior mean over a
grid, with a normal prior), MAP or ML (maximised on the same grid and refined
by Newton steps); EAP is the default because it is defined for every response
pattern, including all-right and all-wrong short tests.

Examples:
    >>> import numpy as np
    >>> a, b, c = np.array([1.2, 0.8]), np.array([0.0, 1.0]), np.array([0.0, 0.2])
    >>> [round(float(p), 3) for p in probability(0.5, a, b, c)]
    [0.646, 0.521]
    >>> est = estimate_ability(a, b, c, np.array([1, 0]))
    >>> round(est.theta, 3), round(est.se, 3)
    (0.238, 0.837)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Method = Literal["eap", "map", "ml"]

GRID = np.linspace(-6.0, 6.0, 241)
"""Quadrature grid of abilities for EAP and the start of MAP/ML."""


def probability(
    theta: float | FloatArray, a: FloatArray, b: FloatArray, c: FloatArray
) -> FloatArray:
    """P(correct) of each item at ability ``theta`` (broadcasts over both)."""
    z = np.multiply.outer(np.asarray(theta, np.float64), np.ones_like(a))
    logistic = 1.0 / (1.0 + np.exp(-a * (z - b)))
    out: FloatArray = c + (1.0 - c) * logistic
    return out


def information(
    theta: float | FloatArray, a: FloatArray, b: FloatArray, c: FloatArray
) -> FloatArray:
    """Fisher information of each item at ``theta``."""
    p = probability(theta, a, b, c)
    out: FloatArray = a**2 * (p - c) ** 2 * (1.0 - p) / ((1.0 - c) ** 2 * p)
    return out


def log_likelihood(
    theta: float | FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    responses: npt.NDArray[np.int64],
) -> FloatArray:
    """Log-likelihood of the responses (1/0 per item) at each ``theta``."""
    p = np.clip(probability(theta, a, b, c), 1e-12, 1 - 1e-12)
    out: FloatArray = (responses * np.log(p) + (1 - responses) * np.log1p(-p)).sum(
        axis=-1
    )
    return out


@dataclass(frozen=True)
class Ability:
    """An ability estimate.

    Attributes:
        theta: The estimate.
        se: Its standard error (posterior sd for EAP; 1/sqrt(information) at
            the estimate for MAP and ML, the prior's included for MAP).
        method: ``eap``, ``map`` or ``ml``.
    """

    theta: float
    se: float
    method: str


def estimate_ability(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    responses: npt.NDArray[np.int64],
    *,
    method: Method = "eap",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
) -> Ability:
    """Estimate ability from responses to items ``(a, b, c)``.

    ML is not defined when the likelihood has no interior maximum (all right
    or all wrong, or with guessing, patterns such as a single right answer to
    an easy item); the estimate is then the grid's end (±6) with an infinite
    standard error.

    Args:
        a: Discriminations of the answered items.
        b: Difficulties.
        c: Guessing parameters.
        responses: 1/0 per answered item.
        method: ``eap`` (default), ``map`` or ``ml``.
        prior_mean: Mean of the normal prior (EAP, MAP).
        prior_sd: Its standard deviation.
    """
    ll = log_likelihood(GRID, a, b, c, responses) if len(a) else np.zeros_like(GRID)
    log_prior = -0.5 * ((GRID - prior_mean) / prior_sd) ** 2
    if method == "eap":
        logpost = ll + log_prior
        w = np.exp(logpost - logpost.max())
        w /= w.sum()
        mean = float((w * GRID).sum())
        sd = float(np.sqrt((w * (GRID - mean) ** 2).sum()))
        return Ability(mean, sd, method)
    objective = ll + (log_prior if method == "map" else 0.0)
    theta = float(GRID[int(np.argmax(objective))])
    prior_info = 1.0 / prior_sd**2 if method == "map" else 0.0
    if method == "ml" and (responses.all() or not responses.any()):
        return Ability(theta, float("inf"), method)
    for _ in range(20):  # Newton steps on the log-posterior (or likelihood)
        p = probability(theta, a, b, c)
        star = (p - c) / (1.0 - c)
        grad = float((a * star / p * (responses - p)).sum())
        if method == "map":
            grad -= (theta - prior_mean) / prior_sd**2
        info = float(information(theta, a, b, c).sum()) + prior_info
        step = grad / info if info > 0 else 0.0
        theta = float(np.clip(theta + step, GRID[0], GRID[-1]))
        if abs(step) < 1e-8:
            break
    info = float(information(theta, a, b, c).sum()) + prior_info
    at_edge = method == "ml" and theta in (GRID[0], GRID[-1])
    if at_edge or info <= 0:  # no interior maximum: the estimate is unbounded
        return Ability(theta, float("inf"), method)
    return Ability(theta, 1.0 / np.sqrt(info), method)
