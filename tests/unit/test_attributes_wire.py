"""Event attributes and ``team.rewarded`` on the wire.

An event may carry the attributes its school's program declares for its type
(a teacher's ``rating``); ingest refuses any other, and any value out of its
type, range or values, with a reason naming the attribute. The canonical body
holds the attributes only when there are some, keys sorted, so every body
stored before attributes existed is byte for byte what it was.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.acceptance import check_references
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    canonical_body,
    describe_errors,
    from_body,
    to_domain,
)
from levelwise.app.programs.loader import load_program
from levelwise.domain.events import LiveInteracted, TeamRewarded
from tests.support.factories import SMALL_PROGRAM, event

PROGRAM = (
    SMALL_PROGRAM
    + """\
  - id: comic
    on: live.interaction
    when: kind == "mic" and rating >= 3
    xp: 2 * rating
attributes:
  live.interaction:
    rating: {type: number, min: 1, max: 5}
    topic: {type: string, values: [grammar, speaking]}
    loud: {type: bool}
  homework.submitted:
    timed: {type: bool, optional: false}
team_tasks:
  - id: mic_week
    team: cohort
    window: week
    on: live.interaction
    goal: 10
    reward: {xp: 20}
"""
)


@pytest.fixture(scope="module")
def program():
    return load_program(PROGRAM)


def mic(**attributes: object) -> dict[str, object]:
    found = event("live.interaction", id_="m1", unit="u3", kind="mic")
    if attributes:
        found["attributes"] = attributes
    return found


def accepted(raw: dict[str, object], program) -> str | None:
    return check_references(EVENT_ADAPTER.validate_python(raw), program)


def test_an_event_without_attributes_keeps_its_canonical_body():
    raw = event("live.interaction", id_="m1", unit="u3", kind="mic")
    body = canonical_body(EVENT_ADAPTER.validate_python(raw))
    # the bytes stored before attributes existed: the envelope, then the type
    assert body == (
        '{"id":"m1","learner":"ana","occurred_at":"2026-01-05T09:00:00Z",'
        '"unit":"u3","type":"live.interaction","kind":"mic"}'
    )
    for empty in ({}, None):
        again = EVENT_ADAPTER.validate_python({**raw, "attributes": empty})
        assert canonical_body(again) == body
    assert from_body(body).attributes == ()
    assert to_domain(EVENT_ADAPTER.validate_python(raw)) == from_body(body)


def test_attributes_are_sorted_in_the_body_and_round_trip():
    one = canonical_body(
        EVENT_ADAPTER.validate_python(mic(topic="grammar", rating=4, loud=True))
    )
    other = canonical_body(
        EVENT_ADAPTER.validate_python(mic(loud=True, rating=4.0, topic="grammar"))
    )
    assert one == other
    assert list(json.loads(one)["attributes"]) == ["loud", "rating", "topic"]
    wired = to_domain(
        EVENT_ADAPTER.validate_python(mic(topic="grammar", rating=4, loud=True))
    )
    assert isinstance(wired, LiveInteracted)
    assert wired.attributes == (("loud", True), ("rating", 4.0), ("topic", "grammar"))
    stored = from_body(one)
    assert stored == wired
    assert stored.fields_for_rules()["rating"] == 4.0
    # body -> event -> body: reading a body back and sending it again gives it
    again = canonical_body(EVENT_ADAPTER.validate_json(one))
    assert again == one


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"rating": 4}, None),
        ({"rating": 1, "topic": "speaking", "loud": False}, None),
        ({"rating": 5.0}, None),
        ({"mood": 3}, "attributes.mood: program tiny-english does not declare"),
        ({"rating": 6}, "attributes.rating: 6 is above the maximum 5"),
        ({"rating": 0.5}, "attributes.rating: 0.5 is below the minimum 1"),
        ({"rating": "4"}, "attributes.rating: must be a number, not a string"),
        ({"rating": True}, "attributes.rating: must be a number, not a bool"),
        ({"loud": 1}, "attributes.loud: must be a bool, not a number"),
        (
            {"topic": "maths"},
            "attributes.topic: 'maths' is not one of grammar, speaking",
        ),
    ],
)
def test_attributes_are_checked_against_the_program(program, attributes, reason):
    problem = accepted(mic(**attributes), program)
    if reason is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(reason), problem


def test_an_undeclared_attribute_names_what_is_declared(program):
    problem = accepted(mic(mood=3), program)
    assert problem is not None
    assert "for live.interaction events (declared: rating, topic, loud)" in problem
    watched = event("lesson.watched", unit="u1", seconds=60, attributes={"mood": 1})
    problem = accepted(watched, program)
    assert problem is not None and "(declared: none)" in problem


def test_a_required_attribute_must_be_sent(program):
    raw = event("homework.submitted", unit="u2", score=8, max_score=10)
    problem = accepted(raw, program)
    assert problem is not None
    assert problem.startswith("attributes.timed: program tiny-english requires")
    assert accepted({**raw, "attributes": {"timed": True}}, program) is None


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"Rating": 4}, "'Rating' is not an attribute name"),
        ({"my rating": 4}, "'my rating' is not an attribute name"),
        ({"rating": None}, "rating: must be a boolean, a number or a text"),
        ({"rating": [4]}, "rating: must be a boolean, a number or a text"),
        ({"rating": 1e10}, "rating: a number from -1e9 to 1e9"),
        ({"topic": ""}, "topic: a text of 1 to 200 characters"),
        ({"topic": "x" * 201}, "topic: a text of 1 to 200 characters"),
        ({"topic": "a\u202eb"}, "topic: must not contain control characters"),
        ({f"a{i}": 1 for i in range(21)}, "at most 20 attributes, not 21"),
    ],
)
def test_malformed_attributes_are_refused_at_the_edge(attributes, reason):
    with pytest.raises(ValidationError) as info:
        EVENT_ADAPTER.validate_python(mic(**attributes))
    described = describe_errors(info.value)
    assert described.startswith("attributes: ") and reason in described, described


def test_attributes_must_be_an_object():
    raw = {**mic(), "attributes": [["rating", 4]]}
    with pytest.raises(ValidationError) as info:
        EVENT_ADAPTER.validate_python(raw)
    assert describe_errors(info.value).startswith("attributes: ")


def test_team_rewarded_has_a_wire_model(program):
    raw = event(
        "team.rewarded",
        id_="team:mic_week:2026-W02:c1:ana",
        task="mic_week",
        window="2026-W02",
        team="c1",
        contribution=3,
        total=10,
    )
    model = EVENT_ADAPTER.validate_python(raw)
    assert check_references(model, program) is None
    body = canonical_body(model)
    domain = to_domain(model)
    assert isinstance(domain, TeamRewarded)
    assert (domain.task, domain.window, domain.team) == ("mic_week", "2026-W02", "c1")
    assert (domain.contribution, domain.total) == (3.0, 10.0)
    assert from_body(body) == domain
    unknown = EVENT_ADAPTER.validate_python({**raw, "task": "quiz_all"})
    assert check_references(unknown, program) == (
        "task: unknown team task 'quiz_all' in program tiny-english"
    )
    for field, value in [("contribution", -1), ("total", "10"), ("task", "a b")]:
        with pytest.raises(ValidationError):
            EVENT_ADAPTER.validate_python({**raw, field: value})


def test_a_bad_attribute_rejects_its_event_alone(engine):
    lw = engine
    lw.put_program("school", PROGRAM)
    batch = [
        event(
            "live.interaction",
            id_="good",
            unit="u3",
            kind="mic",
            attributes={"rating": 4},
        ),
        event(
            "live.interaction",
            id_="bad",
            unit="u3",
            kind="mic",
            attributes={"rating": 9},
        ),
        event(
            "live.interaction",
            id_="low",
            unit="u3",
            kind="mic",
            attributes={"rating": 2},
        ),
    ]
    report = lw.ingest("school", batch)
    statuses = {r.id: (r.status, r.reason) for r in report.results}
    assert statuses["good"][0] == "accepted"
    assert statuses["low"][0] == "accepted"
    assert statuses["bad"] == (
        "rejected",
        "attributes.rating: 9 is above the maximum 5",
    )
    xp = {r.id: r.xp for r in report.results}
    # the rated rule: 2 XP per point, only for a rating of 3 or more
    assert xp["good"] - xp["low"] == 8
