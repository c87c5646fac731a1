"""Helpers for notification tests: a clock that can move, a level-up batch, DNS."""

from __future__ import annotations

import socket
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


PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


class FakeDns:
    """A resolver that answers from a table, without the network.

    Keyword names spell host names with ``_`` for ``.``. An answer is a list of
    addresses, or a list of such lists to answer differently on each lookup
    (the last one repeats). Unknown names fail as ``getaddrinfo`` does.
    """

    def __init__(self, **answers: list[str] | list[list[str]]) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        for name, answer in answers.items():
            turns = answer if answer and isinstance(answer[0], list) else [answer]
            self.answers[name.replace("_", ".")] = turns  # type: ignore[assignment]
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        turns = self.answers.get(host)
        if turns is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(turns.pop(0) if len(turns) > 1 else turns[0])
