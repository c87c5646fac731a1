"""The PostgreSQL test server: connect, migrate once, or skip (fail in CI)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.migrate import migrate

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL_VARIABLE = "LEVELWISE_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "LEVELWISE_REQUIRE_SERVICES"

_migrated: set[str] = set()


def postgres_url() -> str:
    """The test server's URL (``LEVELWISE_TEST_POSTGRES_URL`` overrides it)."""
    return os.environ.get(URL_VARIABLE) or DEFAULT_URL


def postgres_engine() -> Engine:
    """An engine on the test database, migrated once per test session.

    The database is shared: tests isolate themselves with their own tenant
    ids, never by dropping tables. The caller disposes of the engine.

    When the server cannot be reached the calling test is skipped, or fails
    when ``LEVELWISE_REQUIRE_SERVICES=1`` (as in CI), so a missing service
    cannot turn a red build green.
    """
    url = postgres_url()
    parsed = make_url(url)
    if "connect_timeout" not in parsed.query:
        # Fail fast when packets are dropped instead of refused.
        parsed = parsed.update_query_dict({"connect_timeout": "5"})
    engine = create_engine_for(parsed.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        msg = f"PostgreSQL is not reachable at {where}: {reason}"
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{msg} ({REQUIRE_VARIABLE}=1)", pytrace=False)
        pytest.skip(msg)
    if url not in _migrated:
        migrate(engine)
        _migrated.add(url)
    return engine
