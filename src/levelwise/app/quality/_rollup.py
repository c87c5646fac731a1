"""Roll-ups of graded intervals: 10 s buckets and per-participant presences.

Both are additive, so a batch's roll-ups merge into the stored ones by adding
(maxima by max, first and last by min and max). An interval that straddles a
10 s UTC window is split across the windows in proportion to its time in each;
its delay is the worst delay of every window it touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from levelwise.app.quality.ports import (
    BANDS,
    Bucket,
    Graded,
    Presence,
    Role,
    add_bands,
)

WINDOW = timedelta(seconds=10)
"""The width of a bucket."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_Key = tuple[str, str, str, datetime]


def window_of(at: datetime) -> datetime:
    """The start of the 10 s UTC window holding an instant.

    Args:
        at: An aware instant.

    Returns:
        The window's start, in UTC.
    """
    return EPOCH + (at - EPOCH) // WINDOW * WINDOW


def _bands(g: Graded, seconds: float) -> tuple[float, float, float, float]:
    b = [0.0, 0.0, 0.0, 0.0]
    if g.band is not None:
        b[BANDS.index(g.band)] = seconds
    return b[0], b[1], b[2], b[3]


def _piece(g: Graded, start: datetime, seconds: float) -> Bucket:
    """What ``seconds`` of ``g`` add to the window starting at ``start``."""
    m = g.measures
    delay = g.delay_ms if g.band is not None else None
    graded = seconds if delay is not None else 0.0
    return Bucket(
        klass=g.klass,
        participant=g.participant,
        role=g.role,
        media=m.media,
        start=start,
        seconds=graded,
        band_seconds=_bands(g, graded),
        delay_sum=(delay or 0.0) * graded,
        delay_max=delay or 0.0,
        mos_sum=(g.mos or 0.0) * seconds,
        mos_seconds=seconds if g.mos is not None else 0.0,
        loss_sum=(m.loss or 0.0) * seconds,
        loss_seconds=seconds if m.loss is not None else 0.0,
        freeze_seconds=(m.freeze_share or 0.0) * seconds,
        paused_seconds=seconds if m.paused else 0.0,
    )


def buckets(graded: Sequence[Graded]) -> list[Bucket]:
    """The 10 s roll-ups of a batch's graded intervals.

    Each interval is split across the UTC windows it overlaps in proportion to
    its time in each; buckets of the same class, participant, medium and
    window are merged. Intervals of no length add nothing.

    Args:
        graded: The intervals, of any participants.

    Returns:
        The buckets, by class, participant, medium, then window.
    """
    found: dict[_Key, Bucket] = {}
    for g in graded:
        start = g.measures.start.astimezone(UTC)
        end = g.measures.end.astimezone(UTC)
        w = window_of(start)
        while w < end:
            seconds = (min(end, w + WINDOW) - max(start, w)).total_seconds()
            if seconds > 0:
                piece = _piece(g, w, seconds)
                key = (g.klass, g.participant, g.measures.media, w)
                found[key] = found[key].merged(piece) if key in found else piece
            w += WINDOW
    return [found[k] for k in sorted(found)]


def presence_delta(
    graded: Sequence[Graded],
    klass: str,
    participant: str,
    role: Role,
    unit: str | None,
    first_at: datetime,
    last_at: datetime,
    drops: Sequence[tuple[datetime, datetime]],
) -> Presence:
    """A participant's presence as one batch adds it.

    Seconds, bands, delay and MOS count the participant's audio intervals only
    (what they heard); intervals of other participants or of video are left
    out.

    Args:
        graded: The batch's graded intervals.
        klass: The class.
        participant: The participant.
        role: Their role.
        unit: The class's unit, if the samples named one.
        first_at: Their first sample of the batch.
        last_at: Their last sample of the batch.
        drops: The drops the batch saw, as ``(start, end)``.

    Returns:
        The presence to merge into the stored one.
    """
    seconds = 0.0
    bands = (0.0, 0.0, 0.0, 0.0)
    delay_sum = delay_max = mos_sum = mos_seconds = 0.0
    for g in graded:
        m = g.measures
        if g.participant != participant or g.klass != klass or m.media != "audio":
            continue
        span = max(0.0, (m.end - m.start).total_seconds())
        if g.mos is not None:
            mos_sum += g.mos * span
            mos_seconds += span
        if g.band is None or g.delay_ms is None:
            continue
        seconds += span
        bands = add_bands(bands, _bands(g, span))
        delay_sum += g.delay_ms * span
        delay_max = max(delay_max, g.delay_ms)
    return Presence(
        klass=klass,
        participant=participant,
        role=role,
        unit=unit,
        first_at=first_at,
        last_at=last_at,
        seconds=seconds,
        band_seconds=bands,
        delay_sum=delay_sum,
        delay_max=delay_max,
        mos_sum=mos_sum,
        mos_seconds=mos_seconds,
        drops=tuple(sorted(drops)),
    )
