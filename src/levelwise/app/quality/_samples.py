"""Reading one sample's envelope: who, when, which shape; the statistics stay raw.

The same rules serve the API (``POST /v1/live/{class}/stats``, where the class
comes from the path) and the CLI (``levelwise quality grade FILE.jsonl``, one
sample a line, each naming its class).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from levelwise.app.ingest.wire import ID_PATTERN, ID_RULE
from levelwise.app.quality.ports import Role, Sample, Source
from levelwise.errors import QualityInputError

ROLES: tuple[Role, ...] = ("teacher", "learner")
"""The roles a participant may have."""
SOURCES: tuple[Source, ...] = ("webrtc", "agora")
"""The keys naming the statistics' shape."""
ENVELOPE = frozenset({"class", "participant", "role", "at", "unit", *SOURCES})
"""Every key a sample may have."""

_ID = re.compile(ID_PATTERN)


def read_sample(
    raw: object, klass: str | None, window: tuple[datetime, timedelta] | None = None
) -> Sample:
    """Check one sample's envelope and return it with its statistics as sent.

    Args:
        raw: The decoded JSON object.
        klass: The class the request is for (the API's path), or None when
            each sample names its own (a file).
        window: ``(now, max_skew)``: a sample may be at most ``max_skew``
            ahead of ``now``; None: any time (a recorded file).

    Returns:
        The sample; its time in UTC.

    Raises:
        QualityInputError: A field is missing or wrong; the message names it.
    """
    if not isinstance(raw, Mapping):
        raise QualityInputError("a sample is a JSON object")
    extra = sorted(str(k) for k in raw if k not in ENVELOPE)
    if extra:
        raise QualityInputError(f"unknown field {extra[0]!r}")
    own = raw.get("class")
    if klass is None:
        klass = _id(own, "class")
    elif own is not None and own != klass:
        raise QualityInputError(
            f"class: {own!r} is not the class {klass!r} of the request"
        )
    participant = _id(raw.get("participant"), "participant")
    role = raw.get("role")
    if role not in ROLES:
        raise QualityInputError("role: must be 'teacher' or 'learner'")
    at = _moment(raw.get("at"))
    if window is not None and at > window[0] + window[1]:
        raise QualityInputError(
            f"at: {raw.get('at')} is in the future (more than "
            f"{window[1].total_seconds():.0f} s ahead of the server's clock)"
        )
    shapes = [s for s in SOURCES if s in raw]
    if len(shapes) != 1:
        raise QualityInputError("a sample has exactly one of 'webrtc' or 'agora'")
    source = shapes[0]
    unit = raw.get("unit")
    return Sample(
        klass=klass,
        participant=participant,
        role=role,
        at=at,
        source=source,
        stats=raw[source],
        unit=None if unit is None else _id(unit, "unit"),
    )


def _id(value: object, name: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise QualityInputError(f"{name}: {ID_RULE}")
    return value


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise QualityInputError("at: an RFC 3339 time with its offset is required")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise QualityInputError(f"at: {value!r} is not an RFC 3339 time") from None
    if at.tzinfo is None:
        raise QualityInputError(f"at: {value!r} has no UTC offset")
    try:
        return at.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar by its offset
        raise QualityInputError(f"at: {value!r} is out of range") from None
