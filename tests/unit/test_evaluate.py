"""Cross-validation with the skill-mean baseline on generated data."""

from __future__ import annotations

import numpy as np
import pytest

from levelwise.errors import ModelNotAvailableError
from levelwise.learners.base import Responses
from levelwise.learners.datasets import Dataset
from levelwise.learners.evaluate import (
    attempt_starts,
    cross_validate,
    evaluate_protocols,
)
from levelwise.learners.registry import (
    MODELS,
    ModelSpec,
    SkillMean,
    create,
    factory,
    is_available,
)


def make_dataset(n_learners=20, n_folds=4, seed=0):
    """Learners with multi-skill attempts (two rows, one label) and skill effects."""
    rng = np.random.default_rng(seed)
    learner, skill, correct, item, attempt, fold = [], [], [], [], [], []
    ease = np.linspace(0.2, 0.9, 5)
    n_attempts = 0
    for who in range(n_learners):
        for _ in range(int(rng.integers(3, 9))):
            problem = int(rng.integers(0, 12))
            skills = [problem % 5] if problem % 3 else [problem % 5, (problem + 1) % 5]
            label = int(rng.random() < ease[skills[0]])
            for s in skills:
                learner.append(who)
                skill.append(s)
                correct.append(label)
                item.append(problem)
                attempt.append(n_attempts)
                fold.append(who % n_folds)
            n_attempts += 1
    responses = Responses.from_arrays(
        learner, skill, correct, item=item, attempt=attempt, n_skills=5, n_items=12
    )
    return Dataset(
        format="test",
        source="generated",
        responses=responses,
        fold=np.asarray(fold, dtype=np.int64),
        fold_names=tuple(f"f{k}" for k in range(n_folds)),
        test_folds=tuple(range(n_folds)),
        learner_ids=tuple(str(w) for w in range(n_learners)),
    )


class Spy(SkillMean):
    """Records what it was fitted on and asked to predict."""

    calls: list[tuple[str, frozenset[int], bool]] = []

    def fit(self, data):
        Spy.calls.append(("fit", frozenset(data.learner.tolist()), False))
        return super().fit(data)

    def predict_proba(self, data, *, per_attempt=False):
        Spy.calls.append(("predict", frozenset(data.learner.tolist()), per_attempt))
        return super().predict_proba(data, per_attempt=per_attempt)


@pytest.fixture
def spy():
    Spy.calls = []
    return Spy


def test_folds_partition_learners_and_no_test_learner_is_trained_on(spy):
    ds = make_dataset()
    cross_validate(spy, ds, protocol="row")
    fits = [learners for kind, learners, _ in spy.calls if kind == "fit"]
    tests = [learners for kind, learners, _ in spy.calls if kind == "predict"]
    assert len(fits) == len(tests) == 4
    for trained, tested in zip(fits, tests, strict=True):
        assert not trained & tested
        assert trained | tested == set(range(ds.n_learners))
    # The held-out sets partition the learners.
    assert sum(len(t) for t in tests) == ds.n_learners
    assert frozenset().union(*tests) == set(range(ds.n_learners))


def test_question_protocol_gives_one_prediction_per_attempt(spy):
    ds = make_dataset()
    result = cross_validate(spy, ds, protocol="question")
    assert all(per for kind, _, per in spy.calls if kind == "predict")
    for fold in result.folds:
        index = ds.fold_names.index(fold.fold)
        attempts = ds.responses.attempt[ds.fold == index]
        assert fold.n_predictions == np.unique(attempts).shape[0]
    assert result.n_predictions == np.unique(ds.responses.attempt).shape[0]
    assert result.n_predictions < len(ds.responses)


def test_row_protocol_predicts_every_row():
    ds = make_dataset()
    result = cross_validate(SkillMean, ds, protocol="row")
    assert result.n_predictions == len(ds.responses)
    assert [f.fold for f in result.folds] == ["f0", "f1", "f2", "f3"]


def test_both_protocols_share_one_fit_per_fold(spy):
    results = evaluate_protocols(spy, make_dataset(), max_folds=2)
    assert list(results) == ["row", "question"]
    assert [kind for kind, _, _ in spy.calls].count("fit") == 2
    assert results["row"].fit_seconds == results["question"].fit_seconds


