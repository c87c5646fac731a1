"""Practice metrics in the fold: rule fields, recent values, gates and evidence."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest

from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain import codec
from levelwise.domain.events import PracticeCompleted
from levelwise.domain.expr import compile_expr
from levelwise.domain.fold import default_model, fold_all, initial_state, prior_for
from levelwise.domain.gates import (
    fields_read,
    gate_env,
    gate_schema,
    gate_values,
    practice_metric,
)
from levelwise.domain.outcomes import (
    AbilityMeasured,
    BadgeEarned,
    LevelReached,
    XpAwarded,
)
from levelwise.domain.practice import metric_text
from levelwise.domain.program import MetricNorm
from levelwise.domain.state import RECENT_SESSIONS
from tests.support.factories import event, homework

PROGRAM = """\
program: talk
dimensions:
  - id: speaking
    title: Speaking fluency
  - id: vocabulary
    title: Vocabulary
knowledge_points:
  - id: chat
    dimensions: {speaking: 1, vocabulary: 1}
  - id: words
    dimensions: [vocabulary]
  - id: talk
    dimensions: [speaking]
units:
  - {id: p1, kind: practice, minutes: 10, knowledge_points: [chat, words]}
  - {id: p2, kind: practice, minutes: 10, knowledge_points: [words]}
  - {id: p3, kind: practice, minutes: 10, knowledge_points: [talk]}
  - {id: h3, kind: homework, minutes: 10, knowledge_points: [talk]}
levels:
  - id: start
  - id: fluent
    gates:
      - speech_rate >= 100
xp_rules:
  - id: fast
    on: practice.completed
    when: not (speech_rate < 100)
    xp: 10
  - id: runs
    on: practice.completed
    xp: mean_length_of_run * 2
badges:
  - id: long_runs
    on: practice.completed
    where: mean_length_of_run >= 5
    count: 2
practice:
  measurements:
    - id: fluency
      dimension: speaking
      metrics:
        speech_rate: {zero: 30, full: {start: 90, fluent: 120}}
        mid_clause_pause_rate: {zero: 20, full: 10}
    - id: lexis
      dimension: vocabulary
      metrics:
        mtld: {zero: 10, full: 50}
