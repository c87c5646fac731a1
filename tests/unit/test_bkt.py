"""BKT: EM recovers simulated parameters; online prediction and the contract."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from levelwise.errors import InvalidResponsesError, NotFittedError
from levelwise.learners.base import Responses
from levelwise.learners.bkt import BKT, bkt_step
from levelwise.learners.bkt_em import Params, e_step
from levelwise.learners.bkt_layout import build_layout
from levelwise.learners.metrics import auc

# prior, learn, guess, slip, forget per skill
TRUE = np.array(
    [
        [0.3, 0.15, 0.20, 0.10, 0.0],
        [0.6, 0.08, 0.25, 0.15, 0.0],
        [0.2, 0.25, 0.10, 0.05, 0.0],
    ]
)
FORGETFUL = np.array([[0.4, 0.2, 0.2, 0.1, 0.1], [0.3, 0.12, 0.15, 0.08, 0.05]])


def simulate(params, n_learners, seed, lengths=(10, 40)):
    """BKT learners answering every skill; their skills interleave in time."""
    rng = np.random.default_rng(seed)
    learner, skill, step, correct = [], [], [], []
    for k, (prior, learn, guess, slip, forget) in enumerate(params):
        n = rng.integers(lengths[0], lengths[1] + 1, n_learners)
        known = rng.random(n_learners) < prior
        for t in range(int(n.max())):
            right = np.where(
                known, rng.random(n_learners) > slip, rng.random(n_learners) < guess
            )
            who = np.flatnonzero(t < n)
            learner.append(who)
            skill.append(np.full(who.size, k))
            step.append(np.full(who.size, t))
            correct.append(right[who])
            u = rng.random(n_learners)
            known = np.where(known, u >= forget, u < learn)
    who, what, when, right = (
        np.concatenate(a) for a in (learner, skill, step, correct)
    )
    order = np.lexsort((what, when, who))  # per learner: round-robin skills
    return Responses.from_arrays(
        who[order], what[order], right[order].astype(int), n_skills=len(params)
    )


@lru_cache
def training(forgetting=False):
    params = FORGETFUL if forgetting else TRUE
    return simulate(params, 2000, seed=1)


@lru_cache
def fitted(forgetting=False):
    return BKT(n_restarts=2, forgetting=forgetting).fit(training(forgetting))


def fitted_params(model):
    return np.column_stack(
        [model.prior_, model.learn_, model.guess_, model.slip_, model.forget_]
    )


def small(seed=3):
    return simulate(TRUE, 40, seed=seed, lengths=(1, 12))


def test_em_recovers_the_simulated_parameters():
    got = fitted_params(fitted())
    tolerance = np.array([0.1, 0.05, 0.05, 0.05, 0.0])
    assert np.all(np.abs(got - TRUE) <= tolerance), got.round(3)
    assert np.all(fitted().n_iter_ > 1)


def test_em_recovers_a_forget_rate():
    got = fitted_params(fitted(forgetting=True))
    tolerance = np.array([0.1, 0.05, 0.05, 0.05, 0.05])
    assert np.all(np.abs(got - FORGETFUL) <= tolerance), got.round(3)


def test_batched_e_step_matches_a_plain_forward_backward():
    rng = np.random.default_rng(5)
    length = rng.integers(1, 60, 30)
    length[:2] = (150, 97)  # several chunks
    start = np.cumsum(length) - length
    param = rng.integers(0, 4, 30)
    correct = rng.integers(0, 2, int(length.sum()))
    p = Params(*(rng.uniform(0.05, 0.45, 4) for _ in range(5)))
    counts = e_step(build_layout(start, length, param, correct), p, forgetting=True)
    want = np.zeros((4, 4))  # loglik, known, learned, forgot
    for s, n, j in zip(start, length, param, strict=True):
        o = correct[s : s + n]
        a = np.array([[1 - p.learn[j], p.learn[j]], [p.forget[j], 1 - p.forget[j]]])
        b = np.array([[1 - p.guess[j], p.guess[j]], [p.slip[j], 1 - p.slip[j]]])
        alpha, beta, scale = np.zeros((n, 2)), np.ones((n, 2)), np.zeros(n)
        for t in range(n):
            prev = (
                np.array([1 - p.prior[j], p.prior[j]]) if t == 0 else alpha[t - 1] @ a
            )
            f = prev * b[:, o[t]]
            scale[t], alpha[t] = f.sum(), f / f.sum()
        for t in range(n - 2, -1, -1):
            g = a @ (b[:, o[t + 1]] * beta[t + 1])
            beta[t] = g / g.sum()
        post = alpha * beta / (alpha * beta).sum(axis=1, keepdims=True)
        xi = np.zeros((2, 2))
        for t in range(1, n):
            x = alpha[t - 1][:, None] * a * (b[:, o[t]] * beta[t])[None, :]
            xi += x / x.sum()
        want[j] += [np.log(scale).sum(), post[:, 1].sum(), xi[0, 1], xi[1, 0]]
    got = np.column_stack([counts.loglik, counts.known, counts.learned, counts.forgot])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_fit_returns_self_and_leaves_the_hyperparameters_unchanged():
    model = BKT(n_restarts=1, max_iter=5, tol=0.0)
    before = model.get_params()
    assert model.fit(small()) is model
    assert model.get_params() == before
    assert model.n_iter_.tolist() == [5, 5, 5]
    assert model.prior_.shape == model.forget_.shape == (3,)
    assert np.all(model.forget_ == 0.0)
    assert np.all((model.guess_ < 0.5) & (model.slip_ < 0.5))


def test_predicting_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        BKT().predict_proba(small())
    with pytest.raises(NotFittedError):
        BKT().update(0.5, 0, True)


def test_clone_and_params():
    model = BKT(n_restarts=3, forgetting=True, random_state=7)
    assert model.get_params() == {
        "n_restarts": 3,
        "max_iter": 100,
        "tol": 1e-4,
        "forgetting": True,
        "random_state": 7,
    }
    twin = model.clone().set_params(max_iter=9)
    assert twin.max_iter == 9 and model.max_iter == 100
    with pytest.raises(ValueError, match="no hyperparameter"):
        model.set_params(alpha=1)


@pytest.mark.parametrize(
    "params", [{"n_restarts": 0}, {"max_iter": 0}, {"tol": -1.0}], ids=str
)
def test_fit_rejects_bad_hyperparameters(params):
    with pytest.raises(ValueError):
        BKT(**params).fit(small())


def test_json_round_trip_predicts_identically():
    model = BKT(n_restarts=2, forgetting=True).fit(small())
    restored = BKT.from_json(json.loads(json.dumps(model.to_json())))
    assert restored.get_params() == model.get_params()
    assert restored.log_likelihood_ == model.log_likelihood_
    test = small(seed=4)
    for per_attempt in (False, True):
        np.testing.assert_array_equal(
            restored.predict_proba(test, per_attempt=per_attempt),
            model.predict_proba(test, per_attempt=per_attempt),
        )
    with pytest.raises(NotFittedError):
        BKT.from_json(BKT(max_iter=3).to_json()).predict_proba(test)


def test_random_state_decides_the_starting_points():
    data = small()
    first = BKT(random_state=1).fit(data)
    again = BKT(random_state=1).fit(data)
    other = BKT(random_state=2).fit(data)
    np.testing.assert_array_equal(fitted_params(first), fitted_params(again))
    assert np.isfinite(other.log_likelihood_)
    assert abs(other.log_likelihood_ - first.log_likelihood_) < 0.05 * abs(
        first.log_likelihood_
    )


@pytest.mark.parametrize("forgetting", [False, True])
def test_online_update_loop_equals_predict_proba(forgetting):
    model = fitted(forgetting)
    data = simulate(FORGETFUL if forgetting else TRUE, 30, seed=9)
    state: dict[tuple[int, int], float] = {}
    online = []
    for who, k, right in zip(data.learner, data.skill, data.correct, strict=True):
        u = state.get((who, k), model.initial_state(k))
        online.append(model.p_correct(u, k))
        state[(who, k)] = model.update(u, k, bool(right))
    np.testing.assert_array_equal(model.predict_proba(data), online)


def test_a_long_right_streak_does_not_freeze_the_state():
    # 1 - P(known) would round to 0 after ~40 right answers; P(unknown) does not.
    params = {"learn": 0.05, "forget": 0.0, "guess": 0.2, "slip": 0.1}
    u = 0.5
    for _ in range(400):
        u = bkt_step(u, True, **params)
    assert 0.0 < u < 1e-100
    for _ in range(400):
        u = bkt_step(u, False, **params)
    assert u > 0.9


def test_per_attempt_predicts_an_attempt_from_the_state_before_it():
    model = fitted()
    data = Responses.from_arrays(
        learner=[0, 0, 0, 0, 0],
        skill=[0, 0, 1, 0, 0],
        correct=[1, 1, 0, 1, 0],
        attempt=[0, 1, 1, 1, 2],
    )
    rows = model.predict_proba(data)
    attempts = model.predict_proba(data, per_attempt=True)
    assert attempts[1] == attempts[3] == rows[1]  # skill 0 twice in attempt 1
    assert attempts[2] == rows[2]
    assert attempts[4] == rows[4]  # the next attempt sees both rows
    assert attempts[0] == rows[0]


def test_a_skill_without_rows_gets_the_defaults():
    data = small()
    model = BKT(n_restarts=1).fit(
        Responses.from_arrays(data.learner, data.skill, data.correct, n_skills=5)
    )
    assert model.n_skills_ == 5
    assert fitted_params(model)[3:].tolist() == [[0.5, 0.1, 0.2, 0.1, 0.0]] * 2
    assert model.n_iter_[3:].tolist() == [0, 0]
    empty = BKT().fit(Responses.from_arrays([], [], [], n_skills=2))
    assert empty.prior_.tolist() == [0.5, 0.5] and empty.log_likelihood_ == 0.0


def test_unknown_skill_in_prediction_is_rejected():
    model = BKT(n_restarts=1, max_iter=3).fit(small())
    with pytest.raises(InvalidResponsesError):
        model.predict_proba(Responses.from_arrays([0], [3], [1]))


def test_held_out_learners_are_predicted_well():
    test = simulate(TRUE, 300, seed=11)
    p = fitted().predict_proba(test)
    assert p.shape == (len(test),) and np.all((p > 0) & (p < 1))
    assert auc(test.correct, p) > 0.7
