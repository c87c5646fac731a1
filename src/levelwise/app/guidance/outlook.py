"""Speaking in next steps and forecasts: a practice tip, speaking ETAs, bottlenecks.

* A **speaking requirement** is one a practice session moves: a gate part on
  a practice metric (``speech_rate >= 80``), or on a dimension a measurement
  of the program feeds (``dimension.speaking_fluency >= 0.5`` ← speech rate,
  MLR, ...; :func:`levelwise.app.guidance.speaking.metrics_of`).
* **Practice tip** (next activity): when the requirement the next step serves
  most, else the plan's binding requirement, is an unmet speaking
  requirement and a practice unit serves it, the tip names that unit's
  scenario and the metrics to work on. A unit serves it when it is a
  speaking unit (:func:`~levelwise.app.guidance.speaking.speaking_units`)
  and, for a dimension, has a knowledge point on that dimension (the fold
  gives a measurement's evidence to those only). The unit is the first of
  the plan's steps on such a unit; when the plan has none, the ready one
  whose points (on the requirement's dimensions) have the least mastery,
  then the first in the program. The metrics: the one the requirement reads,
  then those of the dimension's measurements the learner has reported, the
  plateaued first, then by their score against the norm of the learner's
  level (lowest first); at most :data:`MAX_NOTES`.
* **Speaking ETA** (forecast) of each unmet ``<metric> <op> <number>``
  requirement: the sessions the learner's trend needs
  (:func:`~levelwise.app.guidance.speaking.sessions_needed`), and weeks =
  sessions / the learner's sessions per week that reported the metric over
  the forecast's history window; None when the trend does not improve (or
  there is no practice in the window).
* **Plateaus and bottlenecks**: the metrics that plateau in the learner's
  profile; a plateaued metric that an unmet requirement depends on (in a
  gate, or through a measurement of a gated dimension) is a **predicted
  bottleneck**, with those requirements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from levelwise.app.guidance.plan import Plan, ready_units
from levelwise.app.guidance.requirements import Part, requirements_of
from levelwise.app.guidance.speaking import (
    PLATEAU_SESSIONS,
    MetricGoal,
    MetricTrend,
    SpeakingProfile,
    metric_goal,
    metrics_of,
    sessions_needed,
    speaking_units,
)
from levelwise.domain.events import PracticeCompleted
from levelwise.domain.fold import default_model, prior_for
from levelwise.domain.gates import PRACTICE_VARIABLES, practice_metric
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.practice import PRACTICE_METRICS, metric_text
from levelwise.domain.program import Program, Unit
from levelwise.domain.state import LearnerState

MAX_NOTES = 3
"""The most metrics a practice tip names."""

MetricStatus = Literal["improving", "plateau", "not_improving", "new"]


@dataclass(frozen=True)
class MetricNote:
    """A practice metric to work on, as the learner's sessions show it.

    Attributes:
        metric: The metric's name.
        value: Its value in the learner's last session.
        status: ``improving`` (the trend goes the better way), ``plateau``
            (no progress over the last :data:`PLATEAU_SESSIONS` sessions),
            ``not_improving`` (flat or the wrong way) or ``new`` (one
            session so far).
        sessions: The sessions the status is about.
    """

    metric: str
    value: float
    status: MetricStatus
    sessions: int


@dataclass(frozen=True)
class PracticeTip:
    """A practice scenario aimed at a speaking requirement.

    Attributes:
        unit: The practice unit.
        title: The unit's title.
        scenario: The scenario's title (``""`` when the unit has none).
        partner: The partner's role in it (``""`` when none).
        requirement: The speaking requirement it serves.
        current: The requirement's value now (None: a metric never reported).
        target: What it needs.
        metrics: The metrics to work on.
        sessions: For a requirement on one metric: sessions at the learner's
            trend (None: not improving, or no trend yet).
        reason: One line for the learner.
    """

    unit: str
    title: str
    scenario: str
    partner: str
    requirement: str
    current: float | None
    target: float
    metrics: tuple[MetricNote, ...]
    sessions: int | None
    reason: str


@dataclass(frozen=True)
class SpeakingEta:
    """When an unmet requirement on a practice metric is met at the trend.

    Attributes:
        requirement: The gate part, such as ``speech_rate >= 80``.
        level: The level whose gate it is.
        metric: The metric it reads.
        current: The gate's value now (None: never reported).
        target: What it needs.
        slope: The metric's change per session (0 without a trend).
        sessions: Sessions at the trend (None: not improving, or no trend).
        per_week: The learner's sessions a week that reported the metric,
            over the forecast's history window.
        weeks: ``sessions / per_week`` (None without either).
        plateau: Whether the metric plateaus.
    """

    requirement: str
    level: str
    metric: str
    current: float | None
    target: float
    slope: float
    sessions: int | None
    per_week: float
    weeks: float | None
    plateau: bool


@dataclass(frozen=True)
class Bottleneck:
    """A plateaued practice metric that holds back unmet requirements.

    Attributes:
        metric: The metric.
        requirements: The unmet requirements that depend on it.
    """

    metric: str
    requirements: tuple[str, ...]


def _parts(program: Program, plan: Plan) -> dict[str, Part]:
    ladder = [lvl.id for lvl in program.levels]
    found = requirements_of(
        program, ladder.index(plan.level), ladder.index(plan.target)
    )
    return {p.source: p for p in found}


def speaking_etas(
    plan: Plan,
    state: LearnerState,
    profile: SpeakingProfile,
    practice: Sequence[PracticeCompleted],
    since: str,
    window: float,
) -> tuple[SpeakingEta, ...]:
    """The ETA of each unmet requirement of ``plan`` on one practice metric.

    Args:
        plan: The learner's plan to the target.
        state: The learner's state.
        profile: Their speaking profile.
        practice: Their ``practice.completed`` events.
        since: The UTC key the history window starts at.
        window: The window's length in weeks.
    """
    etas = []
    for req in plan.now:
        goal = None if req.met else metric_goal(req.source)
        if goal is None:
            continue
        current = practice_metric(state, goal.metric)
        trend = profile.trend(goal.metric)
        sessions = sessions_needed(goal, current, trend)
        count = sum(
            1
            for e in practice
            if e.sort_key[0] >= since and any(n == goal.metric for n, _ in e.metrics)
        )
        per_week = round(count / window, 3) if window > 0 else 0.0
        weeks = None
        if sessions is not None and per_week > 0:
            weeks = round(sessions / per_week, 2)
        etas.append(
            SpeakingEta(
                requirement=req.source,
                level=req.level,
                metric=goal.metric,
                current=None if current is None else round(current, 6),
                target=goal.target,
                slope=trend.slope if trend is not None else 0.0,
                sessions=sessions,
                per_week=per_week,
                weeks=weeks,
                plateau=trend is not None and trend.plateau,
            )
        )
    return tuple(etas)


def bottlenecks(
    program: Program, plan: Plan, profile: SpeakingProfile
) -> tuple[Bottleneck, ...]:
    """The plateaued metrics that unmet requirements of ``plan`` depend on."""
    if not profile.plateaus:
        return ()
    parts = _parts(program, plan)
    unmet = [
        (r.source, metrics_of(program, parts[r.source].names))
        for r in plan.now
        if not r.met and r.source in parts
    ]
    found = []
    for metric in profile.plateaus:
        held = tuple(source for source, metrics in unmet if metric in metrics)
        if held:
            found.append(Bottleneck(metric, held))
    return tuple(found)


def practice_tip(
    program: Program,
    state: LearnerState,
    plan: Plan,
    profile: SpeakingProfile,
    served: str | None,
    model: MasteryModel | None = None,
) -> PracticeTip | None:
    """The practice scenario aimed at the speaking requirement the learner needs.

    Args:
        program: The compiled program.
        state: The learner's state.
        plan: Their plan to the next level.
        profile: Their speaking profile.
        served: The requirement the next step serves most (None: no step).
        model: The fold's mastery model (default: the program's).

    Returns:
        The tip (module notes), or None when neither the served nor the
        binding requirement is an unmet speaking requirement a practice unit
        serves.
    """
    parts = _parts(program, plan)
    now = {r.source: r for r in plan.now}
    for source in dict.fromkeys((served, plan.binding)):
        if source is None or source not in parts or now[source].met:
            continue
        part = parts[source]
        metrics = metrics_of(program, part.names)
        if not metrics:
            continue
        unit = _serving_unit(program, state, plan, part, model)
        if unit is None:
            continue
        goal = metric_goal(source)
        req = now[source]
        current: float | None = req.current
        sessions = None
        if goal is not None:
            current = practice_metric(state, goal.metric)
            sessions = sessions_needed(goal, current, profile.trend(goal.metric))
        notes = _notes(program, state, profile, part, goal)
        scene = program.practice.scenario_by_unit.get(unit.id)
        tip = PracticeTip(
            unit=unit.id,
            title=unit.title or unit.id,
            scenario=scene.title if scene is not None else "",
            partner=scene.partner if scene is not None else "",
            requirement=source,
            current=current,
            target=goal.target if goal is not None else req.target,
            metrics=notes,
            sessions=sessions,
            reason="",
        )
        return _with_reason(tip, program, goal)
    return None


def _serves(program: Program, part: Part) -> list[Unit]:
    """The practice units whose sessions move ``part`` (module notes)."""
    speakers = speaking_units(program)
    direct = any(n in PRACTICE_VARIABLES for n in part.names)
    dims = {
        m.dimension
        for m in program.practice.measurements
        if f"dimension.{m.dimension}" in part.names
    }
    kps = program.kp_by_id

    def on_dimension(unit: Unit) -> bool:
        return any(
            d in dims for kp in unit.knowledge_points for d, _ in kps[kp].dimensions
        )

    return [
        u for u in program.units if u.id in speakers and (direct or on_dimension(u))
    ]


def _serving_unit(
    program: Program,
    state: LearnerState,
    plan: Plan,
    part: Part,
    model: MasteryModel | None,
) -> Unit | None:
    units = _serves(program, part)
    ids = {u.id for u in units}
    for step in plan.steps:
        if step.unit in ids:
            return program.unit_by_id[step.unit]
    model = model or default_model(program)
    ready = {u.id for u in ready_units(program, state, model)}
    candidates = [u for u in units if u.id in ready]
    if not candidates:
        return None
    prior = prior_for(state, model)
    dims = {n[10:] for n in part.names if n.startswith("dimension.")}
    kps = program.kp_by_id
    order = {u.id: i for i, u in enumerate(program.units)}

    def weakness(unit: Unit) -> tuple[float, int]:
        on = [
            kp
            for kp in unit.knowledge_points
            if not dims or any(d in dims for d, _ in kps[kp].dimensions)
        ]
        values = [
            state.mastery[kp].value if kp in state.mastery else prior(kp) for kp in on
        ]
        mean = sum(values) / len(values) if values else 1.0
        return mean, order[unit.id]

    return min(candidates, key=weakness)


def _status(trend: MetricTrend, direction: int) -> MetricStatus:
    if len(trend.values) < 2:
        return "new"
    if trend.plateau:
        return "plateau"
    return "improving" if trend.slope * direction > 0 else "not_improving"


def _notes(
    program: Program,
    state: LearnerState,
    profile: SpeakingProfile,
    part: Part,
    goal: MetricGoal | None,
) -> tuple[MetricNote, ...]:
    notes: list[MetricNote] = []
    if goal is not None:
        trend = profile.trend(goal.metric)
        if trend is not None:
            notes.append(_note(trend, goal.direction))
    ranked: list[tuple[bool, float, int, MetricNote]] = []
    for measurement in program.practice.measurements:
        if f"dimension.{measurement.dimension}" not in part.names:
            continue
        for norm in measurement.metrics:
            trend = profile.trend(norm.metric)
            if trend is None or any(n.metric == norm.metric for n in notes):
                continue
            direction = 1 if norm.full[state.level] >= norm.zero else -1
            note = _note(trend, direction)
            score = norm.score(trend.latest, state.level)
            ranked.append((note.status != "plateau", score, len(ranked), note))
    notes.extend(note for *_, note in sorted(ranked, key=lambda r: r[:3]))
    unique = {n.metric: n for n in notes}
    return tuple(unique.values())[:MAX_NOTES]


def _note(trend: MetricTrend, direction: int) -> MetricNote:
    status = _status(trend, direction)
    sessions = PLATEAU_SESSIONS if status == "plateau" else len(trend.values)
    return MetricNote(trend.name, trend.latest, status, sessions)


def _value(metric: str, value: float) -> str:
    """A metric's value as a receipt shows it, without its label (``62 wpm``)."""
    return metric_text(metric, value)[len(PRACTICE_METRICS[metric].label) + 1 :]


