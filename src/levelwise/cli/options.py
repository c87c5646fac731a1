"""What every command module shares: consoles and the common options."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from levelwise.app.engine import Levelwise

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store URL (sqlite:///file.db, postgresql+psycopg://…, memory)."
    ),
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="The school (tenant) id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

EngineFor = Callable[[str | None], "Levelwise"]
"""Builds the engine for a ``--db`` URL (the entry point passes its own)."""


def receipt_line(row: dict[str, Any]) -> str:
    """One receipt as a line of text: its time and what happened."""
    at = row["at"][:16].replace("T", " ")
    if row["kind"] == "xp":
        return f"{at} {row['receipt']['text']}"
    if row["kind"] == "level_reached":
        gates = "; ".join(f"{g['gate']} ({g['current']:g})" for g in row["gates"])
        return f"{at} reached {row['title']} ({row['level']}): {gates}"
    if row["kind"] == "unit_completed":
        return f"{at} completed {row['unit']}"
    return f"{at} fell back to {row['level']}"
