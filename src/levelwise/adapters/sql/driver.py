"""Statement helpers for the SQL event log: bulk inserts, upserts, error mapping."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Insert, Table, and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from levelwise.errors import ConcurrencyError, StoreError

CHUNK = 500
"""Ids per ``IN (...)`` list: well under every driver's bind-parameter limit."""

# PostgreSQL SQLSTATEs that mean "another transaction got in the way; retry":
# serialization_failure and deadlock_detected.
_RETRYABLE = frozenset({"40001", "40P01"})

_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@contextmanager
def store_errors(*, conflict: str = "") -> Iterator[None]:
    """Translate driver errors inside the block into Levelwise errors.

    Args:
        conflict: If given, an integrity error (a unique key already taken)
            becomes a ``ConcurrencyError`` with this message.

    Raises:
        ConcurrencyError: A unique key was taken (with ``conflict``), or
            PostgreSQL aborted the transaction for a deadlock or serialization
            failure; retrying can succeed.
        StoreError: Any other database error.
    """
    try:
        yield
    except SQLAlchemyError as exc:
        if conflict and isinstance(exc, IntegrityError):
            raise ConcurrencyError(conflict) from exc
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if isinstance(exc, DBAPIError) and sqlstate in _RETRYABLE:
            msg = "a concurrent transaction got in the way; retry"
            raise ConcurrencyError(msg) from exc
        msg = f"the event store failed ({type(exc).__name__})"
        raise StoreError(msg) from exc


def chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    """Split ids, without duplicates, into lists of at most ``CHUNK``.

    Args:
        ids: The ids to look up.

    Yields:
        Lists of distinct ids, in first-seen order.
    """
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def insert_many(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Insert positional rows with one DBAPI ``executemany``.

    This skips SQLAlchemy's per-row parameter processing, which for 50,000
    events on SQLite cost about as long as the insert itself (Core reached half
    the rows per second of ``sqlite3`` ``executemany``; this path, over 0.9).
    The values must already be what the driver takes (``str`` and ``int``).

    Args:
        connection: The connection of the open transaction.
        table: The table to insert into.
        columns: The column names, in the order of each row's values.
        rows: The rows; nothing is executed when empty.
    """
    if not rows:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = _MARKS[dialect.paramstyle]
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(mark for _ in columns)
    # Identifiers come from our own tables; values are bound parameters.
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(sql, list(rows))


@lru_cache(maxsize=64)
def upsert(dialect: str, table: Table, updates: Sequence[str]) -> Insert:
    """An ``INSERT ... ON CONFLICT (primary key) DO UPDATE`` statement.

    Args:
        dialect: ``"postgresql"`` or ``"sqlite"``.
        table: The table; the conflict target is its primary key.
        updates: The columns to overwrite from the new row.

    Returns:
        The statement, to execute with one or many parameter dicts (built once
        per dialect, table and columns: statements are immutable).
    """
    keys = list(table.primary_key.columns)
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=keys, set_={k: pg.excluded[k] for k in updates}
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=keys, set_={k: lite.excluded[k] for k in updates}
    )


@lru_cache(maxsize=64)
def increment(dialect: str, table: Table, column: str) -> Insert:
    """An ``INSERT ... ON CONFLICT (primary key) DO UPDATE`` adding to ``column``.

    Args:
        dialect: ``"postgresql"`` or ``"sqlite"``.
        table: The table; the conflict target is its primary key.
        column: The counter the new row's value is added to.
    """
    keys = list(table.primary_key.columns)
    insert = (
        postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    )
    added = table.c[column] + insert.excluded[column]
    return insert.on_conflict_do_update(index_elements=keys, set_={column: added})


def key_after(
    at: ColumnElement[str], ident: ColumnElement[str], key: tuple[str, str]
) -> ColumnElement[bool]:
    """The condition ``(at, ident) > key``.

    Written as ``at >= a AND (at > a OR ident > i)``: the same as the row-value
    comparison on every backend, and the leading ``at >= a`` bounds an index
    range scan over ``(..., at, ident)``.

    Args:
        at: The time column.
        ident: The id column that breaks ties.
        key: ``(a, i)``, an ``(occurred_at, event_id)`` key.

    Returns:
        The ``WHERE`` clause.
    """
    return and_(at >= key[0], or_(at > key[0], ident > key[1]))


def key_before(
    at: ColumnElement[str], ident: ColumnElement[str], key: tuple[str, str]
) -> ColumnElement[bool]:
    """The condition ``(at, ident) < key``, bounded on ``at`` like ``key_after``.

    Args:
        at: The time column.
        ident: The id column that breaks ties.
        key: ``(a, i)``, an ``(occurred_at, event_id)`` key.

    Returns:
        The ``WHERE`` clause.
    """
    return and_(at <= key[0], or_(at < key[0], ident < key[1]))
