"""Credentials: signing keys, issuer profiles and issued credentials per tenant.

Revision ID: 0005_credentials
Revises: 0003
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_credentials"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_credentials.py as of this revision.
ID = 200
UTC = 32
CID = 64


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "credential_keys",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("kid", _sortable(ID), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kid", name="pk_credential_keys"),
    )
    op.create_table(
        "credential_issuers",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_credential_issuers"),
    )
    op.create_table(
        "credentials",
        sa.Column("credential_id", sa.String(CID), nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("event_id", _sortable(ID), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("achievement", _sortable(ID * 2), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("awarded_at", sa.String(UTC), nullable=False),
        sa.Column("issued_at", _sortable(UTC), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("assertion", sa.Text(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.String(UTC), nullable=False),
        sa.Column("revocation_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("credential_id", name="pk_credentials"),
        sa.UniqueConstraint(
            "tenant",
            "learner",
            "event_id",
            "seq",
            "program_version",
            name="uq_credentials_award",
        ),
        sa.UniqueConstraint("tenant", "status_index", name="uq_credentials_status"),
    )
    op.create_index(
        "ix_credentials_learner", "credentials", ["tenant", "learner", "issued_at"]
    )
    op.create_index(
        "ix_credentials_achievement", "credentials", ["tenant", "achievement"]
    )


def downgrade() -> None:
    op.drop_index("ix_credentials_achievement", table_name="credentials")
    op.drop_index("ix_credentials_learner", table_name="credentials")
    op.drop_table("credentials")
    op.drop_table("credential_issuers")
    op.drop_table("credential_keys")
