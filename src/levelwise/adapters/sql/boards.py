"""SqlBoardStore: leaderboards in one table of the event log's database.

Writes join the log's transaction when given its session, so boards commit
or roll back together with the events that changed them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, tuple_
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement

from levelwise.adapters.sql.driver import (
    chunks,
    increment,
    key_before,
    store_errors,
    upsert,
)
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.event_log import DeferredWriter, joined
from levelwise.adapters.sql.tables.boards import board_members, board_scores
from levelwise.app.ports import LogSession
from levelwise.app.recognition.ports import BoardReader, BoardWriter, Entry, Standing

_c = board_members.c
_s = board_scores.c
_KEY = (_c.neg_xp, _c.reached, _c.member)
_SCORE_OF_ONE = select(_c.neg_xp).where(
    _c.tenant == bindparam("t"), _c.board == bindparam("b"), _c.member == bindparam("m")
)
"""One member's score, built once (single-event ingests run it per board)."""
_OLD_SCORES = select(_c.board, _c.member, _c.neg_xp).where(
    _c.tenant == bindparam("t"),
    _c.board.in_(bindparam("bs", expanding=True)),
    _c.member.in_(bindparam("ms", expanding=True)),
)
"""Members' scores on some boards, built once (every ingest runs it)."""
_DROP_EMPTY = delete(board_scores).where(
    board_scores.c.tenant == bindparam("t"),
    board_scores.c.board == bindparam("b"),
    board_scores.c.neg_xp == bindparam("x"),
    board_scores.c.members <= 0,
)
"""Forget a score no member holds any more."""


