"""Read models returned by the use cases, and how they are built from state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from levelwise.domain.fold import prior_for
from levelwise.domain.gates import (
    STATE_VARIABLES,
    gate_env,
    gate_values,
    passed_units,
)
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.outcomes import GateValue
from levelwise.domain.program import Program
from levelwise.domain.recognition import unlocked_titles
from levelwise.domain.state import LearnerState
from levelwise.errors import Issue

Status = Literal["accepted", "duplicate", "conflict", "rejected"]


@dataclass(frozen=True)
class EventResult:
    """What happened to one event of a batch.

    Attributes:
        index: Position in the batch.
        id: The event id (None when it could not be read).
        status: ``accepted``, ``duplicate``, ``conflict`` or ``rejected``.
        reason: Why it was not accepted.
        xp: XP the event earned (accepted events).
        levels: Levels reached through this event.
    """

    index: int
    id: str | None
    status: Status
    reason: str = ""
    xp: int = 0
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestReport:
    """Per-event results of a batch and its totals."""

    results: tuple[EventResult, ...]
    refolded: int = 0

    def count(self, status: Status) -> int:
        """How many events ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class LevelInfo:
    """A level's id, title and place on the ladder."""

    id: str
    title: str
    index: int


@dataclass(frozen=True)
class AbilityInfo:
    """A placed dimension's ability: θ, its standard error and a 95 % interval."""

    theta: float
    se: float
    low: float
    high: float


@dataclass(frozen=True)
class PlacementInfo:
    """What the learner's latest placement test found.

    Attributes:
        level: The starting level it placed them at (None when no level's cuts
            were reached).
        abilities: θ ± se per measured dimension, with a 95 % interval.
        items: How many items the learner answered.
        event_id: The ``placement.completed`` event.
        at: When it happened.
        session: The placement session's id, if any.
        priors: Starting mastery of the points that had no evidence then.
    """

    level: LevelInfo | None
    abilities: dict[str, AbilityInfo]
    items: int
    event_id: str
    at: str
    session: str | None
    priors: dict[str, float]


@dataclass(frozen=True)
class BadgeInfo:
    """A badge as the learner sees it (secret ones only once earned)."""

    id: str
    title: str
    tier: str
    times: int
    count: int
    next_tier: str
    next_count: int | None


@dataclass(frozen=True)
class RecognitionInfo:
    """The learner's title, streak, badges and profile."""

    title: str
    title_name: str
    titles_unlocked: tuple[str, ...]
    streak: int
    best_streak: int
    streak_day: str
    freezes: int
    badges: tuple[BadgeInfo, ...]
    cohort: str | None
    team: str | None
    timezone: str | None
    public_boards: bool


def recognition_info(state: LearnerState, program: Program) -> RecognitionInfo:
    """The learner's recognition: earned badges and the open ones not secret."""
    badges = []
    for badge in program.badges:
        hold = state.badges.get(badge.id)
        tier, times, count = (hold.tier, hold.times, hold.count) if hold else (0, 0, 0)
        if badge.secret and not times:
            continue
        upcoming = badge.tiers[tier] if tier < len(badge.tiers) else None
        badges.append(
            BadgeInfo(
                badge.id,
                badge.title,
                badge.tiers[tier - 1].tier if tier else "",
                times,
                count,
                upcoming.tier if upcoming else "",
                upcoming.count if upcoming else None,
            )
        )
    names = {t.id: t.name for t in program.titles}
    p, s = state.profile, state.streak
    return RecognitionInfo(
        title=state.title,
        title_name=names.get(state.title, ""),
        titles_unlocked=tuple(unlocked_titles(state, program)),
        streak=s.length,
        best_streak=s.best,
        streak_day=s.day,
        freezes=s.freezes,
        badges=tuple(badges),
        cohort=p.cohort,
        team=p.team,
        timezone=p.timezone,
        public_boards=p.public_boards,
    )


