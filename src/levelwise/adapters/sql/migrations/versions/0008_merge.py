"""Join the feature branches (boards, credentials, outbox, PK) into one head.

Revision ID: 0008
Revises: 0004_boards, 0005_credentials, 0006_outbox, 0007_pk
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = (
    "0004_boards",
    "0005_credentials",
    "0006_outbox",
    "0007_pk",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches only meet here."""


def downgrade() -> None:
    """Nothing to change: downgrading splits the branches again."""
