"""The engine over every store (the store fixtures live in ``tests/conftest.py``)."""

from __future__ import annotations

import uuid

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.ports import EventLog
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM


@pytest.fixture
def school() -> str:
    """A tenant id of this test's own (the PostgreSQL database is shared)."""
    return f"school-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def lw(event_log: EventLog, school: str) -> Levelwise:
    engine = Levelwise(event_log, FixedClock())
    engine.put_program(school, SMALL_PROGRAM)
    return engine
