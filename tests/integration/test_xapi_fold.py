"""xAPI statements through ingest on every store: mapped, deduplicated, voided."""

from __future__ import annotations

import json

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.ingest.projection import CHECKPOINT_EVERY, dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.bootstrap import engine_over, memory_stores
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from tests.conftest import FixedClock
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
    text_of,
    voiding,
    xapi_school,
    xapi_school_source,
)

ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"


@pytest.fixture
def kana(event_log, school) -> Levelwise:
    engine = Levelwise(event_log, FixedClock())
    engine.put_program(school, xapi_school_source(), "xapi_school.yaml")
    return engine


def answer(correct=True, item="q1", minutes=0, learner="ana"):
    return statement(
        ANSWERED,
        HIRAGANA_Q + item,
        result={"success": correct},
        minutes=minutes,
        learner=learner,
    )


def state_of(lw, school, learner="ana"):
    return next(x for x in lw.snapshots(school) if x.learner == learner)


def fresh_fold(raws, learner="ana"):
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    return fold_all([e for e in events if e.learner == learner], xapi_school())


def assert_a_fresh_fold(lw, school, raws, learner="ana"):
    """The stored state and receipts are a fresh fold of ``raws``."""
    expected, outcomes = fresh_fold(raws, learner)
    assert codec.state_to_dict(state_of(lw, school, learner)) == codec.state_to_dict(
        expected
    )
    receipts = lw.receipts(school, learner, limit=100_000)
    assert sorted(dumps({**r, "program_version": 0}) for r in receipts) == sorted(
        dumps({**codec.outcome_to_dict(o), "program_version": 0}) for o in outcomes
    )


def without_bookkeeping(state):
    data = codec.state_to_dict(state)
    for key in ("events", "last_key", "voided"):
        data.pop(key, None)
    return data


def test_statements_move_xp_mastery_and_levels_with_receipts_naming_them(kana, school):
    stmts = [answer(True, f"q{i}", minutes=i) for i in range(7)]
    stmts.append(
        statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT4M"}, minutes=9)
    )

    report = kana.ingest(school, [statement_event(s) for s in stmts])

    assert report.count("accepted") == 8
    assert [r.xp for r in report.results] == [10] * 7 + [8]
    view = kana.learner(school, "ana")
    assert view.xp == 78
    assert view.level.id == "reader"
    assert state_of(kana, school).mastery["hiragana"].value >= 0.5
    receipts = kana.receipts(school, "ana", kinds=["xp"], limit=100)
    texts = {r["event_id"]: r["receipt"]["text"] for r in receipts}
    assert texts[stmts[-1]["id"]].endswith(
        f"; from xAPI statement {stmts[-1]['id']} (completed)"
    )
    assert texts[stmts[0]["id"]].endswith(
        f"from xAPI statement {stmts[0]['id']} (answered)"
    )
    assert_a_fresh_fold(kana, school, [statement_event(s) for s in stmts])


def test_a_statement_sent_twice_is_one_event_and_another_body_conflicts(kana, school):
    stmt = answer()
    sent = statement_event(stmt)
    kana.ingest(school, [sent])

    again = kana.ingest(school, [sent])
    changed = {**sent, "statement": text_of({**stmt, "result": {"success": False}})}
    conflict = kana.ingest(school, [changed])

    assert [r.status for r in again.results] == ["duplicate"]
    assert [r.status for r in conflict.results] == ["conflict"]
    assert state_of(kana, school).xp == 10


def test_an_unmapped_statement_is_stored_and_folds_to_nothing(kana, school):
    unmapped = statement_event(statement(ATTEMPTED, HIRAGANA_Q + "q1"))
    mapped = statement_event(answer(minutes=1))

    report = kana.ingest(school, [unmapped, mapped])

    assert [(r.status, r.xp) for r in report.results] == [
        ("accepted", 0),
        ("accepted", 10),
    ]
    assert [r["event_id"] for r in kana.receipts(school, "ana")] == [mapped["id"]]
    assert state_of(kana, school).events == 1
    assert_a_fresh_fold(kana, school, [mapped])


