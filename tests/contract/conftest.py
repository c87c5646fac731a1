"""Fixtures for the EventLog behaviour suite: one suite, every implementation."""

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
from tests.postgres import postgres_engine


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


def new_tenant() -> str:
    """A tenant id no other test uses (the PostgreSQL database is shared)."""
    return f"t-{uuid.uuid4().hex}"


@pytest.fixture
def tenant() -> str:
    """This test's own tenant."""
    return new_tenant()


@pytest.fixture
def other_tenant() -> str:
    """A second tenant, for isolation checks."""
    return new_tenant()
