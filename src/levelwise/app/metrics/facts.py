"""Pure facts of the metrics projection: from stored events and learner states.

Every event-derived fact merges commutatively (sums, minimums, ``or``), so
folding events in any order, or a late event after the others, gives the same
facts as a rebuild. Only the attendance's first day and completion need the
merged totals; ``merge_attendance`` turns their change into day counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from levelwise.app.metrics.analytics import level_up_cycles
from levelwise.app.metrics.ports import Attendance, DayFacts, LearnerFacts, LevelUp
from levelwise.app.ports import StoredEvent
from levelwise.domain.events import XapiStatement
from levelwise.domain.fold import prior_for
from levelwise.domain.gates import gate_env, gate_values
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState
from levelwise.domain.xapi import event_of

FACTS_VERSION = 2
"""Bump when the facts derived from events change: the projection rebuilds."""

COMPLETION_SHARE = 0.8
"""A live class is completed at this share of its minutes attended."""

STUDY_EVENTS = frozenset(
    {
        "lesson.watched",
        "live.attended",
        "live.interaction",
        "homework.submitted",
        "question.answered",
        "unit.completed",
        "practice.completed",
    }
)
"""Event types that make a day a study day (``docs/metrics.md``)."""

TIMED_EVENTS = frozenset({"lesson.watched", "live.attended", "practice.completed"})
"""Event types whose ``seconds`` count as study minutes."""

NO_GROUP = "(none)"
"""The row key (and filter value) of learners without a cohort or class."""


@lru_cache(maxsize=4096)
def week_of(day: str) -> str:
    """The Monday of the ISO week of ``day`` (both ``YYYY-MM-DD``)."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def live_units(program: Program) -> dict[str, float]:
    """The program's live-class units with the seconds that complete them."""
    return {
        u.id: COMPLETION_SHARE * u.minutes * 60.0
        for u in program.units
        if u.kind == "live_class"
    }


class EventFacts:
    """The facts of a run of events, merged among themselves.

    Events are added with ``add_events``; the properties give the merged rows.
    The counters accumulate in plain lists (the hot path of a rebuild).
    """

    def __init__(self) -> None:
        """Start with no facts."""
        self._days: dict[tuple[str, str], list[Any]] = {}
        self._attendance: dict[tuple[str, str], list[Any]] = {}
        self._learners: dict[str, list[str]] = {}
        self.last_at = ""
        """The latest ``occurred_at`` seen."""

    @property
    def days(self) -> dict[tuple[str, str], DayFacts]:
        """Day counters by ``(learner, day)``."""
        return {
            (learner, day): DayFacts(learner, day, week_of(day), *v)
            for (learner, day), v in self._days.items()
        }

    @property
    def attendance(self) -> dict[tuple[str, str], Attendance]:
        """Attendance deltas by ``(learner, unit)``."""
        return {k: Attendance(*k, *v) for k, v in self._attendance.items()}

    @property
    def learners(self) -> dict[str, LearnerFacts]:
        """Event-derived learner facts by learner (snapshot fields empty)."""
        return {
            k: LearnerFacts(k, e, r, f, cohort=e[:7])
            for k, (e, r, f) in self._learners.items()
        }


def _earliest(a: str, b: str) -> str:
    """The earlier of two UTC keys, ``""`` meaning none."""
    if not a or not b:
        return a or b
    return min(a, b)


XAPI_TYPES = frozenset({"xapi.statement", "event.voided"})
"""Stored types whose facts are those of other events (see ``learning_rows``)."""


def voided_targets(events: Iterable[StoredEvent]) -> set[str]:
    """The ids that ``event.voided`` events among ``events`` void."""
    return {
        str(orjson.loads(e.body)["target"]) for e in events if e.type == "event.voided"
    }


def learning_rows(
    events: Iterable[StoredEvent], program: Program, voided: AbstractSet[str]
) -> Iterator[StoredEvent]:
    """The events as the facts count them: xAPI statements as what they map to.

    An ``xapi.statement`` counts as the event ``program``'s mapping makes of
    it (its type, seconds and unit; nothing when unmapped); voidings and the
    events in ``voided`` count nothing. Other events pass as they are.
    """
    for e in events:
        if e.event_id in voided or e.type == "event.voided":
            continue
        if e.type != "xapi.statement":
            yield e
            continue
        body = orjson.loads(e.body)
        carried = XapiStatement(
            id=e.event_id,
            learner=e.learner,
            occurred_at=datetime.fromisoformat(e.occurred_at),
            statement=str(body["statement"]),
        )
        inner, _ = event_of(program, carried)
        if inner is None:
            continue
        fields = {"seconds": getattr(inner, "seconds", 0.0), "unit": inner.unit}
        yield replace(e, type=inner.type, body=orjson.dumps(fields).decode())


def facts_of(events: Iterable[StoredEvent], units: dict[str, float]) -> EventFacts:
    """Derive the facts of ``events`` (any order).

    Args:
        events: Stored events.
        units: Live-class units with their completing seconds (``live_units``).

    Returns:
        Their merged facts.
    """
    out = EventFacts()
    add_events(out, events, units)
    return out


