"""Plans: prerequisites, gates met in expectation, effort gates, sub-goals, errors."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from levelwise.app.guidance.draft import expected_state
from levelwise.app.guidance.plan import Plan, make_plan, requirements_at
from levelwise.app.programs.loader import load_program
from levelwise.domain.events import Event, QuestionAnswered, UnitFinished
from levelwise.domain.fold import default_model, fold_all, initial_state, prior_for
from levelwise.domain.gates import gates_hold
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState, evolve
from levelwise.errors import PlanError
from tests.support.factories import SMALL_PROGRAM

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KINDS = ("lesson", "exercise", "live_class", "homework", "practice", "quiz")
XP_RULES = SMALL_PROGRAM[SMALL_PROGRAM.index("xp_rules:") :]
SEEDS = range(20)


def random_program(seed: int) -> Program:
    """A small program over a random prerequisite DAG with random gates.

    Its requirements can all be met: each point has an exercise of its own
    (prerequisites first), and a lesson gives study minutes.
    """
    rng = random.Random(seed)
    n = rng.randint(4, 8)
    kps = [f"k{i}" for i in range(n)]
    lines = [
        f"program: dag-{seed}",
        "dimensions:",
        "  - id: d1",
        "  - id: d2",
        "knowledge_points:",
    ]
    for i, kp in enumerate(kps):
        pres = rng.sample(kps[:i], min(i, rng.randint(0, 2)))
        dims = rng.choice(["[d1]", "[d2]", "{d1: 1, d2: 2}"])
        lines.append(f"  - {{id: {kp}, dimensions: {dims}, prerequisites: {pres}}}")
    lines.append("units:")
    units = []
    for j in range(rng.randint(n, n + 4)):
        covered = sorted(rng.sample(kps, rng.randint(1, 2)))
        kind = rng.choice(KINDS)
        minutes = rng.choice([10, 15, 20, 30])
        units.append(f"u{j}")
        lines.append(
            f"  - {{id: u{j}, kind: {kind}, minutes: {minutes}, "
            f"knowledge_points: [{', '.join(covered)}]}}"
        )
    # Every point has an exercise of its own and one lesson trains nothing, so
    # every requirement can be met once prerequisites are raised.
    for kp in kps:
        lines.append(
            f"  - {{id: ex-{kp}, kind: exercise, minutes: 10, "
            f"knowledge_points: [{kp}]}}"
        )
    lines.append("  - {id: talk, kind: lesson, minutes: 15}")
    deep = kps[-1]
    lines += [
        "levels:",
        "  - id: l0",
        "  - id: l1",
        "    gates:",
        f"      - xp >= {rng.choice([60, 120, 200])}",
        f"      - mastery.{deep} >= {rng.choice([0.4, 0.5, 0.6])}",
        "  - id: l2",
        "    gates:",
        f"      - dimension.d1 >= {rng.choice([0.4, 0.5])}",
        f"      - units_completed includes [{rng.choice(units)}]",
        f"      - study_minutes >= {rng.choice([30, 90])}",
        XP_RULES,
    ]
    return load_program("\n".join(lines), f"dag-{seed}.yaml")


def random_state(program: Program, seed: int) -> LearnerState:
    """A learner after random answers and completions (folded, so realistic)."""
    rng = random.Random(1000 + seed)
    events: list[Event] = []
    for i in range(rng.randint(0, 25)):
        at = T0 + timedelta(minutes=i)
        if rng.random() < 0.15:
            unit = rng.choice(program.units).id
            events.append(
                UnitFinished(id=f"e{i}", learner="x", occurred_at=at, unit=unit)
            )
        else:
            events.append(
                QuestionAnswered(
                    id=f"e{i}",
                    learner="x",
                    occurred_at=at,
                    item=f"q{i}",
                    knowledge_point=rng.choice(program.knowledge_points).id,
                    correct=rng.random() < 0.6,
                )
            )
    state, _ = fold_all(events, program)
    return state or initial_state("x", program)


def mastery_in(state: LearnerState, kp: str, model) -> float:
    m = state.mastery.get(kp)
    return m.value if m is not None else prior_for(state, model)(kp)


def plans(seed: int) -> tuple[Program, LearnerState, Plan] | None:
    program = random_program(seed)
    state = random_state(program, seed)
    if state.level + 1 >= len(program.levels):
        return None
    return program, state, make_plan(program, state, target="l2")


@pytest.mark.parametrize("seed", SEEDS)
def test_plans_never_violate_prerequisites(seed):
    made = plans(seed)
    assert made is not None
    program, state, plan = made
    model = default_model(program)
    ready = program.planning.ready_mastery
    units = [s.unit for s in plan.steps]
    checked = 0
    for i, uid in enumerate(units):
        before = expected_state(program, state, units[:i], model)
        unit = program.unit_by_id[uid]
        for kp in unit.knowledge_points:
            for pre in program.kp_by_id[kp].prerequisites:
                if pre not in unit.knowledge_points:
                    checked += 1
                    value = mastery_in(before, pre, model)
                    assert value >= ready, (seed, i, uid, pre, value)
    assert plan.steps or plan.complete


def test_the_random_programs_exercise_prerequisites():
    """At least some of the random plans study units with outside prerequisites."""
    with_pres = 0
    for seed in SEEDS:
        made = plans(seed)
        assert made is not None
        program, _, plan = made
        for step in plan.steps:
            unit = program.unit_by_id[step.unit]
            own = set(unit.knowledge_points)
            if any(
                set(program.kp_by_id[k].prerequisites) - own
                for k in unit.knowledge_points
            ):
                with_pres += 1
                break
    assert with_pres >= len(SEEDS) // 2


@pytest.mark.parametrize("seed", SEEDS)
def test_a_complete_plan_meets_every_gate_in_expectation(seed):
    made = plans(seed)
    assert made is not None
    program, state, plan = made
    model = default_model(program)
    after = expected_state(program, state, [s.unit for s in plan.steps], model)
    if not plan.complete:
        pytest.fail(f"seed {seed}: incomplete plan, unmet {plan.expected}")
    for level in program.levels[state.level + 1 :]:
        held, env = gates_hold(level.gates, after, prior_for(after, model), program)
        assert held, (seed, level.id, env)
    assert all(r.met for r in plan.expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_minutes_totals_and_reasons_add_up(seed):
    made = plans(seed)
    assert made is not None
    _, _, plan = made
    assert plan.minutes == pytest.approx(sum(s.minutes for s in plan.steps))
    running = 0.0
    sources = {r.source for r in plan.now}
    for step in plan.steps:
        running += step.minutes
        assert step.total_minutes == pytest.approx(running)
        assert step.serves, step
        named = step.serves[0][0]
        assert named in step.reason
        # A requirement of the plan, or a sub-goal raising a prerequisite.
        assert named in sources or named.startswith("mastery."), named
        for _, before, after in step.serves:
            assert 0 <= before < after <= 1
    met_at = dict(plan.met_at)
    assert set(met_at) == sources
    if plan.binding is not None:
        assert met_at[plan.binding] == max(met_at.values())


def small(**replace: str) -> Program:
    text = SMALL_PROGRAM
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    return load_program(text, "tiny.yaml")


def test_effort_gates_are_planned_with_units_that_give_the_effort():
    program = load_program(
        SMALL_PROGRAM.replace(
            "      - xp >= 100\n      - units_completed includes [u1]\n",
            "      - live_minutes >= 100\n",
        ),
        "live.yaml",
    )
    state = initial_state("x", program)

    plan = make_plan(program, state)

    assert plan.complete
    assert {s.kind for s in plan.steps} == {"live_class"}
    assert sum(s.minutes for s in plan.steps) >= 100
    after = expected_state(program, state, [s.unit for s in plan.steps])
    assert after.live_seconds / 60 >= 100
    assert plan.steps[0].reason.endswith("live_minutes >= 100")


def test_a_blocked_unit_waits_for_its_prerequisites_as_sub_goals():
    program = load_program(
        SMALL_PROGRAM.replace(
            "      - xp >= 100\n      - units_completed includes [u1]\n",
            "      - units_completed includes [u2]\n",
        ),
        "blocked.yaml",
    )
    state = initial_state("x", program)
    model = default_model(program)
    assert mastery_in(state, "greetings", model) < program.planning.ready_mastery

    plan = make_plan(program, state)

    units = [s.unit for s in plan.steps]
    assert plan.complete and units[-1] == "u2" and units.count("u2") == 1
    sub_goal = f"mastery.greetings >= {program.planning.ready_mastery}"
    assert any(src == sub_goal for s in plan.steps[:-1] for src, _, _ in s.serves)
    before = expected_state(program, state, units[:-1], model)
    assert mastery_in(before, "greetings", model) >= program.planning.ready_mastery
    # The sub-goal is the plan's own: it is not a requirement of the level.
    assert sub_goal not in {r.source for r in plan.now}


def test_plan_errors_name_the_problem():
    program = load_program(SMALL_PROGRAM, "tiny.yaml")
    state = initial_state("x", program)
    with pytest.raises(PlanError, match=r"unknown level 'c1'; levels: starter, a1, a2"):
        make_plan(program, state, target="c1")
    with pytest.raises(PlanError, match=r"x has already reached starter \(starter\)"):
        make_plan(program, state, target="starter")
    top = evolve(state, {"level": 2})
    with pytest.raises(PlanError, match=r"x is at the top level \(a2\)"):
        make_plan(program, top)
    with pytest.raises(PlanError, match="already reached a1"):
        make_plan(program, top, target="a1")


def test_met_requirements_give_an_empty_complete_plan_without_binding():
    program = load_program(SMALL_PROGRAM, "tiny.yaml")
    state = evolve(
        initial_state("x", program), {"xp": 150, "units_completed": frozenset({"u1"})}
    )

    plan = make_plan(program, state)

    assert (plan.steps, plan.minutes, plan.complete, plan.binding) == (
        (),
        0,
        True,
        None,
    )
    assert [m for _, m in plan.met_at] == [0.0, 0.0]


def test_a_plan_cut_short_is_incomplete_and_names_what_binds():
    program = load_program(SMALL_PROGRAM, "tiny.yaml")

    plan = make_plan(program, initial_state("x", program), target="a2", max_steps=1)

    assert len(plan.steps) == 1 and not plan.complete
    assert plan.binding is not None
    assert dict(plan.met_at)[plan.binding] == float("inf")
    assert not all(r.met for r in plan.expected)


def test_requirements_at_measures_the_plan_in_an_earlier_state():
    program = load_program(SMALL_PROGRAM, "tiny.yaml")
    start = initial_state("x", program)
    later = evolve(start, {"xp": 80})
    plan = make_plan(program, later, target="a2")

    then = requirements_at(program, start, plan)
    now = requirements_at(program, later, plan)

    assert now == plan.now
    assert [r.source for r in then] == [r.source for r in plan.now]
    assert then[0].current == 0 and plan.now[0].current == 80
    assert then[0].progress < plan.now[0].progress


def test_gains_name_the_model_the_plan_assumes():
    running = load_program(SMALL_PROGRAM, "tiny.yaml")
    fitted = load_program(
        SMALL_PROGRAM
        + "mastery:\n  model: bkt\n  bkt:\n"
        + "    greetings: {prior: 0.2, learn: 0.3, guess: 0.2, slip: 0.1}\n",
        "bkt.yaml",
    )

    plain = make_plan(running, initial_state("x", running), target="a2")
    bkt = make_plan(fitted, initial_state("x", fitted), target="a2")

    assert plain.gains.startswith("BKT defaults")
    assert bkt.gains == "fitted BKT learn rates"
    assert bkt.complete and plain.complete
