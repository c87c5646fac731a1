"""xAPI record store: how far each school's statements were fed into the log.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables/xapi.py as of this revision.
ID = 200
UTC = 32


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "xapi_feed",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("stored", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_xapi_feed"),
    )


def downgrade() -> None:
    op.drop_table("xapi_feed")
