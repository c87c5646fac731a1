"""In-memory boards: for tests and ``--db memory``; same behaviour as Redis and SQL."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from levelwise.app.ports import LogSession
from levelwise.app.recognition.ports import BoardReader, BoardWriter, Entry, Standing

_Order = tuple[int, str, str]


class _Board:
    """Members kept sorted by their order key, plus a member index."""

    def __init__(self) -> None:
        self.sorted: list[_Order] = []
        self.by_member: dict[str, _Order] = {}

    def set(self, entry: Entry) -> None:
        self.remove(entry.member)
        key = entry.order
        bisect.insort(self.sorted, key)
        self.by_member[entry.member] = key

    def remove(self, member: str) -> None:
        key = self.by_member.pop(member, None)
        if key is not None:
            del self.sorted[bisect.bisect_left(self.sorted, key)]


def _standing(index: int, key: _Order) -> Standing:
    return Standing(index + 1, key[2], -key[0], key[1])


class _Tenant:
    """One tenant's boards (a ``BoardWriter``), used under the store's lock."""

    def __init__(self) -> None:
        self._boards: dict[str, _Board] = {}

    def rank(self, board: str, member: str) -> int | None:
        b = self._boards.get(board)
        key = None if b is None else b.by_member.get(member)
        if b is None or key is None:
            return None
        return bisect.bisect_left(b.sorted, key) + 1

    def entry(self, board: str, member: str) -> Entry | None:
        b = self._boards.get(board)
        key = None if b is None else b.by_member.get(member)
        return None if key is None else Entry(member, -key[0], key[1])

    def ahead(self, board: str, entry: Entry) -> int:
        b = self._boards.get(board)
        return 0 if b is None else bisect.bisect_left(b.sorted, entry.order)

    def range(self, board: str, start: int, stop: int) -> list[Standing]:
        b = self._boards.get(board)
        if b is None or stop <= start:
            return []
        start = max(start, 0)
        return [_standing(start + i, k) for i, k in enumerate(b.sorted[start:stop])]

    def around(self, board: str, member: str, k: int) -> list[Standing]:
        rank = self.rank(board, member)
        if rank is None:
            return []
        return self.range(board, max(0, rank - 1 - k), rank + k)

    def count(self, board: str) -> int:
        b = self._boards.get(board)
        return 0 if b is None else len(b.sorted)

    def boards(self, prefix: str) -> list[str]:
        return sorted(
            n for n, b in self._boards.items() if n.startswith(prefix) and b.sorted
        )

    def set(self, board: str, entries: Sequence[Entry]) -> None:
        b = self._boards.setdefault(board, _Board())
        for e in entries:
            b.set(e)

    def remove(self, board: str, members: Collection[str]) -> None:
        b = self._boards.get(board)
        if b is not None:
            for m in members:
                b.remove(m)

    def retain(self, member: str, boards: Collection[str], prefix: str) -> None:
        for name, b in self._boards.items():
            if name.startswith(prefix) and name not in boards:
                b.remove(member)

    def drop(self, board: str) -> None:
        self._boards.pop(board, None)


class InMemoryBoardStore:
    """Boards in a dict of sorted lists, guarded by one lock.

    Writes apply as they are made (after the log commits: ``joins_log`` is
    False), so a reader never sees half of a batch.
    """

    joins_log = False

    def __init__(self) -> None:
        """Start with no boards."""
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.RLock()

    @contextmanager
    def reader(self, tenant: str) -> Iterator[BoardReader]:
        """Read ``tenant``'s boards under the lock."""
        with self._lock:
            yield self._tenants.get(tenant) or _Tenant()

    @contextmanager
    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[BoardWriter]:
        """Change ``tenant``'s boards under the lock (``session`` is not joined)."""
        del session
        with self._lock:
            yield self._tenants.setdefault(tenant, _Tenant())
