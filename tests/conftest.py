"""Shared fixtures: a fixed clock, the small program, and every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.adapters.sql.migrate import migrate
from levelwise.app.engine import Levelwise
from levelwise.app.ports import EventLog
from levelwise.app.programs.loader import load_program
from levelwise.domain.program import Program
from tests.support.factories import SMALL_PROGRAM, new_tenant
from tests.support.postgres import postgres_engine


class FixedClock:
    """A clock that always says the same time (``now``, ISO 8601)."""

    def __init__(self, now: str = "2027-01-01T00:00:00+00:00") -> None:
        self.now = now

    def now_iso(self) -> str:
        return self.now


@pytest.fixture
def program() -> Program:
    return load_program(SMALL_PROGRAM, "tiny.yaml")


@pytest.fixture
def engine() -> Levelwise:
    lw = Levelwise(InMemoryEventLog(), FixedClock())
    lw.put_program("school", SMALL_PROGRAM)
    return lw


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """The shared, migrated PostgreSQL engine (skips when unreachable)."""
    engine = postgres_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a fresh file."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'levelwise.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def event_log(request: pytest.FixtureRequest) -> EventLog:
    """Each EventLog implementation in turn."""
    if request.param == "memory":
        return InMemoryEventLog()
    if request.param == "sqlite":
        return SqlEventLog(request.getfixturevalue("sqlite_engine"))
    return SqlEventLog(request.getfixturevalue("pg_engine"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_engine(request: pytest.FixtureRequest) -> Engine:
    """Each migrated SQL database in turn: a fresh SQLite file, the shared server."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    engine: Engine = request.getfixturevalue(name)
    return engine


@pytest.fixture
def tenant() -> str:
    """This test's own tenant."""
    return new_tenant()


@pytest.fixture
def other_tenant() -> str:
    """A second tenant, for isolation checks."""
    return new_tenant()
