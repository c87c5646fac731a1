"""The CredentialStore contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from levelwise.adapters.memory.credentials import InMemoryCredentialStore
from levelwise.adapters.sql.credentials import SqlCredentialStore
from levelwise.app.credentials.ports import (
    AwardKey,
    CredentialStore,
    IssuerProfile,
    SigningKey,
    StoredCredential,
)
from levelwise.errors import ConcurrencyError, StoreError


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> CredentialStore:
    """Each CredentialStore implementation in turn."""
    if request.param == "memory":
        return InMemoryCredentialStore()
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlCredentialStore(request.getfixturevalue(name))


KEY = SigningKey("k1", '{"d": "secret"}', '{"x": "public"}', "2026-01-01T00:00:00Z")


def credential(index: int = 0, learner: str = "ana", **kw: object) -> StoredCredential:
    row = StoredCredential(
        credential_id=uuid.uuid4().hex,
        tenant="",
        award=AwardKey(learner, f"e-{index}", 1, 1),
        kind="level_reached",
        achievement="level-a1",
        title="Breakthrough",
        awarded_at="2026-01-05T09:00:00Z",
        issued_at=f"2026-02-01T10:00:0{index}Z",
        status_index=index,
        assertion="{}",
        jwt="a.b.c",
    )
    return replace(row, **kw)  # type: ignore[arg-type]


def test_keys_are_kept_per_tenant(store, tenant, other_tenant):
    with store.session(tenant) as s:
        assert s.signing_key() is None
        s.add_key(KEY)
    with store.read(tenant) as s:
        assert s.signing_key() == KEY
        assert s.keys() == [KEY]
    with store.read(other_tenant) as s:
        assert s.keys() == []


def test_the_issuer_profile_is_replaced(store, tenant):
    with store.session(tenant) as s:
        assert s.issuer() is None
        s.put_issuer(IssuerProfile("A", "https://a.example"))
    with store.session(tenant) as s:
        s.put_issuer(IssuerProfile("B", "https://b.example", "b@b.example"))
    with store.read(tenant) as s:
        assert s.issuer() == IssuerProfile("B", "https://b.example", "b@b.example")


def test_a_credential_round_trips_and_belongs_to_its_tenant(
    store, tenant, other_tenant
):
    row = replace(credential(), tenant=tenant)
    with store.session(tenant) as s:
        assert s.next_status_index() == 0
        s.add(row)
        assert s.next_status_index() == 1
    assert store.tenant_of(row.credential_id) == tenant
    assert store.tenant_of("feed") is None
    with store.read(tenant) as s:
        assert s.credential(row.credential_id) == row
        assert s.find(row.award) == row
        assert s.credentials("ana") == [row]
        assert s.achievement("level-a1") == row
    with store.read(other_tenant) as s:
        assert s.credential(row.credential_id) is None
        assert s.find(row.award) is None
        assert s.credentials("ana") == []


def test_an_award_is_certified_once(store, tenant):
    row = replace(credential(), tenant=tenant)
    with store.session(tenant) as s:
        s.add(row)
    twin = replace(credential(index=1), tenant=tenant, award=row.award)
    with pytest.raises(ConcurrencyError), store.session(tenant) as s:
        s.add(twin)
    with store.read(tenant) as s:
        assert s.credentials("ana") == [row]


def test_revocation_is_recorded_once(store, tenant):
    rows = [replace(credential(i), tenant=tenant) for i in range(3)]
    with store.session(tenant) as s:
        for row in rows:
            s.add(row)
        s.revoke(rows[1].credential_id, "2026-03-01T00:00:00Z", "error")
    with store.session(tenant) as s:
        s.revoke(rows[1].credential_id, "2026-04-01T00:00:00Z", "again")
    with store.read(tenant) as s:
        assert s.revoked_indexes() == [1]
        got = s.credential(rows[1].credential_id)
    assert got is not None and got.revoked
    assert (got.revoked_at, got.revocation_reason) == ("2026-03-01T00:00:00Z", "error")


def test_a_failed_transaction_stores_nothing(store, tenant):
    with pytest.raises(RuntimeError), store.session(tenant) as s:
        s.add_key(KEY)
        raise RuntimeError
    with store.read(tenant) as s:
        assert s.keys() == []


def test_a_read_view_cannot_write(store, tenant):
    with pytest.raises(StoreError), store.read(tenant) as s:
        s.add_key(KEY)