def test_figures_are_in_range():
    result = cross_validate(SkillMean, make_dataset(n_learners=60), protocol="row")
    for fold in result.folds:
        assert 0.0 <= fold.auc <= 1.0 and 0.0 <= fold.rmse <= 1.0
    assert 0.0 <= result.mean_auc <= 1.0 and 0.0 <= result.pooled_auc <= 1.0
    assert 0.0 <= result.pooled_rmse <= 1.0
    assert 0.0 <= result.mean_rmse <= 1.0
    # The baseline knows the skills' ease, so it beats chance.
    assert result.pooled_auc > 0.6
    assert result.fit_seconds >= 0 and result.predict_seconds >= 0
    assert all(
        f.n_train_learners == 45 and f.n_test_learners == 15 for f in result.folds
    )


def test_max_folds_limits_the_held_out_folds():
    result = cross_validate(SkillMean, make_dataset(), max_folds=1)
    assert [f.fold for f in result.folds] == ["f0"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protocol": "cell"}, "unknown protocol"),
        ({"max_folds": 0}, "max_folds must be >= 1"),
    ],
    ids=["protocol", "max-folds"],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cross_validate(SkillMean, make_dataset(), **kwargs)


def test_a_dataset_without_folds_is_refused():
    ds = make_dataset()
    empty = Dataset(
        format="test",
        source="generated",
        responses=ds.responses,
        fold=ds.fold,
        fold_names=ds.fold_names,
        test_folds=(),
        learner_ids=ds.learner_ids,
    )
    with pytest.raises(ValueError, match="no folds"):
        cross_validate(SkillMean, empty)


def test_attempt_starts_split_on_learner_or_attempt_change():
    data = Responses.from_arrays(
        [0, 0, 0, 1, 1], [0, 1, 0, 0, 1], [1, 1, 0, 0, 0], attempt=[0, 0, 1, 1, 1]
    )
    assert attempt_starts(data).tolist() == [0, 2, 3]


def test_skill_mean_smooths_and_falls_back_for_unseen_skills():
    train = Responses.from_arrays([0, 0, 1], [0, 0, 1], [1, 1, 0], n_skills=3)
    model = SkillMean(smoothing=1.0).fit(train)
    overall = 2 / 3
    assert model.p_global_ == pytest.approx(overall)
    expected = [(2 + overall) / 3, (0 + overall) / 2, overall]
    assert model.p_skill_.tolist() == pytest.approx(expected)
    wider = Responses.from_arrays([0], [4], [1], n_skills=5)
    assert model.predict_proba(wider).tolist() == pytest.approx([overall])


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (SkillMean(smoothing=-1), Responses.from_arrays([0], [0], [1]), "smoothing"),
        (SkillMean(), Responses.from_arrays([], [], []), "no rows"),
    ],
    ids=["negative-smoothing", "empty"],
)
def test_skill_mean_rejects_bad_fits(model, data, message):
    with pytest.raises(ValueError, match=message):
        model.fit(data)


def test_registry_makes_fresh_models_with_fixed_and_overridden_params():
    models = {
        "mean0": ModelSpec("levelwise.learners.registry:SkillMean", {"smoothing": 0})
    }
    make = factory("mean0", models=models)
    assert make() is not make()
    assert make().get_params() == {"smoothing": 0}
    assert create("mean0", models=models, smoothing=2.0).get_params() == {
        "smoothing": 2.0
    }
    assert "skill-mean" in MODELS and is_available("skill-mean")
    assert not is_available("nope")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # Not registered at all.
        ("nope", "model 'nope' is not available; known: here, gone, missing, orphan"),
        # Registered, but its module does not exist (yet).
        ("gone", "module levelwise.learners.gone does not exist yet"),
        # Registered, but a parent package is missing.
        ("orphan", "module nowhere.at.all does not exist yet"),
        # The module exists, the class does not.
        ("missing", "levelwise.learners.registry:Nothing not found"),
    ],
    ids=["unknown", "no-module", "no-package", "no-class"],
)
def test_registry_explains_unavailable_models(name, message):
    models = {
        "here": ModelSpec("levelwise.learners.registry:SkillMean"),
        "gone": ModelSpec("levelwise.learners.gone:Gone"),
        "missing": ModelSpec("levelwise.learners.registry:Nothing"),
        "orphan": ModelSpec("nowhere.at.all:X"),
    }
    with pytest.raises(ModelNotAvailableError, match=message):
        factory(name, models=models)