@dataclass(frozen=True)
class MetricTrendInfo:
    """One practice metric over the learner's last sessions.

    Attributes:
        name: The metric's name.
        label: Its short human label.
        unit: Its unit.
        values: Its values in the last sessions that reported it, oldest first.
        at: When each of those sessions ended (UTC keys).
        latest: The last session's value.
        slope: Least-squares change per session.
        better: +1 higher is better, -1 lower is, 0 neither.
        improving: The trend goes the better way.
        plateau: No progress over the last few sessions.
    """

    name: str
    label: str
    unit: str
    values: tuple[float, ...]
    at: tuple[str, ...]
    latest: float
    slope: float
    better: int
    improving: bool
    plateau: bool


@dataclass(frozen=True)
class SpeakingInfo:
    """The learner's speaking profile: their practice metrics' trends.

    Attributes:
        sessions: Practice sessions the learner finished.
        last_at: When the last one ended (None: none yet).
        metrics: Each reported metric's trend.
    """

    sessions: int
    last_at: str | None
    metrics: tuple[MetricTrendInfo, ...]

    @property
    def plateaus(self) -> tuple[str, ...]:
        """The metrics that stopped improving."""
        return tuple(m.name for m in self.metrics if m.plateau)

    def trend(self, name: str) -> MetricTrendInfo | None:
        """The trend of metric ``name``, if the learner reported it."""
        return next((m for m in self.metrics if m.name == name), None)


