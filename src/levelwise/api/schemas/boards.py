"""Wire models of leaderboards and leagues."""

from __future__ import annotations

from pydantic import BaseModel

from levelwise.app.recognition import leagues
from levelwise.app.recognition.ports import Standing
from levelwise.app.recognition.service import BoardPage, LeagueWeek, RankView, WeekClose


class StandingPublic(BaseModel):
    """A member's place on a board."""

    rank: int
    learner: str
    xp: int
    reached_at: str

    @classmethod
    def of(cls, s: Standing) -> StandingPublic:
        """From a standing."""
        return cls(rank=s.rank, learner=s.member, xp=s.xp, reached_at=s.reached)


class BoardPublic(BaseModel):
    """The top of a board: ``count`` members in all, ``standings`` shown."""

    board: str
    scope: str
    window: str
    count: int
    standings: list[StandingPublic]

    @classmethod
    def of(cls, page: BoardPage) -> BoardPublic:
        """From a board page."""
        rows = [StandingPublic.of(s) for s in page.standings]
        return cls(
            board=page.board,
            scope=page.scope,
            window=page.window,
            count=page.count,
            standings=rows,
        )


class RankPublic(BaseModel):
    """A learner's rank; ``public`` false: shown to the learner only."""

    learner: str
    board: str
    public: bool
    rank: int | None
    xp: int
    count: int
    neighbours: list[StandingPublic]

    @classmethod
    def of(cls, view: RankView) -> RankPublic:
        """From a rank view."""
        return cls(
            learner=view.learner,
            board=view.board,
            public=view.public,
            rank=view.rank,
            xp=view.xp,
            count=view.count,
            neighbours=[StandingPublic.of(s) for s in view.neighbours],
        )


class LeagueMemberPublic(StandingPublic):
    """A group member and the zone its rank is in."""

    zone: leagues.Zone


class LeagueGroupPublic(BaseModel):
    """One league group of a tier."""

    tier: str
    group: int
    members: list[LeagueMemberPublic]


class LeagueWeekPublic(BaseModel):
    """A week's league groups (final once ``closed``)."""

    week: str
    closed: bool
    groups: list[LeagueGroupPublic]

    @classmethod
    def of(cls, week: LeagueWeek) -> LeagueWeekPublic:
        """From a league week."""
        groups = []
        for g in week.groups:
            zones = {m.learner: m.zone for m in leagues.close_group(g)}
            members = [
                LeagueMemberPublic(
                    rank=s.rank,
                    learner=s.member,
                    xp=s.xp,
                    reached_at=s.reached,
                    zone=zones[s.member],
                )
                for s in g.standings
            ]
            groups.append(
                LeagueGroupPublic(tier=g.tier_name, group=g.number, members=members)
            )
        return cls(week=week.week, closed=week.closed, groups=groups)


class MovePublic(BaseModel):
    """Where a learner goes when the week closes."""

    learner: str
    tier: str
    group: int
    rank: int
    xp: int
    zone: leagues.Zone
    next_tier: str


class WeekClosePublic(BaseModel):
    """The result of closing a week; ``closed_now`` false: it was already closed."""

    week: str
    closed_now: bool
    moves: list[MovePublic]

    @classmethod
    def of(cls, result: WeekClose) -> WeekClosePublic:
        """From a week close."""
        moves = [
            MovePublic(
                learner=m.learner,
                tier=leagues.TIERS[m.from_tier],
                group=m.group,
                rank=m.rank,
                xp=m.xp,
                zone=m.zone,
                next_tier=leagues.TIERS[m.to_tier],
            )
            for m in result.moves
        ]
        return cls(week=result.week, closed_now=result.closed_now, moves=moves)
