"""Plans, next best activities and forecasts through the service, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.guidance import service as guidance_module
from levelwise.app.guidance.draft import expected_state
from levelwise.app.guidance.plan import Plan
from levelwise.app.guidance.service import study_weeks
from levelwise.app.ports import EventLog, StoredEvent
from levelwise.domain.fold import default_model, prior_for
from levelwise.domain.gates import gates_hold
from levelwise.errors import LearnerNotFoundError, PlanError
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    event,
    homework,
    watched,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock at ``NOW``."""

    def now_iso(self) -> str:
        return NOW.isoformat()


@pytest.fixture
def lw(event_log: EventLog, school: str) -> Levelwise:
    engine = Levelwise(event_log, Clock())
    engine.put_program(school, SMALL_PROGRAM)
    return engine


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def practice(learner: str, days: float, minutes: float = 60) -> dict[str, object]:
    """A practice session: study time that earns no XP in the small program."""
    return event(
        "practice.completed", learner=learner, at=ago(days), seconds=minutes * 60
    )


def weekly_practice(learner: str, weeks: int, minutes: float) -> list[dict]:
    """``minutes`` of practice in each of the last ``weeks`` weeks (and enrolment)."""
    start = event("enrolment.started", learner=learner, at=ago(7 * weeks - 0.5))
    return [start] + [practice(learner, 7 * w + 3, minutes) for w in range(weeks)]


def ingest(lw: Levelwise, school: str, *events: dict) -> None:
    report = lw.ingest(school, list(events))
    assert all(r.status == "accepted" for r in report.results), report


def state_of(lw: Levelwise, school: str, learner: str):
    return next(s for s in lw.snapshots(school) if s.learner == learner)


def test_the_plans_first_step_is_the_next_activity(lw, school):
    ingest(lw, school, watched(600, at=ago(3)), answered(True, at=ago(2)))

    plan = lw.guidance.plan(school, "ana")
    nxt = lw.guidance.next_activity(school, "ana")

    assert plan.steps, plan
    assert nxt.status == "study"
    assert nxt.step == plan.steps[0]
    assert nxt.requirement == plan.steps[0].serves[0][0]
    assert nxt.minutes == plan.steps[0].minutes
    assert nxt.reason == plan.steps[0].reason
    assert (nxt.level, nxt.target) == ("starter", "a1")


def test_the_plan_raises_prerequisites_before_the_units_that_need_them(
    event_log, school
):
    lw = Levelwise(event_log, Clock())
    needs_u2 = "- units_completed includes [u2]"
    lw.put_program(
        school, SMALL_PROGRAM.replace("- dimension.vocabulary >= 0.5", needs_u2)
    )
    ingest(lw, school, watched(600, at=ago(3)))
    program = lw.program(school)
    model = default_model(program)
    state = state_of(lw, school, "ana")
    ready = program.planning.ready_mastery
    assert state.mastery.get("greetings") is None  # u2 waits on greetings

    plan = lw.guidance.plan(school, "ana", target="a2")

    units = [s.unit for s in plan.steps]
    assert "u2" in units  # a unit with a prerequisite outside it is planned
    first_u2 = plan.steps[units.index("u2") - 1]
    assert any(src.startswith("mastery.greetings >=") for src, _, _ in first_u2.serves)
    for i, step in enumerate(plan.steps):
        before = expected_state(program, state, units[:i], model)
        prior = prior_for(before, model)
        unit = program.unit_by_id[step.unit]
        for kp in unit.knowledge_points:
            for pre in program.kp_by_id[kp].prerequisites:
                if pre in unit.knowledge_points:
                    continue
                m = before.mastery.get(pre)
                value = m.value if m is not None else prior(pre)
                assert value >= ready, (step.unit, pre, value)


def test_a_complete_plan_meets_every_gate_in_expectation(lw, school):
    ingest(lw, school, watched(600, at=ago(3)))
    program = lw.program(school)
    model = default_model(program)
    state = state_of(lw, school, "ana")

    plan = lw.guidance.plan(school, "ana", target="a2")

    assert plan.complete
    assert all(r.met for r in plan.expected)
    assert [r.level for r in plan.expected] == ["a1", "a1", "a2", "a2"]
    after = expected_state(program, state, [s.unit for s in plan.steps], model)
    for level in program.levels[1:]:
        held, _ = gates_hold(level.gates, after, prior_for(after, model), program)
        assert held, level.id
    assert plan.minutes == pytest.approx(sum(s.minutes for s in plan.steps))


