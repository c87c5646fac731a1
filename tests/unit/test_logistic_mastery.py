"""The fitted logistic model as the fold's learner-level mastery model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from levelwise.app.ingest.projection import dumps
from levelwise.app.modelling.fitting import (
    LogisticFit,
    fit_logistic,
    logistic_params,
    mastery_section,
    with_mastery,
)
from levelwise.app.programs.loader import load_program
from levelwise.domain import codec
from levelwise.domain.fold import default_model, initial_state
from levelwise.domain.mastery import LogisticMastery, dimension_abilities
from levelwise.domain.program import LogisticParams, LogisticPoint, MasterySettings
from levelwise.errors import ProgramError
from levelwise.learners.base import Responses
from levelwise.learners.logistic import LogisticKT, LogisticState
from tests.support.factories import SMALL_PROGRAM, answered, event, homework
from tests.unit.test_domain_edges import run

FITTED = (
    SMALL_PROGRAM
    + """\
mastery:
  model: logistic
  fitted: "test fixture"
  logistic:
    shrink: 5.0
    decay: 0.7
    weights:
      bias: -0.2
      successes: 0.3
      failures: -0.25
      ability: 0.8
      point_ability: 0.4
      recent_successes: 0.1
      recent_failures: -0.15
      point_recent_successes: 0.05
      point_recent_failures: -0.05
      recent_residual: 0.2
      point_recent_residual: 0.1
    points:
      numbers: {rate: 0.6, intercept: 0.3, successes: 0.2, failures: -0.1, ability: 0.5}
