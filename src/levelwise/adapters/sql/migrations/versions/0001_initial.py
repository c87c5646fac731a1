"""Initial schema: events, snapshots, outcomes, programs, api_keys.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py as of this revision; later
# revisions must not change what this one creates.
ID = 200
UTC = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP"),
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", _position(), autoincrement=True, nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("event_id", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _sortable(UTC), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.CHAR(64), nullable=False),
        _now("recorded_at"),
        sa.PrimaryKeyConstraint("position", name="pk_events"),
        sa.UniqueConstraint("tenant", "event_id", name="uq_events_tenant_event_id"),
    )
    op.create_index(
        "ix_events_history", "events", ["tenant", "learner", "occurred_at", "event_id"]
    )
    op.create_table(
        "snapshots",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(ID), nullable=False),
        sa.Column("xp", sa.BigInteger(), nullable=False),
        sa.Column("last_at", _sortable(UTC), nullable=False),
        sa.Column("last_id", _sortable(ID), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "learner", name="pk_snapshots"),
    )
    op.create_table(
        "outcomes",
        sa.Column("position", _position(), autoincrement=True, nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("event_id", _sortable(ID), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_outcomes"),
    )
    op.create_index(
        "ix_outcomes_receipts",
        "outcomes",
        ["tenant", "learner", "program_version", "at"],
    )
    op.create_table(
        "programs",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.CHAR(64), nullable=False),
        sa.Column("created_at", sa.String(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "version", name="pk_programs"),
    )
    op.create_table(
        "api_keys",
        sa.Column("digest", sa.CHAR(64), nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("label", sa.String(ID), nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("digest", name="pk_api_keys"),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("programs")
    op.drop_index("ix_outcomes_receipts", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("snapshots")
    op.drop_index("ix_events_history", table_name="events")
    op.drop_table("events")