def test_forecast_history_counts_only_weeks_since_the_first_event(lw, school):
    ingest(
        lw,
        school,
        *weekly_practice("new", 2, 90),
        *weekly_practice("old", 12, 90),
    )

    new = lw.guidance.forecast(school, "new", weeks=8)
    old = lw.guidance.forecast(school, "old", weeks=8)

    assert new.history_weeks == 2
    assert old.history_weeks == 8
    # Two weeks of 90 minutes shrunk toward the program's 180 (one week's worth).
    assert new.pace == pytest.approx((180 + 90 + 90) / 3, abs=0.01)


def test_more_history_at_the_same_pace_narrows_the_interval(lw, school):
    ingest(
        lw,
        school,
        *weekly_practice("steady", 8, 180),
        *weekly_practice("fresh", 2, 180),
    )

    steady = lw.guidance.forecast(school, "steady")
    fresh = lw.guidance.forecast(school, "fresh")

    assert steady.plan_minutes == fresh.plan_minutes  # practice earns no XP
    assert steady.pace == fresh.pace == 180
    assert steady.low_weeks is not None and steady.high_weeks is not None
    assert fresh.low_weeks is not None and fresh.high_weeks is not None
    width = steady.high_weeks - steady.low_weeks
    assert width < fresh.high_weeks - fresh.low_weeks


def test_a_learner_without_study_in_the_last_two_weeks_is_stalled(lw, school):
    ingest(
        lw,
        school,
        event("enrolment.started", learner="idle", at=ago(40)),
        practice("idle", 30),
        practice("idle", 20),
        watched(600, learner="busy", at=ago(40)),
        watched(600, learner="busy", at=ago(3)),
    )

    idle = lw.guidance.forecast(school, "idle")
    busy = lw.guidance.forecast(school, "busy")

    assert idle.stalled and not busy.stalled
    assert idle.history_weeks == busy.history_weeks == 6


def test_the_current_mix_compares_with_the_state_at_the_window_start(lw, school):
    ingest(
        lw,
        school,
        watched(600, learner="bea", at=ago(70)),  # before the 8-week window
        watched(600, learner="bea", at=ago(20)),
        watched(600, learner="bea", at=ago(10)),
    )

    fc = lw.guidance.forecast(school, "bea")

    # XP moved inside the window (10 of 100 before it), u1 was never completed.
    assert fc.history_weeks == 8
    assert fc.current_binding == "units_completed includes [u1]"
    assert fc.current_weeks is None
    assert fc.binding is not None and fc.median_weeks is not None


def test_unknown_targets_and_learners_are_refused(lw, school):
    ingest(lw, school, watched(600, at=ago(3)))

    with pytest.raises(PlanError, match="unknown level 'c2'"):
        lw.guidance.plan(school, "ana", target="c2")
    with pytest.raises(PlanError, match="unknown level"):
        lw.guidance.forecast(school, "ana", target="c2")
    with pytest.raises(PlanError, match="already reached starter"):
        lw.guidance.plan(school, "ana", target="starter")
    for call in (
        lw.guidance.plan,
        lw.guidance.next_activity,
        lw.guidance.forecast,
    ):
        with pytest.raises(LearnerNotFoundError, match="'zoe' has no events"):
            call(school, "zoe")


def test_a_learner_at_the_top_level_gets_a_clear_answer(lw, school):
    answers = [
        answered(True, kp=kp, at=ago(10 - i / 100))
        for i in range(40)
        for kp in ("greetings", "numbers")
    ]
    ingest(lw, school, completed("u1", at=ago(11)), *answers)
    assert lw.learner(school, "ana").level.id == "a2"

    nxt = lw.guidance.next_activity(school, "ana")

    assert nxt.status == "top_level"
    assert (nxt.step, nxt.target, nxt.requirement, nxt.minutes) == (None, None, None, 0)
    assert "top level (a2)" in nxt.reason
    with pytest.raises(PlanError, match="top level"):
        lw.guidance.plan(school, "ana")


def test_requirements_no_unit_moves_make_the_learner_stuck(event_log, school):
    engine = Levelwise(event_log, Clock())
    engine.put_program(
        school,
        SMALL_PROGRAM.replace(
            "- xp >= 100\n      - units_completed includes [u1]\n",
            "- mastery.idioms >= 0.9\n",
        ).replace("units:\n", "  - {id: idioms, dimensions: [vocabulary]}\nunits:\n"),
    )
    ingest(engine, school, watched(600, at=ago(3)))

    nxt = engine.guidance.next_activity(school, "ana")

    assert nxt.status == "stuck"
    assert nxt.step is None
    assert "mastery.idioms >= 0.9" in nxt.reason  # no unit trains it


