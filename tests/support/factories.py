"""Builders for tests: a small program and events with unique random ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

SMALL_PROGRAM = """\
program: tiny-english
version: "1"
title: Tiny English
dimensions:
  - id: vocabulary
  - id: speaking
knowledge_points:
  - id: greetings
    dimensions: {vocabulary: 1, speaking: 1}
  - id: numbers
    dimensions: [vocabulary]
    prerequisites: [greetings]
units:
  - {id: u1, kind: lesson, minutes: 10, knowledge_points: [greetings]}
  - {id: u2, kind: homework, minutes: 20, knowledge_points: [numbers]}
  - {id: u3, kind: live_class, minutes: 30, knowledge_points: [greetings, numbers]}
levels:
  - id: starter
    title: Starter
  - id: a1
    title: Breakthrough
    gates:
      - xp >= 100
      - units_completed includes [u1]
  - id: a2
    title: Waystage
    gates:
      - xp >= 300
      - dimension.vocabulary >= 0.5
xp_rules:
  - id: watching
    on: lesson.watched
    xp: seconds / 60
    daily_cap: 30
    repeat_decay: 0.5
    repeat_floor: 0.25
  - id: homework
    on: homework.submitted
    xp: 50 * score / max_score
    when: score > 0
  - id: answer
    on: question.answered
    xp: if(correct, 5, 1)
  - id: completion
    on: unit.completed
    xp: unit_minutes * 2
  - id: live
    on: live.attended
    xp: seconds / 60
"""

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def new_id(prefix: str = "e") -> str:
    """A unique id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def event(
    type_: str,
    *,
    learner: str = "ana",
    at: datetime | None = None,
    minutes: float = 0,
    id_: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A wire event dict; ``minutes`` after ``T0`` unless ``at`` is given."""
    moment = at if at is not None else T0 + timedelta(minutes=minutes)
    return {
        "id": id_ or new_id(),
        "learner": learner,
        "type": type_,
        "occurred_at": moment.isoformat(),
        **fields,
    }


def watched(seconds: float = 600, unit: str = "u1", **kw: Any) -> dict[str, Any]:
    """A ``lesson.watched`` event."""
    return event("lesson.watched", seconds=seconds, unit=unit, **kw)


def homework(score: float, max_score: float = 10, **kw: Any) -> dict[str, Any]:
    """A ``homework.submitted`` event on unit u2."""
    kw.setdefault("unit", "u2")
    return event("homework.submitted", score=score, max_score=max_score, **kw)


def answered(correct: bool, kp: str = "numbers", **kw: Any) -> dict[str, Any]:
    """A ``question.answered`` event."""
    kw.setdefault("item", new_id("q"))
    return event(
        "question.answered", knowledge_point=kp, correct=correct, seconds=20, **kw
    )


def completed(unit: str = "u1", **kw: Any) -> dict[str, Any]:
    """A ``unit.completed`` event."""
    return event("unit.completed", unit=unit, **kw)


def new_tenant() -> str:
    """A tenant id no other test uses (the PostgreSQL database is shared)."""
    return f"t-{uuid.uuid4().hex}"


BILINGUAL_PROGRAM = (
    SMALL_PROGRAM.replace('version: "1"\n', 'version: "1"\nlanguages: [en, zh-CN]\n')
    .replace("title: Breakthrough", "title: {en: Breakthrough, zh-CN: 突破级}")
    .replace(
        "  - id: homework\n",
        "  - id: homework\n    title: {en: Homework done, zh-CN: 完成作业}\n",
    )
    + """\
badges:
  - id: finisher
    title: {en: Finisher, zh-CN: 完成者}
    on: unit.completed
    tiers:
      - {tier: bronze, count: 1, title: {en: Bronze, zh-CN: 铜牌}}
team_tasks:
  - id: class_lessons
    title: {en: "Our class: 2 lessons", zh-CN: 全班完成2节课}
    team: cohort
    window: week
    on: unit.completed
    goal: 2
    reward: {xp: 50}
"""
)
"""The small program with English and Chinese names for a level, a rule, a
badge and its tier, and a team task."""
