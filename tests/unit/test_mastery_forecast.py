"""Forecast points, the cross-validated mastery forecasts and their command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from levelwise.cli.main import app
from levelwise.learners.base import Responses
from levelwise.learners.datasets import load
from levelwise.learners.mastery_forecast import (
    METHODS,
    evaluate_forecasts,
    first_rows,
    forecast_points,
)

runner = CliRunner()


def test_forecast_points_of_hand_made_sequences():
    # Learner 0, skill 0: 0 1 1 0 1 1 1 0 -> three in a row at attempt 7.
    # Learner 0, skill 1 (interleaved): 1 1 0 -> never (censored).
    seq0 = [0, 1, 1, 0, 1, 1, 1, 0]
    seq1 = [1, 1, 0]
    skill = [0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]
    correct = [seq0[0], seq1[0], seq0[1], seq1[1], seq0[2], seq1[2], *seq0[3:]]
    data = Responses.from_arrays(np.zeros(11, int), skill, correct)
    p = forecast_points(data, max_history=5)
    s0 = p.skill == 0
    assert p.h[s0].tolist() == [0, 1, 2, 3, 4, 5]
    assert p.streak[s0].tolist() == [0, 0, 1, 2, 0, 1]
    assert p.remaining[s0].tolist() == [7, 6, 5, 4, 3, 2]
    assert not p.censored[s0].any()
    assert p.row[s0][:3].tolist() == [0, 2, 4]
    s1 = p.skill == 1
    assert p.h[s1].tolist() == [0, 1, 2] and p.censored[s1].all()
    assert p.streak[s1].tolist() == [0, 1, 2]
    assert p.observed[s1].tolist() == [3, 2, 1]


def test_no_forecast_after_the_run_is_reached():
    data = Responses.from_arrays(np.zeros(5, int), np.zeros(5, int), [1, 1, 1, 0, 1])
    p = forecast_points(data, max_history=5)
    assert p.h.tolist() == [0, 1, 2]
    assert p.remaining.tolist() == [3, 2, 1]


def test_first_rows_drops_repeats_of_an_attempt_and_skill():
    data = Responses.from_arrays(
        [0, 0, 0, 0], [1, 1, 2, 1], [1, 1, 1, 0], attempt=[0, 0, 0, 1]
    )
    kept = first_rows(data)
    assert kept.skill.tolist() == [1, 2, 1]
    assert kept.attempt.tolist() == [0, 0, 1]


def simulate_rows(seed, n_learners, n_folds=3, extra=2):
    """BKT learners on 3 skills, each sequence running until 3 in a row + extra.

    Learners differ in speed (learn x 0.5 or x 2); some stop early (censored).
    """
    rng = np.random.default_rng(seed)
    skills = [(0.3, 0.15, 0.2, 0.1), (0.2, 0.25, 0.25, 0.1), (0.4, 0.1, 0.15, 0.15)]
    rows = []
    for learner in range(n_learners):
        speed = rng.choice([0.5, 2.0])
        pos = 0
        for skill, (prior, learn, guess, slip) in enumerate(skills):
            known, run, left = rng.random() < prior, 0, None
            stop = 40 if rng.random() < 0.8 else int(rng.integers(1, 6))
            for _ in range(stop):
                right = rng.random() < (1 - slip if known else guess)
                rows.append(
                    (learner, learner % n_folds + 1, pos, skill + 1, int(right))
                )
                pos += 1
                run = run + 1 if right else 0
                if run >= 3 and left is None:
                    left = extra
                if left is not None:
                    if left == 0:
                        break
                    left -= 1
                known = known or rng.random() < min(1.0, learn * speed)
    return rows


@pytest.fixture(scope="module")
def akt_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("forecast") / "tiny.csv"
    lines = ["seq_id,test_fold,pos,skill_id,correct"]
    lines += [",".join(map(str, row)) for row in simulate_rows(1, 300)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def evaluation(akt_file):
    return evaluate_forecasts(load(akt_file))


def test_every_method_scores_the_same_points(evaluation):
    assert [m.method for m in evaluation.methods] == list(METHODS)
    first = evaluation.methods[0]
    assert first.overall.n == sum(s.n for s in first.by_h)
    assert first.overall.censored == sum(s.censored for s in first.by_h) > 0
    for method in evaluation.methods:
        assert [s.n for s in method.by_h] == [s.n for s in first.by_h]
        for s in method.by_h:
            assert s.coverage_low <= s.coverage <= 1.0
            assert s.coverage_low <= s.coverage_high
    assert len(evaluation.folds) == 3 and not evaluation.forgetting
    assert len(evaluation.calibration["mixture+cal"]) == 3


def test_recalibrated_coverage_is_near_80_percent(evaluation):
    # Levels fitted on training folds, scored on held-out ones. With n points
    # a binomial SE is sqrt(0.16 / n); 4 SE plus 0.05 for integer intervals.
    for name in ("bkt+cal", "mixture+cal"):
        score = next(m for m in evaluation.methods if m.method == name).overall
        assert score.n > 1000
        assert abs(score.coverage - 0.8) <= 4 * math.sqrt(0.16 / score.n) + 0.05
    speeds = np.array(evaluation.speed_prior)
    assert np.allclose(speeds.sum(axis=1), 1.0)


def test_mixture_is_not_worse_on_data_with_two_speeds(evaluation):
    # The simulated learners really differ in speed (x 0.5 or x 2): the speed
    # mixture must not forecast worse than plain BKT after recalibration (it
    # is not much better either: each speed's own spread dominates).
    by = {m.method: m.overall for m in evaluation.methods}
    assert by["mixture+cal"].mape_total <= by["bkt+cal"].mape_total + 0.02


def test_cli_prints_a_table_per_method(akt_file):
    result = runner.invoke(app, ["eval", "forecast", "--data", str(akt_file)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "attempts to 3 right in a row" in out and "forgetting off" in out
    for method in METHODS:
        assert f"{method}:" in out
    assert out.count("│ all") == len(METHODS)


def test_cli_json_with_one_fold(akt_file):
    args = ["eval", "forecast", "--data", str(akt_file), "--folds", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["folds"] == ["1"]
    assert [m["method"] for m in document["methods"]] == list(METHODS)
    assert len(document["methods"][0]["by_h"]) == 6


def test_cli_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("seq_id,test_fold,pos,skill_id,correct\n0,1,0,3,7\n")
    result = runner.invoke(app, ["eval", "forecast", "--data", str(bad)])
    assert result.exit_code == 1
    assert "correct must be 0 or 1" in result.output
    missing = runner.invoke(app, ["eval", "forecast", "--data", str(tmp_path / "no")])
    assert missing.exit_code == 1 and "no such file" in missing.output
