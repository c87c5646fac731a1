"""Readers of the log see xAPI statements as the learning events they map to.

Team tasks, plans (sittings and weekly study time) and model fitting read a
learner's log themselves; a mapped ``xapi.statement`` counts there as the
event it stands for, an unmapped or voided one does not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.guidance.service import studied_of, study_weeks
from levelwise.bootstrap import engine_over, memory_stores, open_stores
from levelwise.domain.fold import learning_events
from levelwise.errors import FitError
from tests.conftest import FixedClock
from tests.support.factories import T0, event
from tests.support.xapi_statements import (
    ANSWERED,
    EXPERIENCED,
    HIRAGANA_Q,
    HIRAGANA_VIDEO,
    KANA_TEST,
    PASSED,
    statement,
    statement_event,
    voiding,
    xapi_school_source,
)

SCHOOL = "s"
TASK = """
team_tasks:
  - id: class_right
    title: Our class answers 2 right
    team: cohort
    window: all
    on: question.answered
    where: correct
    goal: 2
    reward: {xp: 5}
"""


@pytest.fixture(params=["memory", "sqlite"])
def lw(request, tmp_path) -> Levelwise:
    stores = (
        memory_stores()
        if request.param == "memory"
        else open_stores(str(tmp_path / "school.db"))
    )
    engine = engine_over(stores, FixedClock((T0 + timedelta(days=20)).isoformat()))
    engine.put_program(SCHOOL, xapi_school_source() + TASK)
    return engine


def accepted(lw: Levelwise, events: list[dict]) -> None:
    report = lw.ingest(SCHOOL, events)
    assert [r.status for r in report.results] == ["accepted"] * len(events), report


def joined(learner: str) -> dict:
    return event("profile.updated", learner=learner, cohort="7b", minutes=-1)


def right(learner: str, minutes: float) -> dict:
    stmt = statement(
        ANSWERED,
        HIRAGANA_Q + "q1",
        learner=learner,
        result={"success": True},
        minutes=minutes,
    )
    return statement_event(stmt, learner)


def class_total(lw: Levelwise) -> tuple[float, bool]:
    (task,) = lw.teams.team_tasks(SCHOOL, "7b")
    return task.total, task.met


def test_a_team_task_counts_mapped_statements_and_not_unmapped_ones(lw):
    accepted(lw, [joined("ana"), joined("bo")])
    unmapped = statement(EXPERIENCED, "https://kana.example/pages/1", learner="ana")
    accepted(lw, [right("ana", 1), statement_event(unmapped, "ana")])
    assert class_total(lw) == (1.0, False)

    accepted(lw, [right("bo", 2)])
    assert class_total(lw) == (2.0, True)


def test_a_voided_statement_leaves_the_teams_count(lw):
    accepted(lw, [joined("ana"), joined("bo")])
    first = right("ana", 1)
    accepted(lw, [first])
    accepted(lw, [voiding(first["id"], learner="ana", minutes=5)])
    assert class_total(lw) == (0.0, False)
    accepted(lw, [right("bo", 6)])
    assert class_total(lw) == (1.0, False)


def history(lw: Levelwise, learner: str = "ana"):
    with lw.log.read(SCHOOL) as s:
        return s.history(learner)


def state(lw: Levelwise, learner: str = "ana"):
    return next(s for s in lw.snapshots(SCHOOL) if s.learner == learner)


def test_plans_count_sittings_and_study_time_from_statements(lw):
    test = statement(
        PASSED,
        KANA_TEST,
        result={"score": {"scaled": 0.8}, "success": True},
        minutes=10,
    )
    video = statement(
        "http://adlnet.gov/expapi/verbs/completed",
        HIRAGANA_VIDEO,
        result={"duration": "PT6M"},
        minutes=20,
    )
    accepted(lw, [statement_event(test), statement_event(video)])
    program = lw.program(SCHOOL)

    studied = studied_of(history(lw), state(lw), program)
    assert studied.get("kana_test") == 1
    now = T0 + timedelta(days=3)
    weekly, _ = study_weeks(history(lw), now, 2, program)
    assert sum(weekly) == pytest.approx(6.0)
    # Without the program, statements are no study.
    assert sum(study_weeks(history(lw), now, 2)[0]) == 0.0

    accepted(lw, [voiding(video["id"], minutes=30)])
    weekly, _ = study_weeks(history(lw), now, 2, program)
    assert sum(weekly) == 0.0


def test_model_fitting_reads_answers_sent_as_statements(lw):
    with pytest.raises(FitError):
        lw.fit_mastery(SCHOOL)  # no answer yet
    accepted(
        lw,
        [
            statement_event(
                statement(
                    ANSWERED,
                    HIRAGANA_Q + f"q{i}",
                    learner=learner,
                    result={"success": (i + len(learner)) % 3 != 0},
                    minutes=i,
                ),
                learner,
            )
            for learner in ("ana", "bo", "cy")
            for i in range(12)
        ],
    )
    summary, _ = lw.fit_mastery(SCHOOL)
    assert summary.version > 1


def test_learning_events_translate_drop_unmapped_and_voided():
    program = lw_program()
    answered = statement_event(
        statement(ANSWERED, HIRAGANA_Q + "q1", result={"success": True})
    )
    unmapped = statement_event(statement(EXPERIENCED, "https://kana.example/x"))
    gone = statement_event(statement(ANSWERED, HIRAGANA_Q + "q2", minutes=1))
    void = voiding(gone["id"], minutes=2)
    events = [from_wire(e) for e in (answered, unmapped, gone, void)]

    found = learning_events(events, program)
    assert [(e.type, e.id) for e in found] == [("question.answered", answered["id"])]
    assert learning_events(events, None) == []


def lw_program():
    engine = engine_over(memory_stores(), FixedClock())
    engine.put_program(SCHOOL, xapi_school_source())
    return engine.program(SCHOOL)


def from_wire(raw: dict):
    from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain

    return to_domain(EVENT_ADAPTER.validate_python(raw))


@pytest.fixture(params=["memory", "sqlite"])
def measured(request, tmp_path) -> Levelwise:
    stores = (
        memory_stores()
        if request.param == "memory"
        else open_stores(str(tmp_path / "metrics.db"))
    )
    engine = engine_over(stores, FixedClock((T0 + timedelta(days=20)).isoformat()))
    engine.put_program(SCHOOL, xapi_school_source())
    return engine


def study(lw: Levelwise) -> dict[str, float]:
    """Each learner's study seconds, as the operator metrics count them."""
    from levelwise.app.metrics.ports import FactQuery

    lw.metrics.catch_up(SCHOOL)
    store = lw.metrics._store()
    query = FactQuery(cohort=None, klass=None, start="", end="2100-01-01")
    return {s.key: s.seconds for s in store.learner_sums(SCHOOL, query) if s.seconds}


def test_operator_metrics_count_statements_as_their_events_and_drop_voided_ones(
    measured,
):
    video = statement(
        "http://adlnet.gov/expapi/verbs/completed",
        HIRAGANA_VIDEO,
        result={"duration": "PT6M"},
        minutes=20,
    )
    unmapped = statement(EXPERIENCED, "https://kana.example/pages/1", minutes=21)
    accepted(measured, [statement_event(video), statement_event(unmapped)])
    assert study(measured) == {"ana": pytest.approx(360.0)}

    accepted(measured, [voiding(video["id"], minutes=30)])
    assert study(measured) == {}  # the catch-up rebuilt without the voided one
