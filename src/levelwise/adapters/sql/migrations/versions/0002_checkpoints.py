"""Checkpoints: a learner's state every so many events, for late-event re-folds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py as of this revision.
ID = 200
UTC = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("last_at", _sortable(UTC), nullable=False),
        sa.Column("last_id", _sortable(ID), nullable=False),
        sa.Column("level", sa.String(ID), nullable=False),
        sa.Column("xp", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant",
            "learner",
            "program_version",
            "last_at",
            "last_id",
            name="pk_checkpoints",
        ),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
