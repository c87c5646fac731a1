"""SQLAlchemy Core tables of live-class call quality (on the one ``MetaData``).

Times are UTC sort keys (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), as in the event
log. ``quality_graded`` is the raw tier, purged after a retention period; the
others are roll-ups that stay. Migration ``0012_quality`` creates exactly these
tables.
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
from sqlalchemy.types import TypeEngine

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

WORD_LENGTH = 16
"""Room for a role, medium, band or side."""

CAUSE_LENGTH = 32
"""Room for a cause (``uplink_congestion``)."""


def _rowid() -> TypeEngine[int]:
    # On SQLite only ``INTEGER PRIMARY KEY`` aliases the rowid (no extra B-tree).
    return BigInteger().with_variant(Integer(), "sqlite")


def _bands() -> list[Column[Any]]:
    """Seconds per band, in ``BANDS`` order (new columns each call)."""
    return [
        Column("band_good", Float, nullable=False),
        Column("band_acceptable", Float, nullable=False),
        Column("band_degraded", Float, nullable=False),
        Column("band_broken", Float, nullable=False),
    ]


# One row per graded interval (``Graded`` with its ``Measures`` as columns).
# ``id`` keeps insertion order among intervals of the same start.
quality_graded = Table(
    "quality_graded",
    metadata,
    Column("id", _rowid(), primary_key=True, autoincrement=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("klass", sortable(ID_LENGTH), nullable=False),
    Column("participant", sortable(ID_LENGTH), nullable=False),
    Column("role", String(WORD_LENGTH), nullable=False),
    Column("media", String(WORD_LENGTH), nullable=False),
    Column("start_at", sortable(UTC_LENGTH), nullable=False),
    Column("end_at", sortable(UTC_LENGTH), nullable=False),
    Column("rtt_ms", Float, nullable=True),
    Column("transport_ms", Float, nullable=True),
    Column("jitter_buffer_ms", Float, nullable=True),
    Column("playout_ms", Float, nullable=True),
    Column("jitter_ms", Float, nullable=True),
    Column("loss", Float, nullable=True),
    Column("send_loss", Float, nullable=True),
    Column("concealment", Float, nullable=True),
    Column("freeze_share", Float, nullable=True),
    Column("paused", Boolean, nullable=False),
    Column("limitation", Text, nullable=True),
    Column("reported_mos", Float, nullable=True),
    Column("network_quality", Integer, nullable=True),
    Column("connection", Text, nullable=True),
    Column("delay_ms", Float, nullable=True),
    Column("band", String(WORD_LENGTH), nullable=True),
    Column("r", Float, nullable=True),
    Column("mos", Float, nullable=True),
    Index("ix_quality_graded_class", "tenant", "klass", "participant", "start_at"),
    # ``purge`` deletes by end across every tenant.
    Index("ix_quality_graded_end", "end_at"),
)

# 10 s roll-ups, added to on conflict; the key is the read order.
quality_buckets = Table(
    "quality_buckets",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("klass", sortable(ID_LENGTH), primary_key=True),
    Column("participant", sortable(ID_LENGTH), primary_key=True),
    Column("media", sortable(WORD_LENGTH), primary_key=True),
    Column("start_at", sortable(UTC_LENGTH), primary_key=True),
    Column("role", String(WORD_LENGTH), nullable=False),
    Column("seconds", Float, nullable=False),
    *_bands(),
    Column("delay_sum", Float, nullable=False),
    Column("delay_max", Float, nullable=False),
    Column("mos_sum", Float, nullable=False),
    Column("mos_seconds", Float, nullable=False),
    Column("loss_sum", Float, nullable=False),
    Column("loss_seconds", Float, nullable=False),
    Column("freeze_seconds", Float, nullable=False),
    Column("paused_seconds", Float, nullable=False),
)

# One row per class and participant; ``drops`` is a JSON list of
# ``[start, end]`` UTC keys, appended to on conflict.
quality_presences = Table(
    "quality_presences",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("klass", sortable(ID_LENGTH), primary_key=True),
    Column("participant", sortable(ID_LENGTH), primary_key=True),
    Column("role", String(WORD_LENGTH), nullable=False),
    Column("unit", String(ID_LENGTH), nullable=True),
    Column("first_at", sortable(UTC_LENGTH), nullable=False),
    Column("last_at", sortable(UTC_LENGTH), nullable=False),
    Column("seconds", Float, nullable=False),
    *_bands(),
    Column("delay_sum", Float, nullable=False),
    Column("delay_max", Float, nullable=False),
    Column("mos_sum", Float, nullable=False),
    Column("mos_seconds", Float, nullable=False),
    Column("drops", Text, nullable=False),
)

quality_episodes = Table(
    "quality_episodes",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("klass", sortable(ID_LENGTH), primary_key=True),
    Column("participant", sortable(ID_LENGTH), primary_key=True),
    Column("start_at", sortable(UTC_LENGTH), primary_key=True),
    Column("role", String(WORD_LENGTH), nullable=False),
    Column("end_at", sortable(UTC_LENGTH), nullable=False),
    Column("band", String(WORD_LENGTH), nullable=False),
    Column("worst_ms", Float, nullable=False),
    Column("cause", String(CAUSE_LENGTH), nullable=False),
    Column("side", String(WORD_LENGTH), nullable=False),
    Column("broken_seconds", Float, nullable=False),
)

# Where each participant's statistics stand; ``snapshot`` and ``track`` are JSON.
quality_cursors = Table(
    "quality_cursors",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("klass", sortable(ID_LENGTH), primary_key=True),
    Column("participant", sortable(ID_LENGTH), primary_key=True),
    Column("at", sortable(UTC_LENGTH), nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("track", Text, nullable=False),
)

quality_classes = Table(
    "quality_classes",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("klass", sortable(ID_LENGTH), primary_key=True),
    Column("first_at", sortable(UTC_LENGTH), nullable=False),
    Column("last_at", sortable(UTC_LENGTH), nullable=False),
    Column("alerted", Boolean, nullable=False),
    Column("ended", Boolean, nullable=False),
    # ``classes`` and the ``presences`` of a period select by first sample.
    Index("ix_quality_classes_first", "tenant", "first_at", "klass"),
)
