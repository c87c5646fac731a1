"""Batched Baum-Welch for BKT: every skill and every restart in one numpy pass.

A *chain* is one learner's rows of one skill under one restart's parameters
(the standard BKT set-up, as in pyBKT). Chains are cut into chunks of
``width`` rows (:mod:`levelwise.learners.bkt_layout`). The scaled forward and
backward recursions of the 2-state HMM run over the chunks' columns in
lock-step: chunks are sorted by length, so column ``k`` of the packed arrays
is a prefix of the chunks and nothing is padded. A short sequential pass
carries each chain's state from chunk to chunk through the chunks' 2x2
transfer matrices (products of the per-row ``A @ diag(B)`` matrices). One EM
iteration therefore loops ``O(width + max_len / width)`` times in Python
instead of ``max_len`` times, which matters because chain lengths are very
skewed (median ~5, max ~2,000 on ASSISTments 2009).

Conventions: state 1 is "known". Row 0 of a chain uses the rank-1 transition
``[[1 - prior, prior], [1 - prior, prior]]`` (``learn = prior``,
``forget = 1 - prior``), so the prior needs no special case: whatever state
comes in, the state before row 0 is the prior. Forward and backward vectors
are kept normalised as one float64 each: the forward one as the "unknown"
share, the backward one as the "known" share, the sides that can become
astronomically small without forgetting (``1 - x`` would round them to 0).
Reference for the recursions: Rabiner (1989), "A tutorial on hidden Markov
models", https://doi.org/10.1109/5.18626, section III.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from levelwise.learners.base import FloatArray, IntArray
from levelwise.learners.bkt_layout import Layout, Packed, build_layout

LOW = 1e-6
"""Floor (and ``1 - LOW`` ceiling) of probabilities, keeps logs finite."""
EMISSION_HIGH = 0.4999
"""Ceiling of guess and slip: above 0.5 "known" and "unknown" swap roles."""


@dataclass
class Params:
    """BKT parameters per parameter set (restart * n_skills + skill).

    Attributes:
        prior: P(known) before the first row.
        learn: P(unknown -> known) between rows.
        forget: P(known -> unknown) between rows.
        guess: P(correct | unknown).
        slip: P(incorrect | known).
    """

    prior: FloatArray
    learn: FloatArray
    forget: FloatArray
    guess: FloatArray
    slip: FloatArray


@dataclass(frozen=True)
class Counts:
    """Expected counts of one E-step, summed per parameter set.

    Attributes:
        loglik: Log-likelihood of the rows.
        known: Sum of P(known | all rows) over rows.
        known_correct: The same over correct rows.
        known_first: The same over chains' first rows.
        known_last: The same over chains' last rows.
        learned: Expected unknown -> known transitions.
        forgot: Expected known -> unknown transitions.
    """

    loglik: FloatArray
    known: FloatArray
    known_correct: FloatArray
    known_first: FloatArray
    known_last: FloatArray
    learned: FloatArray
    forgot: FloatArray


def sums(index: IntArray, weights: npt.ArrayLike, size: int) -> FloatArray:
    """Sum of ``weights`` per ``index`` value in ``0..size-1``."""
    total: FloatArray = np.bincount(index, weights, minlength=size).astype(np.float64)
    return total


def _emissions(code: IntArray, p: Params) -> tuple[FloatArray, FloatArray]:
    """P(row's answer | unknown) and P(row's answer | known), per row."""
    unknown = np.empty(2 * p.guess.size)
    unknown[0::2] = 1.0 - p.guess
    unknown[1::2] = p.guess
    known = np.empty(2 * p.slip.size)
    known[0::2] = p.slip
    known[1::2] = 1.0 - p.slip
    return unknown[code], known[code]


def _transitions(
    packed: Packed, p: Params
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per chunk: learn and forget, and their column-0 versions (prior)."""
    learn = p.learn[packed.param]
    forget = p.forget[packed.param]
    prior = p.prior[packed.param]
    learn0 = np.where(packed.first, prior, learn)
    forget0 = np.where(packed.first, 1.0 - prior, forget)
    return learn, forget, learn0, forget0


