"""Fitted BKT as the fold's mastery model, from the program's mastery section."""

from __future__ import annotations

import pytest

from levelwise.app.programs.loader import load_program
from levelwise.domain.fold import default_model
from levelwise.domain.mastery import BktMastery, RunningMastery
from levelwise.domain.program import BktParams, MasterySettings
from levelwise.errors import ProgramError
from tests.support.factories import SMALL_PROGRAM, answered, homework
from tests.unit.test_domain_edges import run

FITTED = (
    SMALL_PROGRAM
    + """\
mastery:
  model: bkt
  prior: 0.3
  fitted: "test fixture"
  bkt:
    numbers: {prior: 0.2, learn: 0.15, guess: 0.2, slip: 0.1}
    greetings: {prior: 0.5, learn: 0.1, guess: 0.25, slip: 0.05, forget: 0.02}
"""
)


def bkt_step(p, params, correct):
    """The textbook update, written out for the test."""
    if correct:
        post = p * (1 - params.slip) / (p * (1 - params.slip) + (1 - p) * params.guess)
    else:
        post = p * params.slip / (p * params.slip + (1 - p) * (1 - params.guess))
    return post * (1 - params.forget) + (1 - post) * params.learn


def test_the_program_selects_and_carries_the_fitted_parameters():
    program = load_program(FITTED)
    assert program.mastery.model == "bkt" and program.mastery.fitted == "test fixture"
    assert dict(program.mastery.bkt)["greetings"].forget == 0.02
    assert isinstance(default_model(program), BktMastery)
    assert isinstance(default_model(load_program(SMALL_PROGRAM)), RunningMastery)


def test_each_answer_is_one_textbook_bkt_step():
    program = load_program(FITTED)
    numbers = dict(program.mastery.bkt)["numbers"]
    answers = [True, False, True, True, False, True]
    state, _ = run(program, [answered(c, minutes=i) for i, c in enumerate(answers)])
    p = numbers.prior
    for correct in answers:
        p = bkt_step(p, numbers, correct)
    assert state.mastery["numbers"].value == pytest.approx(p, abs=1e-9)
    assert state.mastery["numbers"].sd == pytest.approx((p * (1 - p)) ** 0.5, abs=1e-9)
    assert state.mastery["numbers"].attempts == len(answers)


def test_scores_between_zero_and_one_are_soft_evidence():
    program = load_program(FITTED)
    model = default_model(program)
    start = model.initial("numbers")
    right = model.update(start, "numbers", 1.0, None).value
    wrong = model.update(start, "numbers", 0.0, None).value
    half = model.update(start, "numbers", 0.5, None).value
    assert wrong < half < right
    state, _ = run(program, [homework(8)])  # 0.8 on the unit's point
    assert wrong < state.mastery["numbers"].value < right


def test_points_without_fitted_parameters_use_the_prior_and_fallback():
    model = BktMastery(MasterySettings(model="bkt", prior=0.3, bkt=()))
    start = model.initial("anything")
    assert start.value == 0.3 and start.attempts == 0
    assert model.p_correct(start, "anything") == pytest.approx(0.3 * 0.9 + 0.7 * 0.2)
    assert model.update(start, "anything", 1.0, None).value > 0.3
    fitted = BktMastery(
        MasterySettings(model="bkt", bkt=(("k", BktParams(0.4, 0.1, 0.2, 0.1)),))
    )
    assert fitted.initial("k").value == 0.4


def test_a_mastery_gate_reads_the_fitted_prior_before_any_evidence():
    source = FITTED.replace("units_completed includes [u1]", "mastery.greetings >= 0.5")
    state, outcomes = run(
        load_program(source), [homework(10, minutes=i) for i in range(2)]
    )
    assert state.level == 1  # greetings' fitted prior (0.5) already meets the gate


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # BKT selected but never fitted
        (
            lambda t: t.replace("  bkt:\n", "  old:\n").split("  old:")[0],
            "no fitted parameters",
        ),
        # parameters for a knowledge point the program lacks
        (
            lambda t: t.replace("    numbers: {", "    numbrs: {"),
            "unknown knowledge_point 'numbrs'",
        ),
        # a guess rate of 0.5 or more is not a BKT guess
        (lambda t: t.replace("guess: 0.2,", "guess: 0.6,"), "guess"),
    ],
    ids=["unfitted", "unknown-point", "guess-too-high"],
)
def test_bad_mastery_sections_are_reported(change, expected):
    with pytest.raises(ProgramError) as info:
        load_program(change(FITTED), "p.yaml")
    assert any(expected in str(i) for i in info.value.issues), info.value.issues


def test_the_folds_bkt_step_equals_the_fitted_models_online_prediction():
    import numpy as np

    from levelwise.learners.base import Responses
    from levelwise.learners.bkt import BKT

    rng = np.random.default_rng(3)
    learner = np.repeat(np.arange(60), 15)
    skill = rng.integers(0, 2, learner.size)
    correct = (rng.random(learner.size) < 0.65).astype(int)
    data = Responses.from_arrays(learner, skill, correct, n_skills=2)
    model = BKT(n_restarts=2, forgetting=True, random_state=1).fit(data)
    expected = model.predict_proba(data)
    params = tuple(
        (
            kp,
            BktParams(
                float(model.prior_[i]),
                float(model.learn_[i]),
                float(model.guess_[i]),
                float(model.slip_[i]),
                float(model.forget_[i]),
            ),
        )
        for i, kp in enumerate(("numbers", "greetings"))
    )
    fold_model = BktMastery(MasterySettings(model="bkt", bkt=params))
    names = ("numbers", "greetings")
    states: dict[tuple[int, str], object] = {}
    for row in range(learner.size):
        kp = names[skill[row]]
        key = (int(learner[row]), kp)
        state = states.get(key) or fold_model.initial(kp)
        assert fold_model.p_correct(state, kp) == pytest.approx(expected[row], abs=1e-9)
        states[key] = fold_model.update(state, kp, float(correct[row]), None)


def test_a_long_streak_still_reacts_to_a_wrong_answer():
    model = BktMastery(
        MasterySettings(model="bkt", bkt=(("k", BktParams(0.3, 0.3, 0.2, 0.1)),))
    )
    state = model.initial("k")
    for _ in range(200):
        state = model.update(state, "k", 1.0, None)
    assert state.value == 1.0  # shown as certain ...
    after = model.update(state, "k", 0.0, None)
    # ... yet a slip still counts: P(unknown) grows by (1 - guess) / slip
    # times (1 - learn), instead of being stuck at exactly 0.
    assert after.params[0] == pytest.approx(state.params[0] * 8 * 0.7, rel=1e-6)
