"""SQLAlchemy Core tables of notifications: outbox, webhook endpoints and deliveries.

They live on the same ``MetaData`` as ``tables.py``; migration ``0006_outbox``
creates exactly these.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

NOTIFICATION_ID_LENGTH = 64
"""Room for ``msg_`` + 32 hex digits, and for longer ids later."""


def _position() -> TypeEngine[int]:
    # As in tables.py: on SQLite only ``INTEGER PRIMARY KEY`` aliases the rowid.
    return BigInteger().with_variant(Integer(), "sqlite")


# One row per notification; ``position`` orders streams and resumes them.
outbox = Table(
    "outbox",
    metadata,
    Column("position", _position(), primary_key=True, autoincrement=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("notification_id", sortable(NOTIFICATION_ID_LENGTH), nullable=False),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("cohort", sortable(ID_LENGTH), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("event_id", sortable(ID_LENGTH), nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("created_at", sortable(UTC_LENGTH), nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("tenant", "notification_id", name="uq_outbox_tenant_id"),
    Index("ix_outbox_learner", "tenant", "learner", "position"),
    Index("ix_outbox_cohort", "tenant", "cohort", "position"),
    Index("ix_outbox_created", "tenant", "created_at"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("endpoint_id", sortable(ID_LENGTH), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),
    # Space-separated kinds; empty: every notifiable kind.
    Column("kinds", Text, nullable=False),
    Column("created_at", sortable(UTC_LENGTH), nullable=False),
)

# One row per (notification, endpoint): pending, delivered or failed.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("notification_id", sortable(NOTIFICATION_ID_LENGTH), primary_key=True),
    Column("endpoint_id", sortable(ID_LENGTH), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", sortable(UTC_LENGTH), nullable=False),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

# The delivery log: one row per attempt.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("position", _position(), primary_key=True, autoincrement=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("notification_id", sortable(NOTIFICATION_ID_LENGTH), nullable=False),
    Column("endpoint_id", sortable(ID_LENGTH), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_endpoint", "tenant", "endpoint_id", "position"),
)
