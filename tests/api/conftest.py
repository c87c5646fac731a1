"""Fixtures for the HTTP API: an app over an in-memory engine and a fixed clock.

The client is ``httpx.AsyncClient`` over ``ASGITransport``: Starlette's
``TestClient`` warns (StarletteDeprecationWarning) when used with ``httpx``
instead of ``httpx2``, and the suite turns warnings into errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from tests.support.factories import SMALL_PROGRAM


class FixedClock:
    """A clock that always says the same time."""

    def now_iso(self) -> str:
        return "2027-01-01T00:00:00Z"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(InMemoryEventLog(), FixedClock())


def client_for(engine: Levelwise) -> httpx.AsyncClient:
    """A client for an app over ``engine``; app errors become 500 responses."""
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://levelwise.test")


@pytest.fixture
async def client(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(engine) as c:
        yield c


@pytest.fixture
def school_a(engine: Levelwise) -> dict[str, str]:
    """Auth headers of school A, which has SMALL_PROGRAM as version 1."""
    engine.put_program("school-a", SMALL_PROGRAM)
    return {"Authorization": f"Bearer {engine.create_key('school-a', 'test')}"}


@pytest.fixture
def school_b(engine: Levelwise) -> dict[str, str]:
    """Auth headers of school B, which has no program yet."""
    return {"Authorization": f"Bearer {engine.create_key('school-b', 'test')}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """Check a problem+json answer and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:levelwise:problem:{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body
