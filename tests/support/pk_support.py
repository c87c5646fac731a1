"""Shared helpers of the group PK tests: a program with PK rules and answers."""

from __future__ import annotations

from typing import Any

from tests.support.factories import SMALL_PROGRAM, event

PK_RULES = """\
  - id: pk_result
    on: pk.finished
    xp: if(won, 20, 5) + points / 10
"""
PK_BADGES = """\
badges:
  - id: pk_champion
    title: PK champion
    on: pk.finished
    where: won
    tiers: [{tier: bronze, count: 1}]
"""
PK_PROGRAM = SMALL_PROGRAM.replace("xp_rules:\n", "xp_rules:\n" + PK_RULES) + PK_BADGES
"""SMALL_PROGRAM with an XP rule and a badge on ``pk.finished``."""

TEAMS = {"red": ["ana", "bob"], "blue": ["cy", "dee"], "green": ["eve"]}


def answer(
    learner: str,
    team: str,
    minutes: float,
    *,
    pk: str = "pk-1",
    correct: bool = True,
    ms: int = 0,
    round_: int = 1,
) -> dict[str, Any]:
    """A PK answer: right and instant scores 20, wrong scores 0."""
    return event(
        "live.interaction",
        learner=learner,
        minutes=minutes,
        unit="u3",
        kind="pk",
        correct=correct,
        pk=pk,
        team=team,
        round=round_,
        response_ms=ms,
    )
