"""The fold: ``fold(state, event, program) -> (state, outcomes)``, pure and exact.

No clock, randomness or I/O: time is event data, so the same log and program
always give the same state and the same outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from functools import singledispatch
from types import MappingProxyType
from typing import cast

from levelwise.domain import recognition
from levelwise.domain.events import (
    EnrolmentStarted,
    Event,
    EventVoided,
    HomeworkSubmitted,
    LessonWatched,
    LiveAttended,
    LiveCredited,
    LiveInteracted,
    PlacementCompleted,
    PracticeCompleted,
    ProfileUpdated,
    QuestionAnswered,
    TeamRewarded,
    UnitFinished,
    XapiStatement,
)
from levelwise.domain.gates import (
    Prior,
    fields_read,
    gate_env,
    gate_values,
    gates_hold,
)
from levelwise.domain.mastery import (
    MasteryModel,
    PerPointMastery,
    dimension_abilities,
    model_for,
)
from levelwise.domain.outcomes import (
    AbilityMeasured,
    LevelLost,
    LevelPlaced,
    LevelReached,
    MinutesCredited,
    Outcome,
    PkScored,
    Receipt,
    UnitCompleted,
    Voided,
    XpAwarded,
)
from levelwise.domain.placed import placed_level, placed_priors
from levelwise.domain.program import Measurement, Program
from levelwise.domain.state import (
    RECENT_SESSIONS,
    LearnerState,
    LevelStamp,
    PlacementRecord,
    StateChanges,
    evolve,
)
from levelwise.domain.xapi import event_of, verb_name
from levelwise.domain.xp import award_xp


def default_model(program: Program) -> MasteryModel:
    """The mastery model the program's settings ask for."""
    return model_for(program.mastery, (k.id for k in program.knowledge_points))


def initial_state(
    learner: str, program: Program, model: MasteryModel | None = None
) -> LearnerState:
    """A learner before any event: first level, no XP, prior abilities."""
    model = model or default_model(program)
    abilities = dimension_abilities(program, {}, model)
    return LearnerState(learner=learner, abilities=MappingProxyType(abilities))


def fold(
    state: LearnerState,
    event: Event,
    program: Program,
    model: MasteryModel | None = None,
    voided: AbstractSet[str] = frozenset(),
) -> tuple[LearnerState, tuple[Outcome, ...]]:
    """Apply one event to a learner's state.

    A learner's state is the fold of their time-sorted log without the events
    voided in it (``event.voided``): an event in ``voided`` or in
    ``state.voided`` is passed over (its effect is only noted, for the
    voiding's receipt). An ``xapi.statement`` folds as the event the
    program's ``xapi`` mapping says it stands for, its XP receipts naming the
    statement; one the mapping does not cover changes nothing.

    Args:
        state: The learner's state before the event.
        event: The event; it must belong to ``state.learner``.
        program: The compiled program.
        model: The mastery model (default: the program's running estimate).
        voided: The ids of events voided anywhere in the learner's log (see
            :func:`voided_in`), so that an event voided later in time is
            passed over too.

    Returns:
        The new state and what was decided (XP with receipts, units, levels).
    """
    model = model or default_model(program)
    if (voided or state.voided) and (event.id in voided or event.id in state.voided):
        return _passed_over(state, event, program, model), ()
    kind = type(event)
    if kind is XapiStatement:
        return _statement(state, cast("XapiStatement", event), program, model)
    if kind is EventVoided:
        return _voiding(state, cast("EventVoided", event))
    return _fold(state, event, program, model)


def voided_in(events: Iterable[Event]) -> frozenset[str]:
    """The ids of the events that voiding events among ``events`` void."""
    return frozenset(e.target for e in events if isinstance(e, EventVoided))


def learning_events(events: Iterable[Event], program: Program | None) -> list[Event]:
    """A learner's events as the learning events they are, for readers of the log.

    An ``xapi.statement`` becomes the event ``program``'s mapping says it
    stands for (none when unmapped); voided events and voidings are left out.
    Team tasks, plans and model fitting read the log through this, so that
    they see what the fold sees.

    Args:
        events: One learner's events, in log order.
        program: The program whose ``xapi`` mapping reads statements (None:
            statements are left out too).
    """
    listed = list(events)
    voided = voided_in(listed)
    found: list[Event] = []
    for event in listed:
        if event.id in voided or isinstance(event, EventVoided):
            continue
        if isinstance(event, XapiStatement):
            if program is None:
                continue
            inner, _ = event_of(program, event)
            if inner is not None:
                found.append(inner)
            continue
        found.append(event)
    return found


