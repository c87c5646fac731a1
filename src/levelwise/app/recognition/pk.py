"""Group PK: a live class's team competition, its scoreboard and its result.

A PK is started with its teams (each a list of learners) and its number of
rounds; the definition is kept in a :class:`PkStore`. Answers are ordinary
``live.interaction`` events of kind ``pk`` that name the PK, the team and the
round; the fold turns each into a ``pk_scored`` outcome, which is notifiable,
so it lands in the outbox in the ingest transaction.

The scoreboard is computed from those outbox rows: the ``pk_scored``
notifications of the PK committed after its start (and, once finished, up to
its finish). The outbox holds exactly the committed outcomes, each once (its
id is stable across re-folds), so the scoreboard equals a recomputation from
the log. Answers of learners outside the PK, for another team than their own
or for a round past the last are not counted; the scoreboard lists them.

Finishing freezes the scoreboard at the outbox position reached and ingests
one ``pk.finished`` event per participant through the engine, with ids derived
from the PK and the learner and the time of the first finish: finishing again
re-sends the same events, which are duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from levelwise.app.notify.outbox import NOTIFIABLE_KINDS, utc_key
from levelwise.app.notify.ports import Notification
from levelwise.app.recognition.ports import Engine, PkSpec, PkStore
from levelwise.errors import (
    PkConflictError,
    PkNotFoundError,
    PkRequestError,
    PkUnavailableError,
)

if TYPE_CHECKING:
    from levelwise.app.notify.ports import NotificationFeed
    from levelwise.app.views import IngestReport

PK_SCORED = "pk_scored"
"""The outcome kind of a scored PK answer."""
NOTIFIED_KINDS = NOTIFIABLE_KINDS | {PK_SCORED}
"""The engine's notifiable kinds: the default ones and PK scores (for streams)."""
PAGE = 500
"""Outbox rows read per query."""
MAX_ROUNDS = 10_000
"""Most rounds a PK may have (as the event's ``round`` field allows)."""


@dataclass(frozen=True)
class Score:
    """One scored answer, as read from the outbox."""

    event_id: str
    learner: str
    team: str
    round: int
    points: int
    at: str
    position: int


@dataclass(frozen=True)
class LearnerScore:
    """A participant's points and answers."""

    learner: str
    points: int
    answers: int
    correct: int


@dataclass(frozen=True)
class TeamScore:
    """A team on the scoreboard.

    Attributes:
        team: The team id.
        place: Its place in the board's order (1, 2, ...; no two alike): most
            points, then the earlier last score, then the team id.
        rank: Its rank by points: teams with equal points share it (1 = won).
        points: The team's points.
        rounds: ``(round, points)`` for every round.
        last_scored_at: When it last scored points ('' if never).
        learners: Its members, by points then id.
    """

    team: str
    place: int
    rank: int
    points: int
    rounds: tuple[tuple[int, int], ...]
    last_scored_at: str
    learners: tuple[LearnerScore, ...]

    @property
    def won(self) -> bool:
        """Whether the team is first (ties for first all win)."""
        return self.rank == 1


@dataclass(frozen=True)
class Ignored:
    """An answer naming the PK that does not count, and why."""

    event_id: str
    learner: str
    team: str
    round: int
    reason: str


@dataclass(frozen=True)
class Scoreboard:
    """A PK's standings.

    Attributes:
        pk: The PK id.
        rounds: Its number of rounds.
        cohort: Its class, if any.
        finished: Whether it is finished (the board is then final).
        teams: The teams in place order.
        answers: How many answers count.
        ignored: Answers that do not count.
        position: The outbox position of the newest answer read (0 if none).
    """

    pk: str
    rounds: int
    cohort: str | None
    finished: bool
    teams: tuple[TeamScore, ...]
    answers: int
    ignored: tuple[Ignored, ...]
    position: int


@dataclass(frozen=True)
class Finished:
    """What finishing a PK did: the final board and the ``pk.finished`` ingest."""

    scoreboard: Scoreboard
    report: IngestReport


def score_of(row: Notification) -> tuple[str, Score] | None:
    """The PK id and score of a ``pk_scored`` outbox row (None for other kinds)."""
    if row.kind != PK_SCORED:
        return None
    data: dict[str, Any] = orjson.loads(row.body)["data"]
    score = Score(
        row.event_id,
        row.learner,
        str(data["team"]),
        int(data["round"]),
        int(data["points"]),
        row.at,
        row.position,
    )
    return str(data["pk"]), score


