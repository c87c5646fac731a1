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
    from levelwise.domain.program import Program

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
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="The learner's language (zh-CN, en) for the school's names and "
        "plain words; default: as the program file's titles have them.",
    ),
]

Namer = Callable[[str, str], str]
"""A school's name for a key (``rule:ID``, ``level:ID``, …) given a fallback text."""

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


def school_names(program: Program, language: str | None) -> Namer:
    """The names of ``program``'s things in ``language``, for receipt lines.

    The returned function takes a key as :meth:`Program.text` reads it
    (``rule:ID``, ``task:ID``, ``level:ID``, ``badge:ID``, ``tier:BADGE:TIER``,
    ``unit:ID``, ``title:ID``) and what to show when nothing names it: the
    thing's own title (the file's first language) when it has one, else that
    fallback.
    """
    own: dict[str, str] = {}
    own.update((f"rule:{r.id}", r.title) for r in program.xp_rules)
    own.update((f"task:{t.id}", t.title) for t in program.team_tasks)
    own.update((f"level:{lv.id}", lv.title) for lv in program.levels)
    own.update((f"unit:{u.id}", u.title) for u in program.units)
    own.update((f"title:{t.id}", t.name) for t in program.titles)
    for b in program.badges:
        own[f"badge:{b.id}"] = b.title
        own.update((f"tier:{b.id}:{t.tier}", t.title) for t in b.tiers)

    def name(key: str, fallback: str) -> str:
        return program.text(key, language, own.get(key) or fallback)

    return name


def _rule_named(text: str, receipt: dict[str, Any], name: Namer) -> str:
    """An XP receipt's text with its rule (or team task) named, formula kept."""
    rule = str(receipt["rule"])
    head = f"+{receipt['xp']} XP: {rule}"
    if not text.startswith(head):  # a receipt text of another shape: as it is
        return text
    key = rule if rule.startswith("task:") else f"rule:{rule}"
    shown = name(key, rule.removeprefix("task:"))
    return f"+{receipt['xp']} XP: {shown}{text[len(head) :]}"


def receipt_line(row: dict[str, Any], name: Namer | None = None) -> str:
    """One receipt as a line of text: its time and what happened.

    Every outcome kind has its line; a kind this function does not know yet
    (a newer store) prints its name, so that showing a learner never fails.

    Args:
        row: The receipt as ``Levelwise.receipts`` gives it.
        name: The school's names in the learner's language
            (:func:`school_names`); an XP line then names its rule or team
            task by its title and keeps the exact formula after it, and level,
            badge and unit lines use the school's names. None: ids and stored
            titles, as recorded.
    """
    at = row["at"][:16].replace("T", " ")
    kind = row["kind"]

    def called(key: str, fallback: str) -> str:
        return fallback if name is None else name(key, fallback)

    if kind == "xp":
        text = str(row["receipt"]["text"])
        if name is not None:
            text = _rule_named(text, row["receipt"], name)
        return f"{at} {text}"
    if kind in ("level_reached", "level_placed", "level_lost"):
        level = called(f"level:{row['level']}", row.get("title") or row["level"])
        if kind == "level_lost":
            shown = row["level"] if name is None else f"{level} ({row['level']})"
            return f"{at} fell back to {shown}"
        if kind == "level_placed":
            return f"{at} placed at {level} ({row['level']})"
        parts = [p for g in row["gates"] for p in g.get("parts") or [g]]
        gates = "; ".join(f"{p['gate']} ({p['current']:g})" for p in parts)
        return f"{at} reached {level} ({row['level']}): {gates}"
    if kind == "unit_completed":
        unit = str(row["unit"])
        return f"{at} completed {called(f'unit:{unit}', unit)}"
    if kind == "badge_earned":
        badge = called(f"badge:{row['badge']}", row["title"])
        tier = called(f"tier:{row['badge']}:{row['tier']}", row["tier"])
        return f"{at} earned the badge {badge} ({tier})"
    if kind == "title_changed":
        return f"{at} now titled {row['name']}"
    if kind == "streak_broken":
        return f"{at} streak of {row['length']} day(s) broken: {row['reason']}"
    if kind == "streak_frozen":
        return f"{at} streak kept with a freeze: {row['reason']}"
    if kind == "pk_scored":
        return f"{at} PK {row['pk']}: {row['points']} point(s) for {row['team']}"
    if kind in ("ability_measured", "minutes_credited", "voided"):
        return f"{at} {row['text']}"
    return f"{at} {str(kind).replace('_', ' ')}"
