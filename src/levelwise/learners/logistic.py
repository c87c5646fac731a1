"""Logistic knowledge tracing on online count features (PFA / "Best-LR" style).

Each answer is described by features computed only from the same learner's
earlier answers (Gervet et al., "When is deep learning the best approach to
knowledge tracing?", JEDM 2020, Best-LR; Pavlik et al. 2009, PFA):

* the item (one-hot) and the skill (one-hot): difficulties;
* per skill, ``log(1 + past successes)`` and ``log(1 + past failures)`` on that
  skill, each with its own weight per skill (learning rates);
* in total, ``log(1 + past successes)`` and ``log(1 + past failures)``;
* an online ability estimate: the learner's summed residual ``correct − q``
  against each answered item's training success rate ``q``, shrunk as
  ``Σ(correct − q) / (n + shrink)``, in total and on the skill, plus a
  per-skill weight on the total ability (skill × ability interaction);
* recency: decayed sums ``Σ decay^age · x`` of past successes, failures and
  residuals ``correct − q``, in total and on the skill (``age`` = answers since,
  0 for the latest), as in PFA with decay / R-PFA.

The weights are fitted by L2-regularised logistic regression with Newton-CG
(scipy), on features built exactly as at prediction time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.optimize
import scipy.signal
import scipy.sparse
import scipy.special

from levelwise.learners.base import (
    BaseLearnerModel,
    FloatArray,
    IntArray,
    Responses,
    learner_bounds,
)

# total log successes and failures, 2 residuals, 4 decayed counts,
# 2 decayed residuals, bias
_N_DENSE = 11


@dataclass(frozen=True)
class LogisticState:
    """A learner's history as seen by one skill (what one answer touches).

    The caller keeps the totals per learner and the ``skill_*`` fields per
    (learner, skill); :meth:`LogisticKT.update` maps this view to the next one.

    Attributes:
        successes: Past right answers, all skills.
        failures: Past wrong answers, all skills.
        residual: Σ(correct − q) over past answers, all skills.
        skill_successes: Past right answers on this skill.
        skill_failures: Past wrong answers on this skill.
        skill_residual: Σ(correct − q) over past answers on this skill.
        recent_successes: Σ decay^age · correct, all skills.
        recent_failures: Σ decay^age · (1 − correct), all skills.
        skill_recent_successes: As ``recent_successes``, on this skill.
        skill_recent_failures: As ``recent_failures``, on this skill.
        recent_residual: Σ decay^age · (correct − q), all skills.
        skill_recent_residual: As ``recent_residual``, on this skill.
    """

    successes: int = 0
    failures: int = 0
    residual: float = 0.0
    skill_successes: int = 0
    skill_failures: int = 0
    skill_residual: float = 0.0
    recent_successes: float = 0.0
    recent_failures: float = 0.0
    skill_recent_successes: float = 0.0
    skill_recent_failures: float = 0.0
    recent_residual: float = 0.0
    skill_recent_residual: float = 0.0


def _group_exclusive(values: FloatArray, group: IntArray, unit: IntArray) -> FloatArray:
    """Sum of ``values`` over earlier units of the same group, per row.

    Rows are in time order within each group; rows sharing ``unit`` (within a
    group) all get the sum before the unit's first row.
    """
    order = np.lexsort((np.arange(group.shape[0]), group))
    g, u, v = group[order], unit[order], values[order]
    csum = np.cumsum(v) - v
    new_group = np.r_[True, g[1:] != g[:-1]]
    base = np.maximum.accumulate(np.where(new_group, np.arange(g.shape[0]), 0))
    excl = csum - csum[base]
    new_unit = new_group | np.r_[True, u[1:] != u[:-1]]
    first = np.maximum.accumulate(np.where(new_unit, np.arange(g.shape[0]), 0))
    out = np.empty_like(excl)
    out[order] = excl[first]
    return out


def _group_decayed(
    values: FloatArray, group: IntArray, unit: IntArray, decay: float
) -> FloatArray:
    """Like :func:`_group_exclusive`, each earlier row weighted ``decay**age``.

    ``age`` counts the group's rows after it (0 for the latest earlier row).
    """
    order = np.lexsort((np.arange(group.shape[0]), group))
    g, u, v = group[order], unit[order], values[order]
    n = g.shape[0]
    total = np.asarray(scipy.signal.lfilter([1.0], [1.0, -decay], v), np.float64)
    new_group = np.r_[True, g[1:] != g[:-1]]
    start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    before = np.r_[0.0, total[:-1]]  # decayed sum of all rows before, any group
    # Remove the rows of earlier groups: their sum at the group start, decayed.
    excl = before - before[start] * np.power(decay, np.arange(n) - start)
    new_unit = new_group | np.r_[True, u[1:] != u[:-1]]
    first = np.maximum.accumulate(np.where(new_unit, np.arange(n), 0))
    out: FloatArray = np.empty_like(excl)
    out[order] = excl[first]
    return out


class LogisticKT(BaseLearnerModel):
    """L2 logistic regression on item, skill and online history features.

    Args:
        l2: L2 penalty on all weights (the loss is a sum over rows).
        shrink: Pseudo-count in the ability estimate ``Σ(y − q) / (n + shrink)``.
        prior: Pseudo-count pulling an item's success rate ``q`` to its skill's.
        decay: Per-answer decay of the recency features (0 < decay < 1).
        max_iter: Newton iterations.
        tol: Newton step tolerance (``xtol``).

    Attributes:
        coef_: Weights: items, skills, per-skill successes, per-skill failures,
            per-skill ability, then total successes, total failures,
            residuals, decayed counts and residuals, and bias.
        item_count_: Training answers per item.
        item_sum_: Training right answers per item.
        skill_rate_: Training success rate of each skill.
        n_items_: Number of items seen in ``fit``.
        n_skills_: Number of skills seen in ``fit``.

    Examples:
        >>> from levelwise.learners.base import Responses
        >>> data = Responses.from_arrays(
        ...     learner=[0, 0, 0, 1, 1, 1], skill=[0, 0, 1, 0, 1, 1],
        ...     correct=[1, 1, 0, 0, 1, 1], item=[0, 1, 2, 0, 2, 1])
        >>> model = LogisticKT().fit(data)
        >>> p = model.predict_proba(data)
        >>> p.shape, bool(((p > 0) & (p < 1)).all())
        ((6,), True)
        >>> twin = LogisticKT.from_json(model.to_json())
        >>> twin.predict_proba(data).tolist() == p.tolist()
        True
    """

    _PARAMS = ("l2", "shrink", "prior", "decay", "max_iter", "tol")
    _FITTED = (
        ("coef_", np.float64),
        ("item_count_", np.float64),
        ("item_sum_", np.float64),
        ("skill_rate_", np.float64),
    )

    def __init__(
        self,
        *,
        l2: float = 1.0,
        shrink: float = 5.0,
        prior: float = 5.0,
        decay: float = 0.7,
        max_iter: int = 20,
        tol: float = 1e-4,
    ) -> None:
        """Store the hyperparameters unchanged (see the class docstring)."""
        self.l2 = l2
        self.shrink = shrink
        self.prior = prior
        self.decay = decay
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, data: Responses) -> Self:
        """Estimate item rates and the regression weights.

        Args:
            data: Training responses (rows grouped by learner, in time order).

        Returns:
            The fitted model.
        """
        if len(data) == 0:
            raise ValueError("cannot fit on no responses")
        y = data.correct.astype(np.float64)
        k = data.n_skills
        s_n = np.bincount(data.skill, minlength=k).astype(np.float64)
        s_y = np.bincount(data.skill, weights=y, minlength=k)
        skill_rate = (s_y + 1.0) / (s_n + 2.0)
        has = data.item >= 0
        m = data.n_items
        i_n = np.bincount(data.item[has], minlength=m).astype(np.float64)
        i_y = np.bincount(data.item[has], weights=y[has], minlength=m)
        self.item_count_ = i_n
        self.item_sum_ = i_y
        self.skill_rate_ = skill_rate
        self.n_items_ = m
        self.n_skills_ = k
        # Leave the learner's own labels out of q, so residuals do not leak them.
        q = self._rates(data, leave_out=True)
        x = self._features(data, q, per_attempt=True)
        n_cols = x.shape[1]
        penalty = np.full(n_cols, float(self.l2))
        penalty[-1] = 0.0  # the bias is not shrunk
        # Jacobi preconditioning: solve for u = w·√d, with d the Hessian's
        # diagonal at w = 0, so rare items and the bias have similar curvature.
        diag = 0.25 * np.asarray(x.multiply(x).sum(axis=0)).ravel() + penalty
        scale = 1.0 / np.sqrt(np.maximum(diag, 1e-8))
        x = (x @ scipy.sparse.diags(scale)).tocsr()
        penalty = penalty * scale * scale
        xt = x.T.tocsr()

        def loss(w: FloatArray) -> tuple[float, FloatArray]:
            z = x @ w
            value = float(np.sum(np.logaddexp(0.0, z) - y * z))
            value += 0.5 * float(np.sum(penalty * w * w))
            p = scipy.special.expit(z)
            curvature[:] = p * (1.0 - p)
            grad = xt @ (p - y) + penalty * w
            return value, np.asarray(grad, dtype=np.float64)

        def hessp(w: FloatArray, v: FloatArray) -> FloatArray:
            del w  # the curvature of the last loss() call is at w
            hv = xt @ (curvature * (x @ v)) + penalty * v
            return np.asarray(hv, dtype=np.float64)

        curvature = np.zeros(len(data))
        # Newton-CG with exact Hessian-vector products: a few dozen sparse
        # products, where L-BFGS needs hundreds of steps on 17k weights.
        result = scipy.optimize.minimize(
            loss,
            np.zeros(n_cols),
            jac=True,
            hessp=hessp,
            method="Newton-CG",
            options={"maxiter": self.max_iter, "xtol": self.tol},
        )
        self.coef_ = np.asarray(result.x * scale, dtype=np.float64)
        return self

    def predict_proba(
        self, data: Responses, *, per_attempt: bool = False
    ) -> FloatArray:
        """Online P(correct) for each row, from the learner's earlier answers.

        Args:
            data: Responses of (usually unseen) learners.
            per_attempt: Build all rows of an attempt from the history before
                it (answers within the attempt do not see each other).

        Returns:
            One probability per row.
        """
        self._check_fitted("coef_")
        q = self._rates(data, leave_out=False)
        x = self._features(data, q, per_attempt=per_attempt)
        out: FloatArray = scipy.special.expit(x @ self.coef_)
        return out

    def predict_one(self, state: LogisticState, skill: int, item: int = -1) -> float:
        """P(correct) of the next answer given the learner's ``state``."""
        self._check_fitted("coef_")
        m, k = self.n_items_, self.n_skills_
        w = self.coef_
        z = w[-1]
        if 0 <= item < m and self.item_count_[item] > 0:
            z += w[item]
        if 0 <= skill < k:
            z += w[m + skill]
            z += w[m + k + skill] * np.log1p(state.skill_successes)
            z += w[m + 2 * k + skill] * np.log1p(state.skill_failures)
        n, ns = state.successes + state.failures, state.skill_successes
        ns += state.skill_failures
        ability = state.residual / (n + self.shrink)
        if 0 <= skill < k:
            z += w[m + 3 * k + skill] * ability
        dense = (
            np.log1p(state.successes),
            np.log1p(state.failures),
            ability,
            state.skill_residual / (ns + self.shrink),
            state.recent_successes,
            state.recent_failures,
            state.skill_recent_successes,
            state.skill_recent_failures,
            state.recent_residual,
            state.skill_recent_residual,
        )
        z += float(np.dot(w[-_N_DENSE:-1], dense))
        return float(scipy.special.expit(z))

    def update(
        self, state: LogisticState, skill: int, correct: int, item: int = -1
    ) -> LogisticState:
        """The state after one answer: a pure O(1) step for an event fold.

        Args:
            state: The learner's history before the answer, for ``skill``.
            skill: Skill index of the answer.
            correct: 1 if right, else 0.
            item: Item index, or -1 when unknown.

        Returns:
            The new state (counts and residuals advanced).
        """
        self._check_fitted("coef_")
        q_s = float(self.skill_rate_[skill]) if 0 <= skill < self.n_skills_ else 0.5
        i_n = i_y = 0.0
        if 0 <= item < self.n_items_:
            i_n, i_y = float(self.item_count_[item]), float(self.item_sum_[item])
        q = (i_y + self.prior * q_s) / (i_n + self.prior)
        d = self.decay
        return LogisticState(
            successes=state.successes + correct,
            failures=state.failures + 1 - correct,
            residual=state.residual + correct - q,
            skill_successes=state.skill_successes + correct,
            skill_failures=state.skill_failures + 1 - correct,
            skill_residual=state.skill_residual + correct - q,
            recent_successes=d * state.recent_successes + correct,
            recent_failures=d * state.recent_failures + 1 - correct,
            skill_recent_successes=d * state.skill_recent_successes + correct,
            skill_recent_failures=d * state.skill_recent_failures + 1 - correct,
            recent_residual=d * state.recent_residual + correct - q,
            skill_recent_residual=d * state.skill_recent_residual + correct - q,
        )

    def _rates(self, data: Responses, *, leave_out: bool) -> FloatArray:
        """Success rate q per row: the item's (smoothed), else the skill's."""
        k = self.skill_rate_.shape[0]
        skill = np.minimum(data.skill, k - 1)
        q_s = np.where(data.skill < k, self.skill_rate_[skill], 0.5)
        item = data.item
        known = (item >= 0) & (item < self.n_items_)
        idx = np.where(known, item, 0)
        i_n = np.where(known, self.item_count_[idx] if self.n_items_ else 0.0, 0.0)
        i_y = np.where(known, self.item_sum_[idx] if self.n_items_ else 0.0, 0.0)
        if leave_out and known.any():
            # Leave the learner's own answers to the item out of its rate.
            pair = data.learner[known] * self.n_items_ + item[known]
            _, inv = np.unique(pair, return_inverse=True)
            own_n = np.bincount(inv).astype(np.float64)[inv]
            own_y = np.bincount(inv, weights=data.correct[known].astype(float))[inv]
            i_n[known] -= own_n
            i_y[known] -= own_y
        q: FloatArray = (i_y + self.prior * q_s) / (i_n + self.prior)
        return q

    def _features(
        self, data: Responses, q: FloatArray, *, per_attempt: bool
    ) -> scipy.sparse.csr_matrix:
        """Sparse design matrix; every row from the learner's past only."""
        n = len(data)
        m, k = self.n_items_, self.n_skills_
        y = data.correct.astype(np.float64)
        unit = data.attempt if per_attempt else np.arange(n, dtype=np.int64)
        # Learner totals count each unit once: its mean outcome and residual.
        bounds = learner_bounds(data.learner)
        lrn = np.repeat(np.arange(bounds.shape[0] - 1), np.diff(bounds))
        new_unit = np.r_[True, (unit[1:] != unit[:-1]) | (lrn[1:] != lrn[:-1])]
        u_id = np.cumsum(new_unit) - 1
        u_size = np.bincount(u_id).astype(np.float64)
        u_y = (np.bincount(u_id, weights=y) / u_size)[u_id] / u_size[u_id]
        u_r = (np.bincount(u_id, weights=y - q) / u_size)[u_id] / u_size[u_id]
        succ = _group_exclusive(u_y, lrn, u_id)
        cnt = _group_exclusive(1.0 / u_size[u_id], lrn, u_id)
        res = _group_exclusive(u_r, lrn, u_id)
        key = lrn * max(k, int(data.skill.max()) + 1 if n else 1) + data.skill
        s_succ = _group_exclusive(y, key, u_id)
        s_cnt = _group_exclusive(np.ones(n), key, u_id)
        s_res = _group_exclusive(y - q, key, u_id)
        d = float(self.decay)
        u_first = np.flatnonzero(new_unit)
        u_mean = np.bincount(u_id, weights=y) / u_size
        u_all = np.arange(u_first.shape[0])
        r_succ = _group_decayed(u_mean, lrn[u_first], u_all, d)[u_id]
        r_fail = _group_decayed(1.0 - u_mean, lrn[u_first], u_all, d)[u_id]
        u_res = np.bincount(u_id, weights=y - q) / u_size
        r_res = _group_decayed(u_res, lrn[u_first], u_all, d)[u_id]
        rs_res = _group_decayed(y - q, key, u_id, d)
        rs_succ = _group_decayed(y, key, u_id, d)
        rs_fail = _group_decayed(1.0 - y, key, u_id, d)
        ability = res / (cnt + self.shrink)
        skill_ok = data.skill < k
        item_ok = (data.item >= 0) & (data.item < m)
        if m:
            item_ok &= self.item_count_[np.where(item_ok, data.item, 0)] > 0
        rows = np.arange(n)
        sk = np.where(skill_ok, data.skill, 0)
        blocks = [
            (rows[item_ok], data.item[item_ok], np.ones(int(item_ok.sum()))),
            (rows[skill_ok], m + sk[skill_ok], np.ones(int(skill_ok.sum()))),
            (rows[skill_ok], m + k + sk[skill_ok], np.log1p(s_succ[skill_ok])),
            (
                rows[skill_ok],
                m + 2 * k + sk[skill_ok],
                np.log1p(s_cnt - s_succ)[skill_ok],
            ),
            (rows[skill_ok], m + 3 * k + sk[skill_ok], ability[skill_ok]),
        ]
        dense = [
            np.log1p(succ),
            np.log1p(cnt - succ),
            ability,
            s_res / (s_cnt + self.shrink),
            r_succ,
            r_fail,
            rs_succ,
            rs_fail,
            r_res,
            rs_res,
            np.ones(n),
        ]
        base = m + 4 * k
        for j, col in enumerate(dense):
            blocks.append((rows, np.full(n, base + j), col))
        r = np.concatenate([b[0] for b in blocks])
        c = np.concatenate([b[1] for b in blocks])
        v = np.concatenate([b[2] for b in blocks])
        shape = (n, base + _N_DENSE)
        return scipy.sparse.csr_matrix((v, (r, c)), shape=shape)

    def _restore(self) -> None:
        self.n_items_ = int(self.item_count_.shape[0])
        self.n_skills_ = int(self.skill_rate_.shape[0])
