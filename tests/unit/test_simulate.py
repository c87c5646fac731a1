"""The learner simulator: seeds, common random numbers, policies and the report."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from levelwise.app.guidance.plan import ready_units
from levelwise.app.guidance.study import study_events
from levelwise.app.programs.loader import load_program, load_program_file
from levelwise.app.simulate import policies as simulate_policies
from levelwise.app.simulate.policies import FixedSyllabus, RandomReady, stages
from levelwise.app.simulate.report import (
    Reduction,
    Summary,
    bootstrap_median,
    cycles,
    planner_line,
    summarize,
    svg,
)
from levelwise.app.simulate.simulator import (
    MAX_GUESS_SLIP,
    START,
    Calibration,
    LearnerRun,
    Simulation,
    calibrate,
    make_learners,
    simulate,
)
from levelwise.cli.simulate import simulate as simulate_command
from levelwise.domain.fold import default_model, fold, initial_state
from tests.support.factories import SMALL_PROGRAM

ONE_PATH = """\
program: one-path
version: "1"
title: One path
dimensions:
  - id: skill
knowledge_points:
  - id: a
    dimensions: [skill]
  - id: b
    dimensions: [skill]
    prerequisites: [a]
  - id: z
    dimensions: [skill]
units:
  - {id: d1, kind: lesson, minutes: 10, knowledge_points: [z]}
  - {id: d2, kind: lesson, minutes: 10, knowledge_points: [z]}
  - {id: d3, kind: lesson, minutes: 10, knowledge_points: [z]}
  - {id: d4, kind: lesson, minutes: 10, knowledge_points: [z]}
  - {id: ua, kind: exercise, minutes: 10, knowledge_points: [a]}
  - {id: ub, kind: exercise, minutes: 10, knowledge_points: [b]}
levels:
  - id: start
  - id: next
    gates:
      - mastery.b >= 0.8
xp_rules:
  - id: done
    on: unit.completed
    xp: 1
