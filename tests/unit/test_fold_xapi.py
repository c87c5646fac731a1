"""The fold of xAPI statements (through the mapping) and of voidings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.domain import codec
from levelwise.domain.fold import fold, fold_all, initial_state, voided_in
from levelwise.domain.outcomes import LevelReached, Voided, XpAwarded
from tests.support.factories import event
from tests.support.xapi_statements import (
    ANSWERED,
    COMPLETED,
    HIRAGANA_Q,
    HIRAGANA_VIDEO,
    KANA_TEST,
    PASSED,
    statement,
    statement_event,
    voiding,
    xapi_school,
)

ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"


def dom(raw):
    return to_domain(EVENT_ADAPTER.validate_python(raw))


def run(raws, program=None):
    events = sorted((dom(r) for r in raws), key=lambda e: e.sort_key)
    return fold_all(events, program or xapi_school())


def xp_of(outcomes):
    return [o.xp for o in outcomes if isinstance(o, XpAwarded)]


def answer(correct=True, item="q1", minutes=0):
    return statement(
        ANSWERED, HIRAGANA_Q + item, result={"success": correct}, minutes=minutes
    )


def without_bookkeeping(state):
    """A state's dict without what a skipped event may still touch."""
    data = codec.state_to_dict(state)
    for key in ("events", "last_key", "voided"):
        data.pop(key, None)
    return data


@pytest.mark.parametrize(
    ("stmt", "native"),
    [
        # an answer folds as question.answered
        (
            answer(True),
            {
                "type": "question.answered",
                "unit": "hiragana_quiz",
                "item": "q1",
                "knowledge_point": "hiragana",
                "correct": True,
                "seconds": 0.0,
            },
        ),
        # a completed lesson as lesson.watched
        (
            statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT5M"}),
            {"type": "lesson.watched", "unit": "hiragana_video", "seconds": 300.0},
        ),
        # a passed test as a scored homework of the test's unit
        (
            statement(PASSED, KANA_TEST, result={"score": {"scaled": 0.9}}),
            {
                "type": "homework.submitted",
                "unit": "kana_test",
                "score": 0.9,
                "max_score": 1.0,
            },
        ),
    ],
    ids=["answered", "completed-lesson", "passed-test"],
)
def test_a_statement_folds_as_the_event_it_stands_for(stmt, native):
    sent = statement_event(stmt)
    same = {**{k: sent[k] for k in ("id", "learner", "occurred_at")}, **native}

    state, outcomes = run([sent])
    expected_state, expected = run([same])

    assert state == expected_state
    # the same decisions; XP receipts name the statement and its verb
    verb = stmt["verb"]["id"].rsplit("/", 1)[-1]
    source = f"xAPI statement {stmt['id']} ({verb})"
    assert outcomes == [
        replace(o, receipt=replace(o.receipt, source=source))
        if isinstance(o, XpAwarded)
        else o
        for o in expected
    ]
    assert xp_of(outcomes)


def test_xp_and_mastery_move_and_the_receipt_names_the_statement():
    stmts = [answer(True, item=f"q{i}", minutes=i) for i in range(8)]

    state, outcomes = run([statement_event(s) for s in stmts])

    assert state.xp == 80
    assert state.questions_correct == 8
    assert state.mastery["hiragana"].value > 0.5
    first = outcomes[0]
    assert isinstance(first, XpAwarded)
    assert first.receipt.text == (
        f"+10 XP: answer (if(correct, 10, 2) = 10 with correct=true); "
        f"from xAPI statement {stmts[0]['id']} (answered)"
    )
    assert any(isinstance(o, LevelReached) for o in outcomes)


def test_an_unmapped_statement_folds_to_nothing():
    program = xapi_school()
    state = initial_state("ana", program)
    unmapped = dom(statement_event(statement(ATTEMPTED, HIRAGANA_Q + "q1")))

    after, outcomes = fold(state, unmapped, program)

    assert after is state
    assert outcomes == ()


def test_unmapped_statements_leave_the_fold_of_the_others_as_it_was():
    mapped = [statement_event(answer(True, item=f"q{i}", minutes=i)) for i in range(3)]
    unmapped = [
        statement_event(statement(ATTEMPTED, HIRAGANA_Q + "x", minutes=i + 0.5))
        for i in range(3)
    ]

    with_them, outcomes = run(mapped + unmapped)
    without, expected = run(mapped)

    assert with_them == without
    assert len(outcomes) == len(expected)


def test_a_program_without_the_rule_folds_the_statement_to_nothing():
    program = replace(xapi_school(), xapi=None)

    state, outcomes = run([statement_event(answer())], program)

    assert (state.xp, state.events, outcomes) == (0, 0, [])


def test_a_voided_statement_no_longer_counts():
    first, second = answer(True, "q1", minutes=0), answer(True, "q2", minutes=5)
    void = voiding(first["id"], minutes=30)
    events = [statement_event(first), statement_event(second), void]

    state, outcomes = run(events)
    fresh, _ = run([statement_event(second)])

    assert without_bookkeeping(state) == without_bookkeeping(fresh)
    assert state.xp == 10
    assert dict(state.voided) == {
        first["id"]: ("xAPI statement", "10 XP", "answer on hiragana")
    }
    # the first statement decided nothing; the voiding says what went
    assert {getattr(o, "event_id", None) for o in outcomes} == {
        second["id"],
        void["id"],
    }
    receipt = outcomes[-1]
    assert isinstance(receipt, Voided)
    assert receipt.text == (
        f"xAPI statement {first['id']} voided: its 10 XP and answer on hiragana "
        "no longer count"
    )


