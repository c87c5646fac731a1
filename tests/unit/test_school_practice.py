"""The simulated school's practice sessions: typed, seeded metrics that improve."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program_file
from levelwise.app.simulate.school import practice_metrics, simulate
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import AbilityMeasured
from levelwise.domain.practice import PRACTICE_METRICS

ENGLISH = Path(__file__).parents[2] / "src/levelwise/examples/programs/english.yaml"


@pytest.fixture(scope="module")
def english():
    return load_program_file(str(ENGLISH))


@pytest.fixture(scope="module")
def school(english):
    return list(simulate(english, learners=25, weeks=6, seed=5))


def sessions(events):
    return [e for e in events if e["type"] == "practice.completed"]


def test_practice_sessions_report_typed_metrics_the_edge_accepts(english, school):
    found = sessions(school)

    assert len(found) > 20
    for raw in found:
        EVENT_ADAPTER.validate_python(raw)  # raises on any unknown or odd metric
        assert set(raw["metrics"]) <= set(PRACTICE_METRICS)
        scenario = english.practice.scenario_by_unit[raw["unit"]]
        assert raw["scenario"] == raw["unit"]
        assert raw["metrics"]["target_words"] == len(scenario.target_words)
        assert 0 <= raw["metrics"]["target_words_used"] <= len(scenario.target_words)
    assert len({raw["session"] for raw in found}) == len(found)


def test_the_same_seed_gives_the_same_sessions(english, school):
    again = list(simulate(english, learners=25, weeks=6, seed=5))
    other = list(simulate(english, learners=25, weeks=6, seed=6))

    assert again == school
    assert sessions(other) != sessions(school)


@pytest.mark.parametrize(
    ("metric", "better"),
    [
        ("speech_rate", max),
        ("mean_length_of_run", max),
        ("mtld", max),
        ("mid_clause_pause_rate", min),
    ],
)
def test_metrics_improve_with_ability_and_with_practice(metric, better):
    def mean(ability: float, done: int) -> float:
        rng = random.Random(1)
        draws = [
            practice_metrics(ability, done, rng, 600, 20, ("a", "b"))[metric]
            for _ in range(200)
        ]
        return statistics.mean(draws)

    novice, practised, able = mean(-0.5, 1), mean(-0.5, 40), mean(1.5, 1)

    assert better(novice, practised) == practised != novice
    assert better(novice, able) == able != novice


def test_the_school_gives_practice_evidence_for_speaking_and_vocabulary(
    english, school
):
    by_learner = defaultdict(list)
    for raw in school:
        by_learner[raw["learner"]].append(to_domain(EVENT_ADAPTER.validate_python(raw)))

    measured = []
    for events in by_learner.values():
        _, outcomes = fold_all(sorted(events, key=lambda e: e.sort_key), english)
        measured += [o for o in outcomes if isinstance(o, AbilityMeasured)]

    assert {m.dimension for m in measured} == {"speaking_fluency", "vocabulary"}
    scores = [m.score for m in measured]
    assert 0.3 < statistics.mean(scores) < 0.95  # neither all 0 nor all 1
