"""practice.completed at the edge: typed metrics (schema version 2) and upcasting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    SCHEMA_VERSION,
    UPCASTERS,
    PracticeMetricsIn,
    canonical_body,
    describe_errors,
    from_body,
    to_domain,
    upcast_practice_v1_v2,
)
from levelwise.domain.events import EVENT_TYPES
from levelwise.domain.practice import PRACTICE_METRICS
from tests.support.factories import event, watched


def practice(**fields: Any) -> dict[str, Any]:
    return event("practice.completed", id_="e1", seconds=600, **fields)


def reason(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        EVENT_ADAPTER.validate_python(raw)
    return describe_errors(info.value)


def test_the_metrics_model_has_every_practice_metric_with_its_bounds():
    fields = PracticeMetricsIn.model_fields

    assert list(fields) == list(PRACTICE_METRICS)
    for name, spec in PRACTICE_METRICS.items():
        low, high = spec.low, spec.high
        half = {name: low + 0.5}  # a fraction: only counts refuse it
        if spec.integral:
            with pytest.raises(ValidationError):
                PracticeMetricsIn.model_validate(half)
        else:
            assert PracticeMetricsIn.model_validate(half).pairs() == (
                (name, low + 0.5),
            )
        assert PracticeMetricsIn.model_validate({name: low}).pairs() == ((name, low),)
        assert PracticeMetricsIn.model_validate({name: high}).pairs() == ((name, high),)
        for outside in (low - 1, (high or 0) + 1):
            with pytest.raises(ValidationError):
                PracticeMetricsIn.model_validate({name: outside})


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        # an unknown name is refused naming it, and the known ones are listed
        (
            {"fluency": 0.5},
            "metrics: unknown practice metric 'fluency'; known: speech_rate, "
            "articulation_rate,",
        ),
        # several: the first, and how many more
        ({"wpm": 1, "speech_rate": 90, "x": 2}, "metric 'wpm' (and 1 more); known:"),
        # a count is a whole number
        ({"tokens": 12.5}, "metrics.tokens: Input should be a valid integer"),
        ({"tokens": "12"}, "metrics.tokens: must be a JSON number, not str"),
        # within the metric's own bounds
        ({"phonation_time_ratio": 1.5}, "metrics.phonation_time_ratio: Input should "),
        ({"speech_rate": -1}, "metrics.speech_rate: Input should be greater than"),
        ({"speech_rate": True}, "metrics.speech_rate: Input should be a valid number"),
    ],
    ids=["unknown", "several-unknown", "fraction", "text", "share", "negative", "bool"],
)
def test_bad_metrics_are_refused_with_a_clear_reason(metrics, expected):
    assert expected in reason(practice(metrics=metrics))


def test_session_and_scenario_are_ids():
    assert reason(practice(session="a b")).startswith("session: must be 1 to 200")
    assert reason(practice(scenario="")).startswith("scenario: must be 1 to 200")


def test_the_canonical_body_orders_metrics_as_the_metrics_list_does():
    raw = practice(
        metrics={"mtld": 40, "tokens": 120.0, "speech_rate": 112, "cefr_a1": None},
        scenario="cafe",
        session="s-1",
        unit="u1",
    )

    body = canonical_body(EVENT_ADAPTER.validate_python(raw))

    # PRACTICE_METRICS order, counts as integers, floats as floats, no nulls
    assert json.loads(body)["metrics"] == {
        "speech_rate": 112.0,
        "tokens": 120,
        "mtld": 40.0,
    }
    assert '"metrics":{"speech_rate":112.0,"tokens":120,"mtld":40.0}' in body
    assert body.endswith(',"session":"s-1","scenario":"cafe"}')
    shuffled = {**raw, "metrics": dict(reversed(list(raw["metrics"].items())))}
    assert canonical_body(EVENT_ADAPTER.validate_python(shuffled)) == body


def test_an_event_without_metrics_keeps_its_version_1_body():
    # So a platform re-sending an event of before the upgrade gets "duplicate",
    # not "conflict".
    raw = practice(turns=4)

    body = canonical_body(EVENT_ADAPTER.validate_python(raw))

    assert body == (
        '{"id":"e1","learner":"ana","occurred_at":"2026-01-05T09:00:00+00:00",'
        '"type":"practice.completed","seconds":600.0,"turns":4,"metrics":{}}'.replace(
            "+00:00", "Z"
        )
    )


def test_the_domain_event_is_the_same_from_the_wire_and_from_the_log():
    raw = practice(
        unit="u1",
        session="s-1",
        scenario="cafe",
        metrics={"tokens": 120, "speech_rate": 112, "mtld": 40.5},
    )
    model = EVENT_ADAPTER.validate_python(raw)

    made = to_domain(model)

    assert made == from_body(canonical_body(model))
    assert made.metrics == (("mtld", 40.5), ("speech_rate", 112.0), ("tokens", 120.0))
    assert all(type(value) is float for _, value in made.metrics)
    assert (made.session, made.scenario) == ("s-1", "cafe")


@pytest.mark.parametrize(
    ("v1", "v2"),
    [
        # known and within bounds: kept
        ({"speech_rate": 112.0, "mattr": 0.7}, {"speech_rate": 112.0, "mattr": 0.7}),
        # names version 2 does not know: dropped
        ({"fluency": 0.8, "wpm": 80.0, "mtld": 40.0}, {"mtld": 40.0}),
        # outside the metric's bounds: dropped
        ({"speech_rate": -5.0, "mattr": 1.5, "zipf_mean": 9e8}, {}),
        # counts: whole ones kept as integers, fractions dropped
        ({"tokens": 120.0, "learner_turns": 2.5}, {"tokens": 120}),
        # not numbers at all (no version 1 body holds them, but never crash)
        ({"speech_rate": True, "mtld": "40", "mattr": None}, {}),
        ({}, {}),
    ],
    ids=["kept", "unknown", "out-of-bounds", "counts", "not-numbers", "none"],
)
def test_the_upcaster_keeps_known_metrics_within_bounds(v1, v2):
    body = {"type": "practice.completed", "seconds": 60.0, "turns": 0, "metrics": v1}

    upcast = upcast_practice_v1_v2(body)

    assert upcast == {**body, "metrics": v2}
    assert type(upcast["metrics"].get("tokens", 0)) is int


def test_a_version_1_body_still_replays():
    v1 = (
        '{"id":"e1","learner":"ana","occurred_at":"2026-01-05T09:00:00Z",'
        '"type":"practice.completed","seconds":600.0,"turns":12,'
        '"metrics":{"wpm":95.0,"speech_rate":95.0,"tokens":300.0,"mattr":2.0}}'
    )

    made = from_body(v1, 1)

    assert made.metrics == (("speech_rate", 95.0), ("tokens", 300.0))
    assert (made.seconds, made.turns, made.session) == (600.0, 12, None)
    assert SCHEMA_VERSION == 2


def test_every_type_is_upcast_from_version_1_and_only_practice_changes():
    assert {t for t, v in UPCASTERS if v == 1} == set(EVENT_TYPES)
    body = canonical_body(EVENT_ADAPTER.validate_python(watched(600, id_="w1")))

    assert from_body(body, 1) == from_body(body, SCHEMA_VERSION)
    for (kind, _), upcast in UPCASTERS.items():
        if kind != "practice.completed":
            data = {"type": kind, "metrics": {"fluency": 1.0}}
            assert upcast(data) == data
