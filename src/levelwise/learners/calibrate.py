"""Item calibration: marginal maximum likelihood 2PL/3PL by EM (Bock–Aitkin).

Abilities are integrated out over θ ~ N(0, 1) on Gauss–Hermite nodes (Bock &
Aitkin 1981, Psychometrika 46:443–459). Each EM cycle computes every
examinee's posterior over the nodes, the expected number of attempts
``n[j, q]`` and of correct answers ``r[j, q]`` per item and node (E-step), then
maximises each item's expected-count binomial likelihood by Fisher scoring,
all items at once (M-step). Items are parametrised as slope–intercept,
``P = c + (1 − c) σ(a θ + d)`` with ``b = −d / a``; the 3PL puts a
``Beta(α, β)`` prior on ``c`` (Baker & Kim 2004, *Item Response Theory:
Parameter Estimation Techniques*, ch. 7; BILOG's default is ``(5, 17)``).

Standard errors come from the inverse of each item's cross-product
("XPD") information, ``Σ_i s_i s_iᵀ`` with ``s_i`` examinee ``i``'s score of
the marginal log-likelihood with respect to the item's parameters (Paek & Cai
2014, Educ. Psychol. Meas. 74:58–76; mirt's ``SE.type = "crossprod"``),
item by item (block diagonal), with the delta method for ``b``.

Misfit: infit and outfit mean squares (Wright & Masters 1982, *Rating Scale
Analysis*, ch. 5), with every squared standardised residual averaged over
the examinee's posterior instead of a point estimate of θ, so they come from
the expected counts:
``outfit_j = Σ_q [r (1 − P) / P + (n − r) P / (1 − P)] / n_j`` and
``infit_j = Σ_q [r (1 − P)² + (n − r) P²] / Σ_q n P (1 − P)``. An item is
flagged when either is outside ``MSQ_BAND = (0.7, 1.3)`` (Wright, Linacre et
al. 1994, Rasch Meas. Trans. 8:370, "reasonable ranges" for multiple-choice
tests), when ``a < MIN_A`` (a flat or reversed item: the 2PL fits such an item
with a ≈ 0, so its mean squares look fine), or when it is extreme (everyone
right or everyone wrong): it is left out of the EM, with ``a = 1``, ``c = 0``,
``b`` clamped to the difficulty matching a proportion correct of
``(k + ½) / (n + 1)`` (at most ±4.5) and NaN SEs, infit and outfit.

Averaging over the posterior pulls the mean squares towards 1, so they are a
conservative screen; a reversed or non-monotone item shows up as ``a < MIN_A``.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = np.full(10, 1.2), np.linspace(-1.5, 1.5, 10)
    >>> y = simulate_responses(a, b, np.zeros(10), rng.standard_normal(500), rng)
    >>> cal = calibrate(y)
    >>> cal.converged, bool(np.corrcoef(cal.b, b)[0, 1] > 0.95)
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from levelwise.errors import FitError
from levelwise.learners.irt import probability

FloatArray = npt.NDArray[np.float64]
Model = Literal["2pl", "3pl"]

MSQ_BAND = (0.7, 1.3)
"""Infit/outfit mean squares outside this band flag an item."""
MIN_A = 0.2
"""Discriminations below this flag an item as flat or reversed."""
_A_BOUNDS = (0.05, 6.0)  # keep Fisher scoring away from degenerate curves
_C_BOUNDS = (1e-4, 0.5)
_EPS = 1e-10


@dataclass(frozen=True)
class Calibration:
    """Calibrated item parameters with standard errors and fit statistics.

    Attributes:
        a: Discriminations, one per item.
        b: Difficulties.
        c: Guessing parameters (zeros for the 2PL).
        se_a: Standard errors of ``a`` (NaN where not estimable).
        se_b: Standard errors of ``b``.
        se_c: Standard errors of ``c`` (NaN for the 2PL).
        log_likelihood: Marginal log-likelihood of the responses (prior on
            ``c`` excluded).
        n_iter: EM cycles run.
        converged: Whether the largest parameter change fell below ``tol``.
        infit: Infit mean square per item.
        outfit: Outfit mean square per item.
        extreme: Items answered all right or all wrong (clamped).
        flagged: Items outside ``MSQ_BAND``, below ``MIN_A`` or extreme.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    se_a: FloatArray
    se_b: FloatArray
    se_c: FloatArray
    log_likelihood: float
    n_iter: int
    converged: bool
    infit: FloatArray
    outfit: FloatArray
    extreme: npt.NDArray[np.bool_]
    flagged: npt.NDArray[np.bool_]