def test_a_voided_native_event_no_longer_counts():
    watched = event(
        "lesson.watched", unit="hiragana_video", seconds=600, id_="w1", minutes=1
    )

    state, outcomes = run([watched, voiding("w1", minutes=9)])

    assert (state.xp, state.watch_seconds) == (0, 0.0)
    assert [o.text for o in outcomes if isinstance(o, Voided)] == [
        "event w1 voided: its 20 XP and 600 s watched no longer count"
    ]


def test_a_voiding_before_its_target_in_time_still_removes_it():
    target = answer(True, "q1", minutes=10)

    state, outcomes = run([statement_event(target), voiding(target["id"], minutes=5)])

    assert state.xp == 0 and state.questions_answered == 0
    (receipt,) = outcomes
    assert isinstance(receipt, Voided)
    assert receipt.known is False
    assert receipt.text == f"event {target['id']} voided: it no longer counts"
    # passed over later, the target's effect is noted all the same
    assert state.voided[target["id"]] == (
        "xAPI statement",
        "10 XP",
        "answer on hiragana",
    )


def test_a_voided_unmapped_statement_had_changed_nothing():
    target = statement(ATTEMPTED, HIRAGANA_Q + "q1")

    _, outcomes = run([statement_event(target), voiding(target["id"])])

    assert [o.text for o in outcomes] == [
        f"xAPI statement {target['id']} voided: it had changed nothing"
    ]


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        (
            event("live.attended", unit="hiragana_video", seconds=120),
            "120 live seconds",
        ),
        (event("practice.completed", seconds=300), "300 s of practice"),
        (event("homework.submitted", score=3, max_score=4), "homework score"),
        (
            event("homework.submitted", unit="kana_homework", score=3, max_score=4),
            "score on kana_homework",
        ),
        (event("unit.completed", unit="kana_test"), "completion of kana_test"),
        (event("live.interaction", kind="chat"), "live interaction"),
        (event("enrolment.started"), "enrolment.started event"),
    ],
    ids=[
        "live",
        "practice",
        "homework",
        "homework-unit",
        "completion",
        "interaction",
        "other",
    ],
)
def test_a_voiding_receipt_names_what_the_event_counted_for(raw, phrase):
    target = {**raw, "id": "t1"}

    _, outcomes = run([target, voiding("t1")])

    receipt = next(o for o in outcomes if isinstance(o, Voided))
    assert receipt.removed[-1] == phrase
    assert receipt.known


def test_a_voided_voiding_is_passed_over_and_its_target_stays_voided():
    # ingest refuses it; the fold stays total all the same
    target = answer()
    first = voiding(target["id"], id_="v1", minutes=10)
    second = voiding("v1", minutes=20)

    state, outcomes = run([statement_event(target), first, second])

    assert state.xp == 0
    assert [o.text for o in outcomes] == ["event v1 voided: it had changed nothing"]


def test_the_state_carries_the_voided_ids_past_a_checkpoint():
    # folded in two parts, as from a checkpoint between target and voiding
    target = answer(True, "q1", minutes=0)
    later = answer(True, "q2", minutes=20)
    events = sorted(
        (dom(r) for r in [statement_event(target), voiding(target["id"], minutes=10)]),
        key=lambda e: e.sort_key,
    )
    whole, _ = fold_all([*events, dom(statement_event(later))], xapi_school())
    part, _ = fold_all(events, xapi_school())

    rest, _ = fold_all([dom(statement_event(later))], xapi_school(), part)

    assert rest == whole
    assert codec.state_from_dict(codec.state_to_dict(rest)) == rest


def test_voided_in_names_the_targets():
    raws = [voiding("a"), voiding("b"), statement_event(answer())]

    assert voided_in([dom(r) for r in raws]) == {"a", "b"}


def test_a_voided_receipt_round_trips_through_the_codec():
    outcome = Voided(
        "v1", "ana", "2026-01-01T00:00:00.000000Z", "t1", "event", ("5 XP",)
    )

    data = codec.outcome_to_dict(outcome)
    body = codec.outcome_body(outcome)
    view = codec.outcome_view(
        body, kind="voided", event_id="v1", learner="ana", at=outcome.at
    )

    assert codec.outcome_from_dict(data) == outcome
    assert data["text"] == "event t1 voided: its 5 XP no longer count"
    assert view == data
    assert "text" not in body


def test_a_receipt_with_a_source_round_trips_and_is_stored_only_when_set():
    _, outcomes = run([statement_event(answer())])
    award = outcomes[0]
    assert isinstance(award, XpAwarded)

    body = codec.outcome_body(award)
    view = codec.outcome_view(
        body, kind="xp", event_id=award.event_id, learner="ana", at=award.at
    )
    plain = replace(award, receipt=replace(award.receipt, source=""))

    assert codec.outcome_from_dict(codec.outcome_to_dict(award)) == award
    assert view["receipt"]["text"] == award.receipt.text
    assert body["receipt"]["source"] == award.receipt.source
    assert "source" not in codec.outcome_body(plain)["receipt"]


@pytest.mark.parametrize(
    ("removed", "known", "text"),
    [
        (
            ("answer on kana",),
            True,
            "event t voided: its answer on kana no longer counts",
        ),
        (("5 XP",), True, "event t voided: its 5 XP no longer count"),
        (
            ("5 XP", "answer on kana"),
            True,
            "event t voided: its 5 XP and answer on kana no longer count",
        ),
        ((), True, "event t voided: it had changed nothing"),
        ((), False, "event t voided: it no longer counts"),
    ],
)
def test_the_voided_text_reads_well(removed, known, text):
    assert Voided("v", "ana", "", "t", "event", removed, known).text == text
