"""The operator dashboard's class-quality panel, and each learner's band per class.

Pure: everything is read from the roll-ups (:class:`~.ports.ClassState` and
:class:`~.ports.Presence`), never from the raw intervals, so the panel outlives
their retention.

A **participation** is one learner in one class. Its band is the worst band
holding at least 5 % of the learner's audio time in that class (the rule of
:func:`~.reports.worst_band`, as a class report gives it). The learner
**dropped out** when their last sample is more than ``drop_after_s`` before the
class's last sample: they left before the end and never came back in that
class. The participation is **completed** when the learner was connected for
at least :data:`COMPLETION_SHARE` of the class's span (first to last sample of
anyone): the time from their first to their last sample, less their drops.

The panel rolls classes up per ISO week (Monday, UTC, of the class's first
sample) and ranks the classes that break most: the largest share of audio time
in the broken band first, then in the degraded band or worse (then acceptable
or worse).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from levelwise.app.quality.ports import BANDS, Band, ClassState, Presence
from levelwise.app.quality.reports import Shares, shares_of, worst_band

COMPLETION_SHARE = 0.8
"""A participation is completed at this share of the class's span connected
(the share at which the metrics count a live class completed)."""

BREAKING = 10
"""How many of the classes that break most the panel names."""


@dataclass(frozen=True)
class Participation:
    """One learner in one class: their band, and whether they stayed.

    Attributes:
        klass: The class.
        learner: The learner.
        unit: The class's unit, if the samples named one.
        start: The class's first sample (anyone's).
        band: The learner's band in the class; None without graded audio.
        seconds: Their graded audio seconds.
        connected: Seconds from their first to their last sample, less drops.
        span: The class's span: its first to its last sample, in seconds.
        dropped: They left more than ``drop_after_s`` before the class's last
            sample and never came back.
        completed: They were connected for at least :data:`COMPLETION_SHARE`
            of the span.
    """

    klass: str
    learner: str
    unit: str | None
    start: datetime
    band: Band | None
    seconds: float
    connected: float
    span: float
    dropped: bool
    completed: bool


def presence_band(p: Presence) -> Band | None:
    """A participant's band in a class (see the module docstring).

    Args:
        p: Their presence.

    Returns:
        The band; None without graded audio.
    """
    return worst_band(shares_of(p.band_seconds, p.seconds))


def participation(p: Presence, state: ClassState, drop_after_s: float) -> Participation:
    """One learner's participation in a class.

    Args:
        p: The learner's presence in the class.
        state: The class's state (its first and last sample).
        drop_after_s: Silence longer than this before the class's last sample
            is leaving the class.

    Returns:
        The participation.
    """
    span = (state.last_at - state.first_at).total_seconds()
    gaps = sum((b - a).total_seconds() for a, b in p.drops)
    connected = (p.last_at - p.first_at).total_seconds() - gaps
    return Participation(
        klass=p.klass,
        learner=p.participant,
        unit=p.unit,
        start=state.first_at,
        band=presence_band(p),
        seconds=p.seconds,
        connected=connected,
        span=span,
        dropped=(state.last_at - p.last_at).total_seconds() > drop_after_s,
        completed=connected >= COMPLETION_SHARE * span,
    )


def participations(
    classes: Iterable[ClassState], presences: Iterable[Presence], drop_after_s: float
) -> list[Participation]:
    """Every learner's participation in the given classes.

    Args:
        classes: The classes' states.
        presences: Presences of those classes (others', and teachers', are
            left out).
        drop_after_s: See :func:`participation`.

    Returns:
        The participations, by class start, class, then learner.
    """
    states = {c.klass: c for c in classes}
    found = [
        participation(p, states[p.klass], drop_after_s)
        for p in presences
        if p.role == "learner" and p.klass in states
    ]
    return sorted(found, key=lambda x: (x.start, x.klass, x.learner))


@dataclass(frozen=True)
class ClassRow:
    """One class on the panel.

    Attributes:
        klass: The class.
        start: Its first sample.
        unit: Its unit (the first its learners' samples named), if any.
        learners: Learners who took part.
        band: Its worst participant's band (teachers included); None without
            graded audio.
        shares: Every participant's audio time per band, best first.
        mos: The time-weighted mean MOS; None without one.
        dropouts: Learners who dropped out.
    """

    klass: str
    start: datetime
    unit: str | None
    learners: int
    band: Band | None
    shares: Shares
    mos: float | None
    dropouts: int


@dataclass(frozen=True)
class QualityWeek:
    """One ISO week of classes.

    Attributes:
        week: Its Monday (UTC).
        classes: Classes that started in it.
        bands: Those classes per band, best first.
        ungraded: Those without graded audio.
        shares: Every participant's audio time per band, best first.
        participations: Learners' participations.
        dropouts: Participations that ended in a drop-out.
    """

    week: date
    classes: int
    bands: tuple[int, int, int, int]
    ungraded: int
    shares: Shares
    participations: int
    dropouts: int


@dataclass(frozen=True)
class Panel:
    """The class-quality panel of a date range.

    Attributes:
        classes: Every class, the ones that break most first: by the share of
            audio time broken, then degraded or worse, then acceptable or
            worse, then by start.
        weeks: One row per ISO week with classes, by week.
        bands: Classes per band, best first.
        shares: Every participant's audio time per band, best first.
        mos: The time-weighted mean MOS of every participant; None without one.
        participations: Learners' participations.
        dropouts: Participations that ended in a drop-out.
    """

    classes: tuple[ClassRow, ...]
    weeks: tuple[QualityWeek, ...]
    bands: tuple[int, int, int, int]
    shares: Shares
    mos: float | None
    participations: int
    dropouts: int

    @property
    def breaking(self) -> tuple[ClassRow, ...]:
        """Up to :data:`BREAKING` classes that break most (degraded or broken)."""
        bad = [c for c in self.classes if c.band in ("degraded", "broken")]
        return tuple(bad[:BREAKING])


def _shares(presences: Sequence[Presence]) -> Shares:
    seconds = sum(p.seconds for p in presences)
    totals = [sum(p.band_seconds[i] for p in presences) for i in range(len(BANDS))]
    return shares_of(totals, seconds)


def _mos(presences: Sequence[Presence]) -> float | None:
    seconds = sum(p.mos_seconds for p in presences)
    return sum(p.mos_sum for p in presences) / seconds if seconds > 0 else None


def _counts(bands: Iterable[Band | None]) -> tuple[int, int, int, int]:
    found = list(bands)
    c = [sum(1 for b in found if b == band) for band in BANDS]
    return c[0], c[1], c[2], c[3]


def class_row(
    state: ClassState, presences: Sequence[Presence], drop_after_s: float
) -> ClassRow:
    """One class's row from its participants' presences.

    Args:
        state: The class's state.
        presences: Its participants' presences.
        drop_after_s: See :func:`participation`.

    Returns:
        The row.
    """
    learners = [p for p in presences if p.role == "learner"]
    bands = [b for p in presences if (b := presence_band(p)) is not None]
    units = [p.unit for p in learners if p.unit is not None]
    return ClassRow(
        klass=state.klass,
        start=state.first_at,
        unit=units[0] if units else None,
        learners=len(learners),
        band=max(bands, key=BANDS.index) if bands else None,
        shares=_shares(presences),
        mos=_mos(presences),
        dropouts=sum(participation(p, state, drop_after_s).dropped for p in learners),
    )


def week_of(at: datetime) -> date:
    """The Monday (UTC) of the ISO week holding an instant."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def build(
    classes: Sequence[ClassState], presences: Sequence[Presence], drop_after_s: float
) -> Panel:
    """The panel of the given classes.

    Args:
        classes: The classes' states.
        presences: Their presences (others' are left out).
        drop_after_s: See :func:`participation`.

    Returns:
        The panel (empty without classes).
    """
    by_class: dict[str, list[Presence]] = defaultdict(list)
    for p in presences:
        by_class[p.klass].append(p)
    states = [c for c in classes if by_class.get(c.klass)]
    rows = [class_row(c, by_class[c.klass], drop_after_s) for c in states]
    rows.sort(
        key=lambda r: (
            -r.shares[3],
            -(r.shares[2] + r.shares[3]),
            -(r.shares[1] + r.shares[2] + r.shares[3]),
            r.start,
        )
    )
    weeks: dict[date, list[ClassRow]] = defaultdict(list)
    for r in rows:
        weeks[week_of(r.start)].append(r)
    week_rows = []
    for monday in sorted(weeks):
        found = weeks[monday]
        week_rows.append(
            QualityWeek(
                week=monday,
                classes=len(found),
                bands=_counts(r.band for r in found),
                ungraded=sum(1 for r in found if r.band is None),
                shares=_shares([p for r in found for p in by_class[r.klass]]),
                participations=sum(r.learners for r in found),
                dropouts=sum(r.dropouts for r in found),
            )
        )
    everyone = [p for c in states for p in by_class[c.klass]]
    return Panel(
        classes=tuple(rows),
        weeks=tuple(week_rows),
        bands=_counts(r.band for r in rows),
        shares=_shares(everyone),
        mos=_mos(everyone),
        participations=sum(r.learners for r in rows),
        dropouts=sum(r.dropouts for r in rows),
    )
