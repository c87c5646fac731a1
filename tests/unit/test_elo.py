"""Elo: recovery on a simulated IRT world, online semantics, estimator contract."""

from __future__ import annotations

import json

import numpy as np
import pytest

from levelwise.errors import NotFittedError
from levelwise.learners.base import Responses
from levelwise.learners.elo import Elo, EloState
from levelwise.learners.metrics import auc
from tests.support.learner_worlds import irt_world


def simulate(n_learners, *, seed):
    return irt_world(n_learners, seed=seed, drift=0.03)


@pytest.fixture(scope="module")
def world():
    train, difficulty = simulate(300, seed=1)
    test, _ = simulate(100, seed=2)
    return train, test, difficulty


def test_fit_recovers_item_difficulties(world):
    train, _, difficulty = world
    model = Elo().fit(train)
    r = np.corrcoef(model.item_difficulty_, difficulty)[0, 1]
    assert r > 0.9


def test_predictions_beat_chance_on_held_out_learners(world):
    train, test, _ = world
    p = Elo().fit(train).predict_proba(test)
    assert auc(test.correct, p) > 0.7


def test_online_update_function_equals_predict_proba(world):
    train, test, _ = world
    model = Elo().fit(train)
    expected = model.predict_proba(test)
    got = []
    learners: dict[int, EloState] = {}
    skills: dict[tuple[int, int], EloState] = {}
    for u, s, i, y in zip(
        test.learner, test.skill, test.item, test.correct, strict=True
    ):
        glob = learners.get(int(u), EloState())
        loc = skills.get((int(u), int(s)), EloState())
        state = EloState(glob.theta, glob.n, loc.theta_skill, loc.n_skill)
        got.append(model.predict_one(state, int(s), int(i)))
        new = model.update(state, int(s), int(y), int(i))
        learners[int(u)] = new
        skills[(int(u), int(s))] = new
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_prediction_uses_only_earlier_rows(world):
    train, test, _ = world
    model = Elo().fit(train)
    full = model.predict_proba(test)
    flipped = Responses.from_arrays(
        test.learner, test.skill, 1 - test.correct, item=test.item
    )
    other = model.predict_proba(flipped)
    first = np.r_[True, test.learner[1:] != test.learner[:-1]]
    np.testing.assert_array_equal(full[first], other[first])
    assert not np.allclose(full[~first], other[~first])


def test_per_attempt_rows_share_the_state_before_the_attempt():
    # One learner; rows 1 and 2 are one problem expanded over skills 0 and 1.
    train = Responses.from_arrays(
        [0, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1], item=[0, 1, 0, 1]
    )
    model = Elo().fit(train)
    data = Responses.from_arrays(
        [0, 0, 0, 0],
        [0, 0, 1, 0],
        [1, 1, 1, 0],
        item=[0, 1, 1, 0],
        attempt=[0, 1, 1, 2],
    )
    grouped = model.predict_proba(data, per_attempt=True)
    rowwise = model.predict_proba(data)
    state = model.update(EloState(), 0, 1, 0)
    assert grouped[1] == pytest.approx(model.predict_one(state, 0, 1))
    seen = EloState(state.theta, state.n, 0.0, 0)
    assert grouped[2] == pytest.approx(model.predict_one(seen, 1, 1))
    assert grouped[2] != pytest.approx(rowwise[2])  # row-wise saw row 1's label
    assert grouped[0] == rowwise[0]
    assert grouped[1] == rowwise[1]


def test_estimator_contract(world):
    train, test, _ = world
    params = {"k_learner": 0.5, "a_skill": 0.1, "n_passes": 1}
    model = Elo(**params)
    with pytest.raises(NotFittedError):
        model.predict_proba(test)
    assert model.fit(train) is model
    for name, value in params.items():
        assert model.get_params()[name] == value
    twin = model.clone()
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "item_difficulty_")
    np.testing.assert_array_equal(
        twin.fit(train).predict_proba(test), model.predict_proba(test)
    )
    assert model.set_params(k_skill=0.3) is model
    assert model.k_skill == 0.3
    with pytest.raises(ValueError, match="no hyperparameter"):
        model.set_params(nope=1)
    with pytest.raises(ValueError, match="n_passes"):
        Elo(n_passes=0).fit(train)


def test_json_round_trip_gives_identical_predictions(world):
    train, test, _ = world
    model = Elo().fit(train)
    payload = json.loads(json.dumps(model.to_json()))
    twin = Elo.from_json(payload)
    np.testing.assert_array_equal(
        twin.predict_proba(test, per_attempt=True),
        model.predict_proba(test, per_attempt=True),
    )


def test_unknown_items_and_skills_fall_back_to_skill_difficulty(world):
    train, _, _ = world
    model = Elo().fit(train)
    assert model.difficulty(2, -1) == model.skill_difficulty_[2]
    assert model.difficulty(2, 10_000) == model.skill_difficulty_[2]
    assert model.difficulty(99) == 0.0
    bigger = Responses.from_arrays(
        [0, 0], [1, 7], [1, 0], item=[5, 500], n_skills=8, n_items=501
    )
    p = model.predict_proba(bigger)
    assert p.shape == (2,)