def test_a_voided_statement_loses_its_effect_and_a_replay_agrees(kana, school):
    first, second = answer(True, "q1", minutes=0), answer(True, "q2", minutes=5)
    sent = [statement_event(first), statement_event(second)]
    kana.ingest(school, sent)
    void = voiding(first["id"], minutes=30)

    report = kana.ingest(school, [void])

    assert [r.status for r in report.results] == ["accepted"]
    assert report.refolded == 1
    state = state_of(kana, school)
    alone, _ = fresh_fold([statement_event(second)])
    assert without_bookkeeping(state) == without_bookkeeping(alone)
    receipts = kana.receipts(school, "ana")
    assert {r["event_id"] for r in receipts} == {second["id"], void["id"]}
    (voided,) = [r for r in receipts if r["kind"] == "voided"]
    assert voided["text"] == (
        f"xAPI statement {first['id']} voided: its 10 XP and answer on hiragana "
        "no longer count"
    )
    assert voided["target"] == first["id"]
    assert_a_fresh_fold(kana, school, [*sent, void])

    before = codec.state_to_dict(state_of(kana, school))
    kana.replay(school)
    assert codec.state_to_dict(state_of(kana, school)) == before
    assert_a_fresh_fold(kana, school, [*sent, void])


def test_a_voiding_refolds_from_the_checkpoint_before_its_target(kana, school):
    count = CHECKPOINT_EVERY + 40
    sent = [
        statement_event(answer(i % 3 > 0, f"q{i}", minutes=i)) for i in range(count)
    ]
    kana.ingest(school, sent)
    target = json.loads(sent[CHECKPOINT_EVERY + 10]["statement"])
    void = voiding(target["id"], minutes=count + 10)

    report = kana.ingest(school, [void])

    assert report.refolded == 1
    assert_a_fresh_fold(kana, school, [*sent, void])
    # a late event after it re-folds from a checkpoint past the target: the
    # target stays passed over (the state carries what was voided)
    late = statement_event(answer(True, "late", minutes=count - 5))
    kana.ingest(school, [late])
    assert_a_fresh_fold(kana, school, [*sent, void, late])
    expected = [e for e in sent if e["id"] != target["id"]] + [late]
    alone, _ = fresh_fold(expected)
    assert without_bookkeeping(state_of(kana, school)) == without_bookkeeping(alone)


def test_a_voiding_and_its_target_in_one_batch(kana, school):
    target = answer()
    batch = [
        statement_event(target),
        voiding(target["id"], minutes=10),
        statement_event(answer(True, "q2", minutes=20)),
    ]

    report = kana.ingest(school, batch)

    assert report.count("accepted") == 3
    assert state_of(kana, school).xp == 10
    assert_a_fresh_fold(kana, school, batch)


def test_a_voided_native_event_and_a_voided_test_result(kana, school):
    watched = event("lesson.watched", unit="hiragana_video", seconds=600, minutes=1)
    passed = statement(PASSED, KANA_TEST, result={"score": {"scaled": 0.9}}, minutes=2)
    kana.ingest(school, [watched, statement_event(passed)])
    assert state_of(kana, school).unit_scores["kana_test"] == (0.9, 0.9)

    kana.ingest(school, [voiding(watched["id"]), voiding(passed["id"], minutes=61)])

    state = state_of(kana, school)
    assert (state.xp, state.watch_seconds, dict(state.unit_scores)) == (0, 0.0, {})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        # nothing with that id in the learner's log
        (lambda ids: voiding("nope"), "learner 'ana' has no event 'nope' to void"),
        # another learner's event
        (
            lambda ids: voiding(ids["bo"]),
            "has no event",
        ),
        # a voiding
        (lambda ids: voiding(ids["void"]), "a voiding cannot be voided"),
        # an event voided already
        (lambda ids: voiding(ids["voided"]), "is already voided"),
    ],
    ids=["unknown", "other-learner", "a-voiding", "already-voided"],
)
def test_a_voiding_that_cannot_be_is_refused_and_changes_nothing(
    kana, school, make, reason
):
    voided, kept = answer(True, "q1"), answer(True, "q2", minutes=1)
    bo = answer(True, "q3", learner="bo")
    void = voiding(voided["id"], minutes=5)
    kana.ingest(
        school,
        [
            statement_event(voided),
            statement_event(kept),
            statement_event(bo, learner="bo"),
            void,
        ],
    )
    ids = {"bo": bo["id"], "void": void["id"], "voided": voided["id"]}
    before = codec.state_to_dict(state_of(kana, school))
    receipts = kana.receipts(school, "ana")

    report = kana.ingest(school, [make(ids)])

    (result,) = report.results
    assert result.status == "rejected"
    assert reason in result.reason and result.reason.startswith("target: ")
    assert codec.state_to_dict(state_of(kana, school)) == before
    assert kana.receipts(school, "ana") == receipts


