"""Board score counts: ranks sum the members of each higher score.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_boards.py as of this revision.
ID = 200
BOARD = 500


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "board_scores",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("board", _sortable(BOARD), nullable=False),
        sa.Column("neg_xp", sa.BigInteger(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "board", "neg_xp", name="pk_board_scores"),
    )
    op.execute(
        "INSERT INTO board_scores (tenant, board, neg_xp, members) "
        "SELECT tenant, board, neg_xp, COUNT(*) FROM board_members "
        "GROUP BY tenant, board, neg_xp"
    )


def downgrade() -> None:
    op.drop_table("board_scores")
