"""In-memory credential store: for tests and ``--db memory``; same contract as SQL."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NoReturn

from levelwise.app.credentials.ports import (
    AwardKey,
    IssuerProfile,
    SigningKey,
    StoredCredential,
)
from levelwise.errors import ConcurrencyError, StoreError


@dataclass
class _Tenant:
    keys: list[SigningKey] = field(default_factory=list)
    issuer: IssuerProfile | None = None
    credentials: dict[str, StoredCredential] = field(default_factory=dict)

    def copy(self) -> _Tenant:
        """A copy that can change without touching this one (rows are frozen)."""
        work = copy.copy(self)
        work.keys = list(self.keys)
        work.credentials = dict(self.credentials)
        return work


class _Session:
    def __init__(self, tenant: str, data: _Tenant, owners: dict[str, str]) -> None:
        self.tenant = tenant
        self.data = data
        self.owners = owners

    def signing_key(self) -> SigningKey | None:
        return self.data.keys[-1] if self.data.keys else None

    def keys(self) -> list[SigningKey]:
        return list(self.data.keys)

    def add_key(self, key: SigningKey) -> None:
        if any(k.kid == key.kid for k in self.data.keys):
            raise ConcurrencyError(f"key {key.kid!r} already exists")
        self.data.keys.append(key)

    def issuer(self) -> IssuerProfile | None:
        return self.data.issuer

    def put_issuer(self, profile: IssuerProfile) -> None:
        self.data.issuer = profile

    def find(self, award: AwardKey) -> StoredCredential | None:
        for credential in self.data.credentials.values():
            if credential.award == award:
                return credential
        return None

    def credential(self, credential_id: str) -> StoredCredential | None:
        return self.data.credentials.get(credential_id)

    def credentials(self, learner: str) -> list[StoredCredential]:
        rows = [c for c in self.data.credentials.values() if c.award.learner == learner]
        return sorted(rows, key=lambda c: (c.issued_at, c.status_index))

    def achievement(self, slug: str) -> StoredCredential | None:
        rows = [c for c in self.data.credentials.values() if c.achievement == slug]
        return max(rows, key=lambda c: c.status_index, default=None)

    def next_status_index(self) -> int:
        indexes = [c.status_index for c in self.data.credentials.values()]
        return max(indexes, default=-1) + 1

    def add(self, credential: StoredCredential) -> None:
        taken = self.find(credential.award) is not None or any(
            c.status_index == credential.status_index
            for c in self.data.credentials.values()
        )
        if taken or credential.credential_id in self.owners:
            raise ConcurrencyError("that award or status index was just certified")
        self.data.credentials[credential.credential_id] = credential
        self.owners[credential.credential_id] = self.tenant

    def revoke(self, credential_id: str, at: str, reason: str) -> None:
        found = self.data.credentials.get(credential_id)
        if found is not None and not found.revoked:
            revoked = replace(found, revoked_at=at, revocation_reason=reason)
            self.data.credentials[credential_id] = revoked

    def revoked_indexes(self) -> Sequence[int]:
        return sorted(
            c.status_index for c in self.data.credentials.values() if c.revoked
        )


class _ReadSession(_Session):
    def _read_only(self, *_: object) -> NoReturn:
        raise StoreError("a read view cannot write")

    add_key = put_issuer = add = revoke = _read_only  # type: ignore[assignment]


class InMemoryCredentialStore:
    """Credentials in process memory; a transaction commits only if it ends cleanly."""

    def __init__(self) -> None:
        """Start empty."""
        self._tenants: dict[str, _Tenant] = {}
        self._owners: dict[str, str] = {}
        self._lock = threading.RLock()

    @contextmanager
    def session(self, tenant: str) -> Iterator[_Session]:
        """A transaction of ``tenant``: changes land only when the block succeeds."""
        with self._lock:
            work = self._tenants.get(tenant, _Tenant()).copy()
            owners = dict(self._owners)
            yield _Session(tenant, work, owners)
            self._tenants[tenant] = work
            self._owners = owners

    @contextmanager
    def read(self, tenant: str) -> Iterator[_Session]:
        """A read-only view of ``tenant``."""
        with self._lock:
            data = self._tenants.get(tenant, _Tenant()).copy()
            yield _ReadSession(tenant, data, dict(self._owners))

    def tenant_of(self, credential_id: str) -> str | None:
        """The tenant that issued ``credential_id``, if any."""
        with self._lock:
            return self._owners.get(credential_id)