class _SqlBoards:
    """One tenant's boards over one connection (a ``BoardWriter``)."""

    def __init__(
        self, connection: Connection, tenant: str, log: DeferredWriter | None = None
    ) -> None:
        self._conn = connection
        self._tenant = tenant
        self._log = log  # the event log's session whose transaction this joins

    def _write(self, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
        """Write now, or with the log's deferred writes when joining it."""
        if self._log is not None:
            self._log.defer(statement, rows)
            return
        with store_errors():
            self._conn.execute(statement, rows)

    def _on(self, board: str) -> ColumnElement[bool]:
        return (_c.tenant == self._tenant) & (_c.board == board)

    def _standings(self, rows: Iterable[Sequence[Any]], first: int) -> list[Standing]:
        return [
            Standing(first + i, str(row[2]), -int(row[0]), str(row[1]))
            for i, row in enumerate(rows)
        ]

    def rank(self, board: str, member: str) -> int | None:
        entry = self.entry(board, member)
        return None if entry is None else self.ahead(board, entry) + 1

    def entry(self, board: str, member: str) -> Entry | None:
        query = select(_c.neg_xp, _c.reached).where(
            self._on(board), _c.member == member
        )
        with store_errors():
            row = self._conn.execute(query).first()
        return None if row is None else Entry(member, -row[0], row[1])

    def ahead(self, board: str, entry: Entry) -> int:
        """Members ranked before ``entry``: higher scores, then its own tie."""
        score = -entry.xp
        higher = select(func.coalesce(func.sum(_s.members), 0)).where(
            _s.tenant == self._tenant, _s.board == board, _s.neg_xp < score
        )
        tie = (
            select(func.count())
            .select_from(board_members)
            .where(
                self._on(board),
                _c.neg_xp == score,
                key_before(_c.reached, _c.member, (entry.reached, entry.member)),
            )
        )
        with store_errors():
            above = int(self._conn.execute(higher).scalar_one())
            return above + int(self._conn.execute(tie).scalar_one())

    def _scores_of(self, board: str, members: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with store_errors():
            if len(members) == 1:  # the common case of one learner's event
                (member,) = members
                params = {"t": self._tenant, "b": board, "m": member}
                score = self._conn.execute(_SCORE_OF_ONE, params).scalar()
                return {} if score is None else {member: int(score)}
            for chunk in chunks(members):
                query = select(_c.member, _c.neg_xp).where(
                    self._on(board), _c.member.in_(chunk)
                )
                found.update((str(m), int(x)) for m, x in self._conn.execute(query))
        return found

    def _count(self, board: str, deltas: dict[int, int]) -> None:
        """Add ``deltas`` (score -> members) to the board's score counts."""
        self._count_many({(board, x): d for x, d in deltas.items()})

    def range(self, board: str, start: int, stop: int) -> list[Standing]:
        start = max(start, 0)
        if stop <= start:
            return []
        query = (
            select(*_KEY)
            .where(self._on(board))
            .order_by(*_KEY)
            .offset(start)
            .limit(stop - start)
        )
        with store_errors():
            return self._standings(self._conn.execute(query), start + 1)

    def around(self, board: str, member: str, k: int) -> list[Standing]:
        entry = self.entry(board, member)
        if entry is None:
            return []
        ahead = self.ahead(board, entry)
        key = tuple_(*(-entry.xp, entry.reached, member))
        above = (
            select(*_KEY)
            .where(self._on(board), tuple_(*_KEY) < key)
            .order_by(*(c.desc() for c in _KEY))
            .limit(k)
        )
        below = (
            select(*_KEY)
            .where(self._on(board), tuple_(*_KEY) >= key)
            .order_by(*_KEY)
            .limit(k + 1)
        )
        with store_errors():
            up = list(self._conn.execute(above))[::-1]
            down = list(self._conn.execute(below))
        return self._standings([*up, *down], ahead - len(up) + 1)

    def count(self, board: str) -> int:
        query = select(func.count()).select_from(board_members).where(self._on(board))
        with store_errors():
            return int(self._conn.execute(query).scalar_one())

    def boards(self, prefix: str) -> list[str]:
        # A range on the primary key, not LIKE: ids may hold % or _.
        query = (
            select(_c.board)
            .where(
                _c.tenant == self._tenant,
                _c.board >= prefix,
                _c.board < prefix + "\U0010ffff",
            )
            .distinct()
            .order_by(_c.board)
        )
        with store_errors():
            found = list(self._conn.execute(query).scalars())
        return [b for b in found if b.startswith(prefix)]

    def set(self, board: str, entries: Sequence[Entry]) -> None:
        self.set_many({board: entries})

    def set_many(self, sets: Mapping[str, Sequence[Entry]]) -> None:
        """Set the entries of several boards in a few statements.

        One read of the members' old scores, one upsert of every row, one
        update of the per-score counts (and one clean-up of emptied scores),
        whatever the number of boards.
        """
        sets = {board: entries for board, entries in sets.items() if entries}
        if not sets:
            return
        old = self._old_scores(sets)
        rows = []
        deltas: dict[tuple[str, int], int] = {}
        for board, entries in sets.items():
            for e in entries:
                before = old.get((board, e.member))
                if before is not None:
                    deltas[board, before] = deltas.get((board, before), 0) - 1
                deltas[board, -e.xp] = deltas.get((board, -e.xp), 0) + 1
                rows.append(
                    {
                        "tenant": self._tenant,
                        "board": board,
                        "member": e.member,
                        "neg_xp": -e.xp,
                        "reached": e.reached,
                    }
                )
        statement = upsert(
            self._conn.dialect.name, board_members, ("neg_xp", "reached")
        )
        self._write(statement, rows)
        self._count_many(deltas)

    def _old_scores(
        self, sets: Mapping[str, Sequence[Entry]]
    ) -> dict[tuple[str, str], int]:
        members = sorted({e.member for entries in sets.values() for e in entries})
        found: dict[tuple[str, str], int] = {}
        with store_errors():
            for chunk in chunks(members):
                params = {"t": self._tenant, "bs": list(sets), "ms": chunk}
                for board, member, score in self._conn.execute(_OLD_SCORES, params):
                    found[str(board), str(member)] = int(score)
        return found

    def _count_many(self, deltas: dict[tuple[str, int], int]) -> None:
        """Add ``deltas`` ((board, score) -> members) to the score counts."""
        rows = [
            {"tenant": self._tenant, "board": b, "neg_xp": x, "members": d}
            for (b, x), d in sorted(deltas.items())
            if d
        ]
        if not rows:
            return
        statement = increment(self._conn.dialect.name, board_scores, "members")
        emptied = [
            {"t": self._tenant, "b": b, "x": x} for (b, x), d in deltas.items() if d < 0
        ]
        self._write(statement, rows)
        if emptied:  # a score may have no members left
            self._write(_DROP_EMPTY, emptied)

    def remove(self, board: str, members: Collection[str]) -> None:
        deltas: dict[int, int] = {}
        for score in self._scores_of(board, members).values():
            deltas[score] = deltas.get(score, 0) - 1
        self._count(board, deltas)
        with store_errors():
            for chunk in chunks(members):
                self._conn.execute(
                    delete(board_members).where(self._on(board), _c.member.in_(chunk))
                )

    def retain(self, member: str, boards: Collection[str], prefix: str) -> None:
        query = select(_c.board).where(_c.tenant == self._tenant, _c.member == member)
        with store_errors():
            on = list(self._conn.execute(query).scalars())
        for board in on:
            if board.startswith(prefix) and board not in boards:
                self.remove(board, [member])

    def drop(self, board: str) -> None:
        with store_errors():
            self._conn.execute(delete(board_members).where(self._on(board)))
            self._conn.execute(
                delete(board_scores).where(_s.tenant == self._tenant, _s.board == board)
            )


class SqlBoardStore:
    """Boards in the ``board_members`` table (SQLite or PostgreSQL).

    Args:
        engine: The event log's engine (from ``create_engine_for``, migrated).
    """

    joins_log = True

    def __init__(self, engine: Engine) -> None:
        """Keep the engine and a read-only view of it."""
        self._engine = engine
        self._reader = reader(engine)

    @contextmanager
    def reader(self, tenant: str) -> Iterator[BoardReader]:
        """Read ``tenant``'s boards in one read-only transaction.

        Raises:
            StoreError: The database failed.
        """
        with store_errors(), self._reader.begin() as connection:
            yield _SqlBoards(connection, tenant)

    @contextmanager
    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[BoardWriter]:
        """Change ``tenant``'s boards: in the log's transaction if given one.

        Args:
            tenant: The school.
            session: An open session of a ``SqlEventLog`` on the same database;
                the writes then commit with it. Without one, a transaction of
                its own commits when the block exits.

        Raises:
            TypeError: ``session`` is not a SQL event log session.
            StoreError: The database failed.
        """
        if session is not None:
            # The session's own connection: same transaction, same lock.
            connection, log = joined(session)
            yield _SqlBoards(connection, tenant, log)
            return
        with store_errors(), writing(self._engine) as connection:
            yield _SqlBoards(connection, tenant)