def test_two_voidings_of_one_event_in_a_batch_keep_the_first(kana, school):
    target = answer()
    kana.ingest(school, [statement_event(target)])

    report = kana.ingest(
        school, [voiding(target["id"], minutes=5), voiding(target["id"], minutes=6)]
    )

    assert [r.status for r in report.results] == ["accepted", "rejected"]
    assert state_of(kana, school).xp == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"statement": "{nope"}, "must be the statement's JSON text"),
        ({"statement": "[1, 2]"}, "must be a JSON object"),
        ({"statement": text_of({"id": "other"})}, "its id must be the event's id"),
        ({"unit": "kana_test"}, "names no unit or attributes"),
    ],
    ids=["not-json", "not-an-object", "other-id", "with-unit"],
)
def test_a_malformed_statement_event_is_rejected(kana, school, change, reason):
    raw = {**statement_event(answer()), **change}

    (result,) = kana.ingest(school, [raw]).results

    assert result.status == "rejected"
    assert reason in result.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"target": "SELF"}, "an event cannot void itself"),
        ({"unit": "kana_test"}, "a voiding names no unit or attributes"),
        ({"target": "a b"}, "target:"),
    ],
)
def test_a_malformed_voiding_is_rejected(kana, school, change, reason):
    raw = voiding("x", id_="v-1")
    raw = {**raw, **change}
    if raw["target"] == "SELF":
        raw["target"] = raw["id"]

    (result,) = kana.ingest(school, [raw]).results

    assert result.status == "rejected"
    assert reason in result.reason


def test_a_mapping_change_is_a_new_version_and_replays(kana, school):
    stmts = [answer(True, f"q{i}", minutes=i) for i in range(3)]
    kana.ingest(school, [statement_event(s) for s in stmts])
    source = xapi_school_source()
    rule = (
        "    - verb: http://adlnet.gov/expapi/verbs/answered\n"
        "      event: question.answered\n"
    )
    assert rule in source

    kana.put_program(school, source.replace(rule, ""), "xapi_school.yaml")
    dropped = state_of(kana, school)
    kana.put_program(school, source, "xapi_school.yaml")
    restored = state_of(kana, school)

    assert (dropped.xp, dropped.questions_answered) == (0, 0)
    assert (restored.xp, restored.questions_answered) == (30, 3)
    assert_a_fresh_fold(kana, school, [statement_event(s) for s in stmts])


def test_a_late_statement_refolds_in_time_order(kana, school):
    later = [answer(True, f"q{i}", minutes=10 + i) for i in range(3)]
    kana.ingest(school, [statement_event(s) for s in later])
    late = statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT3M"}, minutes=1)

    report = kana.ingest(school, [statement_event(late)])

    assert report.refolded == 1
    assert_a_fresh_fold(kana, school, [statement_event(s) for s in [*later, late]])


def test_the_lead_route_memory_stores_and_engine_over():
    engine = engine_over(memory_stores(), FixedClock())
    engine.put_program("kana", xapi_school_source(), "xapi_school.yaml")
    stmt = answer()

    report = engine.ingest("kana", [statement_event(stmt)])

    assert [(r.status, r.xp) for r in report.results] == [("accepted", 10)]
    assert engine.learner("kana", "ana").xp == 10
