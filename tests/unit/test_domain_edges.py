"""Edges of the domain: unfed dimensions, compound gates, zero awards, losses."""

from __future__ import annotations

import json

import pytest

from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain import codec
from levelwise.domain.fold import fold_all, initial_state
from levelwise.domain.gates import gate_values
from levelwise.domain.outcomes import LevelLost, XpAwarded
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    event,
    homework,
    watched,
)

EDGE = (
    SMALL_PROGRAM.replace(
        "  - id: speaking\n", "  - id: speaking\n  - id: listening\n"
    ).replace(
        "  - {id: u3,",
        "  - {id: u4, kind: homework, minutes: 5}\n  - {id: u3,",
    )
    + """\
  - id: talk
    on: live.interaction
    xp: if(kind == "mic", 3, 1)
  - id: bonus
    on: lesson.watched
    xp: 3
    repeat_decay: 0.5
"""
)


def run(program, raws):
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    return fold_all(events, program)


def test_a_dimension_no_knowledge_point_feeds_stays_at_zero():
    program = load_program(EDGE)
    state = initial_state("ana", program)
    assert state.abilities["listening"] == (0.0, 0.0)


def test_homework_without_unit_or_points_counts_but_is_no_evidence():
    program = load_program(EDGE)
    state, _ = run(program, [homework(6, unit=None), homework(8, unit="u4", minutes=1)])
    assert state.homework_submitted == 2 and dict(state.mastery) == {}
    assert state.homework_score_sum == 1.4


def test_awards_that_round_to_zero_leave_no_receipt():
    program = load_program(EDGE)
    _, outcomes = run(program, [watched(20)])
    assert [o.receipt.rule for o in outcomes if isinstance(o, XpAwarded)] == ["bonus"]


def test_two_decaying_rules_on_one_event_count_repeats_apart():
    program = load_program(EDGE)
    state, outcomes = run(program, [watched(600, minutes=i) for i in range(2)])
    texts = [o.receipt.text for o in outcomes if isinstance(o, XpAwarded)]
    assert texts[1] == "+3 XP: bonus (3)"
    assert texts[3] == "+2 XP: bonus (3); repeat #2 on this unit x0.5"
    assert dict(state.repeats) == {"watching|u1": 2, "bonus|u1": 2}


def test_string_inputs_show_in_receipts():
    program = load_program(EDGE)
    _, outcomes = run(program, [event("live.interaction", unit="u3", kind="mic")])
    assert outcomes[0].receipt.text.endswith("with kind=mic)")


