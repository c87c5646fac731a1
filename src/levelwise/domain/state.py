"""Learner state: everything the fold knows about one learner, frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

_T = TypeVar("_T")


def _empty() -> MappingProxyType[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class KpMastery:
    """The estimate for one knowledge point.

    Attributes:
        value: Estimated mastery in [0, 1].
        sd: Its uncertainty (standard deviation).
        attempts: How many pieces of evidence it rests on.
        params: The mastery model's own numbers (for the running estimate,
            the decayed counts of successes and failures).
    """

    value: float
    sd: float
    attempts: int
    params: tuple[float, ...] = ()


@dataclass(frozen=True)
class LevelStamp:
    """When a learner reached (or lost) a level, and through which event."""

    level: str
    at: str
    event_id: str
    direction: str = "up"


@dataclass(frozen=True)
class PlacementRecord:
    """The learner's latest placement test result, as the fold applied it.

    Attributes:
        level: The placement level their abilities reached ("" when none);
            with ``can_go_down`` the learner never falls below it.
        event_id: The ``placement.completed`` event.
        at: When it happened (UTC sort key).
        items: How many items the learner answered.
        abilities: ``(dimension, theta, se)`` per measured dimension, sorted.
        priors: ``(knowledge point, mastery)`` starting values derived from θ,
            sorted; read in place of the model's prior while a point has no
            evidence.
        session: The placement session's id, if any.
    """

    level: str
    event_id: str
    at: str
    items: int
    abilities: tuple[tuple[str, float, float], ...]
    priors: tuple[tuple[str, float], ...] = ()
    session: str | None = None


@dataclass(frozen=True)
class Profile:
    """What the platform told about the learner (``profile.updated``).

    Attributes:
        timezone: IANA time zone; None: each event's own UTC offset.
        cohort: Class or cohort.
        team: Team.
        public_boards: Whether the learner appears on public boards.
        title: The title the learner chose (shown while it stays unlocked).
    """

    timezone: str | None = None
    cohort: str | None = None
    team: str | None = None
    public_boards: bool = True
    title: str | None = None


@dataclass(frozen=True)
class Streak:
    """Consecutive local study days.

    Attributes:
        length: Days in the current streak.
        best: The longest streak so far.
        day: The last study day (local, after the program's day start).
        freezes: Freezes in hand; one covers one missed day.
        since_freeze: Streak days since the last freeze was earned.
        zone: The time zone ``day`` was counted in (None: the event's offset).
    """

    length: int = 0
    best: int = 0
    day: str = ""
    freezes: int = 0
    since_freeze: int = 0
    zone: str | None = None


@dataclass(frozen=True)
class BadgeHold:
    """A learner's standing on one badge.

    Attributes:
        tier: Tiers earned (0 = none yet).
        times: Times earned (a repeatable badge counts every award).
        count: The badge's event counter (counting badges).
    """

    tier: int = 0
    times: int = 0
    count: int = 0


@dataclass(frozen=True)
class LearnerState:
    """A learner's position, as folded from their events.

    Mappings are read-only views; the fold always builds new ones.
    ``model_state`` holds the mastery model's learner-level numbers (empty for
    models that keep everything per knowledge point). ``placement`` is the
    latest placement test result, if the learner took one. ``profile``,
    ``streak``, ``badges`` and ``title`` are recognition; ``recent`` (POSIX
    times of the latest events) and ``correct_items`` (item -> when last
    answered right, within the repeat window) feed the integrity flags.
    ``clean`` is the unflagged XP per board window (``all``, the latest weeks
    and months) with the UTC key of the award that reached it.
    """

    learner: str
    level: int = 0
    xp: int = 0
    watch_seconds: float = 0.0
    live_seconds: float = 0.0
    practice_seconds: float = 0.0
    live_interactions: int = 0
    homework_submitted: int = 0
    homework_score_sum: float = 0.0
    questions_answered: int = 0
    questions_correct: int = 0
    units_completed: frozenset[str] = frozenset()
    mastery: MappingProxyType[str, KpMastery] = field(default_factory=_empty)
    abilities: MappingProxyType[str, tuple[float, float]] = field(
        default_factory=_empty
    )
    day: str = ""
    xp_today: MappingProxyType[str, int] = field(default_factory=_empty)
    repeats: MappingProxyType[str, int] = field(default_factory=_empty)
    active_days: int = 0
    events: int = 0
    last_key: tuple[str, str] = ("", "")
    enrolled_at: str = ""
    history: tuple[LevelStamp, ...] = ()
    model_state: tuple[float, ...] = ()
    placement: PlacementRecord | None = None
    profile: Profile = field(default_factory=Profile)
    streak: Streak = field(default_factory=Streak)
    badges: MappingProxyType[str, BadgeHold] = field(default_factory=_empty)
    title: str = ""
    recent: tuple[float, ...] = ()
    correct_items: MappingProxyType[str, float] = field(default_factory=_empty)
    clean: MappingProxyType[str, tuple[int, str]] = field(default_factory=_empty)


def evolve(state: LearnerState, changes: dict[str, Any]) -> LearnerState:
    """A copy of ``state`` with ``changes`` applied.

    Same result as ``dataclasses.replace`` for this plain frozen dataclass (no
    ``__post_init__``, no validation), several times faster on the fold's path.
    """
    new = object.__new__(LearnerState)
    new.__dict__.update(state.__dict__)
    new.__dict__.update(changes)
    return new


def frozen(cls: type[_T], **fields: object) -> _T:
    """An instance of the plain frozen dataclass ``cls`` with every field given.

    The same object as ``cls(**fields)`` when ``cls`` has no ``__post_init__``
    and ``fields`` names every field, without the frozen ``__init__``'s
    ``__setattr__`` per field, which the fold's path pays for every award.
    """
    made: _T = object.__new__(cls)
    made.__dict__.update(fields)
    return made
