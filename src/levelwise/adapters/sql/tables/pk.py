"""SQLAlchemy Core table of group PK definitions (on the one ``MetaData``).

Migration ``0007_pk`` creates exactly this table.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, Table, Text

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

# One row per PK; ``teams`` is JSON ``[[team, [learner, ...]], ...]``.
pks = Table(
    "pks",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("pk", sortable(ID_LENGTH), primary_key=True),
    Column("teams", Text, nullable=False),
    Column("rounds", Integer, nullable=False),
    Column("cohort", sortable(ID_LENGTH), nullable=True),
    Column("started_at", sortable(UTC_LENGTH), nullable=False),
    Column("start_position", BigInteger, nullable=False),
    Column("finished_at", sortable(UTC_LENGTH), nullable=True),
    Column("final_position", BigInteger, nullable=True),
)
