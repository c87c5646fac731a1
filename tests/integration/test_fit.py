"""Fitting mastery (logistic or BKT) from the answers: a new version, replayed."""

from __future__ import annotations

import random

import pytest

from levelwise.app.modelling.fitting import LogisticFit
from levelwise.app.programs.loader import load_program
from levelwise.domain.codec import state_to_dict
from levelwise.domain.fold import default_model
from levelwise.domain.mastery import dimension_abilities
from levelwise.errors import FitError
from tests.support.factories import answered, watched

TRUE = {"numbers": (0.2, 0.2, 0.2, 0.1), "greetings": (0.4, 0.1, 0.25, 0.1)}


def simulated_answers(n_learners=150, per_kp=12, seed=4):
    rng = random.Random(seed)
    raws = []
    for i in range(n_learners):
        minute = 0
        for kp, (prior, learn, guess, slip) in TRUE.items():
            known = rng.random() < prior
            for _ in range(per_kp):
                p = 1 - slip if known else guess
                raws.append(
                    answered(rng.random() < p, kp=kp, learner=f"l{i}", minutes=minute)
                )
                minute += 1
                known = known or rng.random() < learn
    return raws


def states(lw, school):
    return [state_to_dict(s) for s in sorted(lw.snapshots(school), key=by_learner)]


def by_learner(state):
    return state.learner


def test_fit_from_the_log_makes_a_new_version_and_replays(lw, school):
    raws = simulated_answers()
    for start in range(0, len(raws), 2000):
        lw.ingest(school, raws[start : start + 2000])
    before = lw.learner(school, "l0").mastery["numbers"]
    summary, fit = lw.fit_mastery(school, model="bkt")
    assert summary.version == 2 and summary.replay is not None
    assert summary.replay.events == len(raws)
    assert fit.answers == len(raws) and fit.learners == 150
    learned = {kp: fit.params[kp].learn for kp in TRUE}
    assert learned["numbers"] == pytest.approx(0.2, abs=0.08)
    assert fit.params["numbers"].guess == pytest.approx(0.2, abs=0.08)
    _, source = lw.current_program(school)
    assert "model: bkt" in source and "xp_rules:" in source
    view = lw.learner(school, "l0")
    assert view.program_version == 2
    assert view.mastery["numbers"] != before  # now a BKT estimate
    first = [
        state_to_dict(s) for s in sorted(lw.snapshots(school), key=lambda s: s.learner)
    ]
    lw.replay(school)
    again = [
        state_to_dict(s) for s in sorted(lw.snapshots(school), key=lambda s: s.learner)
    ]
    assert first == again  # replay after refit is deterministic


def test_the_default_fit_is_logistic_and_replays_exactly(lw, school):
    raws = simulated_answers(80, 8)
    lw.ingest(school, raws)
    summary, fit = lw.fit_mastery(school)
    assert isinstance(fit, LogisticFit)
    assert summary.version == 2 and summary.replay is not None
    assert summary.replay.events == len(raws)
    assert fit.answers == len(raws) and fit.learners == 80
    assert [kp for kp, _ in fit.params.points] == ["greetings", "numbers"]
    _, source = lw.current_program(school)
    assert "model: logistic" in source and "xp_rules:" in source
    program = load_program(source)
    model = default_model(program)
    for state in lw.snapshots(school):
        assert len(state.model_state) == 6
        assert set(state.mastery) == {"greetings", "numbers"}
        assert dict(state.abilities) == dimension_abilities(
            program, state.mastery, model
        )
        for kp, m in state.mastery.items():
            assert m.value == model.p_correct(kp, state.model_state, m.params)
    view = lw.learner(school, "l0")
    assert view.program_version == 2 and view.mastery["numbers"][2] == 8
    first = states(lw, school)
    lw.replay(school)
    assert states(lw, school) == first  # replay after refit is deterministic
    again, _ = lw.fit_mastery(school)  # the same answers give the same weights,
    assert again.version == 2 and again.replay is None  # so no new version
    assert lw.current_program(school)[1] == source


def test_fit_from_given_answers_skips_unknown_points(lw, school):
    answers = [("a", "numbers", True), ("a", "numbers", False), ("a", "algebra", True)]
    answers += [(f"b{i}", "numbers", i % 3 != 0) for i in range(30)]
    summary, fit = lw.fit_mastery(school, answers, model="bkt")
    assert fit.skipped == 1 and set(fit.params) == {"numbers"}
    assert summary.version == 2
    summary, logistic = lw.fit_mastery(school, answers)
    assert logistic.skipped == 1 and logistic.answers == 32
    assert summary.version == 3


def test_options_that_do_not_fit_the_model_are_errors(lw, school):
    answers = [(f"b{i}", "numbers", i % 3 != 0) for i in range(30)]
    with pytest.raises(FitError, match="forgetting"):
        lw.fit_mastery(school, answers, forgetting=True)
    with pytest.raises(FitError, match="unknown mastery model"):
        lw.fit_mastery(school, answers, model="irt")
    assert lw.current_program(school)[0].version == 1


@pytest.mark.parametrize("model", ["logistic", "bkt"])
def test_nothing_to_fit_is_an_error_and_changes_nothing(lw, school, model):
    lw.ingest(school, [watched(600)])
    with pytest.raises(FitError):
        lw.fit_mastery(school, model=model)
    assert lw.current_program(school)[0].version == 1
