"""Metrics projection: cursors, learner facts, day counters, experiments.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_metrics.py as of this revision.
ID = 200
UTC = 32
DAY = 10


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "metric_cursors",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("facts_version", sa.Integer(), nullable=False),
        sa.Column("last_at", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_metric_cursors"),
    )
    op.create_table(
        "metric_learners",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("enrolled_at", _sortable(UTC), nullable=False),
        sa.Column("renewed_at", _sortable(UTC), nullable=False),
        sa.Column("first_at", _sortable(UTC), nullable=False),
        sa.Column("cohort", _sortable(DAY), nullable=False),
        sa.Column("klass", _sortable(ID), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("peak", sa.Integer(), nullable=False),
        sa.Column("gate", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "learner", name="pk_metric_learners"),
    )
    op.create_table(
        "metric_days",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("day", _sortable(DAY), nullable=False),
        sa.Column("week", _sortable(DAY), nullable=False),
        sa.Column("study", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "learner", "day", name="pk_metric_days"),
    )
    op.create_index("ix_metric_days_day", "metric_days", ["tenant", "day", "learner"])
    op.create_table(
        "metric_weeks",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("week", _sortable(DAY), nullable=False),
        sa.Column("study", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "learner", "week", name="pk_metric_weeks"),
    )
    op.create_index(
        "ix_metric_weeks_week", "metric_weeks", ["tenant", "week", "learner"]
    )
    op.create_table(
        "metric_attendance",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("unit", _sortable(ID), nullable=False),
        sa.Column("first_at", _sortable(UTC), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("need", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "learner", "unit", name="pk_metric_attendance"
        ),
    )
    op.create_table(
        "metric_level_ups",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(ID), nullable=False),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("weeks", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "learner", "seq", name="pk_metric_level_ups"),
    )
    op.create_table(
        "metric_experiments",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("id", _sortable(ID), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_metric_experiments"),
    )


def downgrade() -> None:
    for table in (
        "metric_experiments",
        "metric_level_ups",
        "metric_attendance",
        "metric_weeks",
        "metric_days",
        "metric_learners",
        "metric_cursors",
    ):
        op.drop_table(table)
