"""The one place that picks concrete adapters from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from levelwise.adapters.clock import SystemClock
from levelwise.adapters.memory import InMemoryEventLog
from levelwise.app.ports import EventLog
from levelwise.app.services import Levelwise
from levelwise.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def open_log(db: str) -> EventLog:
    """Open the event log at ``db`` (a SQLAlchemy URL or ``memory``), migrated."""
    if db == "memory":
        return InMemoryEventLog()
    from levelwise.adapters.sql.engine import create_engine_for
    from levelwise.adapters.sql.event_log import SqlEventLog
    from levelwise.adapters.sql.migrate import migrate

    engine = create_engine_for(db)
    migrate(engine)
    return SqlEventLog(engine)


def build(db: str | None = None) -> Levelwise:
    """The engine over the store named by ``db`` (default: from settings)."""
    return Levelwise(open_log(db or Settings().db), SystemClock())


def create_api(engine: Levelwise | None = None) -> FastAPI:
    """The HTTP app over ``engine`` (default: built from settings)."""
    from levelwise.api.app import create_app

    return create_app(engine or build())