def _transfer(
    packed: Packed, p: Params
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Each chunk's transfer matrix, normalised: the product of ``A diag(B)``."""
    d0, d1 = _emissions(packed.code, p)
    learn, forget, learn0, forget0 = _transitions(packed, p)
    n = packed.widths[0] if packed.widths else 0
    left = np.zeros((2, n))  # column "unknown": (w00, w10)
    right = np.zeros((2, n))  # column "known": (w01, w11)
    left[0] = 1.0
    right[1] = 1.0
    for k, m in enumerate(packed.widths):
        if m == 0:
            break
        rows = slice(packed.offsets[k], packed.offsets[k] + m)
        t = (learn0 if k == 0 else learn)[:m]
        f = (forget0 if k == 0 else forget)[:m]
        a = left[:, :m]
        b = right[:, :m]
        moved = b * f - a * t
        a += moved
        a *= d0[rows]
        b -= moved
        b *= d1[rows]
        if k % 4 == 3:  # rescale now and then: 4 factors >= LOW cannot underflow
            total = a[0] + a[1] + b[0] + b[1]
            a /= total
            b /= total
    return left[0], right[0], left[1], right[1]


def _carry(layout: Layout, p: Params) -> tuple[FloatArray, FloatArray]:
    """Per chunk: filtered P(unknown) coming in, backward "known" share out."""
    n = layout.rows.widths[0] if layout.rows.widths else 0
    w00, w01, w10, w11 = (w[layout.carry_inner] for w in _transfer(layout.inner, p))
    size = layout.carry_rows.size
    fwd = np.full(size, 0.5)
    bwd = np.full(size, 0.5)
    blocks = layout.blocks
    # Products, not differences: a share of 1e-20 must survive next to 1.
    for j in range(1, len(blocks) - 1):
        m = blocks[j + 1] - blocks[j]
        prev = slice(blocks[j - 1], blocks[j - 1] + m)
        u = fwd[prev]
        n0 = u * w00[prev] + (1.0 - u) * w10[prev]
        n1 = u * w01[prev] + (1.0 - u) * w11[prev]
        fwd[blocks[j] : blocks[j] + m] = n0 / (n0 + n1)
    for j in range(len(blocks) - 2, 0, -1):
        m = blocks[j + 1] - blocks[j]
        cur = slice(blocks[j], blocks[j] + m)
        q = bwd[cur]
        n0 = (1.0 - q) * w00[cur] + q * w01[cur]
        n1 = (1.0 - q) * w10[cur] + q * w11[cur]
        bwd[blocks[j - 1] : blocks[j - 1] + m] = n1 / (n0 + n1)
    incoming = np.full(n, 0.5)
    incoming[layout.carry_rows] = fwd
    outgoing = np.full(n, 0.5)
    outgoing[layout.carry_rows] = bwd
    return incoming, outgoing


def e_step(layout: Layout, p: Params, *, forgetting: bool) -> Counts:
    """Forward-backward over every chain; expected counts per parameter set."""
    packed = layout.rows
    n_params = p.prior.size
    incoming, outgoing = _carry(layout, p)
    d0, d1 = _emissions(packed.code, p)
    learn, forget, learn0, forget0 = _transitions(packed, p)
    keep, keep0 = 1.0 - learn - forget, 1.0 - learn0 - forget0
    n = incoming.size

    # Forward on the *unknown* share: with forget = 0 P(unknown) can fall to
    # 1e-30 and must not round away (P(known) >= learn never gets that small).
    # before[i] = P(unknown at row i | earlier rows of its chain),
    # came[i] = filtered P(unknown) at the row before (or the chunk's input).
    before = np.empty(packed.code.size)
    came = np.empty(packed.code.size)
    drop = d0 - d1
    state = incoming.copy()
    evidence = np.ones(n)
    for k, m in enumerate(packed.widths):
        if m == 0:
            break
        rows = slice(packed.offsets[k], packed.offsets[k] + m)
        q = state[:m]
        came[rows] = q
        pred = before[rows]
        np.multiply(q, (keep0 if k == 0 else keep)[:m], out=pred)
        pred += (forget0 if k == 0 else forget)[:m]
        c = drop[rows] * pred
        c += d1[rows]
        np.multiply(pred, d0[rows], out=q)
        q /= c
        evidence[:m] *= c

    # Backward, with the posteriors and transition counts on the fly.
    state = outgoing
    known = np.zeros(n)
    known_correct = np.zeros(n)
    known_end = np.zeros(n)
    learned = np.zeros(n)
    known_start = known
    later = ~packed.first
    widths = [*packed.widths, 0]
    for k in range(len(packed.widths) - 1, -1, -1):
        m = widths[k]
        if m == 0:
            continue
        rows = slice(packed.offsets[k], packed.offsets[k] + m)
        t = (learn0 if k == 0 else learn)[:m]
        q = state[:m]
        e0 = d0[rows]
        w1 = d1[rows] * q
        w0 = e0 - e0 * q
        pred = before[rows]
        g1 = w1 - pred * w1
        z = pred * w0
        z += g1
        # Both shares can underflow in runs of hundreds of equal answers.
        np.maximum(z, 1e-300, out=z)
        np.divide(1.0, z, out=z)
        g1 *= z
        known[:m] += g1
        known_correct[:m] += g1 * packed.correct[rows]
        known_end[widths[k + 1] : m] = g1[widths[k + 1] :]
        prev = came[rows]
        x = prev * t
        x *= w1
        x *= z
        if k == 0:
            known_start = g1
            x *= later
        learned[:m] += x
        if k:
            f = forget[:m]
            diff = w1 - w0
            n0 = t * diff
            n0 += w0
            n1 = w1 - f * diff if forgetting else w1
            n0 += n1
            np.divide(n1, n0, out=q)

    param = packed.param
    first, last = packed.first, packed.last

    def total(weights: FloatArray) -> FloatArray:
        return sums(param, weights, n_params)

    # Flow balance: learned - forgot = P(known) at the last row - at the first.
    ends = sums(param[last], known_end[last], n_params)
    starts = sums(param[first], known_start[first], n_params)
    learned_total = total(learned)

    return Counts(
        loglik=total(np.log(evidence)),
        known=total(known),
        known_correct=total(known_correct),
        known_first=starts,
        known_last=ends,
        learned=learned_total,
        forgot=np.maximum(learned_total - (ends - starts), 0.0),
    )


def _ratio(num: FloatArray, den: FloatArray, old: FloatArray) -> FloatArray:
    """``num / den`` where ``den > 0``, else ``old``."""
    out = old.copy()
    np.divide(num, den, out=out, where=den > 0)
    return out


def m_step(
    c: Counts,
    p: Params,
    sizes: tuple[FloatArray, FloatArray, FloatArray],
    *,
    forgetting: bool,
) -> Params:
    """Maximise the expected log-likelihood; ``sizes`` = rows, correct, chains."""
    n, n_correct, n_chains = sizes
    unknown = n - c.known
    known_moving = c.known - c.known_last  # known at rows that have a next row
    unknown_moving = (n - n_chains) - known_moving
    high = 1.0 - LOW
    forget = p.forget
    if forgetting:
        forget = np.clip(_ratio(c.forgot, known_moving, p.forget), LOW, high)
    return Params(
        prior=np.clip(_ratio(c.known_first, n_chains, p.prior), LOW, high),
        learn=np.clip(_ratio(c.learned, unknown_moving, p.learn), LOW, high),
        forget=forget,
        guess=np.clip(
            _ratio(n_correct - c.known_correct, unknown, p.guess), LOW, EMISSION_HIGH
        ),
        slip=np.clip(
            _ratio(c.known - c.known_correct, c.known, p.slip), LOW, EMISSION_HIGH
        ),
    )


@dataclass(frozen=True)
class Chains:
    """One learner's rows of one skill each, over rows sorted by chain.

    Attributes:
        start: First row of each chain.
        length: Rows of each chain.
        skill: Skill of each chain.
        correct: 0/1 per row (sorted by chain, time order within).
    """

    start: IntArray
    length: IntArray
    skill: IntArray
    correct: IntArray


def fit_em(
    chains: Chains,
    init: Params,
    *,
    n_skills: int,
    forgetting: bool,
    max_iter: int,
    tol: float,
) -> tuple[Params, FloatArray, IntArray]:
    """EM for every parameter set in ``init`` (restart-major, ``R * K`` each).

    A parameter set stops when its log-likelihood improves by less than
    ``tol`` (absolute, as pyBKT) (or after ``max_iter`` E-steps); its last evaluated
    parameters are kept. Chains of stopped sets are dropped from the layout
    once they hold half of its rows.

    Returns:
        The parameters, the log-likelihood of each set (``-inf`` without
        rows) and the number of E-steps each set ran.
    """
    n_params = init.prior.size
    repeats = n_params // n_skills if n_skills else 0
    start = np.tile(chains.start, repeats)
    length = np.tile(chains.length, repeats)
    param = (np.arange(repeats)[:, None] * n_skills + chains.skill[None, :]).ravel()
    per_chain = np.add.reduceat(chains.correct, chains.start) if start.size else start
    sizes = (
        sums(param, length, n_params),
        sums(param, np.tile(per_chain, repeats), n_params),
        sums(param, np.ones(param.size), n_params),
    )
    p = Params(**{k: v.copy() for k, v in vars(init).items()})
    loglik = np.full(n_params, -np.inf)
    steps = np.zeros(n_params, dtype=np.int64)
    active = sizes[0] > 0
    layout = None
    for step in range(max_iter):
        if not active.any():
            break
        if layout is None or sizes[0][active].sum() < 0.5 * layout.n_rows:
            use = active[param]
            layout = build_layout(start[use], length[use], param[use], chains.correct)
        counts = e_step(layout, p, forgetting=forgetting)
        steps[active] += 1
        done = active & (counts.loglik - loglik < tol)
        loglik = np.where(active, counts.loglik, loglik)
        active &= ~done
        if step == max_iter - 1 or not active.any():
            break
        new = m_step(counts, p, sizes, forgetting=forgetting)
        for name, value in vars(new).items():
            old = getattr(p, name)
            setattr(p, name, np.where(active, value, old))
    return p, loglik, steps
