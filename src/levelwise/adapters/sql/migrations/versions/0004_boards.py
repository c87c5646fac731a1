"""Boards: leaderboard and league members, ranked by an ascending index.

Revision ID: 0004_boards
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_boards"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables_boards.py as of this revision.
ID = 200
UTC = 32
BOARD = 500


def _sortable(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "board_members",
        sa.Column("tenant", _sortable(ID), nullable=False),
        sa.Column("board", _sortable(BOARD), nullable=False),
        sa.Column("member", _sortable(ID), nullable=False),
        sa.Column("neg_xp", sa.BigInteger(), nullable=False),
        sa.Column("reached", _sortable(UTC), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "board", "member", name="pk_board_members"),
    )
    op.create_index(
        "ix_board_members_rank",
        "board_members",
        ["tenant", "board", "neg_xp", "reached", "member"],
    )
    op.create_index("ix_board_members_member", "board_members", ["tenant", "member"])


def downgrade() -> None:
    op.drop_index("ix_board_members_member", table_name="board_members")
    op.drop_index("ix_board_members_rank", table_name="board_members")
    op.drop_table("board_members")
