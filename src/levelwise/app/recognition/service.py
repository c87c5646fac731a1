"""Leaderboard and league use cases: keep boards in step with the log, read them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from levelwise.app.ports import Clock, EventLog, LogSession
from levelwise.app.recognition import leagues
from levelwise.app.recognition.boards import (
    CLOSED_BOARD,
    TIER_BOARD,
    WindowKind,
    board_name,
    check_scope,
    league_name,
    parse_week,
    previous_week,
    scopes_of,
    window_at,
)
from levelwise.app.recognition.ports import BoardReader, BoardStore, Entry, Standing
from levelwise.app.recognition.sync import (
    Plan,
    plan_ingest,
    plan_rebuild,
    window_entries,
)
from levelwise.domain.events import Event
from levelwise.domain.state import LearnerState, Profile
from levelwise.errors import LearnerNotFoundError, StoreError

MAX_LIMIT = 1000
"""Most members one board page shows."""


@dataclass(frozen=True)
class BoardPage:
    """The top of a board.

    Attributes:
        board: The board's name.
        scope: ``all``, ``cohort:<id>`` or ``team:<id>``.
        window: ``all``, ``week:<YYYY-Www>`` or ``month:<YYYY-MM>``.
        count: How many members it has.
        standings: The top members in rank order.
    """

    board: str
    scope: str
    window: str
    count: int
    standings: tuple[Standing, ...]


@dataclass(frozen=True)
class RankView:
    """A learner's place on a board, with the members around it.

    Attributes:
        learner: The learner.
        board: The board's name.
        public: Whether the learner shows on public boards; when not, ``rank``
            is where they would be, shown to themselves only.
        rank: 1-based rank, or None without XP in the window (or scope).
        xp: The learner's XP in the window.
        count: How many members the board has.
        neighbours: Up to ``k`` members above and below, in rank order.
    """

    learner: str
    board: str
    public: bool
    rank: int | None
    xp: int
    count: int
    neighbours: tuple[Standing, ...]


@dataclass(frozen=True)
class LeagueWeek:
    """A week's league groups.

    Attributes:
        week: The ISO week.
        closed: Whether the week was closed (groups are then final).
        groups: The groups by tier (highest first), then number.
    """

    week: str
    closed: bool
    groups: tuple[leagues.Group, ...]


@dataclass(frozen=True)
class WeekClose:
    """The result of closing a week.

    Attributes:
        week: The ISO week.
        closed_now: False when the week had already been closed (nothing changed).
        moves: Every contender's move, by tier, group and rank.
    """

    week: str
    closed_now: bool
    moves: tuple[leagues.Move, ...]


class Boards:
    """Leaderboards and weekly leagues of every tenant.

    Args:
        log: The event log (boards are computed from its XP outcomes).
        store: Where boards live.
        clock: Today's date, the default window of reads.
    """

    def __init__(self, log: EventLog, store: BoardStore | None, clock: Clock) -> None:
        """Keep the log, the store (None: no boards) and the clock."""
        self.log = log
        self._store = store
        self.clock = clock

    @property
    def store(self) -> BoardStore:
        """The board store.

        Raises:
            StoreError: No board store is configured.
        """
        if self._store is None:
            msg = "leaderboards are not configured for this engine"
            raise StoreError(msg)
        return self._store

    def _today(self) -> date:
        return date.fromisoformat(self.clock.now_iso()[:10])

    # -- keeping boards in step ---------------------------------------------------

    def after_ingest(
        self,
        tenant: str,
        s: LogSession,
        version: int,
        events: Sequence[Event],
        states: Mapping[str, LearnerState],
    ) -> Callable[[], None]:
        """Update boards for new events; call the result after the log commits.

        ``states`` are the learners' states after the batch. A store that joins
        the log's transaction (SQL) is written now, so boards commit or roll
        back with the events; otherwise (Redis, memory) the returned function
        writes them once the events are safely stored.
        """
        if not events or self._store is None:
            return _nothing
        return self._write(tenant, s, plan_ingest(s, version, events, states))

    def after_replay(
        self, tenant: str, s: LogSession, version: int, profiles: Mapping[str, Profile]
    ) -> Callable[[], None]:
        """Rebuild every XP board from the log; call the result after commit.

        ``profiles`` are the replayed learners' profiles (who is on which board).
        """
        if self._store is None:
            return _nothing
        return self._write(tenant, s, plan_rebuild(s, version, profiles))

    def _write(self, tenant: str, s: LogSession, plan: Plan) -> Callable[[], None]:
        if self.store.joins_log:
            with self.store.writer(tenant, s) as w:
                plan.apply(w)
            return _nothing

        def write() -> None:
            with self.store.writer(tenant) as w:
                plan.apply(w)

        return write

    # -- reading boards -----------------------------------------------------------

    def top(
        self,
        tenant: str,
        scope: str = "all",
        window: WindowKind = "all",
        day: date | None = None,
        limit: int = 100,
    ) -> BoardPage:
        """The top ``limit`` members of a board.

        Args:
            tenant: The school.
            scope: ``all``, ``cohort:<id>`` or ``team:<id>``.
            window: ``all``, ``week`` or ``month``.
            day: A date in the wanted week or month (default: today, UTC).
            limit: How many members (1 to :data:`MAX_LIMIT`).

        Raises:
            ValueError: The scope or limit is invalid.
        """
        if not 1 <= limit <= MAX_LIMIT:
            msg = f"limit must be between 1 and {MAX_LIMIT}"
            raise ValueError(msg)
        name = window_at(window, day or self._today())
        board = board_name(name, check_scope(scope))
        with self.store.reader(tenant) as r:
            rows = r.range(board, 0, limit)
            count = r.count(board)
        return BoardPage(board, scope, name, count, tuple(rows))

    def rank(
        self,
        tenant: str,
        learner: str,
        scope: str = "all",
        window: WindowKind = "all",
        day: date | None = None,
        k: int = 5,
    ) -> RankView:
        """A learner's rank on a board and ``k`` members either side.

        A learner who opted out of public boards is not on them, but sees the
        rank their XP would have (``public`` is False).

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
            ValueError: The scope or ``k`` is invalid.
        """
        if not 0 <= k <= 50:
            msg = "k must be between 0 and 50"
            raise ValueError(msg)
        name = window_at(window, day or self._today())
        board = board_name(name, check_scope(scope))
        with self.log.read(tenant) as s:
            snap = s.snapshots([learner]).get(learner)
            if snap is None:
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
            profile = snap.learner_state().profile
            entries, _ = window_entries(s, learner, snap.program_version, None)
        entry = entries.get(name)
        in_scope = scope in scopes_of(profile.cohort, profile.team)
        with self.store.reader(tenant) as r:
            count = r.count(board)
            if entry is None or not in_scope:
                return RankView(
                    learner, board, profile.public_boards, None, 0, count, ()
                )
            if profile.public_boards and r.rank(board, learner) is not None:
                near = tuple(r.around(board, learner, k))
                rank = next(x.rank for x in near if x.member == learner)
            else:
                ahead = r.ahead(board, entry)
                rank = ahead + 1
                near = tuple(r.range(board, max(0, ahead - k), ahead + k))
        return RankView(
            learner, board, profile.public_boards, rank, entry.xp, count, near
        )

    # -- leagues ------------------------------------------------------------------

    def league(self, tenant: str, week: str) -> LeagueWeek:
        """A week's league groups: final once closed, live before.

        Raises:
            ValueError: ``week`` is not an ISO week (``2026-W48``).
        """
        parse_week(week)
        with self.store.reader(tenant) as r:
            if r.entry(CLOSED_BOARD, week) is not None:
                return LeagueWeek(week, True, tuple(_stored_groups(r, week)))
            groups = _live_groups(r, week)
        return LeagueWeek(week, False, tuple(groups))

    def close_week(self, tenant: str, week: str) -> WeekClose:
        """Close a week: store its groups, move learners between tiers.

        Idempotent: closing a closed week changes nothing and returns the same
        moves. Tiers are *set* from the stored groups, never incremented.

        Raises:
            ValueError: ``week`` is not an ISO week (``2026-W48``).
        """
        parse_week(week)
        with self.store.writer(tenant) as w:
            if w.entry(CLOSED_BOARD, week) is not None:
                moves = leagues.close_week(_stored_groups(w, week))
                return WeekClose(week, False, tuple(moves))
            groups = _live_groups(w, week)
            for g in groups:
                entries = [Entry(s.member, s.xp, s.reached) for s in g.standings]
                w.set(league_name(week, g.tier_name, g.number), entries)
            moves = leagues.close_week(groups)
            w.set(TIER_BOARD, [Entry(m.learner, m.to_tier) for m in moves])
            w.set(CLOSED_BOARD, [Entry(week, 1)])
        return WeekClose(week, True, tuple(moves))

    def tier(self, tenant: str, learner: str) -> int:
        """A learner's league tier (index into ``leagues.TIERS``)."""
        with self.store.reader(tenant) as r:
            entry = r.entry(TIER_BOARD, learner)
        return 0 if entry is None else entry.xp


def _nothing() -> None:
    """Nothing left to write after commit."""


def _all(r: BoardReader, board: str) -> list[Standing]:
    return r.range(board, 0, r.count(board))


def _live_groups(r: BoardReader, week: str) -> list[leagues.Group]:
    this = _all(r, board_name(f"week:{week}"))
    last = _all(r, board_name(f"week:{previous_week(week)}"))
    tiers = {s.member: s.xp for s in _all(r, TIER_BOARD)}
    pace = {s.member: s.xp for s in last}
    week_entries = [Entry(s.member, s.xp, s.reached) for s in this]
    return leagues.form_groups(leagues.contenders(week_entries, tiers, pace))


def _stored_groups(r: BoardReader, week: str) -> list[leagues.Group]:
    groups = []
    for name in r.boards(f"league:{week}:"):
        tier, number = name.rsplit(":", 2)[1:]
        standings = tuple(_all(r, name))
        groups.append(leagues.Group(leagues.tier_index(tier), int(number), standings))
    groups.sort(key=lambda g: (-g.tier, g.number))
    return groups
