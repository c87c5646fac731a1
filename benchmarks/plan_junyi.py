"""Planner benchmark on the Junyi prerequisite graph (835 exercises).

Run: ``python benchmarks/plan_junyi.py --junyi ../shared/data/junyi_prereq_graph``

It loads the exercise table as a program
(:func:`levelwise.app.modelling.junyi.load_junyi`),
builds learner states and times ``make_plan`` (to the next level) for each:

* fresh learners (the first level, every point at its prior);
* learners who worked through a random prefix of the topological order: each
  point of the prefix at a random mastery in [0.4, 1), its unit completed,
  XP of about 10 per unit studied, and the level their gates give them.

Reported: load time, plan time per learner (median, p95, max, in ms), plan
length (units, minutes), and, as the in-run reference, the time of a plain
topological sort of the same graph (:func:`levelwise.app.modelling.prereq_graph.
topological_order`, Kahn with a heap) with the ratio plan / reference.

Every plan is checked against the prerequisites: each step's knowledge points
need every prerequisite (outside the unit) either at the program's
``planning.ready_mastery`` in the initial state or trained by an earlier
step. Violations are counted and printed; the script exits 1 if there are any.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from types import MappingProxyType

from levelwise.app.guidance.plan import Plan, make_plan
from levelwise.app.modelling.junyi import load_junyi
from levelwise.app.modelling.prereq_graph import topological_order
from levelwise.domain.fold import default_model, initial_state, prior_for
from levelwise.domain.gates import gates_hold
from levelwise.domain.mastery import MasteryModel, dimension_abilities
from levelwise.domain.program import Program
from levelwise.domain.state import KpMastery, LearnerState, evolve
from levelwise.errors import PlanError


def seeded(model: MasteryModel, kp: str, value: float) -> KpMastery:
    """Mastery ``value`` on ``kp`` as after ten answers (evidence, not a prior)."""
    seed = getattr(model, "seeded", None)
    point = seed(kp, value) if seed is not None else KpMastery(value, 0.0, 0)
    return replace(point, attempts=10)


def with_level(
    program: Program, state: LearnerState, model: MasteryModel
) -> LearnerState:
    """The state at the highest level whose gates (and those below) hold."""
    prior = prior_for(state, model)
    level = 0
    while level + 1 < len(program.levels):
        opened, _ = gates_hold(program.levels[level + 1].gates, state, prior)
        if not opened:
            break
        level += 1
    return evolve(state, {"level": level})


def learners(
    program: Program, model: MasteryModel, order: tuple[str, ...], n: int, seed: int
) -> list[LearnerState]:
    rng = random.Random(seed)
    fresh = initial_state("fresh", program, model)
    states = [evolve(fresh, {"learner": f"fresh-{i}"}) for i in range(n // 4)]
    units = {
        kp: [u.id for u in program.units if kp in u.knowledge_points] for kp in order
    }
    while len(states) < n:
        prefix = order[: rng.randint(1, len(order) // 2)]
        mastery = {kp: seeded(model, kp, rng.uniform(0.4, 0.99)) for kp in prefix}
        done = frozenset(u for kp in prefix for u in units[kp])
        abilities = dimension_abilities(program, mastery, model)
        state = LearnerState(
            learner=f"prefix-{len(states)}",
            xp=10 * len(done),
            questions_answered=10 * len(done),
            questions_correct=7 * len(done),
            units_completed=done,
            mastery=MappingProxyType(mastery),
            abilities=MappingProxyType(abilities),
        )
        states.append(with_level(program, state, model))
    return states


def violations(
    program: Program, state: LearnerState, model: MasteryModel, plan: Plan
) -> int:
    ready = program.planning.ready_mastery
    trained: set[str] = set()
    bad = 0
    for step in plan.steps:
        unit = program.unit_by_id[step.unit]
        own = set(unit.knowledge_points)
        for kp in unit.knowledge_points:
            for pre in program.kp_by_id[kp].prerequisites:
                if pre in own or pre in trained:
                    continue
                m = state.mastery.get(pre)
                value = m.value if m is not None else model.initial(pre).value
                if value < ready:
                    bad += 1
        trained |= own
    return bad


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (
        f"median {statistics.median(values) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, "
        f"max {values[-1] * 1e3:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junyi", default="../shared/data/junyi_prereq_graph")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    loaded = load_junyi(args.junyi)
    load_s = time.perf_counter() - start
    program = loaded.program
    repair = loaded.report.repair
    model = default_model(program)
    order = topological_order(repair.nodes, repair.kept)
    states = learners(program, model, order, args.learners, args.seed)
    print(
        f"{program.id}: {len(program.knowledge_points)} points, {len(program.units)} "
        f"units, {len(repair.kept)} prerequisite edges, {len(program.levels)} levels; "
        f"loaded in {load_s:.2f} s; {len(states)} learners"
    )

    times: list[float] = []
    steps: list[int] = []
    fresh: list[int] = []
    minutes: list[float] = []
    bad = incomplete = top = 0
    for state in states:
        t0 = time.perf_counter()
        try:
            plan = make_plan(program, state, model)
        except PlanError:
            top += 1
            continue
        times.append(time.perf_counter() - t0)
        steps.append(len(plan.steps))
        if state.learner.startswith("fresh"):
            fresh.append(len(plan.steps))
        minutes.append(plan.minutes)
        incomplete += not plan.complete
        bad += violations(program, state, model, plan)

    ref: list[float] = []
    for _ in range(max(20, len(times))):
        t0 = time.perf_counter()
        topological_order(repair.nodes, repair.kept)
        ref.append(time.perf_counter() - t0)

    if not times:
        print("no plans: every learner is at the top level")
        return 1
    print(f"plans: {len(times)} ({top} at the top level, {incomplete} incomplete)")
    print(f"  plan time:  {ms(times)}")
    print(
        f"  plan size:  median {statistics.median(steps):g} units "
        f"(fresh learners {statistics.median(fresh) if fresh else 0:g}), "
        f"max {max(steps)}; median {statistics.median(minutes):g} minutes"
    )
    print(f"reference (topological sort of the graph): {ms(ref)}")
    ratio = statistics.median(times) / statistics.median(ref)
    print(f"ratio plan / reference (medians): {ratio:.1f}x")
    print(f"prerequisite violations: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