"""


@pytest.fixture(scope="module")
def program():
    return load_program(PROGRAM, "talk.yaml")


def practice(minutes: float = 0, unit: str | None = "p1", **metrics: float):
    """A practice.completed event with ``metrics``, ``minutes`` after T0."""
    extra = {"unit": unit} if unit is not None else {}
    return event(
        "practice.completed", minutes=minutes, seconds=600, metrics=metrics, **extra
    )


def run(program, raws):
    events = [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]
    return fold_all(sorted(events, key=lambda e: e.sort_key), program)


def measured(outcomes) -> list[AbilityMeasured]:
    return [o for o in outcomes if isinstance(o, AbilityMeasured)]


# -- metrics as rule fields ------------------------------------------------------


@pytest.mark.parametrize(
    ("metrics", "awards"),
    [
        # fast: speech rate not below 100; runs: 2 x MLR
        ({"speech_rate": 110, "mean_length_of_run": 4}, {"fast": 10, "runs": 8}),
        # below 100: `not (speech_rate < 100)` is false
        ({"speech_rate": 90, "mean_length_of_run": 4}, {"runs": 8}),
        # no speech rate: unknown, so `not (...)` does not hold either (not 0)
        ({"mean_length_of_run": 4}, {"runs": 8}),
        # no MLR: the formula is unknown, so no XP (not 2 x 0 with a receipt)
        ({"speech_rate": 110}, {"fast": 10}),
    ],
    ids=["fast", "slow", "no-speech-rate", "no-mlr"],
)
def test_xp_rules_read_metrics_by_name_and_a_missing_one_is_unknown(
    program, metrics, awards
):
    _, outcomes = run(program, [practice(unit=None, **metrics)])

    got = {o.receipt.rule: o.xp for o in outcomes if isinstance(o, XpAwarded)}
    assert got == awards


def test_a_counting_badge_counts_only_events_whose_metric_matches(program):
    raws = [
        practice(0, unit=None, mean_length_of_run=6),
        practice(1, unit=None, speech_rate=80),  # no MLR: does not count
        practice(2, unit=None, mean_length_of_run=4),  # too short
        practice(3, unit=None, mean_length_of_run=5),
    ]

    _, outcomes = run(program, raws)

    (badge,) = [o for o in outcomes if isinstance(o, BadgeEarned)]
    assert (badge.badge, badge.event_id) == ("long_runs", raws[3]["id"])


# -- recent values and gates -------------------------------------------------------


def test_the_state_keeps_each_metrics_last_sessions_that_reported_it(program):
    raws = [practice(m, unit=None, speech_rate=50 + m) for m in range(7)]
    raws += [practice(10, unit=None, mtld=20), practice(11, unit=None, tokens=40)]

    state, _ = run(program, raws)

    assert state is not None
    assert RECENT_SESSIONS == 5
    assert state.practice_metrics == {
        "speech_rate": (52.0, 53.0, 54.0, 55.0, 56.0),  # the last five, oldest first
        "mtld": (20.0,),
        "tokens": (40.0,),
    }
    assert state.practice_seconds == 9 * 600


def test_a_gate_on_a_metric_reads_the_mean_of_its_recent_values(program):
    raws = [
        practice(0, unit=None, speech_rate=90),
        practice(1, unit=None, speech_rate=110),
    ]

    state, outcomes = run(program, raws)

    # 90 alone is below 100; with 110 the mean is 100: the level opens then,
    # though nothing but the recent metrics changed.
    (reached,) = [o for o in outcomes if isinstance(o, LevelReached)]
    assert reached.event_id == raws[1]["id"]
    assert [(g.gate, g.current, g.met) for g in reached.gates] == [
        ("speech_rate >= 100", 100.0, True)
    ]
    assert state is not None and practice_metric(state, "speech_rate") == 100.0
    assert fields_read(frozenset({"speech_rate"})) == {"practice_metrics"}


@pytest.mark.parametrize(
    "source",
    ["speech_rate >= 0", "speech_rate < 1000", "not (speech_rate < 1000)"],
)
def test_a_gate_on_a_metric_never_reported_does_not_hold(program, source):
    state = initial_state("ana", program)
    gate = compile_expr(source, gate_schema(program), expect="bool")
    prior = prior_for(state, default_model(program))
    env = gate_env(state, gate.names, prior, program)

    assert practice_metric(state, "speech_rate") is None
    assert gate.evaluate(env) is False


def test_an_unknown_metric_gate_shows_no_progress(program):
    state = initial_state("ana", program)
    gates = program.levels[1].gates
    env = gate_env(state, program.level_variables[1], lambda _: 0.2, program)

    (value,) = gate_values(gates, env)

    assert (value.current, value.target, value.progress, value.met) == (
        0.0,
        100.0,
        0.0,
        False,
    )


# -- measurements as evidence ------------------------------------------------------


def test_a_measurement_moves_mastery_exactly_as_a_scored_answer(program):
    # speech rate 75 scores (75 - 30) / (90 - 30) = 0.75, 15 pauses a minute
    # (20 -> 0, 10 -> 1) score 0.5: the measurement scores 0.625, as homework
    # of 6.25 / 10 on the same point would.
    spoke, outcomes = run(
        program, [practice(unit="p3", speech_rate=75, mid_clause_pause_rate=15)]
    )
    wrote, _ = run(program, [homework(6.25, unit="h3")])

    assert spoke is not None and wrote is not None
    assert spoke.mastery == wrote.mastery
    assert spoke.abilities == wrote.abilities
    (m,) = measured(outcomes)
    assert (m.measurement, m.dimension, m.score) == ("fluency", "speaking", 0.625)
    assert m.after == round(spoke.abilities["speaking"][0], 6) > m.before


@pytest.mark.parametrize(
    ("metrics", "score", "used"),
    [
        # above full: clamped to 1
        ({"speech_rate": 200}, 1.0, [("speech_rate", 200.0, 90.0)]),
        # below zero: clamped to 0
        ({"speech_rate": 10}, 0.0, [("speech_rate", 10.0, 90.0)]),
        # fewer pauses is better: 12 between zero 20 and full 10 scores 0.8
        ({"mid_clause_pause_rate": 12}, 0.8, [("mid_clause_pause_rate", 12.0, 10.0)]),
        # the mean of the metrics reported, in the measurement's order
        (
            {"mid_clause_pause_rate": 20, "speech_rate": 60},
            0.25,
            [("speech_rate", 60.0, 90.0), ("mid_clause_pause_rate", 20.0, 10.0)],
        ),
        # metrics no fluency norm names are not used
        ({"speech_rate": 60, "tokens": 300}, 0.5, [("speech_rate", 60.0, 90.0)]),
    ],
    ids=["clamp-high", "clamp-low", "lower-is-better", "mean", "others-ignored"],
)
def test_a_measurements_score_is_the_mean_of_its_reported_metrics(
    program, metrics, score, used
):
    _, outcomes = run(program, [practice(unit="p3", **metrics)])

    (m,) = measured(outcomes)
    assert m.score == pytest.approx(score)
    assert list(m.metrics) == used


def test_full_is_read_at_the_learners_current_level(program):
    raws = [
        practice(0, unit="p3", speech_rate=110),  # opens 'fluent' (mean 110)
        practice(1, unit="p3", speech_rate=110),  # mean 110
        practice(2, unit="p3", speech_rate=75),  # mean (110, 110, 75) > 98
    ]

    state, outcomes = run(program, raws)

    assert state is not None and state.level == 1
    fulls = [m.metrics[0][2] for m in measured(outcomes)]
    assert fulls == [90.0, 120.0, 120.0]  # the first one at 'start'
    # at 'fluent' 75 scores (75 - 30) / (120 - 30)
    assert measured(outcomes)[2].score == 0.5


@pytest.mark.parametrize(
    ("raw", "kinds"),
    [
        # no metric of either measurement
        (practice(unit="p1", tokens=300), set()),
        # p2's points feed no speaking: fluency does nothing, lexis applies
        (practice(unit="p2", speech_rate=90, mtld=30), {"lexis"}),
        # without a unit there are no points to give evidence to
        (practice(unit=None, speech_rate=90, mtld=30), set()),
        # no metrics at all
        (practice(unit="p1"), set()),
    ],
    ids=["no-measured-metric", "no-point-on-dimension", "no-unit", "no-metrics"],
)
def test_a_measurement_without_metrics_or_points_does_nothing(program, raw, kinds):
    state, outcomes = run(program, [raw])
    fresh = initial_state("ana", program)

    assert state is not None
    assert {m.measurement for m in measured(outcomes)} == kinds
    if not kinds:
        assert (state.mastery, state.abilities) == (fresh.mastery, fresh.abilities)
    else:
        assert set(state.mastery) == {"words"}


def test_measurements_of_one_session_build_on_each_other(program):
    # Unit p1's 'chat' feeds both dimensions: fluency moves vocabulary too, and
    # lexis starts from there, not from the state before the event.
    alone, _ = run(program, [practice(unit="p1", speech_rate=90)])
    _, outcomes = run(program, [practice(unit="p1", speech_rate=90, mtld=50)])

    assert alone is not None
    fluency, lexis = measured(outcomes)
    assert (fluency.measurement, lexis.measurement) == ("fluency", "lexis")
    assert lexis.before == round(alone.abilities["vocabulary"][0], 6)
    assert lexis.before > initial_state("ana", program).abilities["vocabulary"][0]
    assert lexis.after > lexis.before


# -- the receipt -------------------------------------------------------------------


def outcome(before: float, after: float, **metrics: float) -> AbilityMeasured:
    used = tuple((name, value, 1.0) for name, value in metrics.items())
    return AbilityMeasured(
        event_id="e1",
        learner="ana",
        at="2026-01-05T09:00:00.000000Z",
        measurement="fluency",
        dimension="speaking",
        title="Speaking fluency",
        score=0.8,
        before=before,
        after=after,
        metrics=used,
    )


@pytest.mark.parametrize(
    ("made", "text"),
    [
        (
            outcome(0.4, 0.44, speech_rate=112, mean_length_of_run=6.2),
            "+0.04 Speaking fluency: speech rate 112 wpm, MLR 6.2",
        ),
        (outcome(0.5, 0.47, mtld=42.5), "-0.03 Speaking fluency: MTLD 42.5"),
        # a change that rounds to nothing is +0.00, never -0.00
        (
            outcome(0.5, 0.4999, speech_rate=90),
            "+0.00 Speaking fluency: speech rate 90 wpm",
        ),
    ],
    ids=["rise", "fall", "tiny-fall"],
)
def test_the_receipt_says_the_signed_change_and_the_metrics(made, text):
    assert made.text == text


def test_a_measurement_round_trips_and_stores_no_text(program):
    _, outcomes = run(program, [practice(unit="p1", speech_rate=75, mtld=30)])

    for m in measured(outcomes):
        full = codec.outcome_to_dict(m)
        assert full["kind"] == "ability_measured" and full["text"] == m.text
        assert codec.outcome_from_dict(json.loads(dumps(full))) == m
        body = json.loads(dumps(codec.outcome_body(m)))
        assert "text" not in body and not set(codec.ENVELOPE) & set(body)
        envelope = {k: full[k] for k in codec.ENVELOPE}
        assert codec.outcome_view(body, **envelope) == full


def test_recent_metrics_round_trip_and_older_snapshots_still_decode(program):
    state, _ = run(program, [practice(unit=None, speech_rate=75, tokens=3)])
    assert state is not None

    data = json.loads(dumps(codec.state_to_dict(state)))

    assert data["practice_metrics"] == {"speech_rate": [75.0], "tokens": [3.0]}
    assert codec.state_from_dict(data) == state
    # A snapshot written before practice metrics were kept has no such key,
    # and a learner without any has none either.
    del data["practice_metrics"]
    older = codec.state_from_dict(data)
    assert older.practice_metrics == MappingProxyType({})
    assert "practice_metrics" not in codec.state_to_dict(older)


def test_a_norm_scores_linearly_between_zero_and_the_levels_full():
    rising = MetricNorm("speech_rate", 30.0, (60.0, 90.0))
    falling = MetricNorm("mid_clause_pause_rate", 20.0, (10.0, 5.0))

    assert [rising.score(v, 0) for v in (0, 45, 60, 100)] == [0.0, 0.5, 1.0, 1.0]
    assert rising.score(45, 1) == 0.25
    assert [falling.score(v, 1) for v in (25, 12.5, 5, 0)] == [0.0, 0.5, 1.0, 1.0]


def test_rule_fields_hold_the_reported_metrics_and_no_others():
    made = PracticeCompleted(
        id="e1",
        learner="ana",
        occurred_at=to_domain(EVENT_ADAPTER.validate_python(practice())).occurred_at,
        seconds=60.0,
        turns=3,
        metrics=(("mtld", 40.0), ("speech_rate", 100.0)),
        session="s1",
    )

    assert made.fields_for_rules() == {
        "seconds": 60.0,
        "turns": 3,
        "session": "s1",
        "mtld": 40.0,
        "speech_rate": 100.0,
    }


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("speech_rate", 112.4, "speech rate 112 wpm"),
        ("mean_pause_duration", 0.42, "mean pause 0.42 s"),
        ("mid_clause_pause_rate", 8.7, "mid-clause pauses 8.7 per minute"),
        ("mean_length_of_run", 6.2, "MLR 6.2"),
        ("cefr_a1", 0.25, "A1 words 25%"),
        ("zipf_mean", 4.5, "mean word frequency 4.5"),
        ("tokens", 300, "words spoken 300"),
        ("target_words_used", 3, "target words used 3"),
    ],
)
def test_each_kind_of_metric_reads_in_a_receipt(name, value, text):
    assert metric_text(name, value) == text
