"""Fair progression: the live minutes a learner lost to drops in broken quality."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from levelwise.app.quality.ports import ClassState, Episode, Presence


def credit_id(klass: str, learner: str) -> str:
    """The ``live.credited`` event id of a learner in a class (stable)."""
    digest = hashlib.sha256(f"{klass}\0{learner}".encode()).hexdigest()[:32]
    return f"live-credit-{digest}"


def credit_for(
    p: Presence,
    state: ClassState,
    episodes: Sequence[Episode],
    *,
    one_to_one: bool,
    within: float,
    scheduled: float | None,
    drop_after: float,
) -> tuple[float, str, datetime] | None:
    """The seconds a learner lost to drops during broken quality, if any.

    A drop (a gap in the learner's samples, or their leaving before the class's
    last sample) counts when the broken band was seen within ``within``
    seconds before it: in what the learner heard, or, in a one-to-one class,
    in what the teacher heard with the cause on the learner's side.
    Credited and connected seconds together never pass the scheduled length.

    Returns:
        ``(seconds, reason, at)``; ``at`` is the end of the last credited drop;
        None when nothing is credited.
    """
    drops = list(p.drops)
    if (state.last_at - p.last_at).total_seconds() > drop_after:
        drops.append((p.last_at, state.last_at))
    broken = [
        e
        for e in episodes
        if e.broken_seconds > 0
        and (
            e.participant == p.participant
            or (one_to_one and e.role == "teacher" and e.side in ("learner", "both"))
        )
    ]
    counted = [
        (a, b)
        for a, b in drops
        if any(e.start <= a and e.end >= a - timedelta(seconds=within) for e in broken)
    ]
    if not counted:
        return None
    seconds = sum((b - a).total_seconds() for a, b in counted)
    if scheduled is not None:
        span = (p.last_at - p.first_at).total_seconds()
        connected = span - sum((b - a).total_seconds() for a, b in p.drops)
        seconds = min(seconds, max(0.0, scheduled * 60 - connected))
    if seconds <= 0:
        return None
    start = min(e.start for e in broken if any(e.start <= a for a, _ in counted))
    end = max(b for _, b in counted)
    reason = f"network broken {start:%H:%M}–{end:%H:%M} UTC"
    return seconds, reason, end
