"""The study model: what one study of a unit yields, as events and in expectation.

Plans, forecasts and the learner simulator must agree on what studying a unit
gives, so it is written once, here:

* ``lesson``: one ``lesson.watched`` of the unit's minutes;
* ``exercise`` and ``quiz``: :attr:`Unit.answers` ``question.answered``, one
  knowledge point after the other;
* ``practice``: one ``practice.completed`` of the unit's minutes with two
  turns a minute, and its scored turns as ``question.answered``;
* ``live_class``: one ``live.attended`` of the unit's minutes and one
  ``live.interaction`` per ten minutes, cycling ``answer``, ``mic``, ``pk``,
  ``chat`` (answers and PK rounds are scored);
* ``homework``: one ``homework.submitted`` scored out of :data:`HOMEWORK_POINTS`;
* ``test``: one ``homework.submitted`` scored out of :attr:`Unit.answers`
  questions (a test's score is kept per unit and never counts as homework);

and then ``unit.completed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from levelwise.domain.events import (
    Event,
    HomeworkSubmitted,
    LessonWatched,
    LiveAttended,
    LiveInteracted,
    PracticeCompleted,
    QuestionAnswered,
    UnitFinished,
)
from levelwise.domain.fields import event_env, unit_fields
from levelwise.domain.program import ANSWER_MINUTES, Program, Unit, XpRule

HOMEWORK_POINTS = 10
LIVE_KINDS = ("answer", "mic", "pk", "chat")
SCORED_KINDS = frozenset({"answer", "pk"})
TURNS_PER_MINUTE = 2
DAY_MINUTES = 30.0
"""Study minutes a plan counts as one active day (``active_days`` gates)."""


@dataclass(frozen=True)
class StudyYield:
    """What one study of a unit gives, before any answer is scored.

    Attributes:
        minutes: Time it takes.
        watch_seconds: Recorded-lesson time.
        live_seconds: Live-class time.
        practice_seconds: Practice-session time.
        turns: Practice turns.
        interactions: Live interactions, by kind.
        answers: The knowledge point of each scored answer (questions, scored
            practice turns, scored live interactions), in order.
        homework: Whether it is a scored homework (on all the unit's points).
        test: Whether it is a test: scored like homework (``homework.submitted``
            out of ``questions``), kept as the unit's score, not as homework.
        questions: A test's scored items.
    """

    minutes: float
    watch_seconds: float = 0.0
    live_seconds: float = 0.0
    practice_seconds: float = 0.0
    turns: int = 0
    interactions: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    homework: bool = False
    test: bool = False
    questions: int = 0


def sitting_items(unit: Unit) -> int:
    """Scored items of one sitting of test ``unit``.

    Its ``questions``, else one per
    :data:`~levelwise.domain.program.ANSWER_MINUTES` minutes (0 without points).
    """
    if not unit.knowledge_points:
        return 0
    if unit.questions is not None:
        return unit.questions
    return max(1, round(unit.minutes / ANSWER_MINUTES))


def yield_of(unit: Unit) -> StudyYield:
    """What one study of ``unit`` gives."""
    seconds = unit.minutes * 60.0
    kps = unit.knowledge_points
    cycle = tuple(kps[i % len(kps)] for i in range(unit.answers)) if kps else ()
    if unit.kind == "lesson":
        return StudyYield(unit.minutes, watch_seconds=seconds)
    if unit.kind == "live_class":
        count = max(1, round(unit.minutes / 10))
        kinds = tuple(LIVE_KINDS[i % len(LIVE_KINDS)] for i in range(count))
        scored = sum(k in SCORED_KINDS for k in kinds) if kps else 0
        return StudyYield(
            unit.minutes,
            live_seconds=seconds,
            interactions=kinds,
            answers=tuple(k for _ in range(scored) for k in kps),
        )
    if unit.kind == "homework":
        return StudyYield(unit.minutes, homework=True, answers=kps)
    if unit.kind == "test":
        return StudyYield(
            unit.minutes, test=True, answers=kps, questions=sitting_items(unit)
        )
    if unit.kind == "practice":
        turns = max(1, round(unit.minutes * TURNS_PER_MINUTE))
        return StudyYield(
            unit.minutes, practice_seconds=seconds, turns=turns, answers=cycle
        )
    return StudyYield(unit.minutes, answers=cycle)


class _Envelope(TypedDict):
    id: str
    learner: str
    unit: str


Draw = Callable[[str], bool]
"""Whether the learner answers a question on a knowledge point correctly."""


def study_events(
    unit: Unit, learner: str, start: datetime, draw: Draw, prefix: str
) -> list[Event]:
    """The events of one study of ``unit`` that starts at ``start``.

    Args:
        unit: The unit.
        learner: The learner's id.
        start: When the study starts (aware); events spread over its minutes.
        draw: Scores each answer.
        prefix: Event ids are ``prefix-1``, ``prefix-2``, ...
    """
    return list(_events(unit, learner, start, draw, prefix))


def _events(
    unit: Unit, learner: str, start: datetime, draw: Draw, prefix: str
) -> Iterator[Event]:
    got = yield_of(unit)
    kps, u = unit.knowledge_points, unit.id
    count = 0

    def stamp() -> _Envelope:
        nonlocal count
        count += 1
        return {"id": f"{prefix}-{count}", "learner": learner, "unit": u}

    def at(fraction: float) -> datetime:
        return start + timedelta(minutes=unit.minutes * fraction)

    if got.watch_seconds:
        yield LessonWatched(**stamp(), occurred_at=at(0), seconds=got.watch_seconds)
    if got.live_seconds:
        yield LiveAttended(**stamp(), occurred_at=at(0), seconds=got.live_seconds)
        for i, kind in enumerate(got.interactions):
            scored = kind in SCORED_KINDS and bool(kps)
            when = at((i + 1) / (len(got.interactions) + 1))
            yield LiveInteracted(
                **stamp(),
                occurred_at=when,
                kind=kind,
                correct=draw(kps[0]) if scored else None,
            )
    if got.practice_seconds:
        yield PracticeCompleted(
            **stamp(), occurred_at=at(0), seconds=got.practice_seconds, turns=got.turns
        )
    if got.homework or got.test:
        items = got.questions if got.test else HOMEWORK_POINTS
        points = sum(draw(kps[i % len(kps)]) for i in range(items)) if kps else 0
        yield HomeworkSubmitted(
            **stamp(),
            occurred_at=at(0.9),
            score=float(points),
            max_score=float(max(items, 1)),
        )
    elif not got.live_seconds:
        per = min(60.0, unit.minutes * 60.0 / max(len(got.answers), 1))
        for i, kp in enumerate(got.answers):
            yield QuestionAnswered(
                **stamp(),
                occurred_at=at((i + 0.5) / (len(got.answers) + 1)),
                item=f"{u}-q{i + 1}",
                knowledge_point=kp,
                correct=draw(kp),
                seconds=per,
            )
    yield UnitFinished(**stamp(), occurred_at=at(1.0))


@dataclass(frozen=True)
class XpProfile:
    """The XP one study of a unit earns, as a function of the learner's chances.

    Expected XP is ``base + sum(per_point[kp] * P(correct on kp))``: every
    rule is applied to the study's events as the fold applies it (rounded, with
    the repeat decay), once with every answer right and once with every answer
    wrong, and the difference is shared among the points the answers are on.
    Exact for rules linear in the score; daily caps are left out.
    """

    base: float
    per_point: tuple[tuple[str, float], ...]

    def expected(self, p_correct: Callable[[str], float]) -> float:
        """Expected XP given each point's chance of a correct answer."""
        return self.base + sum(d * p_correct(kp) for kp, d in self.per_point)


