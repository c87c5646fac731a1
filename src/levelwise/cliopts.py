"""What every command module shares: consoles and the common options."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from levelwise.app.services import Levelwise

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
