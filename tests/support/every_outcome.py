"""A program and one learner's events that give every kind of outcome the fold has.

The program is SMALL_PROGRAM with a mastery gate on ``a1`` and
``can_go_down``, a placement test, a badge, a title and streak freezes. Ana's
events (UTC, from Monday 2026-06-01):

- day 0: three perfect homeworks (XP, ``a1`` reached, the badge and the title)
  and unit ``u1`` completed;
- day 1: six wrong answers (mastery of ``numbers`` falls: ``a1`` is lost);
- day 2: the same question right twice (``a1`` again; the second XP is flagged
  ``repeat``);
- day 4: an answer (day 3 missed: the freeze earned on day 2 covers it);
- day 7: an answer (days 5 and 6 missed, no freeze left: the streak breaks)
  and a right PK answer;
- day 8: a placement test above ``a2``'s cuts (placed at ``a2``), then a
  practice session whose speech rate is evidence for speaking (an ability
  measured), then 12 live minutes credited for a network drop in a class of
  ``u3`` (minutes credited), then a subscription renewal that is voided
  (voided).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    event,
    homework,
)
from tests.support.placements import SMALL_PLACEMENT

RECOGNITION = """\
level_policy: {can_go_down: true}
badges:
  - id: homework_hero
    title: Homework hero
    on: homework.submitted
    where: score == max_score
    count: 1
titles:
  - {id: hero, name: Homework Hero, badge: homework_hero}
recognition:
  freeze_every: 3
  max_freezes: 1
"""

PRACTICE = """\
practice:
  measurements:
    - id: talk
      dimension: speaking
      metrics:
        speech_rate: {zero: 30, full: 90}
"""

PROGRAM = (
    SMALL_PROGRAM.replace(
        "units_completed includes [u1]", "mastery.numbers >= 0.3"
    ).replace(
        "levels:\n",
        "  - {id: u4, kind: practice, minutes: 10, knowledge_points: [greetings]}\n"
        "levels:\n",
        1,
    )
    + RECOGNITION
    + SMALL_PLACEMENT
    + PRACTICE
)
"""SMALL_PROGRAM with every source of outcomes (see the module docstring)."""

DAY0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _on(day: int, minute: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, minutes=minute)


def events(learner: str = "ana") -> list[dict[str, Any]]:
    """The learner's events, in time order (see the module docstring)."""
    return [
        *(homework(10, learner=learner, at=_on(0, m)) for m in range(3)),
        completed("u1", learner=learner, at=_on(0, 3)),
        *(answered(False, learner=learner, at=_on(1, m)) for m in range(6)),
        *(answered(True, item="q-same", learner=learner, at=_on(2, m)) for m in (0, 1)),
        answered(True, learner=learner, at=_on(4)),
        answered(True, learner=learner, at=_on(7)),
        event(
            "live.interaction",
            learner=learner,
            at=_on(7, 1),
            unit="u3",
            kind="pk",
            correct=True,
            pk="pk-1",
            team="red",
            round=1,
            response_ms=1500,
        ),
        event(
            "placement.completed",
            learner=learner,
            at=_on(8),
            abilities={
                "vocabulary": {"theta": 1.5, "se": 0.3},
                "speaking": {"theta": 1.5, "se": 0.3},
            },
            items=12,
        ),
        event(
            "practice.completed",
            learner=learner,
            at=_on(8, 1),
            unit="u4",
            seconds=600,
            metrics={"speech_rate": 75},
        ),
        event(
            "live.credited",
            learner=learner,
            at=_on(8, 2),
            unit="u3",
            seconds=720,
            reason="network broken 19:42–19:54",
            live_class="u3-2026-06-09",
        ),
        event(
            "subscription.renewed",
            learner=learner,
            at=_on(8, 3),
            id_=f"renewal-{learner}",
        ),
        event(
            "event.voided",
            learner=learner,
            at=_on(8, 4),
            target=f"renewal-{learner}",
        ),
    ]
