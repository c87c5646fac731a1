"""What every command module shares: consoles, common options, fail() and the engine.

Importing this module costs typer only. rich is imported when a command first
prints (:func:`out`, :func:`err`, :func:`escape`), and the engine, with numpy,
scipy, SQLAlchemy and the adapters, by :func:`open_engine`, which only the
commands that run call: ``levelwise --help`` needs neither.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from levelwise.app.engine import Levelwise
    from levelwise.config import Settings

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store URL (sqlite:///file.db, postgresql+psycopg://…, memory)."
    ),
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="The school (tenant) id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

EngineFor = Callable[[str | None], "Levelwise"]
"""Builds the engine for a ``--db`` URL (:func:`open_engine`, or a test's fake)."""


@cache
def out() -> Console:
    """The console on stdout (made on first use)."""
    from rich.console import Console

    return Console(soft_wrap=True)


@cache
def err() -> Console:
    """The console on stderr (made on first use)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def escape(text: str) -> str:
    """``text`` with its rich markup escaped, so that ``[u1]`` prints as itself."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def open_engine(db: str | None, settings: Settings | None = None) -> Levelwise:
    """The engine over the store at ``db``, built by ``levelwise.bootstrap``.

    Args:
        db: A store URL (``sqlite:///file.db``, ``memory``, …); None: from the
            settings (``LEVELWISE_DB``).
        settings: The settings the command already read (default: read them).
    """
    from levelwise import bootstrap  # heavy: only for a command that runs

    return bootstrap.build(db, settings=settings)


def fail(error: BaseException | str, code: int = 1) -> typer.Exit:
    """Print ``error: <message>`` on stderr; return the exit for the caller to raise.

    The message is printed as plain text: brackets in it (``[u1]``, a path) are
    shown as they are, never read as rich markup. Raise the result, chained to
    the error it reports::

        except LevelwiseError as exc:
            raise fail(exc) from exc

    Args:
        error: The error, or the message itself.
        code: The exit status: 1 for a failed command (the default), 2 for
            unusable input, as click uses for bad parameters.

    Returns:
        The ``typer.Exit`` to raise.
    """
    err().print(f"[red]error:[/] {escape(str(error))}", highlight=False)
    return typer.Exit(code)


def receipt_line(row: dict[str, Any]) -> str:
    """One receipt as a line of text: its time and what happened."""
    at = row["at"][:16].replace("T", " ")
    if row["kind"] == "xp":
        return f"{at} {row['receipt']['text']}"
    if row["kind"] == "level_reached":
        parts = [p for g in row["gates"] for p in g.get("parts") or [g]]
        gates = "; ".join(f"{p['gate']} ({p['current']:g})" for p in parts)
        return f"{at} reached {row['title']} ({row['level']}): {gates}"
    if row["kind"] == "unit_completed":
        return f"{at} completed {row['unit']}"
    return f"{at} fell back to {row['level']}"