class _Trend(Protocol):
    """A metric's trend as the practice room's profile gives it."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def values(self) -> tuple[float, ...]: ...
    @property
    def at(self) -> tuple[str, ...]: ...
    @property
    def latest(self) -> float: ...
    @property
    def slope(self) -> float: ...
    @property
    def better(self) -> int: ...
    @property
    def improving(self) -> bool: ...
    @property
    def plateau(self) -> bool: ...


class _Profile(Protocol):
    """A speaking profile as the practice room gives it."""

    @property
    def sessions(self) -> int: ...
    @property
    def last_at(self) -> str | None: ...
    @property
    def metrics(self) -> Sequence[_Trend]: ...


def speaking_info(profile: _Profile) -> SpeakingInfo:
    """The view of a speaking profile (:mod:`levelwise.app.practice.profile`).

    The practice room computes the profile; the view keeps its numbers, so
    the views (which every room may read) do not depend on that room.
    """
    return SpeakingInfo(
        sessions=profile.sessions,
        last_at=profile.last_at,
        metrics=tuple(
            MetricTrendInfo(
                name=m.name,
                label=m.label,
                unit=m.unit,
                values=tuple(m.values),
                at=tuple(m.at),
                latest=m.latest,
                slope=m.slope,
                better=m.better,
                improving=m.improving,
                plateau=m.plateau,
            )
            for m in profile.metrics
        ),
    )


@dataclass(frozen=True)
class LearnerView:
    """Where a learner stands and what the next level asks.

    ``speaking`` is the learner's speaking profile: each practice metric's
    trend over their last sessions (None when not read). ``unit_scores`` is
    each scored unit's best and latest score (0..1) and ``passed`` the units
    whose best reaches their pass mark.
    """

    learner: str
    program_version: int
    level: LevelInfo
    next_level: LevelInfo | None
    xp: int
    gates: tuple[GateValue, ...]
    dimensions: dict[str, tuple[float, float]]
    mastery: dict[str, tuple[float, float, int]]
    counters: dict[str, float]
    units_completed: tuple[str, ...]
    history: tuple[dict[str, str], ...]
    events: int
    last_event_at: str
    placement: PlacementInfo | None = None
    recognition: RecognitionInfo | None = None
    speaking: SpeakingInfo | None = None
    unit_scores: dict[str, tuple[float, float]] = field(default_factory=dict)
    passed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplayReport:
    """What a replay rebuilt."""

    program_version: int
    learners: int
    events: int
    levels_changed: int


@dataclass(frozen=True)
class ProgramSummary:
    """A short description of a compiled program.

    ``replay``, ``warnings`` and ``changed`` are filled in by
    ``Ingest.put_program``: ``changed`` is False when the uploaded file was
    already the current version, so nothing was stored or replayed.
    """

    id: str
    label: str
    title: str
    version: int
    dimensions: tuple[str, ...]
    knowledge_points: int
    units: int
    unit_kinds: dict[str, int]
    levels: tuple[dict[str, Any], ...]
    xp_rules: tuple[str, ...]
    replay: ReplayReport | None = field(default=None)
    warnings: tuple[Issue, ...] = ()
    changed: bool = False


def learner_view(
    state: LearnerState,
    program: Program,
    model: MasteryModel,
    speaking: SpeakingInfo | None = None,
) -> LearnerView:
    """Build the learner's view: level, next level's gates with progress, etc.

    Args:
        state: The learner's folded state.
        program: The compiled program.
        model: The fold's mastery model.
        speaking: The learner's speaking profile (:func:`speaking_info`).
    """
    level = program.levels[state.level]
    nxt_index = state.level + 1
    nxt = program.levels[nxt_index] if nxt_index < len(program.levels) else None
    gates: tuple[Any, ...] = ()
    if nxt is not None:
        env = gate_env(
            state, program.level_variables[nxt_index], prior_for(state, model), program
        )
        gates = gate_values(nxt.gates, env)
    counters = {
        name: float(spec[1](state))  # type: ignore[arg-type]
        for name, spec in STATE_VARIABLES.items()
        if spec[0] == "number"
    }
    return LearnerView(
        learner=state.learner,
        program_version=program.version,
        level=LevelInfo(level.id, level.title, state.level),
        next_level=LevelInfo(nxt.id, nxt.title, nxt_index) if nxt else None,
        xp=state.xp,
        gates=gates,
        dimensions=dict(state.abilities),
        mastery={k: (m.value, m.sd, m.attempts) for k, m in state.mastery.items()},
        counters=counters,
        units_completed=tuple(sorted(state.units_completed)),
        history=tuple(
            {
                "level": h.level,
                "at": h.at,
                "event_id": h.event_id,
                "direction": h.direction,
            }
            for h in state.history
        ),
        events=state.events,
        last_event_at=state.last_key[0],
        placement=placement_info(state, program),
        recognition=recognition_info(state, program),
        speaking=speaking,
        unit_scores=dict(state.unit_scores),
        passed=tuple(sorted(passed_units(state, program))),
    )


Z95 = 1.959964
"""The standard normal quantile of a two-sided 95 % interval."""


def placement_info(state: LearnerState, program: Program) -> PlacementInfo | None:
    """The learner's latest placement result, or None when they took no test."""
    record = state.placement
    if record is None:
        return None
    ladder = [lvl.id for lvl in program.levels]
    level = None
    if record.level in ladder:
        index = ladder.index(record.level)
        level = LevelInfo(record.level, program.levels[index].title, index)
    return PlacementInfo(
        level=level,
        abilities={
            dim: AbilityInfo(
                theta, se, round(theta - Z95 * se, 6), round(theta + Z95 * se, 6)
            )
            for dim, theta, se in record.abilities
        },
        items=record.items,
        event_id=record.event_id,
        at=record.at,
        session=record.session,
        priors=dict(record.priors),
    )


def summarize(program: Program) -> ProgramSummary:
    """A short description of a compiled program."""
    return ProgramSummary(
        id=program.id,
        label=program.label,
        title=program.title,
        version=program.version,
        dimensions=tuple(d.id for d in program.dimensions),
        knowledge_points=len(program.knowledge_points),
        units=len(program.units),
        unit_kinds=dict(Counter(u.kind for u in program.units)),
        levels=tuple(
            {"id": lvl.id, "title": lvl.title, "gates": [g.source for g in lvl.gates]}
            for lvl in program.levels
        ),
        xp_rules=tuple(f"{r.id} on {r.on}" for r in program.xp_rules),
    )
