"""One entry point over the two statistics shapes: WebRTC and Agora."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from levelwise.app.quality._agora import measure as measure_agora
from levelwise.app.quality._agora import snapshot as snapshot_agora
from levelwise.app.quality._webrtc import measure as measure_webrtc
from levelwise.app.quality._webrtc import snapshot as snapshot_webrtc
from levelwise.app.quality.ports import Measures, Source
from levelwise.errors import QualityInputError

_READERS = {
    "webrtc": (snapshot_webrtc, measure_webrtc),
    "agora": (snapshot_agora, measure_agora),
}


def measure(
    source: Source,
    prev: Mapping[str, Any] | None,
    stats: object,
    start: datetime,
    end: datetime,
) -> tuple[list[Measures], dict[str, Any], list[str]]:
    """Read one sample's statistics and measure it against the previous one.

    Args:
        source: The statistics' shape (``webrtc`` or ``agora``).
        prev: The participant's previous snapshot (the cursor's), or None.
            A snapshot of the other shape counts as none.
        stats: The sample's statistics as received.
        start: The previous sample's time (``end`` for a first sample).
        end: This sample's time.

    Returns:
        The measures (one per medium), the new snapshot to keep as the
        cursor's, and notes on what was ignored.

    Raises:
        QualityInputError: The source is unknown or the statistics are not of
            its shape.
    """
    reader = _READERS.get(source)
    if reader is None:
        raise QualityInputError(
            f"unknown statistics source {source!r}: expected one of "
            f"{', '.join(sorted(_READERS))}"
        )
    snapshot, measure_one = reader
    current = snapshot(stats)
    notes: list[str] = []
    if prev is not None and prev.get("source") != source:
        notes.append(
            f"statistics source changed ({prev.get('source')!r} -> {source!r}): "
            "new baseline"
        )
        prev = None
    measures, more = measure_one(prev, current, start, end)
    return measures, current, notes + more
