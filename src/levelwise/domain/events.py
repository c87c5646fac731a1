"""Learner events: the facts a school's platform reports, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import ClassVar

from levelwise.domain.practice import PRACTICE_METRICS

INTERACTION_KINDS = ("mic", "answer", "chat", "pk")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$"
"""Every platform-chosen id (event, learner, unit, item, PK, team, cohort, ...).

1 to 200 ASCII letters, digits and ``. _ : @ -``, starting with a letter or
digit: no NUL, space, ``/``, ``?``, ``#`` or ``%``, so an id is safe in a URL
path segment, in every store and in a log line, and never ``.`` or ``..``.
"""
MAX_SECONDS = 86_400
"""The longest duration an event reports: a day."""
MAX_SCORE = 1_000_000
"""The largest ``score`` and ``max_score`` of a homework."""


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event carries: its id, learner, time and optional unit.

    Attributes:
        id: Client-chosen id, unique per tenant.
        learner: The learner's id on the school's platform.
        occurred_at: When it happened, timezone-aware. Its own UTC offset defines
            the learner's local day for daily caps.
        unit: The learning unit it concerns, if any.
        attributes: ``(name, value)`` of the attributes the program declares
            for the event type (a teacher's ``rating``), sorted by name.
    """

    TYPE: ClassVar[str] = ""
    id: str
    learner: str
    occurred_at: datetime
    unit: str | None = None
    attributes: tuple[tuple[str, float | str | bool], ...] = ()

    @property
    def type(self) -> str:
        """The wire type, such as ``lesson.watched``."""
        return self.TYPE

    sort_key: tuple[str, str] = field(init=False, repr=False, compare=False)
    """Per-learner order: ``(occurred_at in UTC, id)``."""

    def __post_init__(self) -> None:
        """Compute the sort key once (the fold and the log read it often)."""
        object.__setattr__(self, "sort_key", (utc_key(self.occurred_at), self.id))

    def fields_for_rules(self) -> dict[str, object]:
        """The type-specific fields that XP rules may read."""
        names = _RULE_FIELDS.get(type(self))
        if names is None:
            names = tuple(
                f.name
                for f in fields(self)
                if f.name not in _ENVELOPE and f.name != "metrics"
            )
            _RULE_FIELDS[type(self)] = names
        # An optional field left out is left out: rules read it as unknown
        # (see RULE_FIELDS_OPTIONAL).
        found = {n: v for n in names if (v := getattr(self, n)) is not None}
        if self.attributes:
            found.update(self.attributes)
        return found


_ENVELOPE = frozenset(
    {"id", "learner", "occurred_at", "unit", "attributes", "sort_key"}
)
_RULE_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def utc_key(moment: datetime) -> str:
    """Render an aware datetime as a fixed-width UTC string that sorts by time."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat("T", "microseconds")
    return text + "Z"


@dataclass(frozen=True, kw_only=True)
class LessonWatched(Event):
    """A learner watched part of a recorded lesson."""

    TYPE: ClassVar[str] = "lesson.watched"
    seconds: float


@dataclass(frozen=True, kw_only=True)
class LiveAttended(Event):
    """A learner attended a live class for some time."""

    TYPE: ClassVar[str] = "live.attended"
    seconds: float


@dataclass(frozen=True, kw_only=True)
class LiveCredited(Event):
    """Live-class time credited to a learner: what a network drop cost them.

    The call-quality service posts it when a learner's network dropped while
    the class's quality was broken (the program's ``live_quality`` policy
    decides when and how much). It counts for attendance (``live_minutes``)
    as ``live.attended`` does; XP comes only from the program's rules
    ``on: live.credited``. The envelope's ``unit`` is the live class's unit.

    Attributes:
        seconds: The seconds credited (> 0).
        reason: Why, as a learner reads it: ``network broken 19:42–19:54``.
        live_class: The class occurrence's id.
    """

    TYPE: ClassVar[str] = "live.credited"
    seconds: float
    reason: str
    live_class: str


@dataclass(frozen=True, kw_only=True)
class LiveInteracted(Event):
    """A learner interacted in a live class (mic, answer, chat or group PK).

    A group PK answer names its competition (``pk``), the learner's ``team``,
    the ``round`` and how fast it came (``response_ms``).
    """

    TYPE: ClassVar[str] = "live.interaction"
    kind: str
    correct: bool | None = None
    pk: str | None = None
    team: str | None = None
    round: int | None = None
    response_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class HomeworkSubmitted(Event):
    """A learner's homework was scored."""

    TYPE: ClassVar[str] = "homework.submitted"
    score: float
    max_score: float


