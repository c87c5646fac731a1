"""SQLAlchemy Core tables: event log, projections, programs, keys, placements.

Every table starts with ``tenant`` and every query filters on it. Identifiers and
UTC sort keys use the ``C`` collation on PostgreSQL so that ``ORDER BY`` sorts by
code point, as Python (and SQLite's ``BINARY``) does; a locale collation such as
``en_US`` would order ``"a-b"``/``"a_b"`` or ``"B"``/``"a"`` differently from the
in-memory log. Migrations in ``migrations/versions`` create exactly these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeEngine

ID_LENGTH = 200
"""Longest tenant, learner, event or level id."""

UTC_LENGTH = 32
"""Room for ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (27 characters) sort keys."""


def sortable(length: int) -> TypeEngine[str]:
    """A bounded string that sorts by code point on every backend.

    Args:
        length: The maximum length in characters.

    Returns:
        ``VARCHAR(length)``, with ``COLLATE "C"`` on PostgreSQL.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _position() -> TypeEngine[int]:
    # On SQLite only ``INTEGER PRIMARY KEY`` aliases the rowid (no extra B-tree).
    return BigInteger().with_variant(Integer(), "sqlite")


def _now() -> TypeEngine[datetime]:
    return DateTime(timezone=True)


metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

events = Table(
    "events",
    metadata,
    Column("position", _position(), primary_key=True, autoincrement=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("event_id", sortable(ID_LENGTH), nullable=False),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", sortable(UTC_LENGTH), nullable=False),
    Column("body", Text, nullable=False),
    Column("digest", CHAR(64), nullable=False),
    Column(
        "recorded_at",
        _now(),
        nullable=False,
        server_default=text("CURRENT_TIMESTAMP"),
    ),
    UniqueConstraint("tenant", "event_id", name="uq_events_tenant_event_id"),
    Index("ix_events_history", "tenant", "learner", "occurred_at", "event_id"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("program_version", Integer, nullable=False),
    Column("level", String(ID_LENGTH), nullable=False),
    Column("xp", BigInteger, nullable=False),
    Column("last_at", sortable(UTC_LENGTH), nullable=False),
    Column("last_id", sortable(ID_LENGTH), nullable=False),
    Column("events", Integer, nullable=False),
    Column("state", Text, nullable=False),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("position", _position(), primary_key=True, autoincrement=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("event_id", sortable(ID_LENGTH), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_outcomes_receipts", "tenant", "learner", "program_version", "at"),
)

# A learner's state every ``CHECKPOINT_EVERY`` events, so that a late event
# re-folds from the last checkpoint before it. The primary key serves the
# "newest before (at, id)" lookup and the "after (at, id)" delete.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("program_version", Integer, primary_key=True, autoincrement=False),
    Column("last_at", sortable(UTC_LENGTH), primary_key=True),
    Column("last_id", sortable(ID_LENGTH), primary_key=True),
    Column("level", String(ID_LENGTH), nullable=False),
    Column("xp", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
    Column("state", Text, nullable=False),
)

programs = Table(
    "programs",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("source", Text, nullable=False),
    Column("digest", CHAR(64), nullable=False),
    Column("created_at", String(UTC_LENGTH), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("digest", CHAR(64), primary_key=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("label", String(ID_LENGTH), nullable=False),
    Column(
        "created_at",
        _now(),
        nullable=False,
        server_default=text("CURRENT_TIMESTAMP"),
    ),
)

# Placement test sessions: the CAT state is opaque JSON; times are Clock strings.
placements = Table(
    "placements",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("session_id", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("state", Text, nullable=False),
    Column("created_at", String(UTC_LENGTH), nullable=False),
    Column("updated_at", String(UTC_LENGTH), nullable=False),
)

# One row per tenant: how often each placement item was given (JSON).
placement_exposure = Table(
    "placement_exposure",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("exposure", Text, nullable=False),
)
