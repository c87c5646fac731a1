"""The team-task ports: what the progress store keeps and how it is read."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from levelwise.app.ports import LogSession


@dataclass(frozen=True)
class Progress:
    """One member's part of a task in a window, for the team they gave it to.

    Attributes:
        task: The team task's id.
        window: ``all``, ``2026-W49``, ``2026-12`` or ``2026-12-07``.
        team: The class or team it counts for.
        learner: The member.
        value: What they gave (counted tasks: the sum of their events'
            values; every-member tasks: 1 while they meet the condition).
        events: How many of their events it is made of.
        at: UTC sort key of the latest of those events.
    """

    task: str
    window: str
    team: str
    learner: str
    value: float
    events: int
    at: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(task, window, team, learner)``: one row per key."""
        return (self.task, self.window, self.team, self.learner)


@dataclass(frozen=True)
class Member:
    """A learner's current class or team (from ``profile.updated``).

    Attributes:
        kind: ``cohort`` or ``team``.
        learner: The learner.
        team: The class or team.
        since: UTC sort key of the profile update that put them there.
    """

    kind: str
    learner: str
    team: str
    since: str


@dataclass(frozen=True)
class Met:
    """A goal met: its members were rewarded once, never taken back.

    Attributes:
        task: The team task's id.
        window: The window it was met in.
        team: The class or team that met it.
        at: UTC sort key of the moment it was met.
        total: The team's total at that moment.
        rewarded: How many members were rewarded.
    """

    task: str
    window: str
    team: str
    at: str
    total: float
    rewarded: int


class TeamReader(Protocol):
    """Read one tenant's team-task progress."""

    def progress(
        self, task: str, window: str | None = None, team: str | None = None
    ) -> list[Progress]:
        """The rows of a task, optionally of one window and team, by key."""
        ...

    def progress_of(self, learner: str) -> list[Progress]:
        """Every row of one learner, by key."""
        ...

    def members(self, kind: str, team: str) -> list[Member]:
        """The current members of a class (``cohort``) or team, by learner."""
        ...

    def met(
        self,
        task: str | None = None,
        window: str | None = None,
        team: str | None = None,
    ) -> list[Met]:
        """The goals met, optionally of one task, window and team, by key."""
        ...


class TeamWriter(TeamReader, Protocol):
    """Change one tenant's team-task progress (reads see the changes so far)."""

    def put(self, rows: Sequence[Progress]) -> None:
        """Insert or replace rows (by :attr:`Progress.key`)."""
        ...

    def remove(self, keys: Collection[tuple[str, str, str, str]]) -> None:
        """Delete rows by key (absent ones are ignored)."""
        ...

    def clear(self, learner: str, tasks: Collection[str]) -> None:
        """Delete every row of ``learner`` for those tasks."""
        ...

    def put_members(self, members: Sequence[Member]) -> None:
        """Insert or replace memberships (one per kind and learner)."""
        ...

    def remove_members(self, kind: str, learners: Collection[str]) -> None:
        """Forget learners' memberships of one kind (they have none now)."""
        ...

    def add_met(self, met: Sequence[Met]) -> None:
        """Record goals met; one already recorded is kept as it was."""
        ...

    def drop(self) -> None:
        """Delete every progress row and membership (a replay rebuilds them).

        Goals met stay: their rewards are in the log and never taken back.
        """
        ...


class TeamStore(Protocol):
    """Where team-task progress lives: a table (SQL) or memory."""

    @property
    def joins_log(self) -> bool:
        """Whether a writer given a log session writes in that transaction.

        When False, the service writes right after the log commits.
        """
        ...

    def reader(
        self, tenant: str, session: LogSession | None = None
    ) -> AbstractContextManager[TeamReader]:
        """Read ``tenant``'s progress (in the log's transaction, if joined)."""
        ...

    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> AbstractContextManager[TeamWriter]:
        """Change ``tenant``'s progress; the changes apply when the block exits.

        Args:
            tenant: The school.
            session: The log's open transaction; a store that ``joins_log``
                writes in it (it commits or rolls back with the log).
        """
        ...


class Announcer(Protocol):
    """Adds a class's message to the outbox in the open transaction."""

    def announce(
        self,
        s: LogSession,
        *,
        kind: str,
        cohort: str,
        subject: str,
        at: str,
        data: Mapping[str, Any],
    ) -> int:
        """Add one message that no learner's event decided (see ``Notifications``).

        Returns:
            1 when it was new, else 0.
        """
        ...