def test_every_requirement_met_without_a_level_up_says_ready(lw, school, monkeypatch):
    ingest(lw, school, watched(600, at=ago(3)))
    real = guidance_module.make_plan

    def met(*args, **kwargs) -> Plan:
        plan = real(*args, **kwargs)
        done = tuple(
            type(r)(r.level, r.source, r.target, r.target, 1.0, True) for r in plan.now
        )
        return Plan(
            plan.learner, plan.level, plan.target, (), 0.0, done, done, (), None,
            True, plan.gains,
        )  # fmt: skip

    monkeypatch.setattr(guidance_module, "make_plan", met)

    nxt = lw.guidance.next_activity(school, "ana")

    assert (nxt.status, nxt.step, nxt.target) == ("ready", None, "a1")
    assert "already met" in nxt.reason


def _stored(at: datetime, type_: str = "lesson.watched", seconds: float = 600):
    body = event(type_, at=at, seconds=seconds)
    from levelwise.app.ingest.wire import EVENT_ADAPTER, canonical_body

    text = canonical_body(EVENT_ADAPTER.validate_python(body))
    key = at.astimezone(UTC).replace(tzinfo=None).isoformat("T", "microseconds")
    return StoredEvent(body["id"], "ana", type_, 1, key + "Z", text, "")


def test_study_weeks_buckets_by_week_back_from_now_and_skips_the_future():
    history = [
        _stored(ago(20)),  # week 3 back: the first
        _stored(ago(9), seconds=1200),
        _stored(ago(8), "live.attended", 1800),
        _stored(ago(1)),
        _stored(NOW + timedelta(days=1)),  # after now
    ]

    weekly, window = study_weeks(history, NOW, 8)

    assert weekly == [10.0, 50.0, 10.0]
    assert window == pytest.approx(20 / 7, abs=1e-4)
    assert study_weeks(history, NOW, 2) == ([50.0, 10.0], 2.0)
    assert study_weeks([], NOW, 8) == ([], 0.0)
    assert study_weeks(history[-1:], NOW, 8) == ([], 0.0)


def studied(lw: Levelwise, event_log: EventLog, school: str) -> dict[str, int]:
    with event_log.read(school) as s:
        history = s.history("ana")
    return guidance_module.studied_of(
        history, state_of(lw, school, "ana"), lw.program(school)
    )


def test_every_sitting_and_every_day_of_a_completed_unit_counts(lw, event_log, school):
    ingest(
        lw,
        school,
        watched(300, unit="u1", at=ago(4)),  # u1 on two days, completed
        watched(300, unit="u1", at=ago(3)),
        watched(200, unit="u1", at=ago(3) + timedelta(hours=1)),
        completed("u1", at=ago(3)),
        homework(2, at=ago(3)),  # u2 sat twice, begun only
        homework(3, at=ago(2)),
        event("live.attended", unit="u3", seconds=600, at=ago(2)),  # begun
    )

    assert studied(lw, event_log, school) == {"u1": 2, "u2": 2}


def test_a_lesson_begun_but_not_completed_may_still_be_finished(lw, school):
    ingest(lw, school, watched(300, unit="u1", at=ago(3)))
    # a1 lists u1: the plan finishes it, though the learner began it.
    assert "u1" in [s.unit for s in lw.guidance.plan(school, "ana").steps]


def test_the_overview_gives_what_plan_next_and_forecast_give(lw, school):
    ingest(lw, school, *weekly_practice("ana", 3, 50), watched(600, at=ago(3)))

    found = lw.guidance.overview(school, "ana")

    assert found is not None
    plan, nxt, forecast = found
    assert plan == lw.guidance.plan(school, "ana")
    assert nxt == lw.guidance.next_activity(school, "ana")
    assert forecast == lw.guidance.forecast(school, "ana")


def test_the_overview_at_the_top_level_is_none(lw, school):
    answers = [
        answered(True, kp=kp, at=ago(10 - i / 100))
        for i in range(40)
        for kp in ("greetings", "numbers")
    ]
    ingest(lw, school, completed("u1", at=ago(11)), *answers)
    assert lw.learner(school, "ana").level.id == "a2"

    assert lw.guidance.overview(school, "ana") is None
