"""Wire models of a learner's plan, next best activity and forecast."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import Field

from levelwise.api.schemas.common import PublicModel
from levelwise.app.guidance.forecast import Forecast
from levelwise.app.guidance.outlook import (
    Bottleneck,
    MetricNote,
    PracticeTip,
    SpeakingEta,
)
from levelwise.app.guidance.plan import Plan, PlanStep
from levelwise.app.guidance.reasons import ReasonKind, StepWords
from levelwise.app.guidance.requirements import Requirement
from levelwise.app.guidance.service import NextActivity


class RequirementPublic(PublicModel):
    """One part of a gate of the target level (or of a level on the way)."""

    level: str = Field(description="The level whose gate it is")
    requirement: str = Field(description="The part as written, e.g. 'xp >= 300'")
    current: float = Field(description="Its value (includes: items in)")
    target: float = Field(description="What it needs (includes: items listed)")
    progress: float = Field(ge=0, le=1)
    met: bool

    @classmethod
    def from_requirement(cls, req: Requirement) -> RequirementPublic:
        """Build from the planner's requirement."""
        return cls(
            level=req.level,
            requirement=req.source,
            current=req.current,
            target=req.target,
            progress=req.progress,
            met=req.met,
        )


class ServesPublic(PublicModel):
    """How a step moves one requirement, in expectation."""

    requirement: str = Field(description="The requirement as written (for teachers)")
    measure: str = Field(
        default="",
        description="What the requirement measures, in words "
        "('minutes in live classes')",
    )
    before: float = Field(
        ge=0, le=1, description="Share of the requirement met before the step"
    )
    after: float = Field(
        ge=0, le=1, description="Share of the requirement met after the step"
    )


class WhyPublic(PublicModel):
    """Why a step is in the plan, as data."""

    kind: ReasonKind = Field(
        description="teaches: an ability or point a gate needs; fills: an effort "
        "counter (minutes, XP); completes: a unit a gate lists; unlocks: a "
        "prerequisite of a unit the plan needs; prepares: readies for a test; "
        "test: the test itself; keeps: keeps the rest moving"
    )
    subject: str = Field(
        description="What it is for: a gate variable (teaches, fills) or a unit "
        "(unlocks, prepares, test)"
    )
    level: str = Field(description="The level whose requirement it serves")
    chance: float | None = Field(
        default=None, ge=0, le=1, description="test: the chance to pass it"
    )


class StepPublic(PublicModel):
    """One unit of a plan."""

    unit: str
    title: str
    kind: str
    minutes: float = Field(description="Expected minutes of this step")
    total_minutes: float = Field(description="Minutes from now to this step's end")
    serves: list[ServesPublic] = Field(description="Requirements it moves, most first")
    reason: str = Field(
        description="Why this unit, now (one line, naming the requirement)"
    )
    week: int = Field(
        default=1, ge=1, description="The plan week it starts in (1: this week)"
    )
    level: str = Field(default="", description="The level it works toward")
    why: WhyPublic | None = Field(default=None, description="Why, as data")
    reason_text: str = Field(
        default="", description="Why, in plain words in the asked language"
    )
    chance: float | None = Field(
        default=None, ge=0, le=1, description="A test's chance to pass"
    )

    @classmethod
    def from_step(cls, step: PlanStep, words: StepWords | None = None) -> StepPublic:
        """Build from the planner's step (and its words, if given)."""
        measures = words.measures if words is not None else ()
        return cls(
            unit=step.unit,
            title=step.title,
            kind=step.kind,
            minutes=step.minutes,
            total_minutes=step.total_minutes,
            serves=[
                ServesPublic(
                    requirement=src,
                    measure=measures[i] if i < len(measures) else "",
                    before=a,
                    after=b,
                )
                for i, (src, a, b) in enumerate(step.serves)
            ],
            reason=step.reason,
            week=step.week,
            level=step.level,
            why=WhyPublic(
                kind=step.why.kind,
                subject=step.why.subject,
                level=step.why.level,
                chance=step.why.chance,
            ),
            reason_text=words.reason if words is not None else "",
            chance=step.chance,
        )


class WeekPublic(PublicModel):
    """One week of a plan at the learner's pace."""

    week: int = Field(ge=1, description="1: this week")
    minutes: float = Field(description="Expected minutes of its steps")
    units: list[str] = Field(description="Its steps' units, in order")


class MetAtPublic(PublicModel):
    """When, in plan minutes, a requirement is met."""

    requirement: str
    minutes: float | None = Field(
        description="Plan minutes at which it is met (0: already); null: never"
    )


