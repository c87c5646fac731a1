"""Live-class call quality: graded intervals, roll-ups, episodes, cursors, classes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/quality.py as of this revision.
ID = 200
UTC = 32
WORD = 16
CAUSE = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def _rowid() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key(*names: str) -> list[sa.Column[str]]:
    return [sa.Column(name, _sortable(ID), nullable=False) for name in names]


def _bands() -> list[sa.Column[float]]:
    return [
        sa.Column(f"band_{band}", sa.Float(), nullable=False)
        for band in ("good", "acceptable", "degraded", "broken")
    ]


def _floats(*names: str, nullable: bool = False) -> list[sa.Column[float]]:
    return [sa.Column(name, sa.Float(), nullable=nullable) for name in names]


def upgrade() -> None:
    op.create_table(
        "quality_graded",
        sa.Column("id", _rowid(), autoincrement=True, nullable=False),
        *_key("tenant", "klass", "participant"),
        sa.Column("role", sa.String(WORD), nullable=False),
        sa.Column("media", sa.String(WORD), nullable=False),
        sa.Column("start_at", _sortable(UTC), nullable=False),
        sa.Column("end_at", _sortable(UTC), nullable=False),
        *_floats(
            "rtt_ms",
            "transport_ms",
            "jitter_buffer_ms",
            "playout_ms",
            "jitter_ms",
            "loss",
            "send_loss",
            "concealment",
            "freeze_share",
            nullable=True,
        ),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("limitation", sa.Text(), nullable=True),
        sa.Column("reported_mos", sa.Float(), nullable=True),
        sa.Column("network_quality", sa.Integer(), nullable=True),
        sa.Column("connection", sa.Text(), nullable=True),
        sa.Column("delay_ms", sa.Float(), nullable=True),
        sa.Column("band", sa.String(WORD), nullable=True),
        *_floats("r", "mos", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quality_graded"),
    )
    op.create_index(
        "ix_quality_graded_class",
        "quality_graded",
        ["tenant", "klass", "participant", "start_at"],
    )
    op.create_index("ix_quality_graded_end", "quality_graded", ["end_at"])
    op.create_table(
        "quality_buckets",
        *_key("tenant", "klass", "participant"),
        sa.Column("media", _sortable(WORD), nullable=False),
        sa.Column("start_at", _sortable(UTC), nullable=False),
        sa.Column("role", sa.String(WORD), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        *_bands(),
        *_floats(
            "delay_sum",
            "delay_max",
            "mos_sum",
            "mos_seconds",
            "loss_sum",
            "loss_seconds",
            "freeze_seconds",
            "paused_seconds",
        ),
        sa.PrimaryKeyConstraint(
            "tenant",
            "klass",
            "participant",
            "media",
            "start_at",
            name="pk_quality_buckets",
        ),
    )
    op.create_table(
        "quality_presences",
        *_key("tenant", "klass", "participant"),
        sa.Column("role", sa.String(WORD), nullable=False),
        sa.Column("unit", sa.String(ID), nullable=True),
        sa.Column("first_at", _sortable(UTC), nullable=False),
        sa.Column("last_at", _sortable(UTC), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        *_bands(),
        *_floats("delay_sum", "delay_max", "mos_sum", "mos_seconds"),
        sa.Column("drops", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "klass", "participant", name="pk_quality_presences"
        ),
    )
    op.create_table(
        "quality_episodes",
        *_key("tenant", "klass", "participant"),
        sa.Column("start_at", _sortable(UTC), nullable=False),
        sa.Column("role", sa.String(WORD), nullable=False),
        sa.Column("end_at", _sortable(UTC), nullable=False),
        sa.Column("band", sa.String(WORD), nullable=False),
        sa.Column("worst_ms", sa.Float(), nullable=False),
        sa.Column("cause", sa.String(CAUSE), nullable=False),
        sa.Column("side", sa.String(WORD), nullable=False),
        sa.Column("broken_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "klass", "participant", "start_at", name="pk_quality_episodes"
        ),
    )
    op.create_table(
        "quality_cursors",
        *_key("tenant", "klass", "participant"),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("track", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "klass", "participant", name="pk_quality_cursors"
        ),
    )
    op.create_table(
        "quality_classes",
        *_key("tenant", "klass"),
        sa.Column("first_at", _sortable(UTC), nullable=False),
        sa.Column("last_at", _sortable(UTC), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "klass", name="pk_quality_classes"),
    )
    op.create_index(
        "ix_quality_classes_first", "quality_classes", ["tenant", "first_at", "klass"]
    )


def downgrade() -> None:
    op.drop_index("ix_quality_classes_first", table_name="quality_classes")
    op.drop_index("ix_quality_graded_end", table_name="quality_graded")
    op.drop_index("ix_quality_graded_class", table_name="quality_graded")
    for table in (
        "quality_classes",
        "quality_cursors",
        "quality_episodes",
        "quality_presences",
        "quality_buckets",
        "quality_graded",
    ):
        op.drop_table(table)
