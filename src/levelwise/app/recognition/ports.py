"""The recognition ports: board stores, PK stores, and what PK needs of the engine."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from levelwise.app.notify.ports import NotificationFeed
    from levelwise.app.ports import Clock, LogSession
    from levelwise.app.views import IngestReport


@dataclass(frozen=True)
class Entry:
    """A member's score on a board.

    Attributes:
        member: The learner id (or, on the closed-weeks board, a week).
        xp: The score.
        reached: The UTC sort key at which the score was reached, or ``""``.
    """

    member: str
    xp: int
    reached: str = ""

    @property
    def order(self) -> tuple[int, str, str]:
        """The sort key every backend ranks by (smaller ranks higher)."""
        return (-self.xp, self.reached, self.member)


@dataclass(frozen=True)
class Standing:
    """A member's place on a board.

    Attributes:
        rank: 1-based rank.
        member: The learner id.
        xp: The score.
        reached: When the score was reached (UTC sort key), or ``""``.
    """

    rank: int
    member: str
    xp: int
    reached: str


class BoardReader(Protocol):
    """Read one tenant's boards."""

    def rank(self, board: str, member: str) -> int | None:
        """The member's 1-based rank, or None if it is not on the board."""
        ...

    def entry(self, board: str, member: str) -> Entry | None:
        """The member's score, or None if it is not on the board."""
        ...

    def ahead(self, board: str, entry: Entry) -> int:
        """How many members rank above ``entry`` (it need not be on the board)."""
        ...

    def range(self, board: str, start: int, stop: int) -> list[Standing]:
        """Members ranked ``start + 1`` to ``stop`` (0-based, ``stop`` excluded)."""
        ...

    def around(self, board: str, member: str, k: int) -> list[Standing]:
        """The member with up to ``k`` members above and ``k`` below it.

        Returns:
            The standings in rank order; empty if the member is not on the board.
        """
        ...

    def count(self, board: str) -> int:
        """How many members the board has (0 if it does not exist)."""
        ...

    def boards(self, prefix: str) -> list[str]:
        """The names of the tenant's non-empty boards that start with ``prefix``."""
        ...


class BoardWriter(BoardReader, Protocol):
    """Change one tenant's boards (reads see the changes made so far)."""

    def set(self, board: str, entries: Sequence[Entry]) -> None:
        """Insert or replace members' scores."""
        ...

    def remove(self, board: str, members: Collection[str]) -> None:
        """Take members off a board (absent ones are ignored)."""
        ...

    def retain(self, member: str, boards: Collection[str], prefix: str) -> None:
        """Take ``member`` off every board under ``prefix`` not in ``boards``."""
        ...

    def drop(self, board: str) -> None:
        """Delete a board with all its members."""
        ...


class BoardStore(Protocol):
    """Where boards live: sorted sets (Redis), a table (SQL) or memory."""

    @property
    def joins_log(self) -> bool:
        """Whether a writer given a log session writes in that transaction.

        When False, the service writes boards right after the log commits.
        """
        ...

    def reader(self, tenant: str) -> AbstractContextManager[BoardReader]:
        """Read ``tenant``'s boards."""
        ...

    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> AbstractContextManager[BoardWriter]:
        """Change ``tenant``'s boards; the changes apply when the block exits.

        Args:
            tenant: The school.
            session: The log's open transaction; a store that ``joins_log``
                writes in it (it commits or rolls back with the log).
        """
        ...


@dataclass(frozen=True)
class PkSpec:
    """A started PK.

    Attributes:
        pk: The PK id.
        teams: ``(team, learners)`` sorted by team; learners sorted.
        rounds: How many rounds it has.
        cohort: The class it runs in, if given.
        started_at: When it started (UTC sort key).
        start_position: The outbox position at the start; answers after it count.
        finished_at: When it was first finished, else None.
        final_position: The outbox position at the finish, else None.
    """

    pk: str
    teams: tuple[tuple[str, tuple[str, ...]], ...]
    rounds: int
    cohort: str | None
    started_at: str
    start_position: int
    finished_at: str | None = None
    final_position: int | None = None

    def team_of(self) -> dict[str, str]:
        """Each participant's team."""
        return {learner: team for team, members in self.teams for learner in members}


class Engine(Protocol):
    """What PK needs of the engine (``Levelwise``)."""

    @property
    def clock(self) -> Clock:
        """Wall time."""
        ...

    @property
    def notifications(self) -> NotificationFeed:
        """The committed notifications (the answers' decisions)."""
        ...

    def ingest(self, tenant: str, raw: Sequence[object]) -> IngestReport:
        """Validate, deduplicate, fold and store a batch of events."""
        ...


class PkStore(Protocol):
    """Where PK definitions live, durably."""

    def create(self, tenant: str, spec: PkSpec) -> PkSpec:
        """Store ``spec`` unless its id exists; return the stored definition."""
        ...

    def get(self, tenant: str, pk: str) -> PkSpec | None:
        """The PK, or None."""
        ...

    def finish(self, tenant: str, pk: str, finished_at: str, position: int) -> PkSpec:
        """Mark the PK finished unless it is; return the stored definition.

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        ...