class PlanPublic(PublicModel):
    """The quickest expected way from the learner's level to the target."""

    learner: str
    level: str = Field(description="The learner's level now")
    target: str = Field(description="The level planned for")
    minutes: float = Field(description="Expected study minutes of the whole plan")
    steps: list[StepPublic]
    now: list[RequirementPublic] = Field(description="The requirements as they stand")
    expected: list[RequirementPublic] = Field(
        description="The requirements after the plan, in expectation"
    )
    met_at: list[MetAtPublic]
    binding: str | None = Field(
        description="The requirement met last: the one that holds the learner back"
    )
    complete: bool = Field(description="Every requirement is met in expectation")
    gains: str = Field(description="Where the expected mastery gains come from")
    weekly_minutes: float = Field(
        default=0.0, description="The learner's pace the weeks are counted at"
    )
    weeks: list[WeekPublic] = Field(
        default_factory=list, description="The steps grouped by week"
    )

    @classmethod
    def from_plan(
        cls, plan: Plan, words: Sequence[StepWords] | None = None
    ) -> PlanPublic:
        """Build from the service's plan (and its steps in words, if given)."""
        said = list(words) if words is not None else [None] * len(plan.steps)
        return cls(
            learner=plan.learner,
            level=plan.level,
            target=plan.target,
            minutes=plan.minutes,
            weekly_minutes=plan.weekly_minutes,
            weeks=[
                WeekPublic(
                    week=week,
                    minutes=round(sum(s.minutes for s in steps), 3),
                    units=[s.unit for s in steps],
                )
                for week, steps in plan.weeks()
            ],
            steps=[
                StepPublic.from_step(s, w)
                for s, w in zip(plan.steps, said, strict=True)
            ],
            now=[RequirementPublic.from_requirement(r) for r in plan.now],
            expected=[RequirementPublic.from_requirement(r) for r in plan.expected],
            met_at=[
                MetAtPublic(requirement=r, minutes=None if math.isinf(m) else m)
                for r, m in plan.met_at
            ],
            binding=plan.binding,
            complete=plan.complete,
            gains=plan.gains,
        )


class MetricNotePublic(PublicModel):
    """A practice metric to work on, as the learner's sessions show it."""

    metric: str = Field(description="The practice metric's name (speech_rate)")
    value: float = Field(description="Its value in the learner's last session")
    status: Literal["improving", "plateau", "not_improving", "new"] = Field(
        description="improving: the trend goes the better way; plateau: no "
        "progress over the last sessions; not_improving: flat or the wrong way; "
        "new: one session so far"
    )
    sessions: int = Field(description="The sessions the status is about")

    @classmethod
    def from_note(cls, note: MetricNote) -> MetricNotePublic:
        """Build from the service's note."""
        return cls(
            metric=note.metric,
            value=note.value,
            status=note.status,
            sessions=note.sessions,
        )


class PracticeTipPublic(PublicModel):
    """A practice scenario aimed at a speaking requirement."""

    unit: str = Field(description="The practice unit")
    title: str = Field(description="The unit's title")
    scenario: str = Field(description="The scenario's title ('' when none)")
    partner: str = Field(description="The partner's role in it ('' when none)")
    requirement: str = Field(description="The speaking requirement it serves")
    current: float | None = Field(
        description="The requirement's value now; null: a metric never reported"
    )
    target: float = Field(description="What it needs")
    metrics: list[MetricNotePublic] = Field(description="The metrics to work on")
    sessions: int | None = Field(
        description="For a requirement on one metric: sessions at the learner's "
        "trend; null: not improving, or no trend yet"
    )
    reason: str = Field(description="One line for the learner")

    @classmethod
    def from_tip(cls, tip: PracticeTip) -> PracticeTipPublic:
        """Build from the service's tip."""
        return cls(
            unit=tip.unit,
            title=tip.title,
            scenario=tip.scenario,
            partner=tip.partner,
            requirement=tip.requirement,
            current=tip.current,
            target=tip.target,
            metrics=[MetricNotePublic.from_note(n) for n in tip.metrics],
            sessions=tip.sessions,
            reason=tip.reason,
        )


class NextActivityPublic(PublicModel):
    """The next best activity, or why there is none."""

    learner: str
    level: str
    target: str | None = Field(description="The next level; null at the top level")
    status: Literal["study", "top_level", "ready", "stuck"] = Field(
        description="study: do `step`; top_level: nothing above; ready: every "
        "requirement is met; stuck: no unit moves the unmet requirements"
    )
    step: StepPublic | None
    requirement: str | None = Field(description="The requirement the step serves most")
    minutes: float
    reason: str
    practice: PracticeTipPublic | None = Field(
        default=None,
        description="A practice scenario aimed at the speaking requirement the "
        "step serves, or else at the binding one; null: none",
    )

    @classmethod
    def from_next(cls, nxt: NextActivity) -> NextActivityPublic:
        """Build from the service's next activity."""
        return cls(
            learner=nxt.learner,
            level=nxt.level,
            target=nxt.target,
            status=nxt.status,
            step=StepPublic.from_step(nxt.step) if nxt.step is not None else None,
            requirement=nxt.requirement,
            minutes=nxt.minutes,
            reason=nxt.reason,
            practice=(
                PracticeTipPublic.from_tip(nxt.practice)
                if nxt.practice is not None
                else None
            ),
        )


