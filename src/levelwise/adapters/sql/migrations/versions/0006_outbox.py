"""Outbox: notifications, webhook endpoints, deliveries and the delivery log.

Revision ID: 0006_outbox
Revises: 0003
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_outbox"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_outbox.py as of this revision.
ID = 200
UTC = 32
NID = 64


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("position", _position(), autoincrement=True, nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("notification_id", _sortable(NID), nullable=False),
        sa.Column("learner", _sortable(ID), nullable=False),
        sa.Column("cohort", _sortable(ID), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("event_id", _sortable(ID), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("created_at", _sortable(UTC), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_outbox"),
        sa.UniqueConstraint("tenant", "notification_id", name="uq_outbox_tenant_id"),
    )
    op.create_index("ix_outbox_learner", "outbox", ["tenant", "learner", "position"])
    op.create_index("ix_outbox_cohort", "outbox", ["tenant", "cohort", "position"])
    op.create_index("ix_outbox_created", "outbox", ["tenant", "created_at"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("endpoint_id", _sortable(ID), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("created_at", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "endpoint_id", name="pk_webhook_endpoints"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("notification_id", _sortable(NID), nullable=False),
        sa.Column("endpoint_id", _sortable(ID), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant",
            "notification_id",
            "endpoint_id",
            name="pk_webhook_deliveries",
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("position", _position(), autoincrement=True, nullable=False),
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("notification_id", _sortable(NID), nullable=False),
        sa.Column("endpoint_id", _sortable(ID), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", _sortable(UTC), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_webhook_attempts"),
    )
    op.create_index(
        "ix_webhook_attempts_endpoint",
        "webhook_attempts",
        ["tenant", "endpoint_id", "position"],
    )


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("outbox")
