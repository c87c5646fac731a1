"""Guidance use cases: a learner's plan, next best activity and forecast.

These read the learner's folded state (the stored projection) and the
tenant's compiled program with the fold's mastery model, and hand them to the
planner (:mod:`levelwise.app.guidance.plan`) and the forecaster
(:mod:`levelwise.app.guidance.forecast`). Nothing is written.

The forecast's history is the learner's **study minutes per week**: the
seconds of ``lesson.watched``, ``live.attended``, ``practice.completed`` and
``question.answered`` events, by the week (counted back from now) they
occurred in. Only the weeks since the learner's first event count, so a
learner who enrolled two weeks ago has two weeks of history, not eight with
leading zeros. The current-mix extrapolation compares the plan's requirements
now with the same requirements in the learner's state at the start of that
window (the learner's earlier events folded from scratch).

When practice matters to the program's levels (a gate on a practice metric,
or measurements; :func:`levelwise.app.guidance.speaking.speaks`), the learner's
``practice.completed`` events are read too, as their speaking profile: its
trends set the sessions a plan counts for a practice-metric requirement, the
next activity may carry a practice tip, and the forecast the speaking ETAs,
plateaus and predicted bottlenecks (:mod:`levelwise.app.guidance.outlook`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from levelwise.app.guidance import forecast as forecasting
from levelwise.app.guidance.outlook import (
    PracticeTip,
    bottlenecks,
    practice_tip,
    speaking_etas,
)
from levelwise.app.guidance.plan import Plan, PlanStep, make_plan, requirements_at
from levelwise.app.guidance.reasons import StepWords, step_words
from levelwise.app.guidance.speaking import SpeakingProfile, profile_of, speaks
from levelwise.app.ingest.wire import from_body
from levelwise.app.ports import Clock, EventLog, LogSession, StoredEvent
from levelwise.domain.events import PracticeCompleted, utc_key
from levelwise.domain.fold import fold_all, initial_state, learning_events
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState
from levelwise.errors import LearnerNotFoundError

STUDY_TYPES = frozenset(
    {"lesson.watched", "live.attended", "practice.completed", "question.answered"}
)
"""Event types whose ``seconds`` count as study time."""
_XAPI_TYPES = frozenset({"xapi.statement", "event.voided"})
"""Stored types that may stand for (or take away) a study event."""
WEEK = timedelta(weeks=1)

NextStatus = Literal["study", "top_level", "ready", "stuck"]


@dataclass(frozen=True)
class NextActivity:
    """The next best activity of a learner, or why there is none.

    Attributes:
        learner: The learner.
        level: Their level now.
        target: The next level (None at the top level).
        status: ``study`` (do ``step``), ``top_level`` (nothing above),
            ``ready`` (every requirement of the next level is already met) or
            ``stuck`` (no unit of the program moves the unmet requirements).
        step: The plan's first step, when there is one.
        requirement: The requirement the step serves most.
        minutes: The step's expected minutes (0 without a step).
        reason: One line for the learner: why this step, or why none (the
            practice tip's reason when the step is the tip's unit).
        practice: A practice scenario aimed at the speaking requirement the
            step serves, or else at the binding one (None: no such tip).
    """

    learner: str
    level: str
    target: str | None
    status: NextStatus
    step: PlanStep | None
    requirement: str | None
    minutes: float
    reason: str
    practice: PracticeTip | None = None


@dataclass(frozen=True)
class _Learner:
    program: Program
    model: MasteryModel
    state: LearnerState
    history: list[StoredEvent]
    practice: list[PracticeCompleted]
    speaking: SpeakingProfile | None


Compiled = Callable[[LogSession], tuple[Program, MasteryModel]]


class Guidance:
    """Plans, next best activities and forecasts over one event log.

    Args:
        log: Where events, projections and programs live.
        clock: Now, for the forecast's weeks and dates.
        compiled: The tenant's current program and mastery model in a session
            (the engine's cached compilation).
    """

    def __init__(self, log: EventLog, clock: Clock, compiled: Compiled) -> None:
        """Keep the ports; nothing is read until asked."""
        self.log = log
        self.clock = clock
        self._compiled = compiled

    def now(self) -> datetime:
        """The clock's time, timezone-aware."""
        return datetime.fromisoformat(self.clock.now_iso())

    def _learner(self, tenant: str, learner: str, history: bool) -> _Learner:
        with self.log.read(tenant) as s:
            program, model = self._compiled(s)
            snap = s.snapshots([learner]).get(learner)
            if snap is None:
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
            speaking = speaks(program)
            events = s.history(learner) if history or speaking else []
        practice = [
            event
            for event in (
                from_body(e.body, e.version)
                for e in events
                if e.type == "practice.completed"
            )
            if isinstance(event, PracticeCompleted)
        ]
        profile = profile_of(practice) if history or speaking else None
        state = snap.learner_state()
        return _Learner(program, model, state, events, practice, profile)

    def plan(self, tenant: str, learner: str, target: str | None = None) -> Plan:
        """The quickest expected way from where the learner stands to ``target``.

        Args:
            tenant: The school.
            learner: The learner.
            target: A level above the learner's (default: the next one).

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
            PlanError: ``target`` is unknown or already reached, or the learner
                is at the top level.
        """
        return self._plan(self._learner(tenant, learner, history=True), target)

    def _plan(self, got: _Learner, target: str | None = None) -> Plan:
        """The plan to ``target`` at the learner's pace, counting what they studied."""
        return make_plan(
            got.program,
            got.state,
            got.model,
            target=target,
            speaking=got.speaking,
            weekly_minutes=self._pace(got),
            studied=studied_of(got.history, got.state, got.program),
        )

    def overview(
        self, tenant: str, learner: str, weeks: int = 8
    ) -> tuple[Plan, NextActivity, forecasting.Forecast] | None:
        """The plan to the next level, its next activity and the forecast, at once.

        What :meth:`plan`, :meth:`next_activity` and :meth:`forecast` give, from
        one read of the learner and one plan (a page shows all three).

        Returns:
            None at the top level (nothing is left to plan).

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
        """
        got = self._learner(tenant, learner, history=True)
        if got.state.level + 1 >= len(got.program.levels):
            return None
        plan = self._plan(got)
        return plan, self._next_of(got, plan), self._forecast_of(got, plan, weeks)

    def _pace(self, got: _Learner) -> float:
        """The learner's study minutes a week: recent weeks, shrunk to the program's.

        The forecast's pace (:func:`levelwise.app.guidance.forecast.pace_of`)
        over the last 8 weeks; ``planning.weekly_minutes`` without history.
        """
        prior = got.program.planning.weekly_minutes
        weekly, _ = study_weeks(got.history, self.now(), 8, got.program)
        if not weekly:
            return prior
        pace = forecasting.pace_of(weekly, prior)[0]
        return pace if pace > 0 else prior

    def describe(
        self, tenant: str, plan: Plan, lang: str | None = None
    ) -> tuple[StepWords, ...]:
        """Each step of ``plan`` in plain words, in ``lang``: why, and what it moves.

        Args:
            tenant: The school (its program names things).
            plan: A plan of a learner of that school.
            lang: A language tag (``zh-CN``); None: English.
        """
        with self.log.read(tenant) as s:
            program, _ = self._compiled(s)
        return tuple(
            step_words(step.why, step.serves, program, lang) for step in plan.steps
        )

    def next_activity(self, tenant: str, learner: str) -> NextActivity:
        """The first step of the plan to the next level, with its reason.

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
        """
        got = self._learner(tenant, learner, history=True)
        levels = got.program.levels
        here = levels[got.state.level]
        if got.state.level + 1 >= len(levels):
            return NextActivity(
                learner,
                here.id,
                None,
                "top_level",
                None,
                None,
                0.0,
                f"{learner} is at the top level ({here.id}); nothing is left to plan",
            )
        return self._next_of(got, self._plan(got))

    def _next_of(self, got: _Learner, plan: Plan) -> NextActivity:
        """The next activity of ``plan`` (the learner is below the top level)."""
        learner = got.state.learner
        if not plan.steps:
            if plan.complete:
                status: NextStatus = "ready"
                reason = (
                    f"every requirement of {plan.target} is already met; the level "
                    "opens with the next event"
                )
            else:
                status = "stuck"
                unmet = [r.source for r in plan.now if not r.met]
                reason = (
                    "no unit of the program moves the unmet requirements: "
                    + ", ".join(unmet)
                )
            return NextActivity(
                learner, plan.level, plan.target, status, None, None, 0.0, reason
            )
        step = plan.steps[0]
        served = step.serves[0][0] if step.serves else None
        tip = None
        if got.speaking is not None:
            tip = practice_tip(
                got.program, got.state, plan, got.speaking, served, got.model
            )
        # A tip on the step's own unit says best why to study it.
        why = tip.reason if tip is not None and tip.unit == step.unit else step.reason
        return NextActivity(
            learner,
            plan.level,
            plan.target,
            "study",
            step,
            served,
            step.minutes,
            why,
            tip,
        )

    def forecast(
        self,
        tenant: str,
        learner: str,
        target: str | None = None,
        weeks: int = 8,
    ) -> forecasting.Forecast:
        """When the learner reaches ``target``, from their recent study pace.

        Args:
            tenant: The school.
            learner: The learner.
            target: A level above the learner's (default: the next one).
            weeks: How many recent weeks of study to learn the pace from (at
                most; fewer when the learner's first event is more recent).

        Raises:
            LearnerNotFoundError: The learner has no events in this tenant.
            PlanError: As :meth:`plan`.
        """
        got = self._learner(tenant, learner, history=True)
        return self._forecast_of(got, self._plan(got, target), weeks)

    def _forecast_of(
        self, got: _Learner, plan: Plan, weeks: int
    ) -> forecasting.Forecast:
        """The forecast of ``plan`` from the learner's last ``weeks`` of study."""
        now = self.now()
        weekly, window = study_weeks(got.history, now, weeks, got.program)
        start = now - window * WEEK
        earlier = _state_before(got, utc_key(start))
        past = requirements_at(got.program, earlier, plan, got.model)
        planning = got.program.planning
        profile = got.speaking or profile_of(())
        practice = [e for e in got.practice if e.sort_key[0] < utc_key(now)]
        return forecasting.forecast(
            plan,
            weekly,
            prior_pace=planning.weekly_minutes,
            horizon_weeks=planning.horizon_weeks,
            past=past,
            window_weeks=window,
            speaking=speaking_etas(
                plan, got.state, profile, practice, utc_key(start), window
            ),
            plateaus=profile.plateaus,
            bottlenecks=bottlenecks(got.program, plan, profile),
        )


def study_weeks(
    history: Sequence[StoredEvent],
    now: datetime,
    weeks: int,
    program: Program | None = None,
) -> tuple[list[float], float]:
    """Study minutes per week up to ``now``, oldest first, and the window's length.

    Weeks are counted back from ``now``: the last entry is the week before
    ``now``. Only the weeks since the first event count (the week holding the
    first event included), at most ``weeks``; events at or after ``now`` are
    left out.

    Args:
        history: The learner's events in time order.
        now: The end of the last week.
        weeks: The most weeks to return.
        program: Reads xAPI statements as the events it maps them to (None:
            statements are no study).

    Returns:
        The minutes of each week, and the window in weeks: from the first
        event (or ``weeks`` weeks back, whichever is later) to ``now``.
    """
    if not history or weeks <= 0:
        return [], 0.0
    first = datetime.fromisoformat(history[0].occurred_at)
    elapsed = (now - first) / WEEK
    if elapsed <= 0:
        return [], 0.0
    count = min(weeks, math.ceil(elapsed))
    minutes = [0.0] * count
    end = utc_key(now)
    read = [
        from_body(e.body, e.version)
        for e in history
        if e.occurred_at < end and (e.type in STUDY_TYPES or e.type in _XAPI_TYPES)
    ]
    for event in learning_events(read, program):
        if event.type not in STUDY_TYPES:
            continue
        ago = int((now - event.occurred_at) // WEEK)
        if ago < count:
            seconds = getattr(event, "seconds", 0.0)
            minutes[count - 1 - ago] += float(seconds) / 60.0
    return [round(m, 3) for m in minutes], round(min(float(weeks), elapsed), 4)


def _state_before(got: _Learner, key: str) -> LearnerState:
    """The learner's state folded from scratch over the events before ``key``."""
    events = [from_body(e.body, e.version) for e in got.history if e.occurred_at < key]
    learner = got.state.learner
    state, _ = fold_all(events, got.program, None, got.model)
    return state or initial_state(learner, got.program, got.model)


_SITTINGS = frozenset({"homework.submitted"})
"""Event types of which every one is a study of its unit (a sitting)."""


def studied_of(
    history: Sequence[StoredEvent], state: LearnerState, program: Program
) -> dict[str, int]:
    """How many times the learner studied each unit, for the repeat rule.

    Each ``homework.submitted`` on a unit is a sitting (of a homework or a
    test). A completed unit counts once per day with events on it (a lesson
    watched in three parts in one evening is one study; watched again on
    another day, two), and at least once. A unit begun but not completed
    counts only its sittings: the plan may still finish it. xAPI statements
    count as the events ``program`` maps them to.
    """
    days: dict[str, set[str]] = {}
    found: dict[str, int] = {}
    events = learning_events((from_body(e.body, e.version) for e in history), program)
    for event in events:
        if event.unit is None:
            continue
        if event.type in _SITTINGS:
            found[event.unit] = found.get(event.unit, 0) + 1
        else:
            days.setdefault(event.unit, set()).add(event.occurred_at.date().isoformat())
    for unit in (*state.units_completed, *state.unit_scores):
        found[unit] = max(found.get(unit, 0), len(days.get(unit, ())), 1)
    return found
