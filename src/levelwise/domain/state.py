"""Learner state: everything the fold knows about one learner, frozen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ParamSpec, TypedDict, TypeVar, cast

_P = ParamSpec("_P")
_T = TypeVar("_T")

RECENT_SESSIONS = 5
"""How many of a learner's latest practice sessions each metric is kept for."""


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
        display_name: The name public documents show; None: they name no one.
    """

    timezone: str | None = None
    cohort: str | None = None
    team: str | None = None
    public_boards: bool = True
    title: str | None = None
    display_name: str | None = None


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
class DayTally:
    """What the learner did on their current study day so far.

    Kept only when the program sets ``recognition.study_day`` (what makes a
    day a study day); the fold starts a new one when the study day changes.

    Attributes:
        seconds: Study time (recorded lessons, live classes, practice).
        answers: Scored answers (questions, and live interactions with a
            ``correct`` value).
        events: Study events.
        units: Units completed.
        xp: XP earned by study events.
        counted: Whether the day already counts as a study day.
    """

    seconds: float = 0.0
    answers: int = 0
    events: int = 0
    units: int = 0
    xp: int = 0
    counted: bool = False


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
    latest placement test result, if the learner took one. ``day`` is the
    learner's latest study day (``recognition.event_day``: the one day daily
    caps, active days, streaks and badges use), ``xp_today`` the XP per rule
    on it and ``active_days`` how many study days had events. ``profile``,
    ``streak``, ``badges`` and ``title`` are recognition; ``recent`` (POSIX
    times of the latest events) and ``correct_items`` (item -> when last
    answered right, within the repeat window) feed the integrity flags.
    ``clean`` is the unflagged XP per board window (``all``, the latest weeks
    and months) with the UTC key of the award that reached it.
    ``practice_metrics`` keeps, per practice metric, its values in the latest
    :data:`RECENT_SESSIONS` practice sessions that reported it, oldest first
    (gates read their mean). ``unit_scores`` keeps, per scored unit (any
    ``homework.submitted``), its best and latest score ratio in [0, 1]
    (gates read ``unit_score.ID`` and ``passed``). ``day_tally`` is what
    the learner did on ``day`` so far, kept when the program says what makes a
    study day (``recognition.study_day``). ``voided`` keeps, per event voided
    in the learner's log, what it had given: ``(about, *phrases)`` once the
    fold passed it (``("xAPI statement", "20 XP", "answer on hiragana")``),
    ``()`` while it lies ahead (its voiding came first).
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
    practice_metrics: MappingProxyType[str, tuple[float, ...]] = field(
        default_factory=_empty
    )
    unit_scores: MappingProxyType[str, tuple[float, float]] = field(
        default_factory=_empty
    )
    day_tally: DayTally = field(default_factory=DayTally)
    voided: MappingProxyType[str, tuple[str, ...]] = field(default_factory=_empty)


class StateChanges(TypedDict, total=False):
    """What one step changes in a :class:`LearnerState`: any of its fields.

    The keys are exactly the state's fields with their types, so a misspelt
    field or a value of the wrong type is a type error (a unit test keeps the
    two in step).
    """

    learner: str
    level: int
    xp: int
    watch_seconds: float
    live_seconds: float
    practice_seconds: float
    live_interactions: int
    homework_submitted: int
    homework_score_sum: float
    questions_answered: int
    questions_correct: int
    units_completed: frozenset[str]
    mastery: MappingProxyType[str, KpMastery]
    abilities: MappingProxyType[str, tuple[float, float]]
    day: str
    xp_today: MappingProxyType[str, int]
    repeats: MappingProxyType[str, int]
    active_days: int
    events: int
    last_key: tuple[str, str]
    enrolled_at: str
    history: tuple[LevelStamp, ...]
    model_state: tuple[float, ...]
    placement: PlacementRecord | None
    profile: Profile
    streak: Streak
    badges: MappingProxyType[str, BadgeHold]
    title: str
    recent: tuple[float, ...]
    correct_items: MappingProxyType[str, float]
    clean: MappingProxyType[str, tuple[int, str]]
    practice_metrics: MappingProxyType[str, tuple[float, ...]]
    unit_scores: MappingProxyType[str, tuple[float, float]]
    day_tally: DayTally
    voided: MappingProxyType[str, tuple[str, ...]]


_FIELDS = frozenset(LearnerState.__dataclass_fields__)
_FIELD_COUNT = len(_FIELDS)


def evolve(state: LearnerState, changes: StateChanges) -> LearnerState:
    """A copy of ``state`` with ``changes`` applied.

    Same result as ``dataclasses.replace`` for this plain frozen dataclass (no
    ``__post_init__``, no validation), several times faster on the fold's path.
    A key that is not a field (only possible past the type checker) raises
    ``TypeError``, as ``replace`` would.
    """
    new = object.__new__(LearnerState)
    values = new.__dict__
    values.update(state.__dict__)
    values.update(changes)
    if len(values) != _FIELD_COUNT:
        unknown = ", ".join(sorted(values.keys() - _FIELDS))
        msg = f"LearnerState has no field(s) {unknown}"
        raise TypeError(msg)
    return new


def as_changes(values: Mapping[str, object]) -> StateChanges:
    """``values`` as :class:`StateChanges`, for changes built at run time.

    Keys that start with ``_`` are the caller's own notes (the planner's drafts
    carry some) and are left out. The values are not type-checked, but
    :func:`evolve` rejects any key that is not a field.
    """
    return cast("StateChanges", {k: v for k, v in values.items() if k[:1] != "_"})


def frozen(cls: Callable[_P, _T], /, *args: _P.args, **fields: _P.kwargs) -> _T:
    """An instance of the plain frozen dataclass ``cls`` with every field given.

    The same object as ``cls(**fields)`` when ``cls`` has no ``__post_init__``
    and ``fields`` names every field, without the frozen ``__init__``'s
    ``__setattr__`` per field, which the fold's path pays for every award. The
    fields are checked against ``cls``'s constructor by the type checker; give
    them by name (positional ``args`` raise ``TypeError``).
    """
    if args:
        msg = "frozen() takes the fields by name"
        raise TypeError(msg)
    made: _T = object.__new__(cls)  # type: ignore[arg-type]
    made.__dict__.update(fields)
    return made
