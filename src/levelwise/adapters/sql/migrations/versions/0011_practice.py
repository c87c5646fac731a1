"""Practice sessions of the AI speaking partner.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/practice.py as of this revision.
ID = 200
UTC = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "practice_sessions",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("session", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("status", _sortable(16), nullable=False),
        sa.Column("started_at", _sortable(UTC), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "session", name="pk_practice_sessions"),
    )
    op.create_index(
        "ix_practice_sessions_learner",
        "practice_sessions",
        ["tenant", "learner", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_practice_sessions_learner", table_name="practice_sessions")
    op.drop_table("practice_sessions")
