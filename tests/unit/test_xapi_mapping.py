"""The xapi mapping: which learner a statement is, and which event it becomes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from levelwise.app.programs.loader import load_program
from levelwise.domain.events import (
    HomeworkSubmitted,
    LessonWatched,
    QuestionAnswered,
    XapiStatement,
)
from levelwise.domain.program import XapiLearner, XapiMapping
from levelwise.domain.xapi import (
    PLAYED_SEGMENTS,
    TIME_FROM,
    TIME_TO,
    duration_seconds,
    event_of,
    explain,
    learner_of,
    played_segments,
    verb_name,
)
from tests.support.factories import SMALL_PROGRAM
from tests.support.xapi_statements import (
    ANSWERED,
    COMPLETED,
    EXPERIENCED,
    FAILED,
    HIRAGANA_Q,
    HIRAGANA_VIDEO,
    INTERACTED,
    KANA_TEST,
    LMS,
    MODULE,
    PASSED,
    PAUSED,
    PLAYED,
    TERMINATED,
    UNITS,
    statement,
    text_of,
    xapi_school,
    xapi_school_source,
)

ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"


def segments(text):
    return {"extensions": {PLAYED_SEGMENTS: text}}


@pytest.mark.parametrize(
    ("stmt", "event_type", "unit", "fields"),
    [
        # an answer on a quiz question: the pattern's item, the fixed point
        (
            statement(ANSWERED, HIRAGANA_Q + "q1", result={"success": True}),
            "question.answered",
            "hiragana_quiz",
            {
                "correct": True,
                "item": "q1",
                "knowledge_point": "hiragana",
                "seconds": 0.0,
            },
        ),
        # the point and item from the pattern; the answer's duration is kept
        (
            statement(
                ANSWERED,
                "https://kana.example/points/katakana/items/k7",
                result={"success": False, "duration": "PT12.5S"},
            ),
            "question.answered",
            None,
            {
                "correct": False,
                "item": "k7",
                "knowledge_point": "katakana",
                "seconds": 12.5,
            },
        ),
        # a unit of one point answers for that point; the item is the activity
        (
            statement(ANSWERED, UNITS + "listening_drill", result={"success": True}),
            "question.answered",
            "listening_drill",
            {
                "correct": True,
                "item": UNITS + "listening_drill",
                "knowledge_point": "kana_listening",
                "seconds": 0.0,
            },
        ),
        # a completed lesson: the duration's seconds
        (
            statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT1M30S"}),
            "lesson.watched",
            "hiragana_video",
            {"seconds": 90.0},
        ),
        # a completed module that is no lesson: the unit is completed
        (
            statement(COMPLETED, UNITS + "listening_drill", activity_type=MODULE),
            "unit.completed",
            "listening_drill",
            {},
        ),
        # a pause counts the segment that just ended
        (
            statement(PAUSED, HIRAGANA_VIDEO, result=segments("0[.]5.5[,]5.5[.]20")),
            "lesson.watched",
            "hiragana_video",
            {"seconds": 14.5},
        ),
        # the end of a session counts every second played once
        (
            statement(
                TERMINATED,
                HIRAGANA_VIDEO,
                result=segments("0[.]10[,]5[.]20[,]30[.]40[,]32[.]35"),
            ),
            "lesson.watched",
            "hiragana_video",
            {"seconds": 30.0},
        ),
        # played from time-from to time-to (in the context's extensions too)
        (
            statement(
                PLAYED,
                HIRAGANA_VIDEO,
                context={"extensions": {TIME_FROM: 10, TIME_TO: 70.5}},
            ),
            "lesson.watched",
            "hiragana_video",
            {"seconds": 60.5},
        ),
        # cmi5 passed on a test: the scaled score of 1
        (
            statement(PASSED, KANA_TEST, result={"score": {"scaled": 0.8}}),
            "homework.submitted",
            "kana_test",
            {"max_score": 1.0, "score": 0.8},
        ),
        # raw within min and max: counted from min
        (
            statement(
                FAILED,
                KANA_TEST,
                result={"score": {"raw": 7, "min": 4, "max": 14, "scaled": 0.3}},
            ),
            "homework.submitted",
            "kana_test",
            {"max_score": 10.0, "score": 3.0},
        ),
        # a negative scaled score counts as 0
        (
            statement(FAILED, KANA_TEST, result={"score": {"scaled": -0.5}}),
            "homework.submitted",
            "kana_test",
            {"max_score": 1.0, "score": 0.0},
        ),
        # a raw score outside min and max is passed over for scaled
        (
            statement(
                PASSED,
                KANA_TEST,
                result={"score": {"raw": 20, "max": 10, "scaled": 0.9}},
            ),
            "homework.submitted",
            "kana_test",
            {"max_score": 1.0, "score": 0.9},
        ),
        # a raw range wider than a homework's largest score: scaled instead
        (
            statement(
                PASSED,
                KANA_TEST,
                result={"score": {"raw": 5, "max": 2_000_000, "scaled": 0.5}},
            ),
            "homework.submitted",
            "kana_test",
            {"max_score": 1.0, "score": 0.5},
        ),
        # failed without a score: 0 of 1
        (
            statement(FAILED, UNITS + "kana_homework", result={"success": False}),
            "homework.submitted",
            "kana_homework",
            {"max_score": 1.0, "score": 0.0},
        ),
        # an interaction keeps its kind and the success as correct
        (
            statement(INTERACTED, UNITS + "listening_drill", result={"success": True}),
            "live.interaction",
            "listening_drill",
            {"correct": True, "kind": "answer"},
        ),
        # an interaction without success is unrated
        (
            statement(INTERACTED, UNITS + "listening_drill"),
            "live.interaction",
            "listening_drill",
            {"kind": "answer"},
        ),
        # experienced media count as watched
        (
            statement(
                EXPERIENCED,
                HIRAGANA_VIDEO,
                activity_type="http://adlnet.gov/expapi/activities/media",
                result={"duration": "PT2M"},
            ),
            "lesson.watched",
            "hiragana_video",
            {"seconds": 120.0},
        ),
    ],
    ids=[
        "answer-on-quiz-item",
        "answer-on-point-pattern",
        "answer-on-single-point-unit",
        "completed-lesson",
        "completed-module",
        "paused-last-segment",
        "terminated-all-segments",
        "played-span",
        "passed-scaled",
        "failed-raw",
        "negative-scaled",
        "raw-outside-range",
        "raw-range-too-wide",
        "failed-no-score",
        "interaction-rated",
        "interaction-unrated",
        "experienced-media",
    ],
)
def test_a_mapped_statement_names_its_event(stmt, event_type, unit, fields):
    found = explain(xapi_school(), stmt)

    assert found.mapped
    assert (found.event_type, found.unit, dict(found.fields)) == (
        event_type,
        unit,
        fields,
    )
    assert found.learner == "ana"
    assert found.verb == stmt["verb"]["id"]
    assert (found.problem, found.reason) == (None, "")


@pytest.mark.parametrize(
    ("stmt", "problem", "reason"),
    [
        # a verb no rule has
        (
            statement(ATTEMPTED, HIRAGANA_Q + "q1"),
            "verb",
            f"no rule for verb {ATTEMPTED}",
        ),
        # the verb's rules all ask for another activity type
        (
            statement(EXPERIENCED, HIRAGANA_VIDEO, activity_type=MODULE),
            "activity_type",
            f"activity type {MODULE} unknown for verb {EXPERIENCED}",
        ),
        (
            statement(EXPERIENCED, HIRAGANA_VIDEO),
            "activity_type",
            f"activity type (none) unknown for verb {EXPERIENCED}",
        ),
        # an activity id no entry or pattern names
        (
            statement(ANSWERED, "https://other.example/q1", result={"success": True}),
            "activity",
            "activity https://other.example/q1 not mapped",
        ),
        # a pattern capturing a unit the program lacks
        (
            statement(COMPLETED, UNITS + "nope", result={"duration": "PT1M"}),
            "activity",
            f"activity {UNITS}nope: unknown unit 'nope'",
        ),
        # ... or a point it lacks
        (
            statement(
                ANSWERED,
                "https://kana.example/points/kanji/items/k1",
                result={"success": True},
            ),
            "activity",
            "activity https://kana.example/points/kanji/items/k1: unknown "
            "knowledge point 'kanji'",
        ),
        # an answer on a unit of several points names no point
        (
            statement(ANSWERED, UNITS + "kana_homework", result={"success": True}),
            "activity",
            f"activity {UNITS}kana_homework names no knowledge point",
        ),
        # completed on a unit no rule's kinds has, without the module type
        (
            statement(COMPLETED, UNITS + "listening_drill"),
            "unit_kind",
            f"no rule for verb {COMPLETED} on a unit of kind exercise",
        ),
        # passed on an activity that names no unit at all
        (
            statement(
                PASSED,
                "https://kana.example/points/hiragana/items/h1",
                result={"success": True},
            ),
            "unit_kind",
            f"no rule for verb {PASSED} on an activity without a unit",
        ),
        # a completed module whose activity names no unit
        (
            statement(
                COMPLETED,
                "https://kana.example/points/hiragana/items/h1",
                activity_type=MODULE,
            ),
            "activity",
            "activity https://kana.example/points/hiragana/items/h1 names no unit",
        ),
        # an answer without success
        (
            statement(ANSWERED, HIRAGANA_Q + "q1", result={"response": "a"}),
            "result",
            "no result.success",
        ),
        # a completed lesson without a duration
        (statement(COMPLETED, HIRAGANA_VIDEO), "result", "no result.duration"),
        # a duration in months has no fixed length
        (
            statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "P1M"}),
            "result",
            "result.duration 'P1M' is no duration in days, hours, minutes and seconds",
        ),
        # more than a day of watching is no lesson
        (
            statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "P1DT1S"}),
            "result",
            "result.duration: 86401 seconds is more than a day",
        ),
        # a pause without segments, or with broken ones
        (statement(PAUSED, HIRAGANA_VIDEO), "result", "no played-segments"),
        (
            statement(PAUSED, HIRAGANA_VIDEO, result=segments("0[.]")),
            "result",
            "no played-segments",
        ),
        # played without time-from and time-to, or backwards
        (statement(PLAYED, HIRAGANA_VIDEO), "result", "no time-from and time-to"),
        (
            statement(
                PLAYED,
                HIRAGANA_VIDEO,
                result={"extensions": {TIME_FROM: 30, TIME_TO: 10}},
            ),
            "result",
            "time-to 10 is before time-from 30",
        ),
        # passed without a score or success
        (
            statement(PASSED, KANA_TEST, result={"completion": True}),
            "result",
            "no result.score or result.success",
        ),
        # an actor of another LMS is no learner
        (
            {
                **statement(ANSWERED, HIRAGANA_Q + "q1"),
                "actor": {"account": {"homePage": "https://x.example", "name": "a"}},
            },
            "actor",
            "actor not a learner",
        ),
        # a voiding statement's object is a statement reference
        (
            {
                **statement(ANSWERED, HIRAGANA_Q + "q1"),
                "object": {"objectType": "StatementRef", "id": "x"},
            },
            "statement",
            "object is a StatementRef, not an activity",
        ),
        (
            {**statement(ANSWERED, HIRAGANA_Q + "q1"), "object": "nope"},
            "statement",
            "object is a non-object, not an activity",
        ),
        (
            {**statement(ANSWERED, HIRAGANA_Q + "q1"), "object": {"definition": {}}},
            "statement",
            "object has no id",
        ),
        (
            {**statement(ANSWERED, HIRAGANA_Q + "q1"), "verb": {"display": {}}},
            "statement",
            "the statement has no verb",
        ),
    ],
    ids=[
        "unknown-verb",
        "other-activity-type",
        "no-activity-type",
        "activity-not-mapped",
        "pattern-unknown-unit",
        "pattern-unknown-point",
        "no-point",
        "unit-kind",
        "no-unit-for-kinds",
        "completed-module-without-unit",
        "no-success",
        "no-duration",
        "duration-in-months",
        "duration-above-a-day",
        "no-segments",
        "broken-segments",
        "no-span",
        "backwards-span",
        "no-score",
        "actor-not-a-learner",
        "statement-ref",
        "object-not-an-object",
        "object-without-id",
        "no-verb",
    ],
)
def test_an_unmapped_statement_says_why(stmt, problem, reason):
    found = explain(xapi_school(), stmt)

    assert not found.mapped
    assert (found.problem, found.reason) == (problem, reason)
    assert found.event_type is None and found.fields == ()


def test_the_explanation_names_verb_and_activity_type_for_counting():
    stmt = statement(EXPERIENCED, HIRAGANA_VIDEO, activity_type=MODULE)

    found = explain(xapi_school(), stmt)

    assert (found.verb, found.activity, found.activity_type) == (
        EXPERIENCED,
        HIRAGANA_VIDEO,
        MODULE,
    )


def test_a_program_without_a_mapping_maps_nothing():
    program = replace(xapi_school(), xapi=None)
    stmt = statement(ANSWERED, HIRAGANA_Q + "q1", result={"success": True})

    found = explain(program, stmt)

    assert (found.problem, found.reason) == ("actor", "actor not a learner")


def test_an_exact_id_wins_over_patterns_and_a_pattern_passes_over_unknown_ids():
    program = xapi_school()
    exact = explain(
        program, statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT1M"})
    )
    # units/{unit} captures "hiragana_quiz": a known unit (a quiz: no rule's
    # kinds for completed, but the module rule fits)
    quiz = explain(
        program, statement(COMPLETED, UNITS + "hiragana_quiz", activity_type=MODULE)
    )

    assert exact.unit == "hiragana_video"
    assert (quiz.event_type, quiz.unit) == ("unit.completed", "hiragana_quiz")


def test_patterns_are_tried_in_order_passing_over_unknown_ids():
    text = SMALL_PROGRAM + (
        "xapi:\n"
        "  learner: {account: {}}\n"
        "  activities:\n"
        "    - pattern: https://s.example/{unit}\n"
        "    - pattern: https://s.example/{knowledge_point}\n"
        "  rules:\n"
        "    - {verb: http://adlnet.gov/expapi/verbs/answered, "
        "event: question.answered}\n"
    )
    program = load_program(text)

    def answered(activity):
        stmt = statement(ANSWERED, activity, result={"success": True})
        stmt["actor"] = {"account": {"homePage": LMS, "name": "ana"}}
        return explain(program, stmt)

    # "numbers" is no unit: the second pattern names the point
    point = answered("https://s.example/numbers")
    # "u2" is a unit of one point
    unit = answered("https://s.example/u2")
    # neither a unit nor a point: the first pattern's problem is told
    neither = answered("https://s.example/zzz")

    assert dict(point.fields)["knowledge_point"] == "numbers" and point.unit is None
    assert (unit.unit, dict(unit.fields)["knowledge_point"]) == ("u2", "numbers")
    assert neither.reason == "activity https://s.example/zzz: unknown unit 'zzz'"


def _mapping(**learner):
    return XapiMapping(XapiLearner(**learner))


def _with_actor(actor, **extra):
    return {**statement(ANSWERED, HIRAGANA_Q + "q1"), "actor": actor, **extra}


@pytest.mark.parametrize(
    ("mapping", "stmt", "learner"),
    [
        # the account's name, of the declared homePage (a trailing / aside)
        (
            _mapping(by="account", home_page=LMS),
            _with_actor({"account": {"homePage": LMS + "/", "name": "ana"}}),
            "ana",
        ),
        # another homePage is no learner
        (
            _mapping(by="account", home_page=LMS),
            _with_actor({"account": {"homePage": "https://x.example", "name": "ana"}}),
            None,
        ),
        # no homePage declared: any account
        (
            _mapping(by="account"),
            _with_actor({"account": {"homePage": "https://x.example", "name": "bo"}}),
            "bo",
        ),
        # an agent without an account
        (_mapping(by="account"), _with_actor({"mbox": "mailto:a@b.example"}), None),
        # a group is no learner
        (
            _mapping(by="account"),
            _with_actor(
                {"objectType": "Group", "account": {"homePage": LMS, "name": "g"}}
            ),
            None,
        ),
        (_mapping(by="account"), _with_actor("ana"), None),
        # a name that is no id
        (
            _mapping(by="account"),
            _with_actor({"account": {"homePage": LMS, "name": "ana smith"}}),
            None,
        ),
        (
            _mapping(by="account"),
            _with_actor({"account": {"homePage": LMS, "name": "ana\n"}}),
            None,
        ),
        # mbox: the address without mailto:
        (
            _mapping(by="mbox"),
            _with_actor({"mbox": "mailto:ana@kana.example"}),
            "ana@kana.example",
        ),
        # ... or its local part, at the declared domain in any case
        (
            _mapping(by="mbox", domain="kana.example", keep="local"),
            _with_actor({"mbox": "MAILTO:ana@KANA.example"}),
            "ana",
        ),
        (
            _mapping(by="mbox", domain="kana.example"),
            _with_actor({"mbox": "mailto:ana@other.example"}),
            None,
        ),
        (_mapping(by="mbox"), _with_actor({"mbox": "mailto:nobody"}), None),
        (_mapping(by="mbox"), _with_actor({"mbox": "ana@kana.example"}), None),
        # an address that is no id ("+" is no id character)
        (_mapping(by="mbox"), _with_actor({"mbox": "mailto:a+b@kana.example"}), None),
        # an extension of the context holding the id, whatever the actor
        (
            _mapping(by="extension", extension="https://kana.example/x/learner"),
            _with_actor(
                {"objectType": "Group", "member": []},
                context={"extensions": {"https://kana.example/x/learner": "cy"}},
            ),
            "cy",
        ),
        # ... or of the result, a whole number
        (
            _mapping(by="extension", extension="https://kana.example/x/learner"),
            _with_actor(
                {"mbox": "mailto:a@b.example"},
                result={"extensions": {"https://kana.example/x/learner": 1042}},
            ),
            "1042",
        ),
        # a boolean or an absent extension names no one
        (
            _mapping(by="extension", extension="https://kana.example/x/learner"),
            _with_actor(
                {"mbox": "mailto:a@b.example"},
                result={"extensions": {"https://kana.example/x/learner": True}},
            ),
            None,
        ),
        (
            _mapping(by="extension", extension="https://kana.example/x/learner"),
            _with_actor({"mbox": "mailto:a@b.example"}),
            None,
        ),
        # no mapping: no learner
        (None, statement(ANSWERED, HIRAGANA_Q + "q1"), None),
    ],
    ids=[
        "account",
        "account-other-page",
        "account-any-page",
        "account-missing",
        "group",
        "actor-not-an-object",
        "account-name-not-an-id",
        "account-name-with-newline",
        "mbox-address",
        "mbox-local-at-domain",
        "mbox-other-domain",
        "mbox-without-at",
        "mbox-without-mailto",
        "mbox-not-an-id",
        "extension-in-context",
        "extension-number-in-result",
        "extension-boolean",
        "extension-absent",
        "no-mapping",
    ],
)
def test_learner_of_reads_the_declared_identifier(mapping, stmt, learner):
    assert learner_of(mapping, stmt) == learner


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3.5S", 3723.5),
        ("P1DT1H", 90_000.0),
        ("P1W", 604_800.0),
        ("PT0,5S", 0.5),
        ("PT0S", 0.0),
        ("P1Y", None),
        ("P2M", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("1H", None),
        ("PT-1S", None),
        (90, None),
    ],
)
def test_durations_are_iso_8601_without_years_or_months(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("0[.]5.4[,]5.4[.]10.2", [(0.0, 5.4), (5.4, 10.2)]),
        ("3[.]3", [(3.0, 3.0)]),
        ("", []),
        (None, []),
        ("0[.]", []),
        ("a[.]b", []),
        ("5[.]3", []),
        ("-1[.]2", []),
        ("0[.]inf", []),
        ("0[.]1[.]2", []),
    ],
)
def test_played_segments_are_read_or_refused_whole(value, found):
    assert played_segments(value) == found


def test_event_of_builds_the_event_in_the_statement_events_envelope():
    stmt = statement(
        ANSWERED, HIRAGANA_Q + "q2", result={"success": True}, learner="someone"
    )
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    carried = XapiStatement(
        id=stmt["id"], learner="ana", occurred_at=at, statement=text_of(stmt)
    )

    made, found = event_of(xapi_school(), carried)

    # the learner is the stored event's, not what the actor says now
    assert made == QuestionAnswered(
        id=stmt["id"],
        learner="ana",
        occurred_at=at,
        unit="hiragana_quiz",
        item="q2",
        knowledge_point="hiragana",
        correct=True,
        seconds=0.0,
    )
    assert found.learner == "ana"


@pytest.mark.parametrize(
    ("stmt", "cls"),
    [
        (
            statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT10S"}),
            LessonWatched,
        ),
        (statement(PASSED, KANA_TEST, result={"success": True}), HomeworkSubmitted),
    ],
)
def test_event_of_builds_each_event_type(stmt, cls):
    carried = XapiStatement(
        id=stmt["id"],
        learner="ana",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        statement=text_of(stmt),
    )

    made, _ = event_of(xapi_school(), carried)

    assert type(made) is cls


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{nope", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_event_of_a_broken_text_is_unmapped(text, reason):
    carried = XapiStatement(
        id="s1",
        learner="ana",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        statement=text,
    )

    made, found = event_of(xapi_school(), carried)

    assert made is None
    assert (found.problem, found.reason) == ("statement", reason)


def test_event_of_an_unmapped_statement_is_none():
    stmt = statement(ATTEMPTED, HIRAGANA_Q + "q1")
    carried = XapiStatement(
        id=stmt["id"],
        learner="ana",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        statement=json.dumps(stmt),
    )

    made, found = event_of(xapi_school(), carried)

    assert made is None and found.problem == "verb"


@pytest.mark.parametrize(
    ("verb", "name"),
    [
        (ANSWERED, "answered"),
        (PLAYED, "played"),
        ("https://example.com/verbs#jumped", "jumped"),
        ("https://example.com/verbs/done/", "done"),
        ("urn:x", "urn:x"),
    ],
)
def test_verb_name_is_the_iris_last_segment(verb, name):
    assert verb_name(verb) == name


def test_event_of_keeps_explanations_per_mapping_and_forgets_when_full(monkeypatch):
    import levelwise.domain.xapi as xapi_module

    program = load_program(xapi_school_source(), "kana.yaml")  # a fresh mapping
    assert program.xapi is not None
    stmts = [
        statement(ANSWERED, HIRAGANA_Q + f"q{i}", result={"success": i == 0})
        for i in range(3)
    ]
    carried = [
        XapiStatement(
            id=s["id"],
            learner="ana",
            occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
            statement=text_of(s),
        )
        for s in stmts
    ]
    first, _ = event_of(program, carried[0])
    assert len(program.xapi.explained) == 1
    again, _ = event_of(program, carried[0])
    assert again == first and len(program.xapi.explained) == 1

    monkeypatch.setattr(xapi_module, "MEMO_SIZE", 2)
    event_of(program, carried[1])
    made, _ = event_of(program, carried[2])  # full: forgets, then keeps this one
    assert list(program.xapi.explained) == [(text_of(stmts[2]), "ana")]
    assert made is not None and made.item == "q2" and made.correct is False