"""
BEGINNER = [(0.05, 0.3, 0.1, 0.1)]
ENGLISH = Path(__file__).parents[2] / "src/levelwise/examples/programs/english.yaml"


@pytest.fixture(scope="module")
def one_path() -> Calibration:
    return calibrate(None, load_program(ONE_PATH), 1, skills=BEGINNER)


@pytest.fixture(scope="module")
def small() -> Calibration:
    return calibrate(None, load_program(SMALL_PROGRAM), 5)


def _run(calibration: Calibration, seed: int, learners: int = 12) -> dict[str, list]:
    sim = simulate(
        calibration,
        learners=learners,
        weeks=20,
        weekly_minutes=90,
        seed=seed,
        levels=2,
    )
    return {
        p: [(r.reached, r.units, r.minutes) for r in runs]
        for p, runs in sim.runs.items()
    }


def test_the_same_seed_gives_the_same_learners_and_a_new_seed_new_ones(
    small: Calibration,
) -> None:
    first = _run(small, seed=11)
    assert first == _run(small, seed=11)
    assert first != _run(small, seed=12)
    assert any(reached[0] is not None for reached, _, _ in first["planner"])


def test_calibration_is_seeded_and_caps_guess_and_slip() -> None:
    program = load_program(SMALL_PROGRAM)
    wild = [(0.4, 0.2, 0.45, 0.49), (0.3, 0.9, 0.1, 0.1)]
    one = calibrate(None, program, 3, skills=wild)
    assert one.params == calibrate(None, program, 3, skills=wild).params
    assert all(
        p.guess <= MAX_GUESS_SLIP and p.slip <= MAX_GUESS_SLIP for _, p in one.params
    )
    assert one.program.mastery.model == "bkt"
    assert one.program.mastery.bkt == one.params
    assert {kp for kp, _ in one.params} == {k.id for k in program.knowledge_points}


def test_a_learner_has_the_same_traits_whatever_else_is_simulated(
    small: Calibration,
) -> None:
    few = make_learners(small, 3, 120, seed=4)
    many = make_learners(small, 8, 120, seed=4)
    assert few == many[:3]
    assert few != make_learners(small, 3, 120, seed=5)
    sim = simulate(small, learners=3, weeks=4, weekly_minutes=120, seed=4, levels=1)
    assert list(sim.learners) == few
    assert {len(runs) for runs in sim.runs.values()} == {3}
    assert all(r.learner == i for runs in sim.runs.values() for i, r in enumerate(runs))


def test_the_random_policy_only_picks_ready_units(one_path: Calibration) -> None:
    program = one_path.program
    model = default_model(program)
    state = initial_state("x", program, model)
    policy = RandomReady(program)
    rng = np.random.default_rng(0)
    picks = {policy.choose(state, program, model, rng).id for _ in range(200)}
    assert picks == {"d1", "d2", "d3", "d4", "ua"}  # ub waits for a
    assert "ub" not in {u.id for u in ready_units(program, state, model)}


def test_the_random_policy_asks_plan_ready_units(
    one_path: Calibration, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = one_path.program
    model = default_model(program)
    state = initial_state("x", program, model)
    only_ub = [program.unit_by_id["ub"]]
    monkeypatch.setattr(simulate_policies, "ready_units", lambda *_: only_ub)
    rng = np.random.default_rng(0)
    picks = {
        RandomReady(program).choose(state, program, model, rng).id for _ in range(50)
    }
    assert picks == {"ub"}


def test_a_prior_alone_does_not_make_a_unit_ready() -> None:
    confident = calibrate(
        None, load_program(ONE_PATH), 1, skills=[(0.9, 0.3, 0.1, 0.1)]
    )
    program = confident.program
    model = default_model(program)
    state = initial_state("x", program, model)
    assert "ub" not in {u.id for u in ready_units(program, state, model)}
    ua = program.unit_by_id["ua"]
    for n in range(3):
        start = START + timedelta(hours=n)
        for event in study_events(ua, "x", start, lambda _: True, f"s{n}"):
            state, _ = fold(state, event, program, model)
    ready = ready_units(program, state, model)
    assert "ub" in {u.id for u in ready}
    rng = np.random.default_rng(1)
    policy = RandomReady(program)
    picks = {policy.choose(state, program, model, rng).id for _ in range(200)}
    assert picks == {u.id for u in ready}


def test_the_fixed_syllabus_follows_the_file_then_cycles_without_lessons(
    one_path: Calibration,
) -> None:
    program = one_path.program
    model = default_model(program)
    state = initial_state("x", program, model)
    policy = FixedSyllabus(program)
    rng = np.random.default_rng(0)
    chosen = []
    for _ in range(11):
        unit = policy.choose(state, program, model, rng)
        chosen.append(unit.id)
        state = replace(state, units_completed=state.units_completed | {unit.id})
    assert chosen[:6] == ["d1", "d2", "d3", "d4", "ua", "ub"]
    assert chosen[6:] == ["ua", "ub", "ua", "ub", "ua"]  # no lesson watched again


def test_the_fixed_syllabus_never_rewatches_a_lesson_of_the_english_course() -> None:
    program = load_program_file(str(ENGLISH))
    model = default_model(program)
    state = initial_state("x", program, model)
    policy = FixedSyllabus(program)
    rng = np.random.default_rng(0)
    first, last = stages(program)[0]
    stage = program.units[first : last + 1]
    seen: list[str] = []
    for _ in range(3 * len(stage)):
        unit = policy.choose(state, program, model, rng)
        seen.append(unit.id)
        state = replace(state, units_completed=state.units_completed | {unit.id})
    assert seen[: len(stage)] == [u.id for u in stage]
    again = [program.unit_by_id[u] for u in seen[len(stage) :]]
    assert again and all(u.kind != "lesson" for u in again)
    assert {u.id for u in again} == {u.id for u in stage if u.kind != "lesson"}


def _sim_of(
    calibration: Calibration, reached: list[tuple[float | None, ...]]
) -> Simulation:
    runs = tuple(LearnerRun(i, "fixed", r, 1, 1.0) for i, r in enumerate(reached))
    return Simulation(calibration, (), {"fixed": runs}, 52, 2, 90.0, 1, 3, 0.0)


def test_each_level_up_counts_the_weeks_since_the_previous_one(
    small: Calibration,
) -> None:
    ladder = [lvl.id for lvl in small.program.levels]
    sim = _sim_of(small, [(4.0, 10.0), (6.0, 9.0), (3.0, None), (None, None)])
    per = cycles(sim)["fixed"]
    assert per[ladder[1]].tolist() == [4.0, 6.0, 3.0, 52.0]
    assert per[ladder[2]].tolist() == [6.0, 3.0, 49.0, 52.0]  # not 10, 9, 52, 0
    assert per["all"].tolist() == [5.0, 4.5, 26.0, 26.0]


def test_stages_end_with_the_units_each_level_lists() -> None:
    program = load_program_file(str(ENGLISH))
    ids = [u.id for u in program.units]
    bounds = stages(program)
    assert len(bounds) == len(program.levels) - 1
    assert bounds[0] == (0, ids.index("st_quiz_starter_check"))
    assert bounds[1] == (bounds[0][1] + 1, ids.index("a1_quiz_a1_test"))


def test_the_planner_beats_random_where_one_path_leads_up(
    one_path: Calibration,
) -> None:
    sim = simulate(one_path, learners=30, weeks=20, weekly_minutes=60, seed=3, levels=1)
    summary = summarize(sim, resamples=500)
    planner = summary.figure("planner", "next")
    chance = summary.figure("random", "next")
    assert planner.high < chance.low
    reduction = summary.reduction("planner")
    assert reduction is not None and reduction.low > 0


def test_the_bootstrap_interval_holds_the_median_and_narrows() -> None:
    rng = np.random.default_rng(1)
    data = rng.lognormal(1.5, 0.4, size=2000)
    widths = []
    for n in (40, 2000):
        median, low, high = bootstrap_median(data[:n], np.random.default_rng(2), 800)
        assert low <= median <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 3


def test_the_plot_labels_every_policy(one_path: Calibration) -> None:
    sim = simulate(one_path, learners=5, weeks=10, weekly_minutes=60, seed=1, levels=1)
    text = svg(summarize(sim, resamples=100), "One path")
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>")
    for policy in ("fixed", "planner", "random"):
        assert f">{policy}</text>" in text
    assert 'id="hatch"' in text


def results_of(out):
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_the_command_writes_the_table_plot_and_results(tmp_path: Path) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(SMALL_PROGRAM, encoding="utf-8")
    app = typer.Typer()
    app.command()(simulate_command)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "--program", str(source), "--learners", "6", "--weeks", "8",
            "--weekly-minutes", "90", "--seed", "2", "--levels", "2",
            "--out", str(out), "--workers", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "planner" in result.output
    assert (out / "plot.svg").read_text(encoding="utf-8").startswith("<svg")
    table = (out / "table.md").read_text(encoding="utf-8")
    assert "| planner |" in table
    # The table ends with the sentences the terminal shows, not an internal goal:
    # the planner's figure, then the teachability of its plans.
    said, checked = table.strip().splitlines()[-3::2]
    assert said.startswith("With the planner, learners levelled up")
    assert said in result.output
    assert checked.startswith("Teachability of the planner's ")
    assert "0 with a violation" in checked
    assert checked.rstrip(".") in result.output  # the terminal adds the time
    assert "ms a plan" in result.output and "ms a plan" not in table
    teach = results_of(out)["teachability"]
    assert teach["plans"] > 0 and teach["flagged"] == 0
    assert set(teach["violations"]) == {"skipped", "locked", "early_test", "repeat"}
    assert "goal" not in table.lower() and "37.5" not in table
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(results["learners"]) == 6
    assert results["settings"]["seed"] == 2


def reductions(value: float, low: float, high: float) -> Summary:
    """A summary with only the planner's reduction over all level-ups."""
    return Summary((), (Reduction("planner", "all", value, low, high),), ("all",))


