"""Leaderboard table: one row per member of a board, on the event log's MetaData.

Rows rank by ``(neg_xp, reached, member)`` ascending: more XP first, then who
reached it first, then the member id (``C`` collation on PostgreSQL, as in
``tables.py``). ``neg_xp`` is the negated score, so that one ascending index
serves the rank (a count of the rows before a key: an index range scan), the
top of a board and the rows either side of a member.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Table

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

BOARD_LENGTH = 500
"""Longest board name: ``xp|week:2026-W48|cohort:<id>`` with room to spare."""

board_members = Table(
    "board_members",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("board", sortable(BOARD_LENGTH), primary_key=True),
    Column("member", sortable(ID_LENGTH), primary_key=True),
    Column("neg_xp", BigInteger, nullable=False),
    Column("reached", sortable(UTC_LENGTH), nullable=False),
    Index("ix_board_members_rank", "tenant", "board", "neg_xp", "reached", "member"),
    Index("ix_board_members_member", "tenant", "member"),
)

board_scores = Table(
    "board_scores",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("board", sortable(BOARD_LENGTH), primary_key=True),
    Column("neg_xp", BigInteger, primary_key=True),
    Column("members", BigInteger, nullable=False),
)
"""How many members of a board hold each score: a rank sums the counts of the
higher scores (one row per distinct score) and counts only its own tie."""