"""
)
NAMES = ("numbers", "greetings", "colours")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    learner = np.repeat(np.arange(50), 24)
    skill = rng.integers(0, 3, learner.size)
    ability = rng.normal(0.0, 1.0, 50)[learner]
    p = 1 / (1 + np.exp(-(ability + 0.4 * skill - 0.3)))
    correct = (rng.random(learner.size) < p).astype(int)
    data = Responses.from_arrays(learner, skill, correct, n_skills=3)
    return LogisticKT().fit(data), data


def test_the_pure_model_predicts_what_logistic_kt_predicts(fitted):
    model, data = fitted
    expected = model.predict_proba(data)
    params = logistic_params(model, NAMES)
    fold_model = LogisticMastery(MasterySettings(model="logistic", logistic=params))
    learners: dict[int, tuple[tuple[float, ...], dict]] = {}
    kt_states: dict[tuple[int, int], LogisticState] = {}
    totals: dict[int, LogisticState] = {}
    for row in range(len(data)):
        who, s, y = int(data.learner[row]), int(data.skill[row]), int(data.correct[row])
        kp = NAMES[s]
        model_state, mastery = learners.get(who, ((), {}))
        value = (mastery.get(kp) or fold_model.initial(kp)).value
        assert value == pytest.approx(expected[row], abs=1e-9)
        # The online view of LogisticKT: totals per learner, skill part per skill.
        total = totals.get(who, LogisticState())
        own = kt_states.get((who, s), LogisticState())
        view = LogisticState(
            successes=total.successes,
            failures=total.failures,
            residual=total.residual,
            recent_successes=total.recent_successes,
            recent_failures=total.recent_failures,
            recent_residual=total.recent_residual,
            skill_successes=own.skill_successes,
            skill_failures=own.skill_failures,
            skill_residual=own.skill_residual,
            skill_recent_successes=own.skill_recent_successes,
            skill_recent_failures=own.skill_recent_failures,
            skill_recent_residual=own.skill_recent_residual,
        )
        assert value == pytest.approx(model.predict_one(view, s), abs=1e-9)
        after = model.update(view, s, y)
        totals[who] = after
        kt_states[(who, s)] = after
        model_state, changed = fold_model.observe(
            model_state, mastery, kp, float(y), None
        )
        assert set(changed) == set(NAMES)  # every point moves with the learner
        learners[who] = (model_state, {**mastery, **changed})


def test_the_fit_writes_a_section_that_loads_back(fitted):
    model, data = fitted
    params = logistic_params(model, NAMES[:2])
    fit = LogisticFit(params, len(data), 50, 0)
    source = SMALL_PROGRAM
    text = with_mastery(source, mastery_section(fit, note="n", prior=0.3))
    assert "model: logistic" in text and "e-" not in text.split("mastery:")[1]
    loaded = load_program(text).mastery
    assert loaded.model == "logistic" and loaded.prior == 0.3
    assert loaded.logistic is not None
    for (kp, got), (_, want) in zip(loaded.logistic.points, params.points, strict=True):
        assert got.rate == pytest.approx(want.rate, abs=1e-9), kp
        assert got.ability == pytest.approx(want.ability, abs=1e-9), kp
    assert loaded.logistic.bias == pytest.approx(params.bias, abs=1e-9)
    assert with_mastery(text, mastery_section(fit, note="n", prior=0.3)) == text


def test_fit_logistic_keeps_answered_points_and_counts_skips():
    answers = [(f"l{i}", "numbers", i % 3 != 0) for i in range(30)]
    answers += [("l1", "algebra", True)]
    fit = fit_logistic(answers, ["greetings", "numbers"])
    assert [kp for kp, _ in fit.params.points] == ["numbers"]
    assert (fit.answers, fit.learners, fit.skipped) == (30, 30, 1)
    none = fit_logistic([("a", "algebra", True)], ["numbers"])
    assert none.params.points == () and none.skipped == 1


def test_the_fold_moves_every_point_and_abilities_equal_a_fresh_computation():
    program = load_program(FITTED)
    model = default_model(program)
    assert isinstance(model, LogisticMastery)
    start = initial_state("ana", program, model)
    assert start.abilities == dimension_abilities(program, {}, model)
    raws = [answered(c, minutes=i) for i, c in enumerate([True, False, True, True])]
    raws += [homework(7, minutes=10)]  # soft evidence: 0.7 on numbers
    raws += [
        event(
            "live.interaction",
            unit="u3",
            correct=True,
            minutes=11,
            kind="answer",
        )
    ]
    state, _ = run(program, raws)
    assert set(state.mastery) == {"greetings", "numbers"}
    fresh = dimension_abilities(program, state.mastery, model)
    assert dict(state.abilities) == fresh  # exactly, not approximately
    s, f = state.model_state[:2]
    assert s == pytest.approx(3 + 0.7 + 2) and f == pytest.approx(1 + 0.3)
    numbers = state.mastery["numbers"]
    assert numbers.attempts == 6 and numbers.params[0] == pytest.approx(3.7 + 1)
    greetings = state.mastery["greetings"]
    assert greetings.attempts == 1  # moved by numbers' answers as well
    assert greetings.value == pytest.approx(
        model.p_correct("greetings", state.model_state, greetings.params)
    )
    assert greetings.sd == pytest.approx(
        (greetings.value * (1 - greetings.value) / 2) ** 0.5
    )
    text = dumps(codec.state_to_dict(state))
    assert codec.state_from_dict(json.loads(text)) == state


def test_a_point_without_weights_uses_the_shared_terms_only():
    params = LogisticParams(bias=-3.0, successes=1.0, points=())
    model = LogisticMastery(MasterySettings(model="logistic", logistic=params), ["k"])
    low = model.initial("k").value
    assert low == pytest.approx(1 / (1 + np.exp(3.0)))
    assert model.initial("elsewhere").value == low  # not a program point
    state, changed = model.observe((), {}, "other", 1.0, "q1")
    assert set(changed) == {"k", "other"} and changed["k"].attempts == 0
    assert changed["other"].params[2] == 0.5  # residual against the 0.5 rate
    for _ in range(30):
        state, changed = model.observe(state, changed, "k", 1.0, None)
    assert changed["k"].value > 0.5  # z >= 0 branch
    blank = LogisticMastery(MasterySettings(model="logistic"))
    assert blank.initial("x").value == 0.5 and blank.knowledge_points == ()
    point = LogisticPoint()
    assert point.rate == 0.5


def test_before_any_evidence_a_gate_reads_the_model_prior():
    source = FITTED.replace("units_completed includes [u1]", "mastery.numbers >= 0.5")
    program = load_program(source)
    prior = default_model(program).initial("numbers").value
    assert prior == pytest.approx(1 / (1 + np.exp(-0.1)))
    state, _ = run(program, [homework(10, minutes=i) for i in range(2)])
    assert state.level == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.split("  logistic:")[0], "no fitted weights"),
        (
            lambda t: t.replace("      numbers: {", "      numbrs: {"),
            "unknown knowledge_point 'numbrs'",
        ),
        (lambda t: t.replace("rate: 0.6", "rate: 1.5"), "rate"),
        (lambda t: t.replace("decay: 0.7", "decay: 1.0"), "decay"),
        (lambda t: t.replace("bias: -0.2", "bais: -0.2"), "bais"),
    ],
    ids=["unfitted", "unknown-point", "rate", "decay", "unknown-weight"],
)
def test_bad_logistic_sections_are_reported(change, expected):
    with pytest.raises(ProgramError) as info:
        load_program(change(FITTED), "p.yaml")
    assert any(expected in str(i) for i in info.value.issues), info.value.issues
    assert all(i.file == "p.yaml" and i.line > 0 for i in info.value.issues)
