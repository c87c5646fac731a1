"""Team-task tables: members' parts, current memberships, goals met.

Migration ``0013_teams`` creates exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, Table

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

WINDOW_LENGTH = 16
"""Longest task window: ``2026-W50``, ``2026-12``, ``2026-12-07`` or ``all``."""
KIND_LENGTH = 16
"""Longest membership kind: ``cohort`` or ``team``."""

team_progress = Table(
    "team_progress",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("task", sortable(ID_LENGTH), primary_key=True),
    Column("window", sortable(WINDOW_LENGTH), primary_key=True),
    Column("team", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("value", Float, nullable=False),
    Column("events", Integer, nullable=False),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Index("ix_team_progress_learner", "tenant", "learner"),
)
"""One member's part of a task in a window, for the team it counts for."""

team_members = Table(
    "team_members",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("kind", sortable(KIND_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("team", sortable(ID_LENGTH), nullable=False),
    Column("since", sortable(UTC_LENGTH), nullable=False),
    Index("ix_team_members_team", "tenant", "kind", "team"),
)
"""Each learner's current class (``cohort``) and team, and since when."""

team_met = Table(
    "team_met",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("task", sortable(ID_LENGTH), primary_key=True),
    Column("window", sortable(WINDOW_LENGTH), primary_key=True),
    Column("team", sortable(ID_LENGTH), primary_key=True),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("total", Float, nullable=False),
    Column("rewarded", Integer, nullable=False),
)
"""Goals met (rewards posted once, never taken back)."""