def _check(spec: PkSpec, team_of: Mapping[str, str], score: Score) -> str:
    own = team_of.get(score.learner)
    if own is None:
        return "the learner is not in this PK"
    if own != score.team:
        return f"the learner plays for team {own!r}"
    if score.round > spec.rounds:
        return f"the PK has {spec.rounds} rounds"
    return ""


def tally(spec: PkSpec, scores: Iterable[Score]) -> Scoreboard:
    """The scoreboard of ``spec`` from its answers (pure; any order of scores).

    Args:
        spec: The PK.
        scores: The PK's scored answers (those after its final position are
            left out).

    Returns:
        The standings.
    """
    team_of = spec.team_of()
    points: dict[str, int] = dict.fromkeys(team_of, 0)
    answers: dict[str, int] = dict.fromkeys(team_of, 0)
    correct: dict[str, int] = dict.fromkeys(team_of, 0)
    rounds = {team: [0] * spec.rounds for team, _ in spec.teams}
    last = dict.fromkeys(rounds, "")
    ignored: list[Ignored] = []
    counted = 0
    position = 0
    ordered = sorted(scores, key=lambda s: s.position)
    for s in ordered:
        if spec.final_position is not None and s.position > spec.final_position:
            continue
        position = s.position
        reason = _check(spec, team_of, s)
        if reason:
            ignored.append(Ignored(s.event_id, s.learner, s.team, s.round, reason))
            continue
        counted += 1
        points[s.learner] += s.points
        answers[s.learner] += 1
        correct[s.learner] += s.points > 0
        rounds[s.team][s.round - 1] += s.points
        if s.points > 0:
            last[s.team] = max(last[s.team], s.at)
    totals = {team: sum(per) for team, per in rounds.items()}
    order = sorted(totals, key=lambda t: (-totals[t], last[t] or "", t))
    teams = []
    for place, team in enumerate(order, start=1):
        members = dict(spec.teams)[team]
        learners = sorted(
            (LearnerScore(x, points[x], answers[x], correct[x]) for x in members),
            key=lambda x: (-x.points, x.learner),
        )
        rank = 1 + sum(1 for t in totals if totals[t] > totals[team])
        by_round = tuple((i + 1, p) for i, p in enumerate(rounds[team]))
        teams.append(
            TeamScore(
                team, place, rank, totals[team], by_round, last[team], tuple(learners)
            )
        )
    return Scoreboard(
        spec.pk,
        spec.rounds,
        spec.cohort,
        spec.finished_at is not None,
        tuple(teams),
        counted,
        tuple(ignored),
        position,
    )


def finished_events(spec: PkSpec, board: Scoreboard) -> list[dict[str, Any]]:
    """One ``pk.finished`` event per participant of a finished PK.

    Event ids are ``pk-`` plus a digest of the PK id and the learner, so the
    same PK finished twice yields the same events.
    """
    assert spec.finished_at is not None  # noqa: S101 - only for finished PKs
    events = []
    for team in board.teams:
        for member in team.learners:
            key = f"{spec.pk}\x1f{member.learner}".encode()
            events.append(
                {
                    "id": f"pk-{hashlib.sha256(key).hexdigest()[:40]}",
                    "learner": member.learner,
                    "type": "pk.finished",
                    "occurred_at": spec.finished_at,
                    "pk": spec.pk,
                    "team": team.team,
                    "points": member.points,
                    "team_points": team.points,
                    "rank": team.rank,
                    "won": team.won,
                }
            )
    return events


