"""The PkStore contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.pk import InMemoryPkStore
from levelwise.adapters.sql.pk import SqlPkStore
from levelwise.app.recognition.ports import PkSpec, PkStore
from levelwise.errors import PkNotFoundError


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> PkStore:
    """Each PkStore implementation in turn."""
    if request.param == "memory":
        return InMemoryPkStore()
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlPkStore(request.getfixturevalue(name))


SPEC = PkSpec(
    pk="pk-1",
    teams=(("blue", ("cy", "dee")), ("red", ("ana", "bob"))),
    rounds=3,
    cohort="7b",
    started_at="2026-03-02T18:00:00.000000Z",
    start_position=41,
)


def test_a_pk_is_stored_once_per_tenant(store, tenant, other_tenant):
    assert store.get(tenant, "pk-1") is None
    assert store.create(tenant, SPEC) == SPEC
    other = PkSpec("pk-1", (("x", ("zed",)),), 1, None, "2026-03-03T00:00:00Z", 0)
    assert store.create(tenant, other) == SPEC  # the first definition stays
    assert store.get(tenant, "pk-1") == SPEC
    assert store.get(other_tenant, "pk-1") is None
    assert store.create(other_tenant, other) == other


def test_finish_is_recorded_once(store, tenant):
    store.create(tenant, SPEC)
    done = store.finish(tenant, "pk-1", "2026-03-02T18:30:00.000000Z", 99)
    assert (done.finished_at, done.final_position) == (
        "2026-03-02T18:30:00.000000Z",
        99,
    )
    again = store.finish(tenant, "pk-1", "2026-03-02T19:00:00.000000Z", 120)
    assert again == done == store.get(tenant, "pk-1")
    assert again.teams == SPEC.teams and again.start_position == 41


def test_finishing_an_unknown_pk_fails(store, tenant):
    with pytest.raises(PkNotFoundError):
        store.finish(tenant, "nope", "2026-03-02T18:30:00.000000Z", 1)
