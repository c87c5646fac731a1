"""Read models returned by the use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from levelwise.domain.outcomes import GateValue

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


@dataclass(frozen=True)
class ReplayReport:
    """What a replay rebuilt."""

    program_version: int
    learners: int
    events: int
    levels_changed: int


@dataclass(frozen=True)
class ProgramSummary:
    """A short description of a compiled program."""

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
