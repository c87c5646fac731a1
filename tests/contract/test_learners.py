"""Common estimator checks for every registered learner model.

Parametrized over the registry, so BKT, Elo and later models are covered as
soon as their modules exist; names whose module is missing are skipped with
the reason. The checks follow ``STYLE.md`` §4 and the online contract of
``LearnerModel.predict_proba`` (no prediction uses its own row or later rows).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from levelwise.errors import NotFittedError
from levelwise.learners.base import Responses, learner_bounds
from levelwise.learners.registry import MODELS, create, is_available


def generate(n_learners=14, seed=0):
    """Learners answering items of 4 skills; every third item has two skills."""
    rng = np.random.default_rng(seed)
    learner, skill, correct, item, attempt = [], [], [], [], []
    n_attempts = 0
    for who in range(n_learners):
        ability = rng.normal()
        for step in range(int(rng.integers(6, 16))):
            problem = int(rng.integers(0, 15))
            skills = [problem % 4] if problem % 3 else [problem % 4, (problem + 1) % 4]
            p = 1 / (1 + np.exp(-(ability + 0.2 * step - problem / 10)))
            label = int(rng.random() < p)
            for s in skills:
                learner.append(who)
                skill.append(s)
                correct.append(label)
                item.append(problem)
                attempt.append(n_attempts)
            n_attempts += 1
    return Responses.from_arrays(
        learner, skill, correct, item=item, attempt=attempt, n_skills=4, n_items=15
    )


def with_correct(data, correct):
    return Responses.from_arrays(
        data.learner,
        data.skill,
        correct,
        item=data.item,
        attempt=data.attempt,
        n_skills=data.n_skills,
        n_items=data.n_items,
    )


def assert_same(actual, expected):
    """Equal up to float rounding: vectorised models may sum in another order."""
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def positions(data):
    """Each row's position within its learner's rows."""
    bounds = learner_bounds(data.learner)
    return np.arange(len(data)) - np.repeat(bounds[:-1], np.diff(bounds))


@pytest.fixture(params=list(MODELS))
def name(request):
    # Every registered model ships: an unavailable one is a regression, not a skip.
    assert is_available(request.param), MODELS[request.param].module
    return request.param


@pytest.fixture
def train():
    return generate(seed=1)


@pytest.fixture
def test():
    return generate(n_learners=6, seed=2)


def fresh(name):
    model = create(name)
    if "random_state" in model.get_params():
        model.set_params(random_state=0)
    return model


def test_fit_returns_self(name, train):
    model = fresh(name)
    assert model.fit(train) is model


def test_fit_leaves_the_hyperparameters_unchanged(name, train):
    model = fresh(name)
    before = copy.deepcopy(model.get_params())
    model.fit(train)
    assert model.get_params() == before


@pytest.mark.parametrize("per_attempt", [False, True])
def test_predict_before_fit_raises_not_fitted(name, test, per_attempt):
    with pytest.raises(NotFittedError):
        fresh(name).predict_proba(test, per_attempt=per_attempt)


def test_clone_is_unfitted_with_the_same_hyperparameters(name, train, test):
    model = fresh(name).fit(train)
    twin = model.clone()
    assert type(twin) is type(model)
    assert twin.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        twin.predict_proba(test)
    assert np.array_equal(
        twin.fit(train).predict_proba(test), model.predict_proba(test)
    )


def test_json_round_trip_predicts_identically(name, train, test):
    model = fresh(name).fit(train)
    text = json.dumps(model.to_json())  # JSON-ready: no numpy arrays, no NaN
    assert hasattr(type(model), "from_json"), "models persist through from_json"
    restored = type(model).from_json(json.loads(text))
    assert restored.get_params() == model.get_params()
    for per_attempt in (False, True):
        assert np.array_equal(
            restored.predict_proba(test, per_attempt=per_attempt),
            model.predict_proba(test, per_attempt=per_attempt),
        )


def test_fitting_twice_predicts_identically(name, train, test):
    # Seeded models get the same random_state (see fresh); the others have no
    # randomness at all. Either way two fits must agree to the bit.
    first = fresh(name).fit(train).predict_proba(test)
    second = fresh(name).fit(train).predict_proba(test)
    assert np.array_equal(first, second)


def test_refit_starts_afresh(name, train, test):
    other = generate(n_learners=8, seed=3)
    refitted = fresh(name).fit(other).fit(train)
    assert np.array_equal(
        refitted.predict_proba(test), fresh(name).fit(train).predict_proba(test)
    )


@pytest.mark.parametrize("per_attempt", [False, True])
def test_one_probability_per_row(name, train, test, per_attempt):
    model = fresh(name).fit(train)
    for data in (test, train):
        p = model.predict_proba(data, per_attempt=per_attempt)
        assert p.shape == (len(data),)
        assert np.all(np.isfinite(p))
        assert np.all((p >= 0) & (p <= 1))


@pytest.mark.parametrize("per_attempt", [False, True])
@pytest.mark.parametrize("k", [1, 3, 8])
def test_later_rows_do_not_change_earlier_predictions(
    name, train, test, per_attempt, k
):
    model = fresh(name).fit(train)
    full = model.predict_proba(test, per_attempt=per_attempt)
    keep = positions(test) < k
    cut = model.predict_proba(test.subset(keep), per_attempt=per_attempt)
    assert_same(cut, full[keep])


def test_a_row_is_predicted_without_its_own_label(name, train, test):
    model = fresh(name).fit(train)
    full = model.predict_proba(test)
    pos = positions(test)
    for j in (0, 2, 5):
        flipped = np.where(pos == j, 1 - test.correct, test.correct)
        p = model.predict_proba(with_correct(test, flipped))
        assert_same(p[pos <= j], full[pos <= j])


def test_an_attempt_is_predicted_without_its_own_labels(name, train, test):
    """With ``per_attempt`` no row of an attempt sees any label of that attempt."""
    model = fresh(name).fit(train)
    full = model.predict_proba(test, per_attempt=True)
    pos = positions(test)
    for j in (0, 3):
        # Flip every row of the attempt holding each learner's row j.
        hit = np.isin(test.attempt, test.attempt[pos == j])
        flipped = np.where(hit, 1 - test.correct, test.correct)
        p = model.predict_proba(with_correct(test, flipped), per_attempt=True)
        first = np.minimum.reduceat(
            np.where(hit, pos, np.iinfo(np.int64).max),
            learner_bounds(test.learner)[:-1],
        )
        upto = pos <= np.repeat(first, np.diff(learner_bounds(test.learner)))
        upto |= hit
        assert_same(p[upto], full[upto])
