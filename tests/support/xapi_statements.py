"""xAPI statements of the test school Kana Online, and the events that carry them.

The school's program is ``tests/data/programs/xapi_school.yaml``: learners are
accounts of ``https://lms.kana.example``. ``statement`` builds a statement
(a dict), ``statement_event`` the ``xapi.statement`` event the record store
posts for it, and ``voiding`` the ``event.voided`` event of a voiding
statement.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from levelwise.app.programs.loader import load_program
from levelwise.domain.program import Program
from tests.support.factories import T0

XAPI_SCHOOL = Path(__file__).resolve().parents[1] / "data/programs/xapi_school.yaml"
LMS = "https://lms.kana.example"
ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video/verbs/"
ANSWERED = ADL + "answered"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
FAILED = ADL + "failed"
INTERACTED = ADL + "interacted"
EXPERIENCED = ADL + "experienced"
PLAYED = VIDEO + "played"
PAUSED = VIDEO + "paused"
TERMINATED = VIDEO + "terminated"
MODULE = "http://adlnet.gov/expapi/activities/module"
HIRAGANA_Q = "https://kana.example/quiz/hiragana/"
HIRAGANA_VIDEO = "https://kana.example/video/hiragana"
KANA_TEST = "https://kana.example/cmi5/kana-test"
UNITS = "https://kana.example/units/"


@cache
def xapi_school() -> Program:
    """The compiled test school (compiled once: programs are immutable)."""
    return load_program(XAPI_SCHOOL.read_text(), XAPI_SCHOOL.name)


def xapi_school_source() -> str:
    """The test school's program file."""
    return XAPI_SCHOOL.read_text()


def statement(
    verb: str,
    activity: str,
    *,
    learner: str = "ana",
    result: dict[str, Any] | None = None,
    activity_type: str | None = None,
    context: dict[str, Any] | None = None,
    id_: str | None = None,
    minutes: float = 0,
) -> dict[str, Any]:
    """A statement by ``learner``'s LMS account, ``minutes`` after ``T0``."""
    obj: dict[str, Any] = {"objectType": "Activity", "id": activity}
    if activity_type is not None:
        obj["definition"] = {"type": activity_type}
    made: dict[str, Any] = {
        "id": id_ or str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": LMS, "name": learner},
        },
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": obj,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    if result is not None:
        made["result"] = result
    if context is not None:
        made["context"] = context
    return made


def text_of(stmt: dict[str, Any]) -> str:
    """A statement's compact JSON text, as a record store stores it."""
    return json.dumps(stmt, separators=(",", ":"))


def statement_event(stmt: dict[str, Any], learner: str = "ana") -> dict[str, Any]:
    """The ``xapi.statement`` event of ``stmt`` (id and time are the statement's)."""
    return {
        "id": stmt["id"],
        "type": "xapi.statement",
        "learner": learner,
        "occurred_at": stmt["timestamp"],
        "statement": text_of(stmt),
    }


def voiding(
    target: str,
    *,
    learner: str = "ana",
    minutes: float = 60,
    at: datetime | None = None,
    id_: str | None = None,
) -> dict[str, Any]:
    """The ``event.voided`` event of a voiding statement voiding ``target``."""
    moment = at if at is not None else T0 + timedelta(minutes=minutes)
    return {
        "id": id_ or str(uuid.uuid4()),
        "type": "event.voided",
        "learner": learner,
        "occurred_at": moment.isoformat(),
        "target": target,
    }
