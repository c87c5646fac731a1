"""The engine over every store: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from levelwise.adapters.memory import InMemoryEventLog
from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.migrate import migrate
from levelwise.app.ports import EventLog
from levelwise.app.services import Levelwise
from tests.conftest import FixedClock
from tests.factories import SMALL_PROGRAM
from tests.postgres import postgres_engine


@pytest.fixture(scope="session")
def pg() -> Iterator[Engine]:
    engine = postgres_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'lw.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def log(request: pytest.FixtureRequest) -> EventLog:
    if request.param == "memory":
        return InMemoryEventLog()
    if request.param == "sqlite":
        return SqlEventLog(request.getfixturevalue("sqlite_db"))
    return SqlEventLog(request.getfixturevalue("pg"))


@pytest.fixture
def school() -> str:
    """A tenant id of this test's own (the PostgreSQL database is shared)."""
    return f"school-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def lw(log: EventLog, school: str) -> Levelwise:
    engine = Levelwise(log, FixedClock())
    engine.put_program(school, SMALL_PROGRAM)
    return engine
