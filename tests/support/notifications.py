"""Helpers for notification tests: a clock that can move, and a level-up batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.factories import completed, homework


class MovingClock:
    """A clock that says ``now`` and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def now_iso(self) -> str:
        return self.now.isoformat()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def level_up(learner: str = "ana", minutes: float = 0) -> list[dict[str, Any]]:
    """Three events that take ``learner`` from starter to a1 in SMALL_PROGRAM.

    u1 completed (20 XP) and two full-score homeworks (50 XP each): 120 XP with
    u1 done passes both gates of a1 at the last event.
    """
    return [
        completed("u1", learner=learner, minutes=minutes),
        homework(10, learner=learner, minutes=minutes + 1),
        homework(10, learner=learner, minutes=minutes + 2),
    ]
