"""Deferred writes: on PostgreSQL, statements nobody reads results of, pipelined.

A session queues such writes and sends them in one pipeline just before its
next statement runs or before it commits: the same statements, in the same
order and transaction, for one network round trip instead of one each. On
SQLite (no network) they run at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from levelwise.adapters.sql.driver import store_errors

_COMPILED: dict[tuple[UpdateBase, tuple[str, ...]], tuple[str, dict[str, Any]]] = {}
"""Deferred statements as SQL with the values they bind themselves, per statement
and parameter names."""


@lru_cache(maxsize=32)
def insert_sql(dialect: Dialect, table: Table, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (...)`` in the driver's placeholders."""
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(mark for _ in columns)
    # Identifiers come from our own tables; values are bound parameters.
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608


class Deferred:
    """The writes one transaction has not sent yet.

    Args:
        connection: The transaction's connection.
    """

    def __init__(self, connection: Connection) -> None:
        """Queue nothing yet; listen to the connection from the first write."""
        self._conn = connection
        self._pipelined = connection.dialect.name == "postgresql"
        self._pending: list[tuple[str, Sequence[Any], str]] = []
        self._listening = False

    def write(
        self, statement: UpdateBase | str, rows: Sequence[Any], conflict: str = ""
    ) -> None:
        """Write ``rows`` now (SQLite), or before the next statement (PostgreSQL).

        Args:
            statement: The statement, or raw SQL in the driver's placeholders.
            rows: One parameter set (positional for raw SQL) per row.
            conflict: If a unique key is taken (by a concurrent writer), a
                ``ConcurrencyError`` with this message (see ``store_errors``).
        """
        if not rows:
            return
        if not self._pipelined:
            with store_errors(conflict=conflict):
                if isinstance(statement, str):
                    self._conn.exec_driver_sql(statement, list(rows))
                else:
                    self._conn.execute(statement, list(rows))
            return
        if isinstance(statement, str):
            sql = statement
        else:
            sql, fixed = self._sql(statement, rows)
            if fixed:  # values the statement binds itself (``members <= 0``)
                rows = [{**fixed, **row} for row in rows]
        self._pending.append((sql, rows, conflict))
        if not self._listening:
            event.listen(self._conn, "before_cursor_execute", self._before)
            self._listening = True

    def _sql(
        self, statement: UpdateBase, rows: Sequence[Any]
    ) -> tuple[str, dict[str, Any]]:
        keys = tuple(rows[0])
        found = _COMPILED.get((statement, keys))
        if found is None:
            compiled = statement.compile(dialect=self._conn.dialect, column_keys=keys)
            fixed = {
                name: bind.value
                for name, bind in compiled.binds.items()
                if name not in keys
            }
            found = _COMPILED[statement, keys] = (str(compiled), fixed)
        return found

    def _before(self, *_: object) -> None:
        self.flush()

    def flush(self) -> None:
        """Send the queued writes in one pipeline.

        Raises:
            ConcurrencyError: A unique key was taken by a concurrent writer.
            StoreError: The database failed.
        """
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        conflict = next((c for _, _, c in pending if c), "")
        raw: Any = self._conn.connection.driver_connection
        dbapi_error: type[Exception] = self._conn.dialect.loaded_dbapi.Error
        with store_errors(conflict=conflict):
            try:
                with raw.pipeline(), raw.cursor() as cursor:
                    for sql, rows, _ in pending:
                        for row in rows:
                            cursor.execute(sql, row)
            except dbapi_error as exc:  # raised as SQLAlchemy would raise it
                sql = pending[0][0]
                raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
