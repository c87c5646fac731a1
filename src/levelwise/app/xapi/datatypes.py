"""Checks of xAPI data types: IRIs, UUIDs, language tags, durations, timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# RFC 3986 scheme, then something: an absolute IRI (https://www.rfc-editor.org/rfc/rfc3987).
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+\Z")
_IRL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"{}|\\^`]+\Z")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+\Z")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}\Z")

# RFC 5646 section 2.1 (well-formed tags, including the grandfathered ones).
_LANG = re.compile(
    r"""
    (?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language and extlang
      (?:-[a-z]{4})?                                          # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                             # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*                # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*                     # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                              # private use
    | x(?:-[a-z0-9]{1,8})+
    | en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo
    | i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
    | art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang
    )\Z
    """,
    re.VERBOSE | re.IGNORECASE,
)

# ISO 8601:2004 section 4.4.3.2 (the alternative format of 4.4.3.3 is not allowed).
_DURATION = re.compile(
    r"P(?:\d+(?:[.,]\d+)?W"
    r"|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?)\Z"
)

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:(Z)|([+-])(\d{2}):(\d{2}))?\Z",
    re.IGNORECASE,
)


def is_iri(value: str) -> bool:
    """Tell whether ``value`` is an absolute IRI (a scheme, a colon and more)."""
    return _IRI.match(value) is not None


def is_irl(value: str) -> bool:
    """Tell whether ``value`` is an IRL: an IRI with an authority (``scheme://...``)."""
    return _IRL.match(value) is not None


def is_uuid(value: str) -> bool:
    """Tell whether ``value`` is a UUID in its hyphenated hex form."""
    return _UUID.match(value) is not None


def is_mailto(value: str) -> bool:
    """Tell whether ``value`` is a ``mailto:`` IRI with an address."""
    return _MAILTO.match(value) is not None


def is_sha1(value: str) -> bool:
    """Tell whether ``value`` is 40 hex digits."""
    return _SHA1.match(value) is not None


def is_language_tag(value: str) -> bool:
    """Tell whether ``value`` is a well-formed RFC 5646 language tag."""
    return _LANG.match(value) is not None


def is_duration(value: str) -> bool:
    """Tell whether ``value`` is an ISO 8601 duration (``PT1H2M3.4S``, ``P4W``)."""
    return _DURATION.match(value) is not None


def parse_timestamp(value: str, *, zone_required: bool) -> datetime | None:
    """Read an ISO 8601 / RFC 3339 timestamp as an aware UTC datetime.

    Args:
        value: The timestamp as sent.
        zone_required: Whether a missing offset is an error (xAPI 2.0) rather
            than UTC (xAPI 1.0.3, as the specification allows an LRS to read it).

    Returns:
        The instant in UTC, or None when ``value`` is not a valid timestamp.
    """
    m = _TIMESTAMP.match(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    if sign is not None:
        # RFC 3339 section 4.3: "-00:00" means an unknown offset, which xAPI refuses.
        if sign == "-" and oh == "00" and om == "00":
            return None
        if int(oh) > 23 or int(om) > 59:
            return None
        delta = timedelta(hours=int(oh), minutes=int(om))
        zone = timezone(delta if sign == "+" else -delta)
    elif zulu is not None:
        zone = UTC
    elif zone_required:
        return None
    else:
        zone = UTC
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micro,
            zone,
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """Render an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
