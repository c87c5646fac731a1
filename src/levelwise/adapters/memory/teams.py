"""In-memory team-task progress: for tests and ``--db memory``; same as SQL."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from levelwise.app.ports import LogSession
from levelwise.app.teams.ports import Member, Met, Progress, TeamReader, TeamWriter

_RowKey = tuple[str, str, str, str]


class _Tenant:
    """One tenant's progress (a ``TeamWriter``), used under the store's lock."""

    def __init__(self) -> None:
        self.rows: dict[_RowKey, Progress] = {}
        self.members_: dict[tuple[str, str], Member] = {}
        self.met_: dict[tuple[str, str, str], Met] = {}

    def progress(
        self, task: str, window: str | None = None, team: str | None = None
    ) -> list[Progress]:
        return [
            p
            for k, p in sorted(self.rows.items())
            if k[0] == task
            and (window is None or k[1] == window)
            and (team is None or k[2] == team)
        ]

    def progress_of(self, learner: str) -> list[Progress]:
        return [p for k, p in sorted(self.rows.items()) if k[3] == learner]

    def members(self, kind: str, team: str) -> list[Member]:
        return sorted(
            (m for m in self.members_.values() if m.kind == kind and m.team == team),
            key=lambda m: m.learner,
        )

    def met(
        self,
        task: str | None = None,
        window: str | None = None,
        team: str | None = None,
    ) -> list[Met]:
        return [
            m
            for k, m in sorted(self.met_.items())
            if (task is None or k[0] == task)
            and (window is None or k[1] == window)
            and (team is None or k[2] == team)
        ]

    def put(self, rows: Sequence[Progress]) -> None:
        for row in rows:
            self.rows[row.key] = row

    def remove(self, keys: Collection[_RowKey]) -> None:
        for key in keys:
            self.rows.pop(key, None)

    def clear(self, learner: str, tasks: Collection[str]) -> None:
        for key in [k for k in self.rows if k[3] == learner and k[0] in tasks]:
            del self.rows[key]

    def put_members(self, members: Sequence[Member]) -> None:
        for m in members:
            self.members_[(m.kind, m.learner)] = m

    def remove_members(self, kind: str, learners: Collection[str]) -> None:
        for learner in learners:
            self.members_.pop((kind, learner), None)

    def add_met(self, met: Sequence[Met]) -> None:
        for m in met:
            self.met_.setdefault((m.task, m.window, m.team), m)

    def drop(self) -> None:
        self.rows.clear()
        self.members_.clear()


class InMemoryTeamStore:
    """Team-task progress in dicts, guarded by one lock.

    Writes apply as they are made (after the log commits: ``joins_log`` is
    False), so a reader never sees half of a batch.
    """

    joins_log = False

    def __init__(self) -> None:
        """Start with no progress."""
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.RLock()

    @contextmanager
    def reader(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[TeamReader]:
        """Read ``tenant``'s progress under the lock (``session`` is not joined)."""
        del session
        with self._lock:
            yield self._tenants.get(tenant) or _Tenant()

    @contextmanager
    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[TeamWriter]:
        """Change ``tenant``'s progress under the lock (``session`` is not joined)."""
        del session
        with self._lock:
            yield self._tenants.setdefault(tenant, _Tenant())
