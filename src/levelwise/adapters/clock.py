"""The wall clock (the fold never reads it; only upload dates do)."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Reads the system time."""

    def now_iso(self) -> str:
        """The current UTC time in ISO 8601."""
        return datetime.now(UTC).isoformat(timespec="seconds")
