"""xAPI record store: statements, query keys, attachments, documents.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/xapi.py as of this revision.
ID = 200
UTC = 32
IRI = 500
UUID = 64
KIND = 16
HASH = 128
TYPE = 255


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def _key(*names: str, length: int = ID) -> list[sa.Column[str]]:
    return [sa.Column(name, _sortable(length), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "xapi_statements",
        *_key("tenant"),
        *_key("id", length=UUID),
        sa.Column("stored", _sortable(UTC), nullable=False),
        sa.Column("timestamp", _sortable(UUID), nullable=False),
        sa.Column("verb", _sortable(IRI), nullable=False),
        sa.Column("registration", _sortable(UUID), nullable=True),
        sa.Column("target", _sortable(UUID), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_xapi_statements"),
    )
    op.create_index(
        "ix_xapi_statements_stored",
        "xapi_statements",
        ["tenant", "stored"],
        unique=True,
    )
    op.create_index(
        "ix_xapi_statements_target", "xapi_statements", ["tenant", "target"]
    )
    op.create_table(
        "xapi_statement_keys",
        *_key("tenant"),
        *_key("kind", length=KIND),
        *_key("value", length=IRI),
        *_key("statement", length=UUID),
        sa.PrimaryKeyConstraint(
            "tenant", "kind", "value", "statement", name="pk_xapi_statement_keys"
        ),
    )
    op.create_index(
        "ix_xapi_statement_keys_statement",
        "xapi_statement_keys",
        ["tenant", "statement"],
    )
    op.create_table(
        "xapi_attachments",
        *_key("tenant"),
        *_key("sha2", length=HASH),
        sa.Column("content_type", sa.String(TYPE), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "sha2", name="pk_xapi_attachments"),
    )
    op.create_table(
        "xapi_documents",
        *_key("tenant"),
        *_key("kind", length=KIND),
        *_key("activity", "agent", length=IRI),
        *_key("registration", length=UUID),
        *_key("doc_id", length=IRI),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(TYPE), nullable=False),
        sa.Column("etag", sa.String(HASH), nullable=False),
        sa.Column("updated", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant",
            "kind",
            "activity",
            "agent",
            "registration",
            "doc_id",
            name="pk_xapi_documents",
        ),
    )


def downgrade() -> None:
    op.drop_table("xapi_documents")
    op.drop_table("xapi_attachments")
    op.drop_index("ix_xapi_statement_keys_statement", table_name="xapi_statement_keys")
    op.drop_table("xapi_statement_keys")
    op.drop_index("ix_xapi_statements_target", table_name="xapi_statements")
    op.drop_index("ix_xapi_statements_stored", table_name="xapi_statements")
    op.drop_table("xapi_statements")
