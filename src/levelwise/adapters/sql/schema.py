"""The whole schema: the core tables and every feature's tables, on one MetaData.

Features define their tables in their own modules on the shared ``metadata``;
importing this module registers all of them, so schema checks and Alembic see
every table.
"""

from __future__ import annotations

from levelwise.adapters.sql import (
    tables_boards,
    tables_credentials,
    tables_metrics,
    tables_outbox,
    tables_pk,
)
from levelwise.adapters.sql.tables import metadata

FEATURE_TABLES = (
    tables_boards,
    tables_credentials,
    tables_metrics,
    tables_outbox,
    tables_pk,
)
"""The feature modules whose tables live on ``metadata``."""

__all__ = ["FEATURE_TABLES", "metadata"]
