"""Level gates: the variables they read, their values for a learner, and progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from levelwise.domain.expr import Comparison, Expr, Schema
from levelwise.domain.outcomes import GateValue
from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.domain.program import Gate, Program
from levelwise.domain.state import RECENT_SESSIONS, LearnerState

_MIN = 60.0

STATE_VARIABLES: dict[str, tuple[str, Callable[[LearnerState], object], str]] = {
    "xp": ("number", lambda s: s.xp, "XP earned"),
    "watch_minutes": ("number", lambda s: s.watch_seconds / _MIN, "recorded lessons"),
    "live_minutes": ("number", lambda s: s.live_seconds / _MIN, "live classes"),
    "practice_minutes": (
        "number",
        lambda s: s.practice_seconds / _MIN,
        "practice sessions",
    ),
    "study_minutes": (
        "number",
        lambda s: (s.watch_seconds + s.live_seconds + s.practice_seconds) / _MIN,
        "watch + live + practice",
    ),
    "live_interactions": ("number", lambda s: s.live_interactions, "mic/answer/..."),
    "homework_submitted": ("number", lambda s: s.homework_submitted, "homework"),
    "homework_average": (
        "number",
        lambda s: (
            s.homework_score_sum / s.homework_submitted if s.homework_submitted else 0.0
        ),
        "mean score/max_score",
    ),
    "questions_answered": ("number", lambda s: s.questions_answered, "questions"),
    "questions_correct": ("number", lambda s: s.questions_correct, "correct ones"),
    "accuracy": (
        "number",
        lambda s: (
            s.questions_correct / s.questions_answered if s.questions_answered else 0.0
        ),
        "share of correct answers",
    ),
    "units_completed": ("set", lambda s: s.units_completed, "completed unit ids"),
    "units_completed_count": (
        "number",
        lambda s: len(s.units_completed),
        "how many units",
    ),
    "active_days": ("number", lambda s: s.active_days, "study days with events"),
    "streak": ("number", lambda s: s.streak.length, "consecutive study days"),
    "best_streak": ("number", lambda s: s.streak.best, "longest streak"),
    "badges_earned": (
        "number",
        lambda s: sum(h.times for h in s.badges.values()),
        "badges earned (every award)",
    ),
}
"""Gate variables: name -> (type, getter, description)."""


def practice_metric(state: LearnerState, name: str) -> float | None:
    """The mean of metric ``name`` over the learner's latest practice sessions.

    Args:
        state: The learner.
        name: A practice metric's name.

    Returns:
        The mean of its values in the latest sessions that reported it (up to
        ``RECENT_SESSIONS``), or None when the learner never reported it:
        a gate reads that as unknown, so it does not hold.
    """
    values = state.practice_metrics.get(name)
    return sum(values) / len(values) if values else None


PRACTICE_VARIABLES: dict[str, str] = {
    name: f"{spec.label} ({spec.unit}), mean of the last {RECENT_SESSIONS} sessions"
    for name, spec in PRACTICE_METRICS.items()
}
"""Gate variables of practice metrics, by name, with descriptions. Each is a
number, unknown (the gate does not hold) until the learner reports it."""


def unit_score(state: LearnerState, unit: str) -> float | None:
    """The learner's best score ratio on ``unit`` (None: never scored).

    Args:
        state: The learner.
        unit: A unit's id.
    """
    scores = state.unit_scores.get(unit)
    return scores[0] if scores is not None else None


def passed_units(state: LearnerState, program: Program) -> frozenset[str]:
    """The units whose best score reaches their pass mark in ``program``.

    Args:
        state: The learner.
        program: The program that sets the pass marks.

    Returns:
        The ids of the scored units that declare a pass mark and whose best
        ratio is at least that mark (units without a pass mark never are).
    """
    if not state.unit_scores:
        return frozenset()
    units = program.unit_by_id
    return frozenset(
        uid
        for uid, (best, _) in state.unit_scores.items()
        if (unit := units.get(uid)) is not None
        and unit.pass_mark is not None
        and best >= unit.pass_mark
    )


UNIT_VARIABLES: dict[str, str] = {
    "passed": "units passed (best score at or above the unit's pass mark)",
    "unit_score": "a unit's best score, 0..1 (unit_score.ID; unknown until scored)",
}
"""Gate variables of scored units, with descriptions: ``passed`` is a set,
``unit_score`` a namespace of numbers over every unit of the program."""


_READS: dict[str, frozenset[str]] = {
    "watch_minutes": frozenset({"watch_seconds"}),
    "live_minutes": frozenset({"live_seconds"}),
    "practice_minutes": frozenset({"practice_seconds"}),
    "study_minutes": frozenset({"watch_seconds", "live_seconds", "practice_seconds"}),
    "homework_average": frozenset({"homework_submitted", "homework_score_sum"}),
    "accuracy": frozenset({"questions_answered", "questions_correct"}),
    "units_completed_count": frozenset({"units_completed"}),
    "best_streak": frozenset({"streak"}),
    "badges_earned": frozenset({"badges"}),
    **dict.fromkeys(PRACTICE_VARIABLES, frozenset({"practice_metrics"})),
    "passed": frozenset({"unit_scores"}),
}


@lru_cache(maxsize=1024)
def fields_read(names: frozenset[str]) -> frozenset[str]:
    """The learner-state fields that gate variables ``names`` are computed from."""
    fields: set[str] = set()
    for name in names:
        if name.startswith("dimension."):
            fields.add("abilities")
        elif name.startswith("mastery."):
            fields.add("mastery")
        elif name.startswith("unit_score."):
            fields.add("unit_scores")
        else:
            fields.update(_READS.get(name, (name,)))
    return frozenset(fields)


def gate_schema(program: Program) -> Schema:
    """The variables level gates may use in ``program``."""
    return Schema(
        variables={
            **{name: spec[0] for name, spec in STATE_VARIABLES.items()},
            **dict.fromkeys(PRACTICE_VARIABLES, "number"),
            "passed": "set",
        },
        namespaces={
            "dimension": {d.id: "number" for d in program.dimensions},
            "mastery": {k.id: "number" for k in program.knowledge_points},
            "unit_score": {u.id: "number" for u in program.units},
        },
        optional=frozenset(PRACTICE_VARIABLES)
        | {f"unit_score.{u.id}" for u in program.units},
    )


Prior = Callable[[str], float]
"""Mastery of a knowledge point that has no evidence yet, by knowledge point."""


def gate_env(
    state: LearnerState,
    names: Iterable[str],
    prior: Prior,
    program: Program,
) -> dict[str, object]:
    """Values of exactly the variables in ``names`` for ``state``.

    Args:
        state: The learner.
        names: Variable keys, e.g. ``xp`` or ``dimension.vocabulary``.
        prior: Mastery of a knowledge point that has no evidence yet.
        program: The learner's program, which sets the units' pass marks
            (``passed`` reads them).
    """
    return {name: gate_variable(state, name, prior, program) for name in names}


def gate_variable(
    state: LearnerState, name: str, prior: Prior, program: Program
) -> object:
    """The value of one gate variable for ``state`` (see :func:`gate_env`)."""
    read = _READERS.get(name)
    if read is None:
        read = _READERS[name] = _reader(name)
    return read(state, prior, program)


_Reader = Callable[[LearnerState, Prior, Program], object]
_READERS: dict[str, _Reader] = {}
"""How to read each gate variable, by name (built on first use)."""


def _reader(name: str) -> _Reader:
    if name.startswith("dimension."):
        dim = name[10:]
        return lambda state, _, __: state.abilities.get(dim, (0.0, 0.0))[0]
    if name.startswith("mastery."):
        kp = name[8:]

        def mastery(state: LearnerState, prior: Prior, _: Program) -> object:
            m = state.mastery.get(kp)
            return m.value if m is not None else prior(kp)

        return mastery
    if name.startswith("unit_score."):
        unit = name[11:]
        return lambda state, _, __: unit_score(state, unit)
    if name == "passed":
        return lambda state, _, program: passed_units(state, program)
    if name in PRACTICE_VARIABLES:
        return lambda state, _, __: practice_metric(state, name)
    getter = STATE_VARIABLES[name][1]
    return lambda state, _, __: getter(state)


def gates_hold(
    gates: Iterable[Gate],
    state: LearnerState,
    prior: Prior,
    program: Program,
) -> tuple[bool, dict[str, object]]:
    """Whether every gate holds, and the values read on the way.

    Variables are read gate by gate and the check stops at the first gate that
    fails, so a blocked level costs only the reads of its first failing gate.
    ``program`` sets the units' pass marks (see :func:`gate_env`).
    """
    env: dict[str, object] = {}
    for gate in gates:
        for name in gate.expr.names:
            if name not in env:
                env[name] = gate_variable(state, name, prior, program)
        if not gate.expr.evaluate(env):
            return False, env
    return True, env


def gate_values(gates: Iterable[Gate], env: dict[str, object]) -> tuple[GateValue, ...]:
    """Evaluate each gate with its current value, target and progress.

    A gate of several parts joined by ``and`` gets each part's value (see
    :class:`GateValue`), so the values that open a level are kept part by part.
    """
    values = []
    for gate in gates:
        met = bool(gate.expr.evaluate(env))
        parts = tuple(_part_value(part, env) for part in gate.expr.conjuncts())
        # The least progress; on a tie the first part (a gate of one part: itself).
        furthest = min(parts, key=lambda part: part.progress)
        values.append(
            GateValue(
                gate=gate.source,
                current=furthest.current,
                target=furthest.target,
                progress=1.0 if met else min(furthest.progress, 0.999999),
                met=met,
                parts=parts if len(parts) > 1 else (),
            )
        )
    return tuple(values)


def _part_value(part: Comparison | Expr, env: dict[str, object]) -> GateValue:
    if isinstance(part, Comparison):
        met = part.holds(env)
        current, target, progress = part.progress(env)
    else:
        met = bool(part.evaluate(env))
        current, target, progress = float(met), 1.0, float(met)
    return GateValue(
        gate=part.source,
        current=round(current, 6),
        target=round(target, 6),
        progress=round(1.0 if met else min(progress, 0.999999), 6),
        met=met,
    )
