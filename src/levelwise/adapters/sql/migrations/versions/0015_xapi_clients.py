"""xAPI record store: the clients' HTTP Basic credentials.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/xapi.py as of this revision.
ID = 200
UTC = 32
HASH = 128
TYPE = 255


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "xapi_clients",
        sa.Column("key", _sortable(ID), nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("secret_hash", sa.String(HASH), nullable=False),
        sa.Column("label", sa.String(TYPE), nullable=False),
        sa.Column("created", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_xapi_clients"),
    )
    op.create_index("ix_xapi_clients_tenant", "xapi_clients", ["tenant", "created"])


def downgrade() -> None:
    op.drop_index("ix_xapi_clients_tenant", table_name="xapi_clients")
    op.drop_table("xapi_clients")