_DIMENSION = re.compile(r"\s*dimension\.([\w-]+)")
_STATUS_TEXT = {
    "improving": "is improving",
    "plateau": "is flat over {n} sessions",
    "not_improving": "is not improving",
    "new": "has one session so far",
}


def _with_reason(
    tip: PracticeTip, program: Program, goal: MetricGoal | None
) -> PracticeTip:
    what = f"'{tip.scenario or tip.title}'"
    who = f"AI partner: {tip.partner}" if tip.partner else "AI partner"
    if goal is not None:
        label = PRACTICE_METRICS[goal.metric].label
        need = (
            f"{label} not measured yet"
            if tip.current is None
            else f"{metric_text(goal.metric, tip.current)} on average"
        )
        need += f", needs {goal.target:g}"
        if tip.sessions is not None:
            need += f" (about {tip.sessions} more sessions at your trend)"
    elif (dim := _DIMENSION.match(tip.requirement)) and tip.current is not None:
        title = next((d.title for d in program.dimensions if d.id == dim.group(1)), "")
        need = f"{title or dim.group(1)} {tip.current:.2f} of {tip.target:.2f}"
    else:
        need = tip.requirement
    parts = [f"practise {what} ({who}) for {tip.requirement}: {need}"]
    for note in tip.metrics:
        label = PRACTICE_METRICS[note.metric].label
        status = _STATUS_TEXT[note.status].format(n=note.sessions)
        value = _value(note.metric, note.value)
        parts.append(f"your {label} ({value} last session) {status}")
    return replace(tip, reason="; ".join(parts))