def xp_profile(program: Program, unit: Unit, repeats: Mapping[str, int]) -> XpProfile:
    """The XP profile of one study of ``unit``.

    Args:
        program: Gives the XP rules.
        unit: The unit.
        repeats: ``"rule|unit"`` -> earlier applications, as in the learner
            state; they set the repeat decay.
    """

    def right(_: str) -> bool:
        return True

    def wrong(_: str) -> bool:
        return False

    sure = study_events(unit, "", _EPOCH, right, "x")
    never = study_events(unit, "", _EPOCH, wrong, "x")
    base = 0.0
    per_point: dict[str, float] = {}
    seen: dict[str, int] = {}
    kps = unit.knowledge_points
    for good, bad in zip(sure, never, strict=True):
        for rule in program.rules_by_type.get(good.TYPE, ()):
            factor = 1.0
            if rule.repeat_decay != 1.0:
                key = f"{rule.id}|{unit.id}"
                done = repeats.get(key, 0) + seen.get(key, 0)
                seen[key] = seen.get(key, 0) + 1
                if done:
                    factor = max(rule.repeat_floor, rule.repeat_decay**done)
            low = _rule_xp(rule, _env(bad, unit, program), factor)
            gain = _rule_xp(rule, _env(good, unit, program), factor) - low
            base += low
            if isinstance(good, QuestionAnswered):
                on: tuple[str, ...] = (good.knowledge_point,)
            elif isinstance(good, HomeworkSubmitted | LiveInteracted):
                on = kps[:1] if isinstance(good, LiveInteracted) else kps
            else:
                on = ()
            for kp in on:
                per_point[kp] = per_point.get(kp, 0.0) + gain / len(on)
    return XpProfile(base, tuple(per_point.items()))


_EPOCH = datetime.fromisoformat("2026-01-05T00:00:00+00:00")


def _env(event: Event, unit: Unit, program: Program) -> dict[str, object]:
    """What a rule reads of ``event`` (:func:`levelwise.domain.fields.event_env`).

    The unit's fields come from ``unit`` itself (it may be a variant of the
    program's unit of that id, as in a what-if).
    """
    env = event_env(event, program, event.occurred_at)
    env.update(unit_fields(unit))
    return env


def _rule_xp(rule: XpRule, env: dict[str, object], factor: float) -> float:
    """XP of one rule on one event, rounded as the fold rounds it."""
    if rule.when is not None and not rule.when.evaluate(env):
        return 0.0
    value = rule.xp.evaluate(env)
    base = float(value) if isinstance(value, int | float) else 0.0
    return float(max(0, round(base * factor)))
