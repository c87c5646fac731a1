"""Speaking in guidance: practice-metric gates in plans, practice tips, speaking ETAs.

The numbers are worked by hand from constructed trends: four sessions with
speech rates 60, 70, 80, 90 have a slope of 10 a session and a gate value (the
mean of the latest five) of 75, so ``speech_rate >= 100`` is 25 away: three
sessions at the trend.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.guidance.speaking import (
    DEFAULT_SESSIONS,
    MAX_SESSIONS,
    MetricGoal,
    MetricTrend,
    metric_goal,
    metrics_of,
    planned_sessions,
    sessions_needed,
)
from levelwise.app.programs.loader import load_program
from levelwise.cli import guide as guidecli
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, event, watched

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TALK = """\
program: talk
dimensions:
  - id: speaking
    title: Speaking fluency
  - id: vocabulary
knowledge_points:
  - id: chat
    dimensions: {speaking: 1, vocabulary: 1}
  - id: words
    dimensions: [vocabulary]
  - id: story
    dimensions: [speaking]
units:
  - {id: l1, kind: lesson, minutes: 10, knowledge_points: [words]}
  - id: p1
    kind: practice
    title: "AI partner: café"
    minutes: 10
    knowledge_points: [chat]
  - {id: p2, kind: practice, minutes: 10, knowledge_points: [words]}
  - {id: p3, kind: practice, minutes: 10, knowledge_points: [story]}
levels:
  - id: start
  - id: fluent
    gates:
GATES
xp_rules:
  - id: talk
    on: practice.completed
    xp: 5
  - id: watch
    on: lesson.watched
    xp: seconds / 60
practice:
  scenarios:
    - unit: p1
      title: Ordering food
      setting: A small café.
      partner: waiter
      target_words: [menu]
      lines:
        - {id: hi, say: "Hello! What would you like?", end: true}
    - unit: p3
      title: Tell me a story
      setting: Two friends talk.
      partner: friend
      target_words: [yesterday]
      lines:
        - {id: hi, say: "What did you do yesterday?", end: true}
  measurements:
    - id: fluency
      dimension: speaking
      metrics:
        speech_rate: {zero: 30, full: {start: 90, fluent: 120}}
        mean_length_of_run: {zero: 1, full: 6}