def _spec(
    pk_id: str,
    teams: Mapping[str, Sequence[str]],
    rounds: int,
    cohort: str | None,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not pk_id or len(pk_id) > 200:
        msg = "a PK id has 1 to 200 characters"
        raise PkRequestError(msg)
    if not 1 <= rounds <= MAX_ROUNDS:
        msg = f"a PK has 1 to {MAX_ROUNDS} rounds, not {rounds}"
        raise PkRequestError(msg)
    if len(teams) < 2:
        msg = "a PK needs at least two teams"
        raise PkRequestError(msg)
    seen: dict[str, str] = {}
    for team, members in teams.items():
        if not team or not members:
            msg = f"team {team!r} needs an id and at least one learner"
            raise PkRequestError(msg)
        for learner in members:
            if learner in seen:
                msg = f"learner {learner!r} is in teams {seen[learner]!r} and {team!r}"
                raise PkRequestError(msg)
            seen[learner] = team
    if cohort == "":
        msg = "a cohort id is not empty"
        raise PkRequestError(msg)
    return tuple(sorted((t, tuple(sorted(set(m)))) for t, m in teams.items()))


class Pk:
    """Group PK use cases over an engine and a store of PK definitions.

    Args:
        engine: Ingests ``pk.finished``; its notifications hold the scores.
        store: Where PK definitions live; None: PK is unavailable.
    """

    def __init__(self, engine: Engine, store: PkStore | None) -> None:
        """Keep the collaborators."""
        self.engine = engine
        self._store = store

    @property
    def available(self) -> bool:
        """Whether the engine was built with a PK store."""
        return self._store is not None

    @property
    def store(self) -> PkStore:
        """Where PK definitions live.

        Raises:
            PkUnavailableError: The engine was built without a PK store.
        """
        if self._store is None:
            msg = "this server was started without a PK store"
            raise PkUnavailableError(msg)
        return self._store

    @property
    def notifications(self) -> NotificationFeed:
        """The engine's committed notifications (the answers' decisions)."""
        return self.engine.notifications

    def start(
        self,
        tenant: str,
        pk_id: str,
        teams: Mapping[str, Sequence[str]],
        rounds: int,
        cohort: str | None = None,
    ) -> Scoreboard:
        """Start a PK; starting the same PK again with the same teams is a no-op.

        Raises:
            PkRequestError: The definition is invalid.
            PkConflictError: The id is taken by another definition.
        """
        members = _spec(pk_id, teams, rounds, cohort)
        spec = PkSpec(
            pk_id,
            members,
            rounds,
            cohort,
            utc_key(self.engine.clock.now_iso()),
            self.notifications.last_position(tenant),
        )
        stored = self.store.create(tenant, spec)
        same = (stored.teams, stored.rounds, stored.cohort)
        if same != (spec.teams, spec.rounds, spec.cohort):
            msg = f"PK {pk_id!r} was already started with other teams or rounds"
            raise PkConflictError(msg)
        return self._board(tenant, stored)

    def _spec(self, tenant: str, pk_id: str) -> PkSpec:
        spec = self.store.get(tenant, pk_id)
        if spec is None:
            msg = f"PK {pk_id!r} does not exist in this school"
            raise PkNotFoundError(msg)
        return spec

    def scores(
        self, tenant: str, spec: PkSpec, after: int = 0
    ) -> tuple[list[Score], int]:
        """The PK's answers in the outbox after ``after`` (and after its start).

        Returns:
            The answers, and the outbox position read up to (to resume from).
        """
        position = max(after, spec.start_position)
        found: list[Score] = []
        while spec.final_position is None or position < spec.final_position:
            rows = self.notifications.read(tenant, after=position, limit=PAGE)
            for row in rows:
                scored = score_of(row)
                if scored is not None and scored[0] == spec.pk:
                    found.append(scored[1])
            if rows:
                position = rows[-1].position
            if len(rows) < PAGE:
                break
        return found, position

    def updates(
        self, tenant: str, pk_id: str, after: int
    ) -> tuple[PkSpec, list[Score], int]:
        """The PK as stored now, and its answers after ``after`` (see ``scores``).

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        spec = self._spec(tenant, pk_id)
        return (spec, *self.scores(tenant, spec, after))

    def _board(self, tenant: str, spec: PkSpec) -> Scoreboard:
        return tally(spec, self.scores(tenant, spec)[0])

    def scoreboard(self, tenant: str, pk_id: str) -> Scoreboard:
        """The PK's standings from its committed answers.

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        return self._board(tenant, self._spec(tenant, pk_id))

    def spec(self, tenant: str, pk_id: str) -> PkSpec:
        """The PK's definition.

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        return self._spec(tenant, pk_id)

    def finish(self, tenant: str, pk_id: str) -> Finished:
        """Freeze the scoreboard and ingest each participant's ``pk.finished``.

        Finishing again changes nothing: the board stays frozen where the
        first finish left it and the same events are sent again (duplicates).

        Raises:
            PkNotFoundError: The PK does not exist.
            ProgramNotFoundError: The school has no program.
        """
        spec = self._spec(tenant, pk_id)
        if spec.finished_at is None:
            now = utc_key(self.engine.clock.now_iso())
            position = self.notifications.last_position(tenant)
            spec = self.store.finish(tenant, pk_id, now, position)
        board = self._board(tenant, spec)
        report = self.engine.ingest(tenant, finished_events(spec, board))
        return Finished(board, report)