@dataclass(frozen=True, kw_only=True)
class QuestionAnswered(Event):
    """A learner answered a scored question on a knowledge point."""

    TYPE: ClassVar[str] = "question.answered"
    item: str
    knowledge_point: str
    correct: bool
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class UnitFinished(Event):
    """The platform reports that a learner completed a unit."""

    TYPE: ClassVar[str] = "unit.completed"


@dataclass(frozen=True, kw_only=True)
class PracticeCompleted(Event):
    """A learner finished a practice session (for example with the AI partner).

    Attributes:
        seconds: How long the session lasted.
        turns: The conversation's turns.
        metrics: ``(name, value)`` of the practice metrics the session
            reported, sorted by name: only names of
            :data:`~levelwise.domain.practice.PRACTICE_METRICS`, each value a
            float within its bounds.
        session: The practice session's id, if any.
        scenario: The scenario played, if any.
    """

    TYPE: ClassVar[str] = "practice.completed"
    seconds: float
    turns: int = 0
    metrics: tuple[tuple[str, float], ...] = field(default=())
    session: str | None = None
    scenario: str | None = None

    def fields_for_rules(self) -> dict[str, object]:
        """``seconds``, ``turns`` and each reported metric by its name."""
        found = super().fields_for_rules()
        found.update(self.metrics)
        return found


@dataclass(frozen=True, kw_only=True)
class EnrolmentStarted(Event):
    """A learner enrolled (used by analytics)."""

    TYPE: ClassVar[str] = "enrolment.started"


@dataclass(frozen=True, kw_only=True)
class SubscriptionRenewed(Event):
    """A learner renewed their subscription (used by analytics)."""

    TYPE: ClassVar[str] = "subscription.renewed"


@dataclass(frozen=True, kw_only=True)
class PlacementCompleted(Event):
    """A learner finished the diagnostic placement test.

    Attributes:
        abilities: ``(dimension, theta, se)`` per measured dimension, sorted by
            dimension: the test's ability estimate and its standard error.
        items: How many items the learner answered.
        session: The placement session's id, if any.
    """

    TYPE: ClassVar[str] = "placement.completed"
    abilities: tuple[tuple[str, float, float], ...]
    items: int
    session: str | None = None


@dataclass(frozen=True, kw_only=True)
class PkFinished(Event):
    """A group PK competition ended; the learner's team result.

    Attributes:
        pk: The competition's id.
        team: The learner's team.
        points: The learner's own points.
        team_points: The team's points.
        rank: The team's rank (1 = won).
        won: Whether the team won (ties share the win).
    """

    TYPE: ClassVar[str] = "pk.finished"
    pk: str
    team: str
    points: int
    team_points: int
    rank: int
    won: bool


@dataclass(frozen=True, kw_only=True)
class ProfileUpdated(Event):
    """The platform updated a learner's profile; absent fields keep their value.

    Attributes:
        timezone: IANA time zone (``Asia/Shanghai``): streak days follow it.
        cohort: The learner's class or cohort (boards, streams).
        team: The learner's team (boards, live PK).
        public_boards: False to keep the learner off public boards.
        title: The title the learner chose to display (one they unlocked).
        display_name: The name the school gives the learner on public
            documents (certificates); never an id.
    """

    TYPE: ClassVar[str] = "profile.updated"
    timezone: str | None = None
    cohort: str | None = None
    team: str | None = None
    public_boards: bool | None = None
    title: str | None = None
    display_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class TeamRewarded(Event):
    """A learner's team or class met a team task's goal: their reward.

    The team-task service posts it for each member when the goal is met
    (its id derived from the task, window and learner, so it is posted once).
    The fold gives the task's ``reward_xp`` with a receipt naming the task;
    badges may count it (``on: team.rewarded`` with ``where: task == "..."``).

    Attributes:
        task: The team task's id.
        window: The window it was met in (``2026-W49``, ``2026-12``,
            ``2026-12-07`` or ``all``).
        team: The team or class that met it.
        contribution: What the learner gave toward it.
        total: The team's total when it was met.
    """

    TYPE: ClassVar[str] = "team.rewarded"
    task: str
    window: str
    team: str
    contribution: float = 0.0
    total: float = 0.0


