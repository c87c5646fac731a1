"""Board stores for tests: memory, SQL (SQLite, PostgreSQL) and a real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from levelwise.adapters.redis.boards import RedisBoardStore
from tests.support.postgres import REQUIRE_VARIABLE

REDIS_URL_VARIABLE = "LEVELWISE_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """The test Redis (``LEVELWISE_TEST_REDIS_URL`` overrides it)."""
    return os.environ.get(REDIS_URL_VARIABLE) or DEFAULT_REDIS_URL


def redis_store() -> Iterator[RedisBoardStore]:
    """A Redis board store with a key prefix of its own, cleaned up after.

    Skips when Redis cannot be reached, or fails when
    ``LEVELWISE_REQUIRE_SERVICES=1``.
    """
    import redis

    prefix = f"lwtest:{uuid.uuid4().hex}:"
    store = RedisBoardStore.from_url(redis_url(), prefix)
    try:
        store.client.ping()
    except redis.RedisError as exc:
        store.client.close()
        msg = f"Redis is not reachable at {redis_url()}: {exc}"
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{msg} ({REQUIRE_VARIABLE}=1)", pytrace=False)
        pytest.skip(msg)
    try:
        yield store
    finally:
        keys = list(store.client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            store.client.delete(*keys)
        store.client.close()
