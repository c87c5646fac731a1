"""Read models returned by the use cases, and how they are built from state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from levelwise.domain.fold import prior_for
from levelwise.domain.gates import STATE_VARIABLES, gate_env, gate_values
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
class LearnerView:
    """Where a learner stands and what the next level asks."""

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
    state: LearnerState, program: Program, model: MasteryModel
) -> LearnerView:
    """Build the learner's view: level, next level's gates with progress, etc."""
    level = program.levels[state.level]
    nxt_index = state.level + 1
    nxt = program.levels[nxt_index] if nxt_index < len(program.levels) else None
    gates: tuple[Any, ...] = ()
    if nxt is not None:
        env = gate_env(
            state, program.level_variables[nxt_index], prior_for(state, model)
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