GATES = [
    # (id, gate, env, (current, target, progress, met), parts as the same 5-tuples)
    ("one-comparison", "xp >= 300", {"xp": 150}, (150, 300, 0.5, False), []),
    ("one-other", "accuracy >= 0.5 or questions_answered >= 50",  # met or not
     {"accuracy": 0.4, "questions_answered": 3}, (0, 1, 0, False), []),
    ("one-just-short", "xp > 300", {"xp": 300}, (300, 300, 0.999999, False), []),
    # each part of an `and` keeps its own values; the gate shows its furthest part
    ("and-one-short", "xp >= 300 and accuracy >= 0.5",
     {"xp": 420, "accuracy": 0.4}, (0.4, 0.5, 0.8, False),
     [("xp >= 300", 420, 300, 1.0, True), ("accuracy >= 0.5", 0.4, 0.5, 0.8, False)]),
    ("and-met", "xp >= 300 and units_completed includes [u1, u2]",
     {"xp": 420, "units_completed": frozenset({"u1", "u2", "u3"})}, (420, 300, 1, True),
     [("xp >= 300", 420, 300, 1.0, True),
      ("units_completed includes [u1, u2]", 2, 2, 1.0, True)]),
    ("and-tie-first", "xp >= 300 and units_completed includes [u1, u2]",
     {"xp": 150, "units_completed": frozenset({"u1"})}, (150, 300, 0.5, False),
     [("xp >= 300", 150, 300, 0.5, False),
      ("units_completed includes [u1, u2]", 1, 2, 0.5, False)]),
    ("and-other-part", "xp >= 300 and (accuracy >= 0.5 or questions_answered >= 50)",
     {"xp": 360, "accuracy": 0.4, "questions_answered": 3}, (0, 1, 0, False),
     [("xp >= 300", 360, 300, 1.0, True),
      ("(accuracy >= 0.5 or questions_answered >= 50)", 0, 1, 0.0, False)]),
    ("and-just-short", "xp > 300 and accuracy >= 0.5",
     {"xp": 300, "accuracy": 0.9}, (300, 300, 0.999999, False),
     [("xp > 300", 300, 300, 0.999999, False), ("accuracy >= 0.5", 0.9, 0.5, 1, True)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "env", "value", "parts"),
    [c[1:] for c in GATES],
    ids=[c[0] for c in GATES],
)
def test_gate_values_keep_each_comparisons_own_values(source, env, value, parts):
    program = load_program(SMALL_PROGRAM.replace("xp >= 300\n", f"{source}\n"))
    gate = program.levels[2].gates[0]
    (got,) = gate_values([gate], env)
    assert (got.gate, got.current, got.target, got.progress, got.met) == (
        source,
        *value,
    )
    assert [(p.gate, p.current, p.target, p.progress, p.met) for p in got.parts] == (
        parts
    )
    assert all(p.parts == () for p in got.parts)


def test_optional_rule_fields_are_those_an_event_may_leave_out():
    from levelwise.domain.events import RULE_FIELDS_OPTIONAL
    from levelwise.domain.practice import PRACTICE_METRICS

    assert {k: v for k, v in RULE_FIELDS_OPTIONAL.items() if v} == {
        "live.interaction": {"correct", "round", "response_ms"},
        "practice.completed": set(PRACTICE_METRICS),
    }


def test_level_lost_round_trips_through_json():
    source = (
        SMALL_PROGRAM.replace("units_completed includes [u1]", "mastery.numbers >= 0.3")
        + "level_policy: {can_go_down: true}\n"
    )
    program = load_program(source)
    up = [homework(10, minutes=i) for i in range(3)]
    down = [answered(False, minutes=10 + i) for i in range(6)]
    _, outcomes = run(program, up + down)
    lost = [o for o in outcomes if isinstance(o, LevelLost)][0]
    data = json.loads(dumps(codec.outcome_to_dict(lost)))
    assert data["kind"] == "level_lost" and codec.outcome_from_dict(data) == lost
    met = {g["gate"]: g["met"] for g in data["gates"]}
    assert met == {"xp >= 100": True, "mastery.numbers >= 0.3": False}


def test_a_learner_at_the_top_keeps_folding_without_level_checks():
    easy = SMALL_PROGRAM.replace("xp >= 300", "xp >= 120").replace(
        "dimension.vocabulary >= 0.5", "dimension.vocabulary >= 0.2"
    )
    program = load_program(easy)
    raws = [homework(10, minutes=i) for i in range(3)] + [completed("u1", minutes=5)]
    state, _ = run(program, [*raws, watched(600, minutes=9)])
    assert state.level == 2 and state.xp == 50 * 3 + 20 + 10


def test_a_mastery_gate_opens_through_evidence_alone():
    source = SMALL_PROGRAM.replace(
        "units_completed includes [u1]", "mastery.numbers >= 0.6"
    ).replace("- xp >= 100\n", "- xp >= 5\n      - xp + watch_minutes >= 5\n")
    program = load_program(source)
    state, outcomes = run(program, [answered(True, minutes=i) for i in range(4)])
    assert state.level == 1
    reached = [o for o in outcomes if not isinstance(o, XpAwarded)]
    assert [g.gate for g in reached[-1].gates] == [
        "xp >= 5",
        "xp + watch_minutes >= 5",
        "mastery.numbers >= 0.6",
    ]


def test_rules_that_award_nothing_leave_the_daily_tally_alone():
    program = load_program(EDGE)
    state, outcomes = run(program, [homework(0)])
    assert outcomes == () or not [o for o in outcomes if isinstance(o, XpAwarded)]
    assert dict(state.xp_today) == {}


def test_incremental_abilities_track_the_full_weighted_mean():
    import random

    from levelwise.domain.fold import default_model
    from levelwise.domain.mastery import dimension_abilities

    program = load_program(SMALL_PROGRAM)
    rng = random.Random(5)
    raws = [
        answered(rng.random() < 0.7, kp=rng.choice(["numbers", "greetings"]), minutes=i)
        for i in range(400)
    ]
    raws += [homework(rng.randint(1, 10), minutes=500 + i) for i in range(50)]
    state, _ = run(program, raws)
    full = dimension_abilities(program, state.mastery, default_model(program))
    for dim, (mean, sd) in full.items():
        assert abs(state.abilities[dim][0] - mean) < 1e-9
        assert abs(state.abilities[dim][1] - sd) < 1e-9


@pytest.mark.parametrize(
    ("names", "fields"),
    [
        # both unit-score variables are computed from the unit scores
        (frozenset({"unit_score.mock"}), frozenset({"unit_scores"})),
        (frozenset({"passed"}), frozenset({"unit_scores"})),
        (frozenset({"passed", "xp"}), frozenset({"unit_scores", "xp"})),
    ],
    ids=["unit-score", "passed", "with-xp"],
)
def test_unit_score_gates_read_the_unit_scores(names, fields):
    from levelwise.domain.gates import fields_read

    assert fields_read(names) == fields


def test_passed_needs_a_program_with_pass_marks():
    from dataclasses import replace
    from types import MappingProxyType

    from levelwise.domain.gates import gate_env, gate_schema, passed_units

    program = load_program(SMALL_PROGRAM)
    marked = replace(
        program,
        units=tuple(
            replace(u, pass_mark=0.5) if u.id == "u2" else u for u in program.units
        ),
    )
    state = replace(
        initial_state("ana", program),
        unit_scores=MappingProxyType({"u2": (0.5, 0.1), "u1": (1.0, 1.0), "x": (1, 1)}),
    )
    # u1 has no pass mark and "x" is no unit of the program: neither is passed.
    assert passed_units(state, marked) == {"u2"}
    assert passed_units(state, program) == frozenset()  # no pass marks there
    assert passed_units(initial_state("ana", program), marked) == frozenset()
    names = ["passed", "unit_score.u2", "unit_score.u3"]
    env = gate_env(state, names, lambda _: 0.0, program)
    assert env == {"passed": frozenset(), "unit_score.u2": 0.5, "unit_score.u3": None}
    assert gate_env(state, names, lambda _: 0.0, marked)["passed"] == {"u2"}
    # unit_score.ID is optional per unit: unknown until the unit is scored.
    schema = gate_schema(marked)
    assert {"unit_score.u1", "unit_score.u2", "unit_score.u3"} <= schema.optional
    assert schema.flat["passed"] == "set"


@pytest.mark.parametrize(
    ("key", "language", "expected"),
    [
        # the exact tag
        ("unit:u1", "zh-CN", "假名"),
        # a tag's primary language next ("zh-TW" -> "zh")
        ("unit:u2", "zh-TW", "作业"),
        # then any tag with that primary language ("zh" -> "zh-CN")
        ("unit:u1", "zh", "假名"),
        # nothing in that language, no language, or nothing named: the default
        ("unit:u1", "ja", "default"),
        ("unit:u1", None, "default"),
        ("unit:u3", "zh-CN", "default"),
    ],
    ids=["exact", "primary", "same-primary", "other", "none", "unnamed"],
)
def test_program_text_falls_back_by_language(key, language, expected):
    from dataclasses import replace

    program = replace(
        load_program(SMALL_PROGRAM),
        names=(
            ("unit:u1", (("en", "Kana"), ("zh-CN", "假名"))),
            ("unit:u2", (("zh-CN", "作业简"), ("zh", "作业"))),
        ),
    )
    assert program.text(key, language, "default") == expected
