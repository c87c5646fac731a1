"""A placed learner's first answers build on the placed mastery, not the default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain.fold import default_model, fold, initial_state
from levelwise.domain.mastery import dimension_abilities
from tests.support.factories import SMALL_PROGRAM, T0, answered
from tests.support.placements import SMALL_PLACEMENT
from tests.unit.test_bkt_mastery import FITTED
from tests.unit.test_placement_fold import placed

RUNNING = load_program(SMALL_PROGRAM + SMALL_PLACEMENT)
BKT = load_program(FITTED + SMALL_PLACEMENT)


def run(program, events):
    model = default_model(program)
    state = initial_state("ana", program, model)
    for e in events:
        state, _ = fold(state, e, program, model)
    return state, model


def answers(correct, start=10):
    raws = [
        answered(c, kp="greetings", at=T0 + timedelta(minutes=start + i))
        for i, c in enumerate(correct)
    ]
    return [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]


@pytest.mark.parametrize("program", [RUNNING, BKT], ids=["running", "bkt"])
def test_the_first_answer_builds_on_the_placed_prior(program):
    strong = placed({"vocabulary": (2.0, 0.3), "speaking": (2.0, 0.3)})
    state, model = run(program, [strong])
    prior = dict(state.placement.priors)["greetings"]
    assert prior > model.initial("greetings").value  # placement raised it
    after, _ = run(program, [strong, *answers([True])])
    unplaced, _ = run(program, answers([True]))
    assert after.mastery["greetings"].value > prior  # a right answer adds to it
    assert after.mastery["greetings"].value > unplaced.mastery["greetings"].value
    wrong, _ = run(program, [strong, *answers([False])])
    assert wrong.mastery["greetings"].value < prior  # a wrong one takes from it


@pytest.mark.parametrize("program", [RUNNING, BKT], ids=["running", "bkt"])
def test_abilities_stay_the_weighted_mean_after_placement_and_answers(program):
    strong = placed({"vocabulary": (1.5, 0.3), "speaking": (1.0, 0.4)})
    state, model = run(program, [strong, *answers([True, False, True, True])])
    fresh = dimension_abilities(program, state.mastery, model)
    for dim, (mean, sd) in fresh.items():
        assert state.abilities[dim][0] == pytest.approx(mean, abs=1e-9)
        assert state.abilities[dim][1] == pytest.approx(sd, abs=1e-9)


def test_a_running_seed_sits_exactly_at_the_placed_value():
    model = default_model(RUNNING)
    for value in (0.05, 0.2, 0.6, 0.95):
        assert model.seeded("greetings", value).value == pytest.approx(value)
        assert model.seeded("greetings", value).attempts == 0
