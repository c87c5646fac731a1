"""The PracticeStore contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.adapters.sql.practice import SqlPracticeStore
from levelwise.app.practice.ports import (
    PracticeStore,
    SessionRecord,
    TurnRecord,
    record_from_json,
    record_json,
)
from levelwise.errors import PracticeNotFoundError


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> PracticeStore:
    """Each PracticeStore implementation in turn."""
    if request.param == "memory":
        return InMemoryPracticeStore()
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlPracticeStore(request.getfixturevalue(name))


RECORD = SessionRecord(
    session="ps_1",
    learner="ana",
    unit="a1_practice_ordering_food",
    scenario="Ordering food — «café» 咖啡",
    status="open",
    started_at="2026-12-07T10:00:00.000000Z",
    token_digest="ab" * 32,
    brief=(("level", "A1"), ("weak_points", "Food, prices")),
    instructions="You are a friendly partner.\nThe learner's level is A1.",
    backends=(("model", "scripted"),),
)
TURNS = (
    TurnRecord(0, "partner", "Hello! What would you like?", source="scripted"),
    TurnRecord(
        1,
        "learner",
        "a coffee please",
        mode="voice",
        words=(("a", 0.1, 0.2), ("coffee", 0.25, 0.7), ("please", 1.1, 1.5)),
        duration=1.8,
    ),
    TurnRecord(
        2,
        "partner",
        "Great. And",
        mode="voice",
        interrupted=True,
        generated="Great. And what would you like to eat?",
        latency=(("barge_in_stop", 12.5), ("first_audio", 640.0)),
        source="scripted",
    ),
)


def test_a_session_round_trips_whole(store, tenant, other_tenant):
    assert store.get(tenant, "ps_1") is None
    store.create(tenant, RECORD)
    assert store.get(tenant, "ps_1") == RECORD
    assert store.get(other_tenant, "ps_1") is None  # another school's
    done = replace(
        RECORD,
        turns=TURNS,
        status="finished",
        notices=("The model was down.",),
        finished_at="2026-12-07T10:05:00.000000Z",
        event_id="practice-ps_1",
        metrics=(("speech_rate", 96.5), ("tokens", 3.0)),
    )
    store.save(tenant, done)
    assert store.get(tenant, "ps_1") == done


def test_saving_an_unknown_session_fails(store, tenant, other_tenant):
    store.create(tenant, RECORD)
    with pytest.raises(PracticeNotFoundError):
        store.save(other_tenant, RECORD)
    with pytest.raises(PracticeNotFoundError):
        store.save(tenant, replace(RECORD, session="ps_2"))


def test_the_json_form_is_exact():
    record = replace(RECORD, turns=TURNS, metrics=(("mtld", 41.25),))
    assert record_from_json(record_json(record)) == record
