"""Group PK definitions.

Revision ID: 0007_pk
Revises: 0003
Create Date: 2026-03-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_pk"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_pk.py as of this revision.
ID = 200
UTC = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "pks",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("pk", _sortable(ID), nullable=False),
        sa.Column("teams", sa.Text(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("cohort", _sortable(ID), nullable=True),
        sa.Column("started_at", _sortable(UTC), nullable=False),
        sa.Column("start_position", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", _sortable(UTC), nullable=True),
        sa.Column("final_position", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "pk", name="pk_pks"),
    )


def downgrade() -> None:
    op.drop_table("pks")
