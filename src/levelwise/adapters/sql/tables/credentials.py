"""SQLAlchemy Core tables of verifiable credentials (on the one ``MetaData``).

Private keys stay in ``credential_keys`` and are never served. A credential's
public id is unique across tenants (its URLs carry no tenant); an award is
certified once (``uq_credentials_award``) and every credential owns one bit
of its tenant's status list (``uq_credentials_status``).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

CREDENTIAL_ID_LENGTH = 64

credential_keys = Table(
    "credential_keys",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("kid", sortable(ID_LENGTH), primary_key=True),
    Column("private_jwk", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", sortable(UTC_LENGTH), nullable=False),
)

credential_issuers = Table(
    "credential_issuers",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("name", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("email", Text, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("credential_id", String(CREDENTIAL_ID_LENGTH), primary_key=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("event_id", sortable(ID_LENGTH), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("achievement", sortable(ID_LENGTH * 2), nullable=False),
    Column("title", Text, nullable=False),
    Column("awarded_at", String(UTC_LENGTH), nullable=False),
    Column("issued_at", sortable(UTC_LENGTH), nullable=False),
    Column("status_index", Integer, nullable=False),
    Column("assertion", Text, nullable=False),
    Column("jwt", Text, nullable=False),
    Column("revoked_at", String(UTC_LENGTH), nullable=False),
    Column("revocation_reason", Text, nullable=False),
    UniqueConstraint(
        "tenant",
        "learner",
        "event_id",
        "seq",
        "program_version",
        name="uq_credentials_award",
    ),
    UniqueConstraint("tenant", "status_index", name="uq_credentials_status"),
    Index("ix_credentials_learner", "tenant", "learner", "issued_at"),
    Index("ix_credentials_achievement", "tenant", "achievement"),
)