"""


def talk(*gates: str) -> str:
    return TALK.replace("GATES\n", "".join(f"      - {g}\n" for g in gates))


def practised(days_ago: float, unit: str = "p1", **metrics: float) -> dict:
    return event(
        "practice.completed",
        at=NOW - timedelta(days=days_ago),
        seconds=600,
        unit=unit,
        metrics=metrics,
    )


def school(program: str, *events: dict) -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), FixedClock(NOW.isoformat()))
    engine.put_program("s", program)
    if events:
        report = engine.ingest("s", list(events))
        assert report.count("accepted") == len(events)
    return engine


def rising(**extra: float) -> list[dict]:
    """Enrolled five weeks ago; sessions a week apart at 60, 70, 80, 90 wpm."""
    return [
        event("enrolment.started", at=NOW - timedelta(weeks=5)),
        *(
            practised(28 - 7 * i, speech_rate=rate, **extra)
            for i, rate in enumerate([60, 70, 80, 90])
        ),
    ]


def trend(values: tuple[float, ...], slope: float, plateau: bool = False):
    return MetricTrend(
        "speech_rate",
        "speech rate",
        "wpm",
        values,
        ("",) * len(values),
        slope,
        1,
        plateau,
    )


# -- goals and sessions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "goal"),
    [
        ("speech_rate >= 80", MetricGoal("speech_rate", ">=", 80.0)),
        ("mtld>40.5", MetricGoal("mtld", ">", 40.5)),
        ("mid_clause_pause_rate <= 6", MetricGoal("mid_clause_pause_rate", "<=", 6.0)),
        ("mean_pause_duration < .5", MetricGoal("mean_pause_duration", "<", 0.5)),
        # Not a practice metric, not a comparison with a number, or not alone.
        ("xp >= 80", None),
        ("speech_rate >= xp", None),
        ("speech_rate + mtld >= 150", None),
        ("speech_rate >= 80 or mtld >= 40", None),
    ],
    ids=lambda x: str(x),
)
def test_a_gate_part_on_one_metric_is_a_goal(source, goal):
    assert metric_goal(source) == goal


@pytest.mark.parametrize(
    ("goal", "current", "values", "slope", "needed"),
    [
        # 25 to go at 10 a session: ceil(2.5) = 3.
        (">= 100", 75.0, (60, 70, 80, 90), 10.0, 3),
        # Landing exactly on the target: 2 sessions for >=, 3 for >.
        (">= 100", 80.0, (70, 80, 90), 10.0, 2),
        ("> 100", 80.0, (70, 80, 90), 10.0, 3),
        # Lower is the goal: 10.5 falls to 6 at 1 a session: ceil(4.5) = 5.
        ("<= 6", 10.5, (12, 11, 10, 9), -1.0, 5),
        # Already met.
        (">= 70", 75.0, (60, 70, 80, 90), 10.0, 0),
        # Flat, the wrong way, one session, never reported: no ETA.
        (">= 100", 80.0, (80, 80, 80, 80), 0.0, None),
        ("<= 6", 10.5, (9, 10, 11, 12), 1.0, None),
        (">= 100", 80.0, (80,), 0.0, None),
        (">= 100", None, (), 0.0, None),
    ],
)
def test_sessions_needed_follow_the_trend(goal, current, values, slope, needed):
    op, target = goal.split()
    metric = "mid_clause_pause_rate" if op.startswith("<") else "speech_rate"
    found = MetricGoal(metric, op, float(target))
    got = trend(tuple(map(float, values)), slope) if values else None

    assert sessions_needed(found, current, got) == needed


def test_a_plan_counts_the_trend_then_falls_back_to_documented_defaults():
    goal = MetricGoal("speech_rate", ">=", 100.0)

    assert planned_sessions(goal, 75.0, trend((60, 70, 80, 90), 10.0)) == 3
    # Improving too slowly to plan on: at most MAX_SESSIONS.
    assert planned_sessions(goal, 75.0, trend((74, 75, 76), 0.1)) == MAX_SESSIONS
    # No trend (never reported, or one session): DEFAULT_SESSIONS.
    assert planned_sessions(goal, None, None) == DEFAULT_SESSIONS
    assert planned_sessions(goal, 75.0, trend((75,), 0.0)) == DEFAULT_SESSIONS
    # A trend that does not improve plans the most.
    assert planned_sessions(goal, 75.0, trend((80, 75, 70), -5.0)) == MAX_SESSIONS
    # Another shape of gate part.
    assert planned_sessions(None, None, None) == DEFAULT_SESSIONS
    assert DEFAULT_SESSIONS < MAX_SESSIONS


def test_the_english_fluency_gate_depends_on_its_measurements_metrics():
    program = load_program(
        (files("levelwise.examples") / "programs" / "english.yaml").read_text(),
        "english.yaml",
    )

    assert metrics_of(program, {"dimension.speaking_fluency"}) == (
        "speech_rate",
        "mean_length_of_run",
        "mid_clause_pause_rate",
    )
    assert metrics_of(program, {"speech_rate", "dimension.grammar"}) == ("speech_rate",)
    assert metrics_of(program, {"xp"}) == ()


# -- plans ----------------------------------------------------------------------


def test_a_metric_gate_is_met_by_the_sessions_the_trend_needs():
    engine = school(talk("speech_rate >= 100"), *rising())

    plan = engine.guidance.plan("s", "ana")

    # Three 10-minute sessions of the first practice unit with a scenario
    # (p2 has none); the requirement is met after the third.
    assert [s.unit for s in plan.steps] == ["p1", "p1", "p1"]
    assert plan.complete and plan.minutes == 30.0
    assert dict(plan.met_at) == {"speech_rate >= 100": 30.0}
    (now,) = plan.now
    assert (now.current, now.target, now.met) == (75.0, 100.0, False)
    assert now.progress == pytest.approx(0.75)
    # Each session closes a third of what is left of the gap.
    moves = [s.serves[0] for s in plan.steps]
    assert moves[0] == ("speech_rate >= 100", 0.75, pytest.approx(0.75 + 0.25 / 3))
    assert moves[-1][2] == 1.0
    (expected,) = plan.expected
    assert expected.met and expected.current == 100.0


def test_without_practice_history_a_plan_counts_the_default_sessions():
    engine = school(talk("speech_rate >= 100"), watched(600, unit="l1"))

    plan = engine.guidance.plan("s", "ana")

    assert len(plan.steps) == DEFAULT_SESSIONS and plan.complete
    # Sessions of the practice units with a scenario, never of p2.
    assert {s.unit for s in plan.steps} <= {"p1", "p3"}
    assert plan.now[0].current == 0.0 and plan.now[0].progress == 0.0


def test_a_lower_is_better_gate_counts_its_sessions_too():
    sessions = [
        practised(28 - 7 * i, mid_clause_pause_rate=rate)
        for i, rate in enumerate([12, 11, 10, 9])
    ]
    engine = school(talk("mid_clause_pause_rate <= 6"), *sessions)

    plan = engine.guidance.plan("s", "ana")

    # Mean 10.5, falling 1 a session: ceil(4.5) = 5 sessions.
    assert len(plan.steps) == 5 and plan.complete
    assert plan.expected[0].current == 6.0


def test_a_metric_gate_without_practice_units_leaves_the_plan_incomplete():
    program = SMALL_PROGRAM.replace(
        "      - xp >= 100\n", "      - xp >= 100\n      - speech_rate >= 80\n"
    )
    engine = school(program, watched(600))

    plan = engine.guidance.plan("s", "ana")
    nxt = engine.guidance.next_activity("s", "ana")
    forecast = engine.guidance.forecast("s", "ana")

    assert not plan.complete
    assert dict(plan.met_at)["speech_rate >= 80"] == math.inf
    assert plan.binding == "speech_rate >= 80"
    assert nxt.status == "study" and nxt.practice is None
    assert forecast.median_weeks is None
    (eta,) = forecast.speaking
    assert eta.current is None and eta.sessions is None and eta.weeks is None


def test_a_metric_gate_adds_its_sessions_to_the_rest_of_the_plan():
    with_gate = school(talk("xp >= 40", "speech_rate >= 100"), *rising())
    without = school(talk("xp >= 40"), *rising())

    plan = with_gate.guidance.plan("s", "ana")
    before = without.guidance.plan("s", "ana")

    # XP (20 of 40) is closed fastest by the lesson (10 XP in 10 minutes), but a
    # recorded lesson is watched once: practice, which may repeat, fills the rest.
    assert [s.unit for s in before.steps] == ["l1", "p1", "p1"]
    # The practice sessions for XP count toward the metric gate's sessions too.
    assert [s.unit for s in plan.steps] == ["l1", "p1", "p1", "p1"]
    assert plan.complete and plan.binding == "speech_rate >= 100"
    assert dict(plan.met_at) == {"xp >= 40": 30.0, "speech_rate >= 100": 40.0}


# -- the next activity -----------------------------------------------------------


def test_next_recommends_the_scenario_aimed_at_a_metric_gate():
    engine = school(talk("speech_rate >= 100"), *rising())

    nxt = engine.guidance.next_activity("s", "ana")

    tip = nxt.practice
    assert tip is not None
    assert nxt.step is not None and nxt.step.unit == tip.unit == "p1"
    assert (tip.scenario, tip.partner, tip.title) == (
        "Ordering food",
        "waiter",
        "AI partner: café",
    )
    assert tip.requirement == nxt.requirement == "speech_rate >= 100"
    assert (tip.current, tip.target, tip.sessions) == (75.0, 100.0, 3)
    (note,) = tip.metrics
    assert (note.metric, note.value, note.status, note.sessions) == (
        "speech_rate",
        90.0,
        "improving",
        4,
    )
    assert nxt.reason == tip.reason
    assert tip.reason.startswith("practise 'Ordering food' (AI partner: waiter)")
    assert "speech rate 75 wpm on average, needs 100" in tip.reason
    assert "about 3 more sessions" in tip.reason


def test_next_names_the_plateaued_metric_of_a_dimension_gate_first():
    sessions = [
        practised(28 - 7 * i, speech_rate=rate, mean_length_of_run=3.0)
        for i, rate in enumerate([60, 70, 80, 90])
    ]
    engine = school(talk("dimension.speaking >= 0.9"), *sessions)

    nxt = engine.guidance.next_activity("s", "ana")
    view = engine.learner("s", "ana")

    tip = nxt.practice
    assert tip is not None and tip.requirement == "dimension.speaking >= 0.9"
    # p1 and p3 train speaking: the tip is the one the plan studies first.
    assert nxt.step is not None and tip.unit == nxt.step.unit
    assert (tip.unit, tip.scenario) in {
        ("p1", "Ordering food"),
        ("p3", "Tell me a story"),
    }
    assert tip.current == pytest.approx(view.dimensions["speaking"][0], abs=1e-6)
    assert tip.sessions is None
    assert [(n.metric, n.status) for n in tip.metrics] == [
        ("mean_length_of_run", "plateau"),
        ("speech_rate", "improving"),
    ]
    assert "Speaking fluency" in tip.reason
    assert "your MLR (3.0 last session) is flat over 4 sessions" in tip.reason


def test_the_tip_may_come_beside_another_step():
    engine = school(talk("xp >= 40", "speech_rate >= 100"), *rising())

    nxt = engine.guidance.next_activity("s", "ana")

    assert nxt.step is not None and nxt.step.unit == "l1"
    assert nxt.practice is not None and nxt.practice.unit == "p1"
    assert nxt.reason == nxt.step.reason != nxt.practice.reason


def test_no_tip_when_no_speaking_requirement_is_left():
    engine = school(talk("speech_rate >= 50", "xp >= 40"), *rising())

    nxt = engine.guidance.next_activity("s", "ana")

    assert nxt.requirement == "xp >= 40"
    assert nxt.practice is None


# -- the forecast ---------------------------------------------------------------


def test_the_forecast_says_when_a_speaking_gate_is_met_at_the_trend():
    engine = school(talk("speech_rate >= 100"), *rising())

    forecast = engine.guidance.forecast("s", "ana")

    (eta,) = forecast.speaking
    assert (eta.requirement, eta.metric, eta.current, eta.target) == (
        "speech_rate >= 100",
        "speech_rate",
        75.0,
        100.0,
    )
    # 3 sessions; 4 sessions in the 5 weeks since enrolment = 0.8 a week.
    assert (eta.slope, eta.sessions, eta.per_week) == (10.0, 3, 0.8)
    assert eta.weeks == 3.75
    assert not eta.plateau
    assert forecast.plateaus == () and forecast.bottlenecks == ()


def test_a_plateau_that_feeds_an_unmet_gate_is_a_predicted_bottleneck():
    flat = [
        event("enrolment.started", at=NOW - timedelta(weeks=5)),
        *(
            practised(28 - 7 * i, speech_rate=80, mean_length_of_run=2.0 + i)
            for i in range(4)
        ),
    ]
    engine = school(talk("speech_rate >= 100"), *flat)

    forecast = engine.guidance.forecast("s", "ana")

    (eta,) = forecast.speaking
    assert eta.sessions is None and eta.weeks is None and eta.plateau
    assert forecast.plateaus == ("speech_rate",)
    (found,) = forecast.bottlenecks
    assert (found.metric, found.requirements) == (
        "speech_rate",
        ("speech_rate >= 100",),
    )


def test_a_plateau_counts_through_a_measurement_of_a_gated_dimension():
    sessions = [
        event("enrolment.started", at=NOW - timedelta(weeks=5)),
        *(
            practised(28 - 7 * i, speech_rate=60 + 10 * i, mean_length_of_run=3.0)
            for i in range(4)
        ),
    ]
    gated = school(talk("dimension.speaking >= 0.9"), *sessions)
    ungated = school(talk("dimension.vocabulary >= 0.9"), *sessions)

    found = gated.guidance.forecast("s", "ana")
    other = ungated.guidance.forecast("s", "ana")

    assert found.plateaus == other.plateaus == ("mean_length_of_run",)
    assert [(b.metric, b.requirements) for b in found.bottlenecks] == [
        ("mean_length_of_run", ("dimension.speaking >= 0.9",))
    ]
    assert other.bottlenecks == ()
    assert found.speaking == ()


def test_a_plateau_behind_met_requirements_is_no_bottleneck():
    flat = [practised(28 - 7 * i, speech_rate=80) for i in range(4)]
    engine = school(talk("speech_rate >= 50", "xp >= 100"), *flat)

    forecast = engine.guidance.forecast("s", "ana")

    assert forecast.plateaus == ("speech_rate",)
    assert forecast.bottlenecks == () and forecast.speaking == ()


def test_the_english_program_flags_a_flat_speech_rate_as_a_bottleneck():
    english = (files("levelwise.examples") / "programs" / "english.yaml").read_text()
    sessions = [
        practised(
            20 - 3 * i,
            unit="st_practice_meet_partner",
            speech_rate=50 + i % 2,
            mean_length_of_run=2.0 + 0.5 * i,
        )
        for i in range(5)
    ]
    engine = school(english, *sessions)

    forecast = engine.guidance.forecast("s", "ana")

    assert forecast.plateaus == ("speech_rate",)
    (found,) = forecast.bottlenecks
    assert found.metric == "speech_rate"
    assert found.requirements == ("dimension.speaking_fluency >= 0.3",)


# -- the CLI --------------------------------------------------------------------


def test_the_cli_shows_the_tip_and_the_speaking_outlook(capsys):
    engine = school(talk("xp >= 40", "speech_rate >= 100"), *rising())

    guidecli.learner_next(lambda _: engine, "ana", "s", None)
    guidecli.learner_forecast(lambda _: engine, "ana", None, 8, "s", None)

    shown = capsys.readouterr().out
    assert "speaking: also practise 'Ordering food'" in shown
    assert "speech_rate >= 100 (75 now): +10/session: 3 sessions, 3.75 wk" in shown
    assert "at 0.8 sessions/week" in shown
