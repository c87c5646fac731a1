"""The speaking profile: each practice metric's trend over the learner's sessions.

Read from the learner's ``practice.completed`` events in the log (the truth),
oldest first. A metric's trend is its least-squares slope per session over the
last ``window`` sessions that reported it. A metric **plateaus** when, over its
last ``plateau_sessions`` values, the later half is no better than the earlier
half by more than ``tolerance`` of the metric's level (in the direction its
:class:`~levelwise.domain.practice.MetricSpec` calls better): the learner
keeps practising and it does not move, a predicted bottleneck.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from levelwise.domain.events import PracticeCompleted
from levelwise.domain.practice import PRACTICE_METRICS

WINDOW = 10
"""Sessions a trend looks back over."""
PLATEAU_SESSIONS = 4
"""Sessions without progress that make a plateau."""
TOLERANCE = 0.02
"""Progress smaller than this share of the metric's level is no progress."""


@dataclass(frozen=True)
class MetricTrend:
    """One metric over the learner's last sessions.

    Attributes:
        name: The metric's name.
        label: Its human label.
        unit: Its unit.
        values: Its values, oldest first (at most ``WINDOW``).
        at: When each session finished (UTC sort keys), aligned with values.
        slope: Least-squares change per session (0 with one value).
        better: +1 higher is better, -1 lower is, 0 neither.
        plateau: No progress over the last ``PLATEAU_SESSIONS`` sessions.
    """

    name: str
    label: str
    unit: str
    values: tuple[float, ...]
    at: tuple[str, ...]
    slope: float
    better: int
    plateau: bool

    @property
    def latest(self) -> float:
        """The last session's value."""
        return self.values[-1]

    @property
    def improving(self) -> bool:
        """Whether the trend goes the better way."""
        return self.better * self.slope > 0


@dataclass(frozen=True)
class SpeakingProfile:
    """A learner's practice metrics over their sessions.

    Attributes:
        sessions: How many practice sessions the learner finished.
        last_at: When the last one finished (None: none yet).
        metrics: Each reported metric's trend, in the metrics' order.
    """

    sessions: int
    last_at: str | None
    metrics: tuple[MetricTrend, ...]

    @property
    def plateaus(self) -> tuple[str, ...]:
        """The metrics (that have a better direction) that stopped improving."""
        return tuple(m.name for m in self.metrics if m.plateau)

    def trend(self, name: str) -> MetricTrend | None:
        """The trend of metric ``name``, if the learner reported it."""
        return next((m for m in self.metrics if m.name == name), None)


def speaking_profile(
    events: Iterable[PracticeCompleted],
    *,
    window: int = WINDOW,
    plateau_sessions: int = PLATEAU_SESSIONS,
    tolerance: float = TOLERANCE,
) -> SpeakingProfile:
    """The profile of a learner's ``practice.completed`` events (in log order).

    Examples:
        >>> from datetime import UTC, datetime
        >>> def session(i, rate):
        ...     at = datetime(2026, 1, 1 + i, tzinfo=UTC)
        ...     return PracticeCompleted(id=f"p{i}", learner="a", occurred_at=at,
        ...         seconds=600, metrics=(("speech_rate", rate),))
        >>> p = speaking_profile([session(i, r) for i, r in enumerate([80, 90, 100])])
        >>> p.trend("speech_rate").slope, p.trend("speech_rate").plateau
        (10.0, False)
    """
    ordered = sorted(events, key=lambda e: e.sort_key)
    series: dict[str, list[tuple[str, float]]] = {}
    for event in ordered:
        for name, value in event.metrics:
            if name in PRACTICE_METRICS:
                series.setdefault(name, []).append((event.sort_key[0], value))
    trends = []
    for name, spec in PRACTICE_METRICS.items():
        points = series.get(name, [])[-window:]
        if not points:
            continue
        values = tuple(v for _, v in points)
        trends.append(
            MetricTrend(
                name=name,
                label=spec.label,
                unit=spec.unit,
                values=values,
                at=tuple(a for a, _ in points),
                slope=round(_slope(values), 6),
                better=spec.better,
                plateau=spec.better != 0
                and _flat(
                    values[-plateau_sessions:], spec.better, plateau_sessions, tolerance
                ),
            )
        )
    return SpeakingProfile(
        sessions=len(ordered),
        last_at=ordered[-1].sort_key[0] if ordered else None,
        metrics=tuple(trends),
    )


def _slope(values: tuple[float, ...]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def _flat(
    values: tuple[float, ...], better: int, needed: int, tolerance: float
) -> bool:
    if len(values) < needed:
        return False
    half = len(values) // 2
    early = sum(values[:half]) / half
    late = sum(values[half:]) / (len(values) - half)
    scale = max(abs(early), abs(late), 1e-9)
    return better * (late - early) <= tolerance * scale