def _statement(
    state: LearnerState, event: XapiStatement, program: Program, model: MasteryModel
) -> tuple[LearnerState, tuple[Outcome, ...]]:
    """Fold the event a statement stands for; an unmapped one changes nothing."""
    inner, found = event_of(program, event)
    if inner is None:
        return state, ()
    new, outcomes = _fold(state, inner, program, model)
    source = f"xAPI statement {event.id} ({verb_name(found.verb)})"
    return new, tuple(
        replace(o, receipt=replace(o.receipt, source=source))
        if isinstance(o, XpAwarded)
        else o
        for o in outcomes
    )


def _voiding(
    state: LearnerState, event: EventVoided
) -> tuple[LearnerState, tuple[Outcome, ...]]:
    """Note the voided target; the receipt says what it had given, when known.

    The target's effect is gone because the fold passes over it (the log is
    re-folded from before it when the voiding arrives); a voiding is no study
    and gives nothing itself.
    """
    at = event.sort_key[0]
    voided = dict(state.voided)
    had = voided.setdefault(event.target, ())
    changes: StateChanges = {
        "events": state.events + 1,
        "last_key": (at, event.id),
        "voided": MappingProxyType(voided),
    }
    outcome = Voided(
        event.id,
        event.learner,
        at,
        event.target,
        had[0] if had else "event",
        had[1:],
        known=bool(had),
    )
    return evolve(state, changes), (outcome,)


def _passed_over(
    state: LearnerState, event: Event, program: Program, model: MasteryModel
) -> LearnerState:
    """A voided event: note what it would have given here, change nothing else."""
    inner: Event | None = event
    about = "event"
    if isinstance(event, XapiStatement):
        about = "xAPI statement"
        inner = event_of(program, event)[0]
    phrases: list[str] = []
    if inner is not None and not isinstance(inner, EventVoided):
        outcomes = _fold(state, inner, program, model)[1]
        xp = sum(o.xp for o in outcomes if isinstance(o, XpAwarded))
        if xp:
            phrases.append(f"{xp} XP")
        phrases.append(_what(inner))
    voided = dict(state.voided)
    voided[event.id] = (about, *phrases)
    return evolve(state, {"voided": MappingProxyType(voided)})


def _what(event: Event) -> str:
    """What an event counts for, as a receipt names it (``answer on kana``)."""
    if isinstance(event, QuestionAnswered):
        return f"answer on {event.knowledge_point}"
    if isinstance(event, LessonWatched):
        return f"{event.seconds:g} s watched"
    if isinstance(event, LiveAttended | LiveCredited):
        return f"{event.seconds:g} live seconds"
    if isinstance(event, PracticeCompleted):
        return f"{event.seconds:g} s of practice"
    if isinstance(event, HomeworkSubmitted):
        return f"score on {event.unit}" if event.unit else "homework score"
    if isinstance(event, UnitFinished):
        return f"completion of {event.unit}"
    if isinstance(event, LiveInteracted):
        return "live interaction"
    return f"{event.TYPE} event"


def _fold(
    state: LearnerState, event: Event, program: Program, model: MasteryModel
) -> tuple[LearnerState, tuple[Outcome, ...]]:
    """Apply one event that is folded as itself (see :func:`fold`)."""
    at = event.sort_key[0]
    changes: StateChanges = {"events": state.events + 1, "last_key": (at, event.id)}
    local = recognition.event_local(event, state)
    day = recognition.event_day(local, state, program)
    study_day = program.recognition.study_day
    if day != state.day:
        changes["day"] = day
        changes["xp_today"] = MappingProxyType({})
        if study_day is None:  # else the day counts once its tallies say so
            changes["active_days"] = state.active_days + 1
    outcomes: list[Outcome] = []
    flags = recognition.flags_for(event, state, changes, program)
    _track(event, state, changes, program, model, outcomes, at)
    award_xp(event, state, changes, program, outcomes, at, local, flags)
    recognition.clean_changes(event, state, changes, flags, at)
    if study_day is None or recognition.tally_changes(
        event, state, changes, study_day, day
    ):
        recognition.streak_changes(event, state, changes, program, outcomes, at, day)
    moved = recognition.count_badges(
        event, state, changes, program, outcomes, at, day, local
    )
    new = evolve(state, changes)
    if (
        state.events == 0
        or program.can_go_down
        or "placement" in changes  # new priors may open gates that read mastery
        or _may_open(changes, program, state)
    ):
        new = _settle_level(new, event, program, model, outcomes, at)
    if program.badges or program.titles:
        changed: AbstractSet[str] = changes.keys()
        if new.level != state.level or moved:
            changed = changed | {"level", "badges"}
        new = recognition.settle_badges_and_title(
            new,
            changed,
            event,
            program,
            lambda: prior_for(new, model),
            outcomes,
            at,
            day,
        )
    return new, tuple(outcomes)