def add_events(
    out: EventFacts, events: Iterable[StoredEvent], units: dict[str, float]
) -> None:
    """Merge the facts of ``events`` into ``out`` (see ``facts_of``)."""
    days, attendance, learners = out._days, out._attendance, out._learners
    last_at = out.last_at
    for e in events:
        kind, learner, at = e.type, e.learner, e.occurred_at
        if at > last_at:
            last_at = at
        person = learners.get(learner)
        if person is None:
            learners[learner] = person = ["", "", at]
        elif at < person[2]:
            person[2] = at
        if kind == "enrolment.started":
            person[0] = _earliest(person[0], at)
        elif kind == "subscription.renewed":
            person[1] = _earliest(person[1], at)
        study = kind in STUDY_EVENTS
        if not study and kind != "subscription.renewed":
            continue
        body = orjson.loads(e.body) if kind in _BODY_READ else _NO_BODY
        seconds = float(body.get("seconds", 0.0)) if kind in TIMED_EVENTS else 0.0
        key = (learner, at[:10])
        # study, seconds, attended, completed, interactions, renewals
        day = days.get(key)
        if day is None:
            days[key] = day = [0, 0.0, 0, 0, 0, 0]
        if study:
            day[0] = 1
        day[1] += seconds
        if kind == "live.interaction":
            day[4] += 1
        elif kind == "subscription.renewed":
            day[5] += 1
        unit = body.get("unit")
        if unit in units and kind in ("live.attended", "unit.completed"):
            # first_at, seconds, finished, need
            att = attendance.get((learner, unit))
            if att is None:
                attendance[(learner, unit)] = att = ["", 0.0, False, units[unit]]
            if kind == "live.attended":
                att[0] = _earliest(att[0], at)
                att[1] += seconds
            else:
                att[2] = True
    out.last_at = last_at


_BODY_READ = TIMED_EVENTS | {"unit.completed"}
_NO_BODY: dict[str, Any] = {}


def merge_day(old: DayFacts, add: DayFacts) -> DayFacts:
    """Add day counters (``study`` is an ``or``)."""
    return DayFacts(
        old.learner,
        old.day,
        old.week,
        study=max(old.study, add.study),
        seconds=old.seconds + add.seconds,
        attended=old.attended + add.attended,
        completed=old.completed + add.completed,
        interactions=old.interactions + add.interactions,
        renewals=old.renewals + add.renewals,
    )


def _combine(old: Attendance, delta: Attendance) -> Attendance:
    return Attendance(
        old.learner,
        old.unit,
        first_at=_earliest(old.first_at, delta.first_at),
        seconds=old.seconds + delta.seconds,
        finished=old.finished or delta.finished,
        need=delta.need,
    )


def merge_attendance(
    old: Attendance | None, delta: Attendance
) -> tuple[Attendance, list[DayFacts]]:
    """Merge an attendance delta and say how the day counters change.

    An attendance counts on the day of its first ``live.attended``; merging can
    move that day earlier (a late event) or complete it, so the old day loses
    what it counted and the new day gains it.

    Args:
        old: The stored attendance, or None.
        delta: The delta of new events.

    Returns:
        The merged attendance and the day counter increments (may be empty).
    """
    new = delta if old is None else _combine(old, delta)
    changes: dict[str, tuple[int, int]] = {}
    if old is not None and old.first_at:
        day = old.first_at[:10]
        a, c = changes.get(day, (0, 0))
        changes[day] = (a - 1, c - int(old.completed))
    if new.first_at:
        day = new.first_at[:10]
        a, c = changes.get(day, (0, 0))
        changes[day] = (a + 1, c + int(new.completed))
    out = [
        DayFacts(new.learner, day, week_of(day), attended=a, completed=c)
        for day, (a, c) in sorted(changes.items())
        if a or c
    ]
    return new, out


def merge_learner(old: LearnerFacts, new: LearnerFacts) -> LearnerFacts:
    """Merge learner facts: earliest event times, ``new``'s snapshot fields.

    The cohort follows the merged enrolment; ``new``'s class, levels and gate
    replace the old ones (they come from the learner's current snapshot).
    """
    enrolled = _earliest(old.enrolled_at, new.enrolled_at)
    return replace(
        new,
        enrolled_at=enrolled,
        renewed_at=_earliest(old.renewed_at, new.renewed_at),
        first_at=_earliest(old.first_at, new.first_at),
        cohort=enrolled[:7],
    )


def furthest_gate(state: LearnerState, program: Program, model: MasteryModel) -> str:
    """The next level's requirement with the least progress (``""`` at the top).

    Progress comes from the same gate evaluation as the learner view; ties go
    to the requirement listed first; when every gate is met (the level-up is
    pending), the first gate.
    """
    nxt = state.level + 1
    if nxt >= len(program.levels) or not program.levels[nxt].gates:
        return ""
    prior = prior_for(state, model)
    env = gate_env(state, program.level_variables[nxt], prior, program)
    values = gate_values(program.levels[nxt].gates, env)
    return min(values, key=lambda g: (g.met, g.progress)).gate


def snapshot_facts(
    state: LearnerState, program: Program, model: MasteryModel
) -> tuple[LearnerFacts, list[LevelUp]]:
    """What the metrics take from a learner's current state.

    Returns:
        The learner's class, level, highest level and furthest gate (the event
        fields empty, to merge with ``merge_learner``) and their level-ups.
    """
    index = {lvl.id: i for i, lvl in enumerate(program.levels)}
    ups = [
        LevelUp(state.learner, seq, stamp.level, stamp.at, weeks)
        for seq, (stamp, weeks) in enumerate(level_up_cycles(state))
    ]
    peak = max(
        [state.level, *(index.get(s.level, 0) for s in state.history)],
    )
    facts = LearnerFacts(
        state.learner,
        klass=state.profile.cohort or "",
        level=state.level,
        peak=peak,
        gate=furthest_gate(state, program, model),
    )
    return facts, ups


def day_list(rows: Sequence[DayFacts]) -> list[DayFacts]:
    """Merge day counters with the same ``(learner, day)`` into one each."""
    merged: dict[tuple[str, str], DayFacts] = {}
    for row in rows:
        key = (row.learner, row.day)
        old = merged.get(key)
        merged[key] = row if old is None else merge_day(old, row)
    return list(merged.values())
