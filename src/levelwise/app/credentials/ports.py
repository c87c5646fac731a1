"""Ports and records of verifiable credentials: keys, issuers, issued credentials.

An *award* is a stored outcome of kind ``level_reached``, ``level_placed`` or
``badge_earned``, identified by ``(learner, event_id, seq, program_version)``.
A credential certifies one award; issuing is idempotent per award.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

AWARD_KINDS = ("level_reached", "level_placed", "badge_earned")
"""Outcome kinds that can be certified."""


@dataclass(frozen=True)
class AwardKey:
    """What identifies an award among a tenant's stored outcomes."""

    learner: str
    event_id: str
    seq: int
    program_version: int


@dataclass(frozen=True)
class SigningKey:
    """A tenant's Ed25519 key pair as JWKs (the private one never leaves the store).

    Attributes:
        kid: The key id (in JWT headers and the JWK set).
        private_jwk: The private key as JSON (JWK with ``d``).
        public_jwk: The public key as JSON (JWK without ``d``).
        created_at: When it was made (Clock time).
    """

    kid: str
    private_jwk: str
    public_jwk: str
    created_at: str


@dataclass(frozen=True)
class IssuerProfile:
    """How a tenant appears as an issuer.

    Attributes:
        name: Display name (default: the tenant id).
        url: The school's home page (default: the public base URL).
        email: A contact address, or ``""``.
    """

    name: str
    url: str
    email: str = ""


@dataclass(frozen=True)
class StoredCredential:
    """An issued credential as the store keeps it.

    Attributes:
        credential_id: Public, unguessable id (a UUID's hex).
        tenant: The issuing tenant.
        award: The award it certifies.
        kind: The award's outcome kind.
        achievement: The BadgeClass/Achievement slug (``level-a1``).
        title: The achievement's display name.
        awarded_at: When the award happened (the event's time).
        issued_at: When the credential was issued (Clock time).
        status_index: Its bit in the tenant's revocation status list.
        assertion: The Open Badges 2.0 Assertion (canonical JSON).
        jwt: The signed Open Badges 3.0 credential (compact JWS).
        revoked_at: When it was revoked, or ``""``.
        revocation_reason: Why, or ``""``.
    """

    credential_id: str
    tenant: str
    award: AwardKey
    kind: str
    achievement: str
    title: str
    awarded_at: str
    issued_at: str
    status_index: int
    assertion: str
    jwt: str
    revoked_at: str = ""
    revocation_reason: str = ""

    @property
    def revoked(self) -> bool:
        """Whether the credential was revoked."""
        return bool(self.revoked_at)


class CredentialSession(Protocol):
    """One tenant's credentials inside one transaction."""

    def signing_key(self) -> SigningKey | None:
        """The tenant's newest signing key, or None before the first issue."""
        ...

    def keys(self) -> list[SigningKey]:
        """Every signing key of the tenant, oldest first."""
        ...

    def add_key(self, key: SigningKey) -> None:
        """Store a new signing key."""
        ...

    def issuer(self) -> IssuerProfile | None:
        """The tenant's issuer profile, if one was set."""
        ...

    def put_issuer(self, profile: IssuerProfile) -> None:
        """Insert or replace the tenant's issuer profile."""
        ...

    def find(self, award: AwardKey) -> StoredCredential | None:
        """The credential of an award, if issued."""
        ...

    def credential(self, credential_id: str) -> StoredCredential | None:
        """A credential of this tenant, or None."""
        ...

    def credentials(self, learner: str) -> list[StoredCredential]:
        """A learner's credentials, oldest issue first."""
        ...

    def achievement(self, slug: str) -> StoredCredential | None:
        """The newest credential of an achievement (for its BadgeClass)."""
        ...

    def next_status_index(self) -> int:
        """The first unused status list index (0, 1, ...)."""
        ...

    def add(self, credential: StoredCredential) -> None:
        """Store a new credential (its award and index are not taken yet)."""
        ...

    def revoke(self, credential_id: str, at: str, reason: str) -> None:
        """Mark a credential of this tenant revoked (once; later calls keep it)."""
        ...

    def revoked_indexes(self) -> Sequence[int]:
        """The status list indexes of the tenant's revoked credentials."""
        ...


class CredentialStore(Protocol):
    """Where every tenant's keys, issuer profile and credentials live."""

    def session(self, tenant: str) -> AbstractContextManager[CredentialSession]:
        """A write transaction of ``tenant``; writers of a tenant queue up."""
        ...

    def read(self, tenant: str) -> AbstractContextManager[CredentialSession]:
        """A read-only view of ``tenant`` (its write methods fail)."""
        ...

    def tenant_of(self, credential_id: str) -> str | None:
        """The tenant that issued a credential, or None if it does not exist."""
        ...
