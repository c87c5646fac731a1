"""Team tasks: members' parts, current memberships, goals met.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/teams.py as of this revision.
ID = 200
UTC = 32
WINDOW = 16
KIND = 16


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def _key(*names: str, length: int = ID) -> list[sa.Column[str]]:
    return [sa.Column(name, _sortable(length), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "team_progress",
        *_key("tenant", "task"),
        *_key("window", length=WINDOW),
        *_key("team", "learner"),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "task", "window", "team", "learner", name="pk_team_progress"
        ),
    )
    op.create_index("ix_team_progress_learner", "team_progress", ["tenant", "learner"])
    op.create_table(
        "team_members",
        *_key("tenant"),
        *_key("kind", length=KIND),
        *_key("learner", "team"),
        sa.Column("since", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "kind", "learner", name="pk_team_members"),
    )
    op.create_index("ix_team_members_team", "team_members", ["tenant", "kind", "team"])
    op.create_table(
        "team_met",
        *_key("tenant", "task"),
        *_key("window", length=WINDOW),
        *_key("team"),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("rewarded", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "task", "window", "team", name="pk_team_met"),
    )


def downgrade() -> None:
    op.drop_table("team_met")
    op.drop_index("ix_team_members_team", table_name="team_members")
    op.drop_table("team_members")
    op.drop_index("ix_team_progress_learner", table_name="team_progress")
    op.drop_table("team_progress")
