"""Placements: adaptive placement test sessions and item exposure per tenant.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
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
        "placements",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("session_id", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(UTC), nullable=False),
        sa.Column("updated_at", sa.String(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "session_id", name="pk_placements"),
    )
    op.create_table(
        "placement_exposure",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("exposure", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_placement_exposure"),
    )


def downgrade() -> None:
    op.drop_table("placement_exposure")
    op.drop_table("placements")
