"""What every command module shares: consoles, common options, fail() and the engine.

Importing this module costs typer only. rich is imported when a command first
prints (:func:`out`, :func:`err`, :func:`escape`, :func:`progress`), and the
engine, with numpy, scipy, SQLAlchemy and the adapters, by :func:`open_engine`
and :func:`open_school`, which only the commands that run call: ``levelwise
--help`` needs neither.

Databases: ``--db`` takes a URL or the path of a SQLite file. Commands that read,
or act on what is stored (``replay``, ``metrics rebuild``, ``credentials issue``,
…), open it with ``create=False``, so that a misspelt path is an error ("no
database at PATH") instead of a new empty database; only the commands that set
a school up may create it: ``program set``, ``ingest``, ``keys create``,
``webhooks add``, ``credentials issuer``, ``experiments set``, ``serve`` and
``demo``.

Schools: without ``--tenant``, a command works on the database's only school;
a database with several asks for ``--tenant``, and one with none (a new
database) uses ``default``. Errors about a school name it (``school 'acme':
…``): ``fail(exc, school=tenant)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from levelwise.app.engine import Levelwise
    from levelwise.config import Settings

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store: a SQLite file's path, or a URL (sqlite:///file.db, "
        "postgresql+psycopg://…, memory).",
    ),
]
TenantOpt = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        help="The school (tenant) id; default: the database's only school.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

DEFAULT_SCHOOL = "default"
"""The school of a database that holds none yet."""

PIPE_WIDTH = 10_000
"""Columns of stdout when it is not a terminal: tables are never cut to fit."""

EngineFor = Callable[[str | None], "Levelwise"]
"""Builds the engine for a ``--db`` URL (:func:`open_engine`, or a test's fake)."""


@cache
def out() -> Console:
    """The console on stdout (made on first use).

    Piped into a file or another program, stdout has no width to fit: rich
    would fold and cut table cells at 80 columns, so the console is made as
    wide as the widest row needs instead (a table is only as wide as its
    content).
    """
    from rich.console import Console

    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


@cache
def err() -> Console:
    """The console on stderr (made on first use)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def escape(text: str) -> str:
    """``text`` with its rich markup escaped, so that ``[u1]`` prints as itself."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def progress() -> Progress:
    """The progress bar of long commands, on stderr while it is a terminal.

    Use it as a context manager. A task fills as the command advances it: the
    engine's long jobs take an ``on_progress`` callback that tells the work
    done and its total (``replay``, ``metrics rebuild``); a task whose total
    is not known yet shows a pulsing bar with the time elapsed. The bar goes
    away when the block ends, and the command prints its one-line summary.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err(),
        transient=True,
        disable=not err().is_terminal,
    )


def rate(events: int, seconds: float) -> str:
    """``events`` per second as a summary shows it (``12,345 events/s``)."""
    return f"{events / max(seconds, 1e-6):,.0f} events/s"


def open_engine(
    db: str | None, settings: Settings | None = None, *, create: bool = False
) -> Levelwise:
    """The engine over the store at ``db``, built by ``levelwise.bootstrap``.

    A store that cannot be opened ends the command with a one-line error
    (``fail``): a missing folder, a missing file unless ``create``, a server
    that does not answer.

    Args:
        db: A store URL (``sqlite:///file.db``, ``memory``, …) or a SQLite
            file's path; None: from the settings (``LEVELWISE_DB``).
        settings: The settings the command already read (default: read them).
        create: Whether a missing SQLite file may be made: True only for the
            commands that set a school up.

    Raises:
        typer.Exit: The store cannot be opened (the error is printed).
    """
    from levelwise import bootstrap  # heavy: only for a command that runs
    from levelwise.errors import LevelwiseError

    try:
        return bootstrap.build(db, settings=settings, create=create)
    except LevelwiseError as exc:
        raise fail(exc) from exc


def open_school(
    db: str | None,
    tenant: str | None,
    settings: Settings | None = None,
    *,
    create: bool = False,
) -> tuple[Levelwise, str]:
    """The engine over the store at ``db`` and the school to work on.

    Args:
        db: As for :func:`open_engine`.
        tenant: ``--tenant``; None: the database's only school (see
            :func:`school_of`).
        settings: As for :func:`open_engine`.
        create: As for :func:`open_engine`.

    Raises:
        typer.Exit: The store cannot be opened, or ``--tenant`` is needed.
    """
    engine = open_engine(db, settings, create=create)
    return engine, school_of(engine, tenant)


def school_of(engine: Levelwise, tenant: str | None) -> str:
    """``tenant``, or when it is None the database's only school.

    Raises:
        typer.Exit: The database holds several schools (each is named).
    """
    if tenant is not None:
        return tenant
    from levelwise import bootstrap
    from levelwise.errors import LevelwiseError

    try:
        found = bootstrap.schools(engine)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    return pick_school(found)


def pick_school(schools: Sequence[str]) -> str:
    """The school a command without ``--tenant`` works on, among ``schools``.

    Raises:
        typer.Exit: There are several (the error lists them).

    Examples:
        >>> pick_school(["acme"]), pick_school([])
        ('acme', 'default')
    """
    if not schools:
        return DEFAULT_SCHOOL
    if len(schools) == 1:
        return schools[0]
    names = ", ".join(f"'{s}'" for s in schools)
    raise fail(
        f"the database holds {len(schools)} schools ({names}): "
        "choose one with --tenant",
        code=2,
    )


def read_input(path: Path) -> str:
    """The text of an input file, or a one-line error for one that cannot be read.

    Raises:
        typer.Exit: The file is missing, a folder, unreadable or not UTF-8
            (exit 2: unusable input).
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise fail(f"{path}: no such file", code=2) from exc
    except IsADirectoryError as exc:
        raise fail(f"{path}: is a folder, not a file", code=2) from exc
    except OSError as exc:
        raise fail(f"{path}: cannot read the file: {exc.strerror}", code=2) from exc
    except UnicodeDecodeError as exc:
        raise fail(f"{path}: the file is not UTF-8 text", code=2) from exc


def fail(
    error: BaseException | str, code: int = 1, *, school: str | None = None
) -> typer.Exit:
    """Print ``error: <message>`` on stderr; return the exit for the caller to raise.

    The message is printed as plain text: brackets in it (``[u1]``, a path) are
    shown as they are, never read as rich markup. Raise the result, chained to
    the error it reports::

        except LevelwiseError as exc:
            raise fail(exc, school=tenant) from exc

    Args:
        error: The error, or the message itself.
        code: The exit status: 1 for a failed command (the default), 2 for
            unusable input, as click uses for bad parameters.
        school: The school the error concerns; the message starts with
            ``school '<id>': ``.

    Returns:
        The ``typer.Exit`` to raise.
    """
    message = str(error)
    if school is not None:
        message = f"school '{school}': {message}"
    err().print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def receipt_line(row: dict[str, Any]) -> str:
    """One receipt as a line of text: its time and what happened.

    Every outcome kind has its line; a kind this function does not know yet
    (a newer store) prints its name, so that showing a learner never fails.
    """
    at = row["at"][:16].replace("T", " ")
    kind = row["kind"]
    if kind == "xp":
        return f"{at} {row['receipt']['text']}"
    if kind == "level_reached":
        parts = [p for g in row["gates"] for p in g.get("parts") or [g]]
        gates = "; ".join(f"{p['gate']} ({p['current']:g})" for p in parts)
        return f"{at} reached {row['title']} ({row['level']}): {gates}"
    if kind == "level_placed":
        return f"{at} placed at {row['title']} ({row['level']})"
    if kind == "level_lost":
        return f"{at} fell back to {row['level']}"
    if kind == "unit_completed":
        return f"{at} completed {row['unit']}"
    if kind == "badge_earned":
        return f"{at} earned the badge {row['title']} ({row['tier']})"
    if kind == "title_changed":
        return f"{at} now titled {row['name']}"
    if kind == "streak_broken":
        return f"{at} streak of {row['length']} day(s) broken: {row['reason']}"
    if kind == "streak_frozen":
        return f"{at} streak kept with a freeze: {row['reason']}"
    if kind == "pk_scored":
        return f"{at} PK {row['pk']}: {row['points']} point(s) for {row['team']}"
    if kind in ("ability_measured", "minutes_credited"):
        return f"{at} {row['text']}"
    return f"{at} {str(kind).replace('_', ' ')}"
