"""Metrics projection tables: per-learner facts, day counters, experiments.

The dashboard sums ``metric_days`` in SQL (per learner and per ISO week, over a
date range); the other tables hold one row per learner, attendance or level-up.
Days are UTC dates ``YYYY-MM-DD``, ``week`` the Monday of their ISO week.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

DAY_LENGTH = 10
"""``YYYY-MM-DD``."""

metric_cursors = Table(
    "metric_cursors",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("facts_version", Integer, nullable=False),
    Column("last_at", sortable(UTC_LENGTH), nullable=False),
)

metric_learners = Table(
    "metric_learners",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("enrolled_at", sortable(UTC_LENGTH), nullable=False),
    Column("renewed_at", sortable(UTC_LENGTH), nullable=False),
    Column("first_at", sortable(UTC_LENGTH), nullable=False),
    Column("cohort", sortable(DAY_LENGTH), nullable=False),
    Column("klass", sortable(ID_LENGTH), nullable=False),
    Column("level", Integer, nullable=False),
    Column("peak", Integer, nullable=False),
    Column("gate", Text, nullable=False),
)


def _counters() -> list[Column[Any]]:
    """The counters a day row and a week row both keep (new columns each call)."""
    return [
        Column("study", Integer, nullable=False),
        Column("seconds", Float, nullable=False),
        Column("attended", Integer, nullable=False),
        Column("completed", Integer, nullable=False),
        Column("interactions", Integer, nullable=False),
        Column("renewals", Integer, nullable=False),
    ]


metric_days = Table(
    "metric_days",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("day", sortable(DAY_LENGTH), primary_key=True),
    Column("week", sortable(DAY_LENGTH), nullable=False),
    *_counters(),
    Index("ix_metric_days_day", "tenant", "day", "learner"),
)

# The same counters summed per ISO week (``study``: any study day): whole
# weeks of a range are read from here, only its partial edge weeks from
# ``metric_days``.
metric_weeks = Table(
    "metric_weeks",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("week", sortable(DAY_LENGTH), primary_key=True),
    *_counters(),
    Index("ix_metric_weeks_week", "tenant", "week", "learner"),
)

metric_attendance = Table(
    "metric_attendance",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("unit", sortable(ID_LENGTH), primary_key=True),
    Column("first_at", sortable(UTC_LENGTH), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("finished", Boolean, nullable=False),
    Column("need", Float, nullable=False),
)

metric_level_ups = Table(
    "metric_level_ups",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("learner", sortable(ID_LENGTH), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("level", String(ID_LENGTH), nullable=False),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("weeks", Float, nullable=True),
)

metric_experiments = Table(
    "metric_experiments",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("id", sortable(ID_LENGTH), primary_key=True),
    Column("body", Text, nullable=False),
)
