"""Fixtures for the pages: an app with pages over an in-memory engine with boards.

The client is ``httpx.AsyncClient`` over ``ASGITransport`` (see
``tests/api/conftest.py`` for why not Starlette's ``TestClient``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from levelwise.adapters.memory.boards import InMemoryBoardStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageGrant, PageLinks
from levelwise.web import mount_pages
from tests.conftest import FixedClock
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    homework,
    watched,
)

NOW = datetime(2026, 1, 7, tzinfo=UTC)
SECRET = "page-test-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> Levelwise:
    """School ``s`` with ana (85 XP, unit u1) and bo (10 XP)."""
    engine = Levelwise(
        InMemoryEventLog(),
        FixedClock(NOW.isoformat()),
        InMemoryBoardStore(),
        links=PageLinks(SECRET.encode()),
    )
    engine.put_program("s", SMALL_PROGRAM)
    engine.ingest(
        "s",
        [
            watched(1200),
            completed("u1", minutes=5),
            homework(8, minutes=10),
            answered(True, minutes=11),
            watched(600, learner="bo"),
        ],
    )
    return engine


FRAME_ANCESTORS = "https://school.test"


@pytest.fixture
def app(engine: Levelwise) -> FastAPI:
    app = create_app(engine)
    mount_pages(app, engine, FRAME_ANCESTORS)
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as c:
        yield c


@pytest.fixture
def key(engine: Levelwise) -> dict[str, str]:
    return {"X-API-Key": engine.create_key("s")}


def token(
    page: str = "learner",
    learner: str = "ana",
    tenant: str = "s",
    hours: float = 24,
    secret: str = SECRET,
) -> str:
    """A token signed like the server's (``hours`` may be negative: expired)."""
    grant = PageGrant(tenant, page, learner, NOW + timedelta(hours=hours))  # type: ignore[arg-type]
    return PageLinks(secret.encode()).sign(grant)