def _may_open(changes: StateChanges, program: Program, state: LearnerState) -> bool:
    """Whether the change touched anything the next level's gates read."""
    nxt = state.level + 1
    if nxt >= len(program.levels):
        return False
    return not fields_read(program.level_variables[nxt]).isdisjoint(changes)


def fold_all(
    events: Iterable[Event],
    program: Program,
    state: LearnerState | None = None,
    model: MasteryModel | None = None,
) -> tuple[LearnerState | None, list[Outcome]]:
    """Fold events (already in ``(occurred_at, id)`` order) from ``state``.

    The events voided among them are passed over (:func:`fold`).
    """
    model = model or default_model(program)
    outcomes: list[Outcome] = []
    events = list(events)
    voided = voided_in(events)
    for event in events:
        if state is None:
            state = initial_state(event.learner, program, model)
        state, produced = fold(state, event, program, model, voided)
        outcomes.extend(produced)
    return state, outcomes


@singledispatch
def _track(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    outcomes: list[Outcome],
    at: str,
) -> None:
    """Record what ``event`` changes beyond XP and recognition (one per type).

    This fallback serves the event types that change nothing here (such as
    ``subscription.renewed``); the rest of the fold (the event count, XP rules,
    badges) still applies to them.
    """


@_track.register
def _(
    event: EnrolmentStarted,  # noqa: ARG001 - the dispatch signature
    state: LearnerState,
    changes: StateChanges,
    *_: object,
) -> None:
    if not state.enrolled_at:
        changes["enrolled_at"] = changes["last_key"][0]


@_track.register
def _(
    event: ProfileUpdated, state: LearnerState, changes: StateChanges, *_: object
) -> None:
    recognition.profile_changes(event, state, changes)


@_track.register
def _(
    event: LessonWatched, state: LearnerState, changes: StateChanges, *_: object
) -> None:
    changes["watch_seconds"] = state.watch_seconds + event.seconds


@_track.register
def _(
    event: LiveAttended, state: LearnerState, changes: StateChanges, *_: object
) -> None:
    changes["live_seconds"] = state.live_seconds + event.seconds


@_track.register
def _(
    event: LiveCredited,
    state: LearnerState,
    changes: StateChanges,
    program: Program,  # noqa: ARG001 - the dispatch signature
    model: MasteryModel,  # noqa: ARG001 - the dispatch signature
    outcomes: list[Outcome],
    at: str,
) -> None:
    # Credited time is attendance the network took: it counts as attended
    # (the call-quality service applied the program's live_quality policy).
    changes["live_seconds"] = state.live_seconds + event.seconds
    outcomes.append(
        MinutesCredited(
            event.id,
            event.learner,
            at,
            event.seconds,
            event.reason,
            event.live_class,
            event.unit,
        )
    )


@_track.register
def _(
    event: PracticeCompleted,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    outcomes: list[Outcome],
    at: str,
) -> None:
    changes["practice_seconds"] = state.practice_seconds + event.seconds
    if not event.metrics:
        return
    recent = dict(state.practice_metrics)
    for name, value in event.metrics:
        recent[name] = (*recent.get(name, ())[1 - RECENT_SESSIONS :], value)
    changes["practice_metrics"] = MappingProxyType(recent)
    if event.unit is None:
        return
    reported = dict(event.metrics)
    for measurement in program.practice.measurements:
        found = _measured(
            event, state, changes, program, model, at, measurement, reported
        )
        if found is not None:
            outcomes.append(found)


def _measured(
    event: PracticeCompleted,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    at: str,
    measurement: Measurement,
    reported: dict[str, float],
) -> AbilityMeasured | None:
    """Apply one measurement of a practice session as evidence, if it can be.

    The measurement's score is the mean of its reported metrics' scores at the
    learner's level; it is evidence for each of the unit's knowledge points
    that feed its dimension, as a scored answer with that score would be.
    """
    used = [
        (norm.metric, reported[norm.metric], norm.full[state.level], norm)
        for norm in measurement.metrics
        if norm.metric in reported
    ]
    if not used:
        return None
    dim = measurement.dimension
    unit = program.unit_by_id[event.unit or ""]
    kps = [
        kp
        for kp in unit.knowledge_points
        if any(d == dim for d, _ in program.kp_by_id[kp].dimensions)
    ]
    if not kps:
        return None
    score = sum(norm.score(value, state.level) for _, value, _, norm in used)
    score /= len(used)
    before = changes.get("abilities", state.abilities).get(dim, (0.0, 0.0))[0]
    _evidence(state, changes, program, model, [(kp, score) for kp in kps], None)
    return AbilityMeasured(
        event_id=event.id,
        learner=event.learner,
        at=at,
        measurement=measurement.id,
        dimension=dim,
        title=next(d.title for d in program.dimensions if d.id == dim),
        score=round(score, 6),
        before=round(before, 6),
        after=round(changes["abilities"].get(dim, (0.0, 0.0))[0], 6),
        metrics=tuple((name, value, full) for name, value, full, _ in used),
    )