def _on(now: datetime, weeks: float | None) -> date | None:
    return None if weeks is None else (now + timedelta(weeks=weeks)).date()


class SpeakingEtaPublic(PublicModel):
    """When an unmet requirement on a practice metric is met at the trend."""

    requirement: str = Field(description="The gate part, e.g. 'speech_rate >= 80'")
    level: str = Field(description="The level whose gate it is")
    metric: str = Field(description="The practice metric it reads")
    current: float | None = Field(description="Its value now; null: never reported")
    target: float
    slope: float = Field(description="The metric's change per session")
    sessions: int | None = Field(
        description="Sessions at the trend: gap / slope; null: not improving, or "
        "fewer than two sessions"
    )
    per_week: float = Field(
        description="The learner's sessions a week that reported the metric, "
        "over the history window"
    )
    weeks: float | None = Field(description="sessions / per_week; null: unknown")
    met_on: date | None = Field(description="The day it is met at that pace")
    plateau: bool = Field(description="The metric stopped improving")

    @classmethod
    def from_eta(cls, eta: SpeakingEta, now: datetime) -> SpeakingEtaPublic:
        """Build from the service's ETA, its date counted from ``now``."""
        return cls(
            requirement=eta.requirement,
            level=eta.level,
            metric=eta.metric,
            current=eta.current,
            target=eta.target,
            slope=eta.slope,
            sessions=eta.sessions,
            per_week=eta.per_week,
            weeks=eta.weeks,
            met_on=_on(now, eta.weeks),
            plateau=eta.plateau,
        )


class BottleneckPublic(PublicModel):
    """A plateaued practice metric that holds back unmet requirements."""

    metric: str
    requirements: list[str] = Field(description="The unmet requirements it feeds")

    @classmethod
    def from_bottleneck(cls, found: Bottleneck) -> BottleneckPublic:
        """Build from the service's bottleneck."""
        return cls(metric=found.metric, requirements=list(found.requirements))


class ForecastPublic(PublicModel):
    """When the learner reaches the target level, as a distribution."""

    learner: str
    target: str
    as_of: date = Field(description="The day the forecast counts from")
    plan_minutes: float
    pace: float = Field(description="Estimated study minutes per week")
    history_weeks: int = Field(description="Weeks of the learner's own history used")
    median_weeks: float | None = Field(description="null: the plan cannot get there")
    low_weeks: float | None = Field(description="The 80 % interval's lower end")
    high_weeks: float | None = Field(description="The 80 % interval's upper end")
    median_date: date | None
    low_date: date | None
    high_date: date | None
    binding: str | None = Field(description="The requirement the plan meets last")
    current_weeks: float | None = Field(
        description="Weeks at the current mix and rate; null: never"
    )
    current_binding: str | None = Field(
        description="The slowest requirement at the current mix"
    )
    speedup: float | None = Field(
        description="How much sooner the plan gets there: 1 - median / current"
    )
    p_within_horizon: float = Field(ge=0, le=1)
    stalled: bool = Field(description="No study in the last two weeks")
    at_risk: bool = Field(description="Under 50 % to get there within the horizon")
    speaking: list[SpeakingEtaPublic] = Field(
        default_factory=list,
        description="When each unmet requirement on a practice metric is met at "
        "the learner's trend",
    )
    plateaus: list[str] = Field(
        default_factory=list, description="The practice metrics that plateau"
    )
    bottlenecks: list[BottleneckPublic] = Field(
        default_factory=list,
        description="Predicted bottlenecks: plateaued metrics that unmet "
        "requirements depend on (in a gate, or through a measurement)",
    )

    @classmethod
    def from_forecast(cls, fc: Forecast, now: datetime) -> ForecastPublic:
        """Build from the service's forecast, with dates counted from ``now``."""
        return cls(
            learner=fc.learner,
            target=fc.target,
            as_of=now.date(),
            plan_minutes=fc.plan_minutes,
            pace=fc.pace,
            history_weeks=fc.history_weeks,
            median_weeks=fc.median_weeks,
            low_weeks=fc.low_weeks,
            high_weeks=fc.high_weeks,
            median_date=_on(now, fc.median_weeks),
            low_date=_on(now, fc.low_weeks),
            high_date=_on(now, fc.high_weeks),
            binding=fc.binding,
            current_weeks=fc.current_weeks,
            current_binding=fc.current_binding,
            speedup=fc.speedup,
            p_within_horizon=fc.p_within_horizon,
            stalled=fc.stalled,
            at_risk=fc.at_risk,
            speaking=[SpeakingEtaPublic.from_eta(e, now) for e in fc.speaking],
            plateaus=list(fc.plateaus),
            bottlenecks=[BottleneckPublic.from_bottleneck(b) for b in fc.bottlenecks],
        )
