"""The online episode tracker of one participant: its state lives in ``Cursor.track``.

Only audio drives episodes. An episode opens on the first interval graded
``degraded`` or ``broken``, grows while such intervals follow, and closes on the
first ``good`` or ``acceptable`` one, or on a drop (:meth:`Tracker.gap`). An
interval without a band (no delay estimate) tells nothing: it neither grows nor
closes an episode, nor breaks the broken run. Each time an episode opens, grows
or closes, :meth:`Tracker.feed` returns it; the store keeps the newest per
``(participant, start)``.

An episode's cause is the most frequent :func:`~._grade.attribute` over its
intervals; a tie goes to the worst interval's cause when it is among the tied,
else to the first in :data:`~.ports.Cause`'s order. Its side is the most
frequent side that cause was given, with the same tie rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, get_args

from levelwise.app.quality._grade import attribute
from levelwise.app.quality.ports import (
    BANDS,
    Band,
    Cause,
    Episode,
    Graded,
    Role,
    Side,
    Thresholds,
)
from levelwise.errors import QualityInputError

CAUSES: tuple[Cause, ...] = get_args(Cause)
SIDES: tuple[Side, ...] = get_args(Side)
ROLES: tuple[Role, ...] = get_args(Role)
BAD: tuple[Band, ...] = ("degraded", "broken")

_T = TypeVar("_T", bound=str)


@dataclass
class _Open:
    """The open episode, as it grows."""

    klass: str
    participant: str
    role: Role
    start: datetime
    end: datetime
    band: Band
    worst_ms: float
    worst_cause: Cause
    worst_side: Side
    broken_seconds: float = 0.0
    causes: dict[Cause, dict[Side, int]] = field(default_factory=dict)

    def count(self, cause: Cause, side: Side) -> None:
        sides = self.causes.setdefault(cause, {})
        sides[side] = sides.get(side, 0) + 1

    def episode(self) -> Episode:
        totals = {c: sum(s.values()) for c, s in self.causes.items()}
        cause = _pick(totals, self.worst_cause, CAUSES)
        sides = self.causes[cause]
        worst_side = self.worst_side if cause == self.worst_cause else None
        side = _pick(sides, worst_side, SIDES)
        return Episode(
            klass=self.klass,
            participant=self.participant,
            role=self.role,
            start=self.start,
            end=self.end,
            band=self.band,
            worst_ms=self.worst_ms,
            cause=cause,
            side=side,
            broken_seconds=self.broken_seconds,
        )


def _pick(counts: Mapping[_T, int], worst: _T | None, order: Sequence[_T]) -> _T:
    """The most counted key; ties to ``worst`` when tied, else the first in order."""
    top = max(counts.values())
    tied = [k for k, n in counts.items() if n == top]
    if worst is not None and worst in tied:
        return worst
    return min(tied, key=order.index)


class Tracker:
    """Follows one participant's audio bands across batches.

    Attributes:
        broken_run_s: Seconds of the current uninterrupted run of ``broken``
            audio (0 when the last banded interval was not broken, or after a
            drop); the class alerts on it.
    """

    def __init__(self) -> None:
        """A tracker with no open episode and no broken run."""
        self.broken_run_s = 0.0
        self._open: _Open | None = None

    @classmethod
    def load(cls, state: Mapping[str, Any]) -> Tracker:
        """A tracker from the state :meth:`dump` made (``{}``: a fresh one).

        Args:
            state: The JSON-ready state.

        Returns:
            The tracker.

        Raises:
            QualityInputError: The state is malformed.
        """
        tracker = cls()
        try:
            tracker.broken_run_s = float(state.get("run", 0.0))
            raw = state.get("open")
            if raw is not None:
                tracker._open = _load_open(raw)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise QualityInputError(f"malformed tracker state: {e}") from e
        return tracker

    def dump(self) -> dict[str, Any]:
        """The tracker's state, JSON-ready (see :meth:`load`).

        Returns:
            ``{"run": seconds, "open": episode or None}``.
        """
        o = self._open
        if o is None:
            return {"run": self.broken_run_s, "open": None}
        return {
            "run": self.broken_run_s,
            "open": {
                "klass": o.klass,
                "participant": o.participant,
                "role": o.role,
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
                "band": o.band,
                "worst_ms": o.worst_ms,
                "worst_cause": o.worst_cause,
                "worst_side": o.worst_side,
                "broken_seconds": o.broken_seconds,
                "causes": {c: dict(s) for c, s in o.causes.items()},
            },
        }

    def feed(self, g: Graded, far: Sequence[Graded], t: Thresholds) -> list[Episode]:
        """Take the participant's next interval.

        Args:
            g: The interval (video and band-less intervals change nothing).
            far: The other participants' intervals of the same time, for the
                cause (see :func:`~._grade.attribute`).
            t: The thresholds.

        Returns:
            The episode this interval opened, grew or closed (at most one).
        """
        if g.measures.media != "audio" or g.band is None:
            return []
        seconds = max(0.0, (g.measures.end - g.measures.start).total_seconds())
        if g.band not in BAD:
            self.broken_run_s = 0.0
            return self._close()
        self.broken_run_s = self.broken_run_s + seconds if g.band == "broken" else 0.0
        cause, side = attribute(g, far, t)
        delay = g.delay_ms or 0.0
        o = self._open
        if o is None:
            o = self._open = _Open(
                klass=g.klass,
                participant=g.participant,
                role=g.role,
                start=g.measures.start,
                end=g.measures.end,
                band=g.band,
                worst_ms=delay,
                worst_cause=cause,
                worst_side=side,
            )
        else:
            o.end = max(o.end, g.measures.end)
            o.band = max(o.band, g.band, key=BANDS.index)
            if delay > o.worst_ms:
                o.worst_ms, o.worst_cause, o.worst_side = delay, cause, side
        if g.band == "broken":
            o.broken_seconds += seconds
        o.count(cause, side)
        return [o.episode()]

    def gap(self, start: datetime, end: datetime) -> list[Episode]:
        """Take a drop (no statistics from ``start`` to ``end``).

        The drop ends the broken run and closes the open episode, which ends
        no later than ``start``.

        Args:
            start: The last sample before the drop.
            end: The first sample after it.

        Returns:
            The episode the drop closed, if one was open.

        Raises:
            QualityInputError: ``end`` is before ``start``.
        """
        if end < start:
            raise QualityInputError(
                f"a drop cannot end ({end.isoformat()}) before it starts "
                f"({start.isoformat()})"
            )
        self.broken_run_s = 0.0
        if self._open is not None:
            self._open.end = max(self._open.start, min(self._open.end, start))
        return self._close()

    def _close(self) -> list[Episode]:
        o, self._open = self._open, None
        return [] if o is None else [o.episode()]


def _member(value: Any, allowed: Sequence[_T]) -> _T:
    for a in allowed:
        if value == a:
            return a
    raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")


def _load_open(raw: Mapping[str, Any]) -> _Open:
    causes: dict[Cause, dict[Side, int]] = {
        _member(c, CAUSES): {_member(s, SIDES): int(n) for s, n in sides.items()}
        for c, sides in raw["causes"].items()
    }
    if not causes:
        raise ValueError("an open episode without a cause")
    return _Open(
        klass=str(raw["klass"]),
        participant=str(raw["participant"]),
        role=_member(raw["role"], ROLES),
        start=datetime.fromisoformat(raw["start"]),
        end=datetime.fromisoformat(raw["end"]),
        band=_member(raw["band"], BAD),
        worst_ms=float(raw["worst_ms"]),
        worst_cause=_member(raw["worst_cause"], CAUSES),
        worst_side=_member(raw["worst_side"], SIDES),
        broken_seconds=float(raw["broken_seconds"]),
        causes=causes,
    )