@_track.register
def _(
    event: LiveInteracted,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    outcomes: list[Outcome],
    at: str,
) -> None:
    changes["live_interactions"] = state.live_interactions + 1
    if event.kind == "pk" and event.pk is not None:
        outcomes.append(pk_scored(event, at))
    if event.correct is not None and event.unit is not None:
        score = 1.0 if event.correct else 0.0
        kps = program.unit_by_id[event.unit].knowledge_points
        _evidence(state, changes, program, model, [(kp, score) for kp in kps], None)


@_track.register
def _(
    event: HomeworkSubmitted,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    *_: object,
) -> None:
    ratio = min(max(event.score / event.max_score, 0.0), 1.0)
    unit = program.unit_by_id[event.unit] if event.unit is not None else None
    # A test unit (a mock test) is scored like homework but is no homework.
    if unit is None or unit.kind != "test":
        changes["homework_submitted"] = state.homework_submitted + 1
        changes["homework_score_sum"] = round(state.homework_score_sum + ratio, 9)
    if unit is not None:
        best = state.unit_scores.get(unit.id, (ratio, ratio))[0]
        scores = dict(state.unit_scores)
        scores[unit.id] = (max(best, ratio), ratio)
        changes["unit_scores"] = MappingProxyType(scores)
        kps = unit.knowledge_points
        _evidence(state, changes, program, model, [(kp, ratio) for kp in kps], None)


@_track.register
def _(
    event: QuestionAnswered,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    *_: object,
) -> None:
    changes["questions_answered"] = state.questions_answered + 1
    if event.correct:
        changes["questions_correct"] = state.questions_correct + 1
    score = 1.0 if event.correct else 0.0
    _evidence(
        state, changes, program, model, [(event.knowledge_point, score)], event.item
    )


@_track.register
def _(
    event: UnitFinished,
    state: LearnerState,
    changes: StateChanges,
    program: Program,  # noqa: ARG001 - the dispatch signature
    model: MasteryModel,  # noqa: ARG001 - the dispatch signature
    outcomes: list[Outcome],
    at: str,
) -> None:
    if event.unit is not None and event.unit not in state.units_completed:
        changes["units_completed"] = state.units_completed | {event.unit}
        outcomes.append(UnitCompleted(event.id, event.learner, at, event.unit))


@_track.register
def _(
    event: TeamRewarded,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,  # noqa: ARG001 - the dispatch signature
    outcomes: list[Outcome],
    at: str,
) -> None:
    # The task's reward, with a receipt that names it (no cap, no repeats: the
    # team-task service posts one per member, task and window).
    task = program.task_by_id.get(event.task)
    reward = task.reward_xp if task is not None else 0
    if reward <= 0:
        return
    total = state.xp + reward
    changes["xp"] = total
    receipt = Receipt(
        rule=f"task:{event.task}",
        formula="team task reward",
        inputs=(),
        base=float(reward),
        factor=1.0,
        repeat=0,
        daily_cap=None,
        earned_today=0,
        capped=False,
        xp=reward,
    )
    outcomes.append(XpAwarded(event.id, event.learner, at, reward, total, receipt))


@_track.register
def _(
    event: PlacementCompleted,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,  # noqa: ARG001 - the dispatch signature
    outcomes: list[Outcome],
    at: str,
) -> None:
    theta = {dim: (value, se) for dim, value, se in event.abilities}
    index, evidence = placed_level(program, theta)
    levels = program.levels
    changes["placement"] = PlacementRecord(
        level=levels[index].id if index is not None else "",
        event_id=event.id,
        at=at,
        items=event.items,
        abilities=event.abilities,
        priors=placed_priors(program, state, theta),
        session=event.session,
    )
    # Placement only ever raises: a learner already at or past the placed
    # level keeps theirs (whatever ``can_go_down`` says).
    if index is None or index <= state.level:
        return
    level = levels[index]
    outcomes.append(
        LevelPlaced(
            event.id,
            event.learner,
            at,
            level.id,
            level.title,
            levels[state.level].id,
            evidence,
        )
    )
    changes["level"] = index
    changes["history"] = (*state.history, LevelStamp(level.id, at, event.id, "placed"))


