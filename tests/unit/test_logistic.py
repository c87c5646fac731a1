"""LogisticKT: learning on a simulated world, online semantics, estimator contract."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from levelwise.errors import NotFittedError
from levelwise.learners.base import Responses
from levelwise.learners.logistic import (
    LogisticKT,
    LogisticState,
    _group_decayed,
    _group_exclusive,
)
from levelwise.learners.metrics import auc
from tests.support.learner_worlds import irt_world

_TOTALS = (
    "successes",
    "failures",
    "residual",
    "recent_successes",
    "recent_failures",
    "recent_residual",
)


def totals_only(state):
    """The learner-wide part of ``state`` (skill fields reset)."""
    return LogisticState(**{f: getattr(state, f) for f in _TOTALS})


def simulate(n_learners, *, seed):
    return irt_world(n_learners, seed=seed, drift=0.05)


@pytest.fixture(scope="module")
def world():
    train, difficulty = simulate(300, seed=1)
    test, _ = simulate(100, seed=2)
    return train, test, difficulty


@pytest.fixture(scope="module")
def fitted(world):
    return LogisticKT().fit(world[0])


def test_item_weights_recover_difficulties(world, fitted):
    _, _, difficulty = world
    r = np.corrcoef(fitted.coef_[: len(difficulty)], -difficulty)[0, 1]
    assert r > 0.9


def test_predictions_beat_chance_on_held_out_learners(world, fitted):
    _, test, _ = world
    assert auc(test.correct, fitted.predict_proba(test)) > 0.7


def test_online_update_function_equals_predict_proba(world, fitted):
    _, test, _ = world
    expected = fitted.predict_proba(test)
    got = []
    totals: dict[int, LogisticState] = {}
    skills: dict[tuple[int, int], LogisticState] = {}
    for u, s, i, y in zip(
        test.learner, test.skill, test.item, test.correct, strict=True
    ):
        u, s, i, y = int(u), int(s), int(i), int(y)
        glob = totals.get(u, LogisticState())
        loc = skills.get((u, s), LogisticState())
        state = dataclasses.replace(loc, **{f: getattr(glob, f) for f in _TOTALS})
        got.append(fitted.predict_one(state, s, i))
        totals[u] = skills[(u, s)] = fitted.update(state, s, y, i)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_prediction_uses_only_earlier_rows(world, fitted):
    _, test, _ = world
    flipped = Responses.from_arrays(
        test.learner, test.skill, 1 - test.correct, item=test.item
    )
    full, other = fitted.predict_proba(test), fitted.predict_proba(flipped)
    first = np.r_[True, test.learner[1:] != test.learner[:-1]]
    np.testing.assert_array_equal(full[first], other[first])
    assert not np.allclose(full[~first], other[~first])


def test_per_attempt_rows_share_the_history_before_the_attempt(fitted):
    # Rows 1 and 2 are one problem (item 5) expanded over skills 0 and 1.
    data = Responses.from_arrays(
        [0, 0, 0, 0],
        [0, 0, 1, 0],
        [1, 0, 0, 1],
        item=[0, 5, 5, 1],
        attempt=[0, 1, 1, 2],
    )
    grouped = fitted.predict_proba(data, per_attempt=True)
    rowwise = fitted.predict_proba(data)
    after_first = fitted.update(LogisticState(), 0, 1, 0)
    skill1 = totals_only(after_first)
    assert grouped[2] == pytest.approx(fitted.predict_one(skill1, 1, 5))
    assert grouped[2] != pytest.approx(rowwise[2])  # row-wise saw row 1's label
    assert grouped[:2].tolist() == rowwise[:2].tolist()


def test_estimator_contract(world):
    train, test, _ = world
    params = {"l2": 2.0, "shrink": 3.0}
    model = LogisticKT(**params)
    with pytest.raises(NotFittedError):
        model.predict_proba(test)
    saved = model.to_json()  # an unfitted model saves its hyperparameters only
    assert set(saved) == {"model", "params"}
    with pytest.raises(NotFittedError):
        LogisticKT.from_json(saved).predict_proba(test)
    assert model.fit(train) is model
    assert {k: model.get_params()[k] for k in params} == params
    twin = model.clone()
    assert not hasattr(twin, "coef_")
    np.testing.assert_array_equal(
        twin.fit(train).predict_proba(test), model.predict_proba(test)
    )
    with pytest.raises(ValueError, match="no hyperparameter"):
        model.set_params(nope=1)


def test_json_round_trip_gives_identical_predictions(world, fitted):
    _, test, _ = world
    twin = LogisticKT.from_json(json.loads(json.dumps(fitted.to_json())))
    np.testing.assert_array_equal(
        twin.predict_proba(test, per_attempt=True),
        fitted.predict_proba(test, per_attempt=True),
    )


def test_skills_only_data_and_unseen_items(fitted):
    data = Responses.from_arrays([0, 0, 1], [0, 1, 1], [1, 0, 1])
    model = LogisticKT().fit(data)
    assert model.predict_proba(data).shape == (3,)
    bigger = Responses.from_arrays([0, 0], [1, 7], [1, 0], item=[5, 500])
    p = fitted.predict_proba(bigger)
    assert p.shape == (2,)
    state = fitted.update(LogisticState(), 1, 1, 5)
    state = totals_only(state)
    assert fitted.predict_one(state, 7, 500) == pytest.approx(p[1])


def test_group_decayed_matches_a_direct_sum():
    rng = np.random.default_rng(3)
    group = np.sort(rng.integers(0, 5, 200))
    unit = np.arange(200) // 2  # pairs of rows share a unit
    values = rng.random(200)
    got = _group_decayed(values, group, unit, 0.7)
    for r in range(200):
        first = r - 1 if r % 2 and group[r - 1] == group[r] else r
        past = np.flatnonzero((group == group[r]) & (np.arange(200) < first))
        want = np.sum(values[past] * 0.7 ** (first - 1 - past))
        assert got[r] == pytest.approx(want, abs=1e-12)
    np.testing.assert_allclose(
        _group_decayed(values, group, unit, 1.0),
        _group_exclusive(values, group, unit),
        atol=1e-9,
    )


def test_recency_weighs_recent_answers_more(fitted):
    # Same counts, opposite order: recency features separate the two learners.
    data = Responses.from_arrays(
        [0] * 7 + [1] * 7,
        [0] * 14,
        [1, 1, 1, 0, 0, 0, 1] + [0, 0, 0, 1, 1, 1, 1],
        item=[-1] * 14,
    )
    p = fitted.predict_proba(data)
    assert p[13] != pytest.approx(p[6])
    other = LogisticKT.from_json({**fitted.to_json(), "params": {"decay": 0.3}})
    assert not np.allclose(other.predict_proba(data)[1:], p[1:])
