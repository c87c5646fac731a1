"""Fitting BKT from a school's own answers makes a new program version and replays."""

from __future__ import annotations

import random

import pytest

from levelwise.domain.codec import state_to_dict
from levelwise.errors import FitError
from tests.factories import answered, watched

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
    summary, fit = lw.fit_mastery(school)
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


def test_fit_from_given_answers_skips_unknown_points(lw, school):
    answers = [("a", "numbers", True), ("a", "numbers", False), ("a", "algebra", True)]
    answers += [(f"b{i}", "numbers", i % 3 != 0) for i in range(30)]
    summary, fit = lw.fit_mastery(school, answers)
    assert fit.skipped == 1 and set(fit.params) == {"numbers"}
    assert summary.version == 2


def test_nothing_to_fit_is_an_error_and_changes_nothing(lw, school):
    lw.ingest(school, [watched(600)])
    with pytest.raises(FitError):
        lw.fit_mastery(school)
    assert lw.current_program(school)[0].version == 1