def pk_scored(event: LiveInteracted, at: str) -> PkScored:
    """The points of a group PK answer (see :class:`PkScored`)."""
    points = 0
    if event.correct:
        seconds = -(-(event.response_ms or 0) // 1000)  # started seconds
        points = 10 + max(0, 10 - seconds)
    team = event.team or ""
    return PkScored(
        event.id, event.learner, at, event.pk or "", team, event.round or 1, points
    )


def prior_for(state: LearnerState, model: MasteryModel) -> Prior:
    """Mastery of a point without evidence: its placed prior, else the model's."""
    placed = dict(state.placement.priors) if state.placement is not None else {}

    def prior(kp: str) -> float:
        value = placed.get(kp)
        return value if value is not None else model.initial(kp).value

    return prior


def _evidence(
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    model: MasteryModel,
    scores: list[tuple[str, float]],
    item: str | None,
) -> None:
    if not scores:
        return
    # Evidence earlier in the same event (another measurement) is built on.
    mastery = dict(changes.get("mastery", state.mastery))
    model_state = changes.get("model_state", state.model_state)
    if model.learner_level:
        for kp, score in scores:
            model_state, changed = model.observe(model_state, mastery, kp, score, item)
            mastery.update(changed)
        changes["model_state"] = model_state
        changes["mastery"] = MappingProxyType(mastery)
        # Every point may have moved: recompute the abilities from scratch, so
        # they equal a fresh computation from the state.
        fresh = dimension_abilities(program, mastery, model)
        changes["abilities"] = MappingProxyType(fresh)
        return
    abilities = dict(changes.get("abilities", state.abilities))
    kps = program.kp_by_id
    totals = program.dimension_totals
    placed = dict(state.placement.priors) if state.placement is not None else {}
    for kp, score in scores:
        before = mastery.get(kp)
        if before is None:
            # The abilities hold the model's prior for a point without evidence.
            before = model.initial(kp)
            if kp in placed and isinstance(model, PerPointMastery):
                mastery[kp] = model.seeded(kp, placed[kp])  # start where placed
        model_state, changed = model.observe(model_state, mastery, kp, score, item)
        after = changed[kp]
        mastery[kp] = after
        # A dimension's ability is the weighted mean of its knowledge points,
        # so one point's change moves it by weight x change / total: O(1).
        for dim, weight in kps[kp].dimensions:
            total = totals[dim]
            mean, sd = abilities[dim]
            var = (sd * total) ** 2 + weight**2 * (after.sd**2 - before.sd**2)
            abilities[dim] = (
                mean + weight * (after.value - before.value) / total,
                math.sqrt(max(var, 0.0)) / total,
            )
    changes["mastery"] = MappingProxyType(mastery)
    changes["abilities"] = MappingProxyType(abilities)


def _settle_level(
    state: LearnerState,
    event: Event,
    program: Program,
    model: MasteryModel,
    outcomes: list[Outcome],
    at: str,
) -> LearnerState:
    prior = prior_for(state, model)
    levels = program.levels
    while state.level + 1 < len(levels):
        nxt = state.level + 1
        opened, env = gates_hold(levels[nxt].gates, state, prior, program)
        if not opened:
            break
        values = gate_values(levels[nxt].gates, env)
        level = levels[nxt]
        outcomes.append(
            LevelReached(
                event.id,
                event.learner,
                at,
                level.id,
                level.title,
                levels[state.level].id,
                values,
            )
        )
        stamp = LevelStamp(level.id, at, event.id)
        state = replace(state, level=nxt, history=(*state.history, stamp))
    floor = 0  # a placed learner never falls below their placed level
    if state.placement is not None and state.placement.level:
        floor = [lvl.id for lvl in levels].index(state.placement.level)
    while program.can_go_down and state.level > floor:
        gates = levels[state.level].gates
        if gates_hold(gates, state, prior, program)[0]:
            break
        env = gate_env(state, program.level_variables[state.level], prior, program)
        lower = levels[state.level - 1]
        outcomes.append(
            LevelLost(
                event.id,
                event.learner,
                at,
                lower.id,
                levels[state.level].id,
                gate_values(gates, env),
            )
        )
        stamp = LevelStamp(lower.id, at, event.id, "down")
        state = replace(state, level=state.level - 1, history=(*state.history, stamp))
    return state