@dataclass(frozen=True, kw_only=True)
class XapiStatement(Event):
    """An xAPI statement a learner's activity produced, as the record store kept it.

    The fold reads it through the program's ``xapi`` mapping as the event it
    stands for (``question.answered``, ``lesson.watched``, ...; see
    :mod:`levelwise.domain.xapi`), so a new mapping is a new program version
    and replays like any rule change. A statement the mapping does not cover
    folds to nothing. The envelope's ``id`` is the statement's id and
    ``occurred_at`` its timestamp; ``unit`` and ``attributes`` stay empty.

    Attributes:
        statement: The statement's JSON text, exactly as the record store
            stored it.
    """

    TYPE: ClassVar[str] = "xapi.statement"
    statement: str


@dataclass(frozen=True, kw_only=True)
class EventVoided(Event):
    """An earlier event of the learner no longer counts (a voided xAPI statement).

    The learner's state is the fold of their time-sorted log without the
    events voided in it; the voiding event's receipt says what was removed.
    It may not void a voiding event.

    Attributes:
        target: The id of the voided event, one of the learner's own.
    """

    TYPE: ClassVar[str] = "event.voided"
    target: str


INDIRECT_TYPES = frozenset({XapiStatement.TYPE, EventVoided.TYPE})
"""Event types the fold never folds as themselves: a statement folds as the
event its mapping gives, a voiding removes another event. No XP rule, badge,
team task or attribute may name them."""

EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        LessonWatched,
        LiveAttended,
        LiveCredited,
        LiveInteracted,
        HomeworkSubmitted,
        QuestionAnswered,
        UnitFinished,
        PracticeCompleted,
        EnrolmentStarted,
        SubscriptionRenewed,
        PlacementCompleted,
        ProfileUpdated,
        PkFinished,
        TeamRewarded,
        XapiStatement,
        EventVoided,
    )
}

RULE_FIELD_TYPES: dict[str, dict[str, str]] = {
    "lesson.watched": {"seconds": "number"},
    "live.attended": {"seconds": "number"},
    "live.credited": {"seconds": "number"},
    "live.interaction": {
        "kind": "string",
        "correct": "bool",
        "round": "number",
        "response_ms": "number",
    },
    "homework.submitted": {"score": "number", "max_score": "number"},
    "question.answered": {
        "item": "string",
        "knowledge_point": "string",
        "correct": "bool",
        "seconds": "number",
    },
    "unit.completed": {},
    "practice.completed": {
        "seconds": "number",
        "turns": "number",
        **dict.fromkeys(PRACTICE_METRICS, "number"),
    },
    "enrolment.started": {},
    "subscription.renewed": {},
    "placement.completed": {"items": "number"},
    "profile.updated": {},
    "team.rewarded": {
        "task": "string",
        "window": "string",
        "team": "string",
        "contribution": "number",
        "total": "number",
    },
    "pk.finished": {
        "points": "number",
        "team_points": "number",
        "rank": "number",
        "won": "bool",
    },
    "xapi.statement": {},
    "event.voided": {},
}
"""The fields each event type offers to XP rule expressions, with their types."""

_METRIC_FIELDS = {"practice.completed": frozenset(PRACTICE_METRICS)}
"""Rule fields that are no dataclass field: a practice session's metrics."""
RULE_FIELDS_OPTIONAL: dict[str, frozenset[str]] = {
    name: frozenset(
        f.name
        for f in fields(EVENT_TYPES[name])
        if f.name in types and f.default is None
    )
    | _METRIC_FIELDS.get(name, frozenset())
    for name, types in RULE_FIELD_TYPES.items()
}
"""The rule fields each event type may leave out (``live.interaction``'s
``correct``, ``round`` and ``response_ms``, every metric of
``practice.completed``): rules read a missing one as unknown, so
``correct == false`` holds only for a rated answer."""