def simulate_responses(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    theta: FloatArray,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """Draw 1/0 responses of examinees ``theta`` to items ``(a, b, c)``.

    Args:
        a: Discriminations.
        b: Difficulties.
        c: Guessing parameters.
        theta: Abilities, one per examinee.
        rng: The random generator to draw from.

    Returns:
        An ``(len(theta), len(a))`` array of 0/1.
    """
    p = probability(np.asarray(theta, np.float64), a, b, c)
    return (rng.random(p.shape) < p).astype(np.int64)


def _curves(
    a: FloatArray, d: FloatArray, c: FloatArray, nodes: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P, the logistic part and dP/d(a, d, c), each (Q, J[, 3]) over nodes."""
    sig = 1.0 / (1.0 + np.exp(-(np.outer(nodes, a) + d)))
    p = np.clip(c + (1.0 - c) * sig, _EPS, 1.0 - _EPS)
    ds = (1.0 - c) * sig * (1.0 - sig)
    grad = np.stack([ds * nodes[:, None], ds, 1.0 - sig], axis=-1)
    return p, sig, grad


def _m_step(
    r: FloatArray,
    n: FloatArray,
    params: FloatArray,
    nodes: FloatArray,
    k: int,
    c_prior: tuple[float, float],
) -> FloatArray:
    """Fisher-scoring steps on each item's expected-count likelihood."""
    params = params.copy()
    alpha, beta = c_prior
    for _ in range(5):
        p, _, g = _curves(params[:, 0], params[:, 1], params[:, 2], nodes)
        g = g[..., :k]
        resid = (r - n * p) / (p * (1.0 - p))  # (Q, J): d loglik / dP
        score = np.einsum("qj,qjk->jk", resid, g)
        info = np.einsum("qj,qjk,qjl->jkl", n / (p * (1.0 - p)), g, g)
        if k == 3:
            cc = params[:, 2]
            score[:, 2] += (alpha - 1.0) / cc - (beta - 1.0) / (1.0 - cc)
            info[:, 2, 2] += (alpha - 1.0) / cc**2 + (beta - 1.0) / (1.0 - cc) ** 2
        info += 1e-8 * np.eye(k)
        step = np.linalg.solve(info, score[..., None])[..., 0]
        step = np.clip(step, -1.0, 1.0)  # damp the first steps from far away
        params[:, :k] += step
        params[:, 0] = np.clip(params[:, 0], *_A_BOUNDS)
        params[:, 2] = np.clip(params[:, 2], *_C_BOUNDS) if k == 3 else 0.0
        if np.abs(step).max() < 1e-6:
            break
    return params


def _posterior(
    y: FloatArray,
    mask: FloatArray,
    params: FloatArray,
    nodes: FloatArray,
    log_w: FloatArray,
) -> tuple[FloatArray, float]:
    """Each examinee's posterior over the nodes, and the marginal loglik."""
    p, _, _ = _curves(params[:, 0], params[:, 1], params[:, 2], nodes)
    loglik = y @ np.log(p).T + (mask - y) @ np.log1p(-p).T + log_w  # (N, Q)
    top = loglik.max(axis=1, keepdims=True)
    lik = np.exp(loglik - top)
    total = lik.sum(axis=1, keepdims=True)
    return lik / total, float((np.log(total) + top).sum())


def _standard_errors(
    y: FloatArray,
    mask: FloatArray,
    post: FloatArray,
    params: FloatArray,
    nodes: FloatArray,
    k: int,
    c_prior: tuple[float, float],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SEs of a, b, c from each item's cross-product information."""
    p, _, g = _curves(params[:, 0], params[:, 1], params[:, 2], nodes)
    # d log P(y | θ_q) / dη is g / P for a right answer and −g / (1 − P) else.
    right = np.einsum("iq,qjk->ijk", post, g[..., :k] / p[..., None])
    wrong = np.einsum("iq,qjk->ijk", post, g[..., :k] / (1.0 - p)[..., None])
    scores = mask[..., None] * (y[..., None] * right - (1.0 - y)[..., None] * wrong)
    info = np.einsum("ijk,ijl->jkl", scores, scores)
    if k == 3:
        alpha, beta = c_prior
        cc = params[:, 2]
        info[:, 2, 2] += (alpha - 1.0) / cc**2 + (beta - 1.0) / (1.0 - cc) ** 2
    ok = np.linalg.cond(info) < 1e10
    cov = np.full_like(info, np.nan)
    cov[ok] = np.linalg.inv(info[ok])
    a, d = params[:, 0], params[:, 1]
    grad_b = np.stack([d / a**2, -1.0 / a], axis=-1)  # b = −d / a
    var_b = np.einsum("jk,jkl,jl->j", grad_b, cov[:, :2, :2], grad_b)
    se_c = np.sqrt(cov[:, 2, 2]) if k == 3 else np.full(len(a), np.nan)
    return np.sqrt(cov[:, 0, 0]), np.sqrt(var_b), se_c


def _validate(responses: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Split ``responses`` into 1/0 answers (0 where missing) and a mask."""
    x = np.asarray(responses, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (examinees × items), got {x.ndim}-D")
    observed = ~(np.isnan(x) | (x == -1))
    if not np.isin(x[observed], (0.0, 1.0)).all():
        raise ValueError("responses must be 1, 0, NaN or -1 (not administered)")
    if not observed.any():
        raise FitError("no observed responses to calibrate from")
    return np.where(observed, x, 0.0), observed.astype(np.float64)


def calibrate(
    responses: npt.ArrayLike,
    *,
    model: Model = "2pl",
    max_iter: int = 200,
    tol: float = 1e-4,
    n_quadrature: int = 41,
    c_prior: tuple[float, float] = (5.0, 17.0),
) -> Calibration:
    """Calibrate items by marginal maximum likelihood (EM over quadrature).

    Args:
        responses: ``(n_examinees, n_items)`` of 1/0, NaN or -1 where the
            item was not administered.
        model: ``"2pl"`` or ``"3pl"``.
        max_iter: Most EM cycles to run.
        tol: Stop when no parameter (a, d, c) moves by more than this.
        n_quadrature: Gauss–Hermite nodes for θ ~ N(0, 1).
        c_prior: ``(α, β)`` of the Beta prior on ``c`` (3PL only).

    Returns:
        The item parameters, SEs, log-likelihood and fit statistics.

    Raises:
        ValueError: If ``responses`` is not 2-D 1/0/NaN/-1 or ``model`` is
            unknown.
        FitError: If nothing was observed.
    """
    if model not in ("2pl", "3pl"):
        raise ValueError(f"model must be '2pl' or '3pl', got {model!r}")
    y, mask = _validate(responses)
    k = 3 if model == "3pl" else 2
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_quadrature)
    log_w = np.log(weights / weights.sum())
    n_obs, n_right = mask.sum(axis=0), y.sum(axis=0)
    extreme = (n_right == 0) | (n_right == n_obs)
    keep = ~extreme
    prop = (n_right + 0.5) / (n_obs + 1.0)
    c0 = c_prior[0] / sum(c_prior) if k == 3 else 0.0
    sig0 = np.clip((prop - c0) / (1.0 - c0), 0.02, 0.98)
    params = np.zeros((y.shape[1], 3))
    # σ(d / √(1 + 0.35 a²)) ≈ the proportion correct under θ ~ N(0, 1).
    params[:, 1] = 1.16 * np.log(sig0 / (1.0 - sig0))
    params[:, 0], params[:, 2] = 1.0, np.where(extreme, 0.0, c0)
    yk, mk = y[:, keep], mask[:, keep]
    converged, n_iter = False, 0
    while n_iter < max_iter and keep.any():
        n_iter += 1
        post, _ = _posterior(yk, mk, params[keep], nodes, log_w)
        r, n = (post.T @ yk), (post.T @ mk)  # (Q, J) expected counts
        new = _m_step(r, n, params[keep], nodes, k, c_prior)
        change = float(np.abs(new - params[keep]).max())
        params[keep] = new
        if change < tol:
            converged = True
            break
    post, loglik = _posterior(yk, mk, params[keep], nodes, log_w)
    se = np.full((3, y.shape[1]), np.nan)
    if keep.any():
        se[:, keep] = _standard_errors(yk, mk, post, params[keep], nodes, k, c_prior)
    infit, outfit = np.full(y.shape[1], np.nan), np.full(y.shape[1], np.nan)
    if keep.any():
        p, _, _ = _curves(params[keep, 0], params[keep, 1], params[keep, 2], nodes)
        r, n = post.T @ yk, post.T @ mk
        outfit[keep] = (r * (1 - p) / p + (n - r) * p / (1 - p)).sum(0) / n.sum(0)
        resid2 = (r * (1 - p) ** 2 + (n - r) * p**2).sum(0)
        infit[keep] = resid2 / (n * p * (1 - p)).sum(0)
    a, d = params[:, 0], params[:, 1]
    b = -d / a
    lo, hi = MSQ_BAND
    bad_msq = (infit < lo) | (infit > hi) | (outfit < lo) | (outfit > hi)
    flagged = extreme | (a < MIN_A) | bad_msq
    return Calibration(
        a=a,
        b=b,
        c=params[:, 2].copy(),
        se_a=se[0],
        se_b=se[1],
        se_c=se[2],
        log_likelihood=loglik,
        n_iter=n_iter,
        converged=converged or not keep.any(),
        infit=infit,
        outfit=outfit,
        extreme=extreme,
        flagged=flagged,
    )
