"""Wire models of group PK: the start request, the scoreboard, the finish."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from levelwise.app.ingest.wire import Id
from levelwise.app.recognition.pk import MAX_ROUNDS, Finished, Scoreboard, TeamScore


class PkCreate(BaseModel):
    """Start a PK: its id, teams of learners, rounds and optional class."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    teams: Annotated[
        dict[Id, Annotated[list[Id], Field(min_length=1, max_length=1000)]],
        Field(min_length=2, max_length=100, description="team id: learner ids"),
    ]
    rounds: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] = 1
    cohort: Id | None = None


class LearnerScorePublic(BaseModel):
    """A participant's points and answers."""

    learner: str
    points: int
    answers: int
    correct: int


class RoundPublic(BaseModel):
    """A team's points in one round."""

    round: int
    points: int


class TeamScorePublic(BaseModel):
    """A team's standing: ``place`` orders the board, ``rank`` ties on points."""

    team: str
    place: int
    rank: int
    won: bool
    points: int
    rounds: list[RoundPublic]
    last_scored_at: str
    learners: list[LearnerScorePublic]

    @classmethod
    def of(cls, t: TeamScore) -> TeamScorePublic:
        """From a team score."""
        return cls(
            team=t.team,
            place=t.place,
            rank=t.rank,
            won=t.won,
            points=t.points,
            rounds=[RoundPublic(round=r, points=p) for r, p in t.rounds],
            last_scored_at=t.last_scored_at,
            learners=[
                LearnerScorePublic(
                    learner=x.learner,
                    points=x.points,
                    answers=x.answers,
                    correct=x.correct,
                )
                for x in t.learners
            ],
        )


class IgnoredPublic(BaseModel):
    """An answer naming the PK that does not count, and why."""

    event_id: str
    learner: str
    team: str
    round: int
    reason: str


class ScoreboardPublic(BaseModel):
    """A PK's standings, computed from its committed answers."""

    pk: str
    rounds: int
    cohort: str | None
    finished: bool
    answers: int
    position: int
    teams: list[TeamScorePublic]
    ignored: list[IgnoredPublic]

    @classmethod
    def of(cls, b: Scoreboard) -> ScoreboardPublic:
        """From a scoreboard."""
        return cls(
            pk=b.pk,
            rounds=b.rounds,
            cohort=b.cohort,
            finished=b.finished,
            answers=b.answers,
            position=b.position,
            teams=[TeamScorePublic.of(t) for t in b.teams],
            ignored=[
                IgnoredPublic(
                    event_id=i.event_id,
                    learner=i.learner,
                    team=i.team,
                    round=i.round,
                    reason=i.reason,
                )
                for i in b.ignored
            ],
        )


class ResultEventPublic(BaseModel):
    """What happened to one ``pk.finished`` event."""

    id: str | None
    status: str
    reason: str
    xp: int


class PkFinishPublic(BaseModel):
    """The final scoreboard and the ``pk.finished`` events ingested."""

    scoreboard: ScoreboardPublic
    events: list[ResultEventPublic]

    @classmethod
    def of(cls, done: Finished) -> PkFinishPublic:
        """From a finish."""
        events = [
            ResultEventPublic(id=r.id, status=r.status, reason=r.reason, xp=r.xp)
            for r in done.report.results
        ]
        return cls(scoreboard=ScoreboardPublic.of(done.scoreboard), events=events)
