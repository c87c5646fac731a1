"""Practice sessions in the log, on every store: version 1 bodies, receipts, replay."""

from __future__ import annotations

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    SCHEMA_VERSION,
    canonical_body,
    digest_of,
)
from levelwise.app.ports import EventLog, StoredEvent
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, event

PROGRAM = SMALL_PROGRAM.replace(
    "levels:\n",
    "  - {id: p1, kind: practice, minutes: 10, knowledge_points: [greetings]}\n"
    "levels:\n",
    1,
) + (
    "  - id: talk\n"
    "    on: practice.completed\n"
    "    xp: speech_rate / 10\n"
    "practice:\n"
    "  measurements:\n"
    "    - id: fluency\n"
    "      dimension: speaking\n"
    "      metrics:\n"
    "        speech_rate: {zero: 30, full: 90}\n"
)


@pytest.fixture
def talk(event_log: EventLog, school: str) -> Levelwise:
    engine = Levelwise(event_log, FixedClock())
    engine.put_program(school, PROGRAM)
    return engine


def store_v1(lw: Levelwise, school: str, body: str) -> None:
    """Append a row as schema version 1 wrote it."""
    row = StoredEvent(
        "old-1",
        "ana",
        "practice.completed",
        1,
        "2026-01-05T09:00:00.000000Z",
        body,
        digest_of(body),
    )
    with lw.log.session(school) as s:
        s.append([row])


def test_a_version_1_session_replays_with_its_known_metrics(talk, school):
    # Version 1 took any metric; 'wpm' was never readable and is dropped.
    store_v1(
        talk,
        school,
        '{"id":"old-1","learner":"ana","occurred_at":"2026-01-05T09:00:00Z",'
        '"type":"practice.completed","unit":"p1","seconds":600.0,"turns":8,'
        '"metrics":{"wpm":200.0,"speech_rate":90.0}}',
    )

    report = talk.replay(school)

    assert (report.learners, report.events) == (1, 1)
    assert talk.learner(school, "ana").xp == 9  # speech_rate / 10
    (measured,) = talk.receipts(school, "ana", kinds=["ability_measured"])
    assert measured["metrics"] == [
        {"metric": "speech_rate", "value": 90.0, "full": 90.0}
    ]
    assert measured["text"].endswith(" speaking: speech rate 90 wpm")


def test_a_resent_session_of_version_1_without_metrics_is_a_duplicate(talk, school):
    raw = event("practice.completed", id_="old-1", unit="p1", seconds=600, turns=8) | {
        "occurred_at": "2026-01-05T09:00:00Z"
    }
    body = canonical_body(EVENT_ADAPTER.validate_python(raw))
    store_v1(talk, school, body)

    report = talk.ingest(school, [raw])

    assert [r.status for r in report.results] == ["duplicate"]


def test_ingest_stores_sessions_in_the_current_version_and_measures_them(talk, school):
    raw = event(
        "practice.completed",
        unit="p1",
        seconds=600,
        session="s-1",
        scenario="p1",
        metrics={"speech_rate": 75, "tokens": 300},
    )

    report = talk.ingest(school, [raw])

    assert report.results[0].status == "accepted"
    with talk.log.read(school) as s:
        (row,) = s.history("ana")
    assert (row.version, SCHEMA_VERSION) == (2, 2)
    assert '"session":"s-1","scenario":"p1"' in row.body
    (measured,) = talk.receipts(school, "ana", kinds=["ability_measured"])
    assert measured["score"] == 0.75  # (75 - 30) / (90 - 30)
    view = talk.learner(school, "ana")
    assert view.dimensions["speaking"][0] == pytest.approx(measured["after"], abs=1e-6)
    before = talk.receipts(school, "ana", limit=1000)

    talk.replay(school)

    assert talk.receipts(school, "ana", limit=1000) == before
