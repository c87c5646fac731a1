"""SQLAlchemy Core table of practice sessions (on the one ``MetaData``).

Migration ``0011_practice`` creates exactly this table.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Table, Text

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

# One row per session; ``doc`` is the whole session as JSON (record_json).
practice_sessions = Table(
    "practice_sessions",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("session", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), nullable=False),
    Column("status", sortable(16), nullable=False),
    Column("started_at", sortable(UTC_LENGTH), nullable=False),
    Column("doc", Text, nullable=False),
    Index("ix_practice_sessions_learner", "tenant", "learner", "started_at"),
)
