"""The whole schema: the core tables and every feature's tables, on one MetaData.

Features define their tables in their own modules on the shared ``metadata``;
importing this module registers all of them, so schema checks and Alembic see
every table.
"""

from __future__ import annotations

from levelwise.adapters.sql.tables import (
    boards,
    credentials,
    metrics,
    outbox,
    pk,
    practice,
    quality,
    teams,
    xapi,
)
from levelwise.adapters.sql.tables.core import metadata

FEATURE_TABLES = (
    boards,
    credentials,
    metrics,
    outbox,
    pk,
    practice,
    quality,
    teams,
    xapi,
)
"""The feature modules whose tables live on ``metadata``."""

__all__ = ["FEATURE_TABLES", "metadata"]