@pytest.mark.parametrize(
    ("summary", "line"),
    [
        # Quicker than the fixed syllabus.
        (
            reductions(0.233, 0.217, 0.273),
            "With the planner, learners levelled up 23.3 % faster than with the "
            "fixed syllabus (median weeks per level-up; 95 % CI 21.7 to 27.3 %).",
        ),
        # Slower: the size of the change, and the word says which way.
        (
            reductions(-0.1, -0.2, 0.05),
            "With the planner, learners levelled up 10.0 % slower than with the "
            "fixed syllabus (median weeks per level-up; 95 % CI -20.0 to 5.0 %).",
        ),
        # A change that rounds to zero is "as fast as".
        (
            reductions(0.0004, -0.01, 0.01),
            "With the planner, learners levelled up as fast as with the fixed "
            "syllabus (median weeks per level-up; 95 % CI -1.0 to 1.0 %).",
        ),
        # No fixed syllabus to compare with.
        (
            Summary((), (), ("all",)),
            "No fixed-syllabus learners to compare the planner with.",
        ),
    ],
    ids=["faster", "slower", "as-fast", "no-baseline"],
)
def test_the_planner_line_says_what_the_planner_did(summary, line) -> None:
    assert planner_line(summary) == line


def test_a_stage_also_ends_with_the_test_whose_score_a_level_reads() -> None:
    nihongo = Path(__file__).parents[1] / "data/programs/nihongo.yaml"
    program = load_program_file(str(nihongo))
    ids = [u.id for u in program.units]
    bounds = stages(program)
    # n5 lists its mock test (passed includes [n5_mock]); n4 reads only
    # unit_score.n4_mock: its stage still ends with that test, not with n5's.
    assert bounds[0][1] == ids.index("n5_mock")
    assert bounds[1] == (ids.index("n5_mock") + 1, ids.index("n4_mock"))
