"""SQL credential store (SQLite and PostgreSQL) over ``tables_credentials``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from levelwise.adapters.sql.driver import store_errors
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.credentials import (
    credential_issuers,
    credential_keys,
    credentials,
)
from levelwise.app.credentials.ports import (
    AwardKey,
    CredentialSession,
    IssuerProfile,
    SigningKey,
    StoredCredential,
)

# Writers of one tenant queue on this lock (PostgreSQL), so status list indexes
# are handed out one at a time; SQLite's BEGIN IMMEDIATE serialises all writers.
_TENANT_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('credentials/' || :t, 0))"
_CONFLICT = "that award or status index was just certified by a concurrent request"


def _credential(row: Any) -> StoredCredential:
    return StoredCredential(
        credential_id=row.credential_id,
        tenant=row.tenant,
        award=AwardKey(row.learner, row.event_id, row.seq, row.program_version),
        kind=row.kind,
        achievement=row.achievement,
        title=row.title,
        awarded_at=row.awarded_at,
        issued_at=row.issued_at,
        status_index=row.status_index,
        assertion=row.assertion,
        jwt=row.jwt,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


def _key(row: Any) -> SigningKey:
    return SigningKey(row.kid, row.private_jwk, row.public_jwk, row.created_at)


class _SqlCredentialSession:
    def __init__(self, connection: Connection, tenant: str) -> None:
        self.c = connection
        self.tenant = tenant

    def keys(self) -> list[SigningKey]:
        query = (
            select(credential_keys)
            .where(credential_keys.c.tenant == self.tenant)
            .order_by(credential_keys.c.created_at, credential_keys.c.kid)
        )
        return [_key(r) for r in self.c.execute(query)]

    def signing_key(self) -> SigningKey | None:
        keys = self.keys()
        return keys[-1] if keys else None

    def add_key(self, key: SigningKey) -> None:
        with store_errors(conflict=f"key {key.kid!r} already exists"):
            self.c.execute(
                insert(credential_keys).values(
                    tenant=self.tenant,
                    kid=key.kid,
                    private_jwk=key.private_jwk,
                    public_jwk=key.public_jwk,
                    created_at=key.created_at,
                )
            )

    def issuer(self) -> IssuerProfile | None:
        query = select(credential_issuers).where(
            credential_issuers.c.tenant == self.tenant
        )
        row = self.c.execute(query).first()
        return None if row is None else IssuerProfile(row.name, row.url, row.email)

    def put_issuer(self, profile: IssuerProfile) -> None:
        values = {"name": profile.name, "url": profile.url, "email": profile.email}
        table = credential_issuers
        changed = self.c.execute(
            update(table).where(table.c.tenant == self.tenant).values(**values)
        )
        if changed.rowcount == 0:
            self.c.execute(insert(table).values(tenant=self.tenant, **values))

    def _select(self) -> Any:
        return select(credentials).where(credentials.c.tenant == self.tenant)

    def find(self, award: AwardKey) -> StoredCredential | None:
        c = credentials.c
        query = self._select().where(
            c.learner == award.learner,
            c.event_id == award.event_id,
            c.seq == award.seq,
            c.program_version == award.program_version,
        )
        row = self.c.execute(query).first()
        return None if row is None else _credential(row)

    def credential(self, credential_id: str) -> StoredCredential | None:
        query = self._select().where(credentials.c.credential_id == credential_id)
        row = self.c.execute(query).first()
        return None if row is None else _credential(row)

    def credentials(self, learner: str) -> list[StoredCredential]:
        c = credentials.c
        query = (
            self._select()
            .where(c.learner == learner)
            .order_by(c.issued_at, c.status_index)
        )
        return [_credential(r) for r in self.c.execute(query)]

    def achievement(self, slug: str) -> StoredCredential | None:
        c = credentials.c
        query = (
            self._select()
            .where(c.achievement == slug)
            .order_by(c.status_index.desc())
            .limit(1)
        )
        row = self.c.execute(query).first()
        return None if row is None else _credential(row)

    def next_status_index(self) -> int:
        query = select(func.max(credentials.c.status_index)).where(
            credentials.c.tenant == self.tenant
        )
        top = self.c.execute(query).scalar_one_or_none()
        return 0 if top is None else int(top) + 1

    def add(self, credential: StoredCredential) -> None:
        award = credential.award
        with store_errors(conflict=_CONFLICT):
            self.c.execute(
                insert(credentials).values(
                    credential_id=credential.credential_id,
                    tenant=self.tenant,
                    learner=award.learner,
                    event_id=award.event_id,
                    seq=award.seq,
                    program_version=award.program_version,
                    kind=credential.kind,
                    achievement=credential.achievement,
                    title=credential.title,
                    awarded_at=credential.awarded_at,
                    issued_at=credential.issued_at,
                    status_index=credential.status_index,
                    assertion=credential.assertion,
                    jwt=credential.jwt,
                    revoked_at=credential.revoked_at,
                    revocation_reason=credential.revocation_reason,
                )
            )

    def revoke(self, credential_id: str, at: str, reason: str) -> None:
        c = credentials.c
        self.c.execute(
            update(credentials)
            .where(
                c.tenant == self.tenant,
                c.credential_id == credential_id,
                c.revoked_at == "",
            )
            .values(revoked_at=at, revocation_reason=reason)
        )

    def revoked_indexes(self) -> Sequence[int]:
        c = credentials.c
        query = (
            select(c.status_index)
            .where(c.tenant == self.tenant, c.revoked_at != "")
            .order_by(c.status_index)
        )
        return [int(i) for i in self.c.execute(query).scalars()]


class SqlCredentialStore:
    """Credentials in the SQL database of the event log.

    Args:
        engine: A migrated engine from ``create_engine_for``; the caller owns it.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; nothing is opened until the first session."""
        self._engine = engine
        self._reader = reader(engine)

    @contextmanager
    def session(self, tenant: str) -> Iterator[CredentialSession]:
        """A write transaction of ``tenant``; it commits when the block exits.

        Raises:
            ConcurrencyError: A concurrent writer took the same award first.
            StoreError: The database failed.
        """
        with store_errors(), writing(self._engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(_TENANT_LOCK), {"t": tenant})
            yield _SqlCredentialSession(connection, tenant)

    @contextmanager
    def read(self, tenant: str) -> Iterator[CredentialSession]:
        """A read-only transaction of ``tenant``.

        Raises:
            StoreError: The database failed, or a write was attempted.
        """
        with store_errors(), self._reader.begin() as connection:
            yield _SqlCredentialSession(connection, tenant)

    def tenant_of(self, credential_id: str) -> str | None:
        """The tenant that issued ``credential_id``, if any.

        Raises:
            StoreError: The database failed.
        """
        query = select(credentials.c.tenant).where(
            credentials.c.credential_id == credential_id
        )
        with store_errors(), self._reader.begin() as connection:
            tenant: str | None = connection.execute(query).scalar_one_or_none()
        return tenant
