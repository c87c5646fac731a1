"""The fold: XP rules, caps, repeats, evidence, units and levels."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain.fold import fold, fold_all, initial_state
from levelwise.domain.outcomes import LevelLost, LevelReached, UnitCompleted, XpAwarded
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    event,
    homework,
    watched,
)


def dom(raw):
    return to_domain(EVENT_ADAPTER.validate_python(raw))


def run(program, raws):
    events = sorted((dom(r) for r in raws), key=lambda e: e.sort_key)
    return fold_all(events, program)


def xp_of(outcomes):
    return [o.xp for o in outcomes if isinstance(o, XpAwarded)]


@pytest.mark.parametrize(
    ("raws", "expected"),
    [
        # one 10-minute lesson: seconds / 60
        ([watched(600)], [10]),
        # the same unit again decays x0.5, then floors at 0.25
        ([watched(600, minutes=i) for i in range(4)], [10, 5, 2, 2]),
        # another unit does not decay
        ([watched(600, minutes=0), watched(600, unit="u3", minutes=1)], [10, 10]),
        # the daily cap (30) cuts the award and then gives 0 with a receipt
        (
            [watched(1200, unit=f"u{i % 3 + 1}", minutes=i) for i in range(3)]
            + [watched(600, unit="u2", minutes=5)],
            [20, 10, 0, 0],
        ),
        # homework is quality-weighted: 50 * 8 / 10
        ([homework(8)], [40]),
        # a zero score fails the rule's `when`: no award at all
        ([homework(0)], []),
        # correct and wrong answers: if(correct, 5, 1)
        ([answered(True, minutes=1), answered(False, minutes=2)], [5, 1]),
        # unit completion: unit_minutes * 2
        ([completed("u1")], [20]),
        # event types without rules earn nothing
        ([event("enrolment.started")], []),
        # attending earns by the rule on live.attended: seconds / 60
        ([event("live.attended", unit="u3", seconds=1800)], [30]),
        # a credit earns only by a rule on live.credited (none here)
        (
            [
                event(
                    "live.credited",
                    unit="u3",
                    seconds=1800,
                    reason="network broken 19:42–20:12",
                    live_class="c1",
                )
            ],
            [],
        ),
    ],
    ids=[
        "lesson",
        "repeat-decay",
        "other-unit",
        "daily-cap",
        "homework",
        "when-false",
        "answers",
        "completion",
        "no-rule",
        "live",
        "credit-no-rule",
    ],
)
def test_xp_rules(program, raws, expected):
    _, outcomes = run(program, raws)
    assert xp_of(outcomes) == expected


RATED = [
    # (id, rule (`when` or `xp:`), XP for correct true / false / left out)
    ("when-correct", "when: correct", [1, 0, 0]),
    ("when-eq-true", "when: correct == true", [1, 0, 0]),
    ("when-eq-false", "when: correct == false", [0, 1, 0]),  # not rated is not poor
    ("when-not", "when: not correct", [0, 1, 0]),  # not of unknown is unknown
    ("when-ne-true", "when: correct != true", [0, 1, 0]),
    ("when-not-eq", "when: not (correct == false)", [1, 0, 0]),  # three-valued
    ("when-or", "when: correct or kind == 'chat'", [1, 0, 1]),  # true decides `or`
    ("when-and", "when: not (correct and kind == 'chat')", [1, 1, 0]),  # unknown
    ("xp-if", "xp: if(correct, 3, 1)", [3, 1, 1]),  # an unknown condition: else
    ("xp-if-not", "xp: if(not correct, 3, 1)", [1, 3, 1]),
    ("xp-number", "xp: 10 - response_ms / 1000", [8, 8, 0]),  # unknown number: no XP
    ("xp-default", "xp: if(response_ms >= 0, 10 - response_ms / 1000, 5)", [8, 8, 5]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "awards"), [c[1:] for c in RATED], ids=[c[0] for c in RATED]
)
def test_a_missing_optional_field_is_unknown_to_xp_rules(rule, awards):
    key = rule.split(":")[0]
    rule_yaml = f"  - id: rated\n    on: live.interaction\n    {rule}\n"
    rule_yaml += "    xp: 1\n" if key == "when" else ""
    prog = load_program(SMALL_PROGRAM + rule_yaml)
    got = []
    for i, correct in enumerate([True, False, None]):
        fields = (
            {"correct": correct, "response_ms": 2000} if correct is not None else {}
        )
        kind = "chat" if correct is None else "mic"
        raw = event("live.interaction", kind=kind, minutes=i, **fields)
        got.append(sum(xp_of(run(prog, [raw])[1])))
    assert got == awards


def test_a_missing_optional_field_is_unknown_to_badge_conditions():
    badge = """\
badges:
  - {id: poor, title: Poor, on: live.interaction, where: correct == false, count: 2}
  - {id: quiet, title: Quiet, on: live.interaction, where: not correct, count: 2}
"""
    prog = load_program(SMALL_PROGRAM + badge)
    raws = [event("live.interaction", kind="chat", minutes=i) for i in range(3)]
    raws.append(event("live.interaction", kind="mic", correct=False, minutes=5))
    state, _ = run(prog, raws)
    assert {k: h.count for k, h in state.badges.items()} == {"poor": 1, "quiet": 1}


def test_daily_cap_resets_on_the_learners_next_study_day(program):
    day1 = [watched(1800, unit="u3", minutes=i) for i in range(2)]  # 09:00Z
    same_day = watched(1800, unit="u1")
    same_day["occurred_at"] = "2026-01-05T23:30:00+00:00"
    state, outcomes = run(program, [*day1, same_day])
    assert xp_of(outcomes) == [30, 0, 0] and state.active_days == 1
    # Without a profile zone the event's offset counts: 23:30 UTC is already
    # the next study day for a learner at UTC+8
    next_day = watched(1800, unit="u1")
    next_day["occurred_at"] = "2026-01-06T07:30:00+08:00"
    state, outcomes = run(program, [*day1, next_day])
    assert xp_of(outcomes) == [30, 0, 30]
    assert state.active_days == 2


DAY_START_4 = SMALL_PROGRAM + "recognition:\n  day_start: 4\n"

STUDY_DAYS = [
    # (id, profile zone, [(occurred_at, XP, study day)], active days)
    # with day_start 4, 23:00 and 02:00 the next date are one study day: one cap
    ("day-start", None, [
        ("2026-01-05T23:00:00+01:00", 30, "2026-01-05"),
        ("2026-01-06T02:00:00+01:00", 0, "2026-01-05"),
        ("2026-01-06T05:00:00+01:00", 30, "2026-01-06"),
    ], 2),
    # the profile's zone, not the event's UTC offset, says which day it is
    # (the profile.updated itself, on 31 December, is an active day too)
    ("profile-zone", "Asia/Shanghai", [
        ("2026-01-05T10:00:00+00:00", 30, "2026-01-05"),  # 18:00 in Shanghai
        ("2026-01-05T21:00:00+00:00", 30, "2026-01-06"),  # 05:00 the next day
        ("2026-01-06T03:00:00+00:00", 0, "2026-01-06"),  # 11:00, same day
    ], 3),
    # both: 02:30 in Shanghai is still the day before, 04:30 is the next day
    ("zone-and-day-start", "Asia/Shanghai", [
        ("2026-01-05T10:00:00+00:00", 30, "2026-01-05"),
        ("2026-01-05T18:30:00+00:00", 0, "2026-01-05"),
        ("2026-01-05T20:30:00+00:00", 30, "2026-01-06"),
    ], 3),
    # an offset that puts an event on an earlier day (as when flying west)
    # restarts nothing: switching offsets cannot reset the cap
    ("earlier-day", None, [
        ("2026-01-06T09:00:00+08:00", 30, "2026-01-06"),
        ("2026-01-05T18:00:00-08:00", 0, "2026-01-06"),
        ("2026-01-06T11:00:00+08:00", 0, "2026-01-06"),
    ], 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "steps", "active"),
    [c[1:] for c in STUDY_DAYS],
    ids=[c[0] for c in STUDY_DAYS],
)
def test_daily_caps_active_days_and_streaks_share_one_study_day(zone, steps, active):
    prog = load_program(DAY_START_4)
    state = initial_state("ana", prog)
    if zone is not None:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        state, _ = fold(
            state, dom(event("profile.updated", at=at, timezone=zone)), prog
        )
    for i, (when, xp, day) in enumerate(steps):
        raw = watched(1800, unit=f"u{i + 1}")  # other units: no repeat decay
        raw["occurred_at"] = when
        state, outcomes = fold(state, dom(raw), prog)
        assert xp_of(outcomes) == [xp]
        assert (state.day, state.streak.day) == (day, day)
    assert state.active_days == active


def test_a_new_time_zone_applies_from_the_next_event():
    prog = load_program(DAY_START_4)
    state = initial_state("ana", prog)
    # 21:00 UTC is 05:00 the next day in Shanghai; the update itself still
    # counts in the zone the learner had (here the event's own offset).
    moved = event("profile.updated", timezone="Asia/Shanghai")
    moved["occurred_at"] = "2026-01-05T21:00:00+00:00"
    state, _ = fold(state, dom(moved), prog)
    assert (state.day, state.active_days) == ("2026-01-05", 1)
    study = watched(1800)
    study["occurred_at"] = "2026-01-05T21:30:00+00:00"
    state, _ = fold(state, dom(study), prog)
    assert (state.day, state.streak.day) == ("2026-01-06", "2026-01-06")
    assert state.active_days == 2


def test_a_formula_beyond_float_range_gives_no_xp():
    # Inputs in range can still overflow a formula: 10 / 1e-310 is infinite.
    prog = load_program(
        SMALL_PROGRAM.replace("50 * score / max_score", "10 / max_score")
    )
    _, outcomes = run(prog, [homework(1e-310, max_score=1e-310)])
    assert xp_of(outcomes) == []


def test_receipt_explains_rule_inputs_and_cap(program):
    raws = [watched(1200, unit="u1", minutes=0), watched(1200, unit="u2", minutes=1)]
    _, outcomes = run(program, raws)
    receipt = [o for o in outcomes if isinstance(o, XpAwarded)][1].receipt
    assert receipt.capped and receipt.xp == 10 and receipt.earned_today == 20
    assert receipt.text == (
        "+10 XP: watching (seconds / 60 = 20 with seconds=1200); "
        "daily cap 30 reached at 30"
    )
    repeat = run(program, [watched(600, minutes=0), watched(600, minutes=1)])[1]
    assert "repeat #2 on this unit x0.5" in repeat[-1].receipt.text


def test_level_needs_every_gate_and_records_the_values(program):
    raws = [homework(10, minutes=i, unit="u2") for i in range(3)]  # 150 XP
    state, outcomes = run(program, raws)
    assert state.level == 0  # xp met, but u1 not completed
    state, outcomes = run(program, [*raws, completed("u1", minutes=10)])
    reached = [o for o in outcomes if isinstance(o, LevelReached)]
    assert [r.level for r in reached] == ["a1"]
    gates = {g.gate: g for g in reached[0].gates}
    assert gates["xp >= 100"].current == 170 and gates["xp >= 100"].met
    assert gates["units_completed includes [u1]"].progress == 1.0
    assert state.history[0].level == "a1"


def test_a_level_reached_through_an_and_gate_keeps_each_parts_values():
    both = "      - xp >= 100\n      - units_completed includes [u1]\n"
    assert both in SMALL_PROGRAM
    prog = load_program(
        SMALL_PROGRAM.replace(
            both, "      - xp >= 100 and units_completed includes [u1]\n"
        )
    )
    raws = [homework(10, minutes=i) for i in range(3)] + [completed("u1", minutes=10)]
    _, outcomes = run(prog, raws)
    (reached,) = [o for o in outcomes if isinstance(o, LevelReached)]
    (gate,) = reached.gates
    assert (gate.current, gate.target, gate.progress, gate.met) == (170, 100, 1, True)
    assert [(p.gate, p.current, p.target, p.progress, p.met) for p in gate.parts] == [
        ("xp >= 100", 170, 100, 1.0, True),
        ("units_completed includes [u1]", 1, 1, 1.0, True),
    ]


def test_one_event_can_climb_several_levels(program):
    easy = SMALL_PROGRAM.replace("xp >= 300", "xp >= 120").replace(
        "dimension.vocabulary >= 0.5", "dimension.vocabulary >= 0.2"
    )
    prog = load_program(easy)
    raws = [
        homework(10, minutes=1),
        homework(10, minutes=2),
        completed("u1", minutes=3),
    ]
    state, outcomes = run(prog, raws)
    assert [o.level for o in outcomes if isinstance(o, LevelReached)] == ["a1", "a2"]
    assert state.level == 2


def test_evidence_moves_mastery_and_dimension_ability(program):
    start = initial_state("ana", program)
    state, _ = run(program, [answered(True, kp="numbers", minutes=i) for i in range(8)])
    assert state.mastery["numbers"].value > 0.7
    assert state.mastery["numbers"].attempts == 8
    assert state.abilities["vocabulary"][0] > start.abilities["vocabulary"][0]
    assert state.abilities["speaking"] == start.abilities["speaking"]  # not fed
    wrong, _ = run(
        program, [answered(False, kp="numbers", minutes=i) for i in range(8)]
    )
    assert wrong.mastery["numbers"].value < start.abilities["vocabulary"][0]


def test_homework_and_live_answers_are_evidence_on_the_units_points(program):
    state, _ = run(program, [homework(10, unit="u2")])
    assert set(state.mastery) == {"numbers"}
    live = event("live.interaction", unit="u3", kind="answer", correct=True)
    chat = event("live.interaction", unit="u3", kind="chat", minutes=1)
    state, _ = run(program, [live, chat])
    assert set(state.mastery) == {"greetings", "numbers"}
    assert state.live_interactions == 2


def test_unit_completed_once(program):
    _, outcomes = run(program, [completed("u1"), completed("u1", minutes=1)])
    assert len([o for o in outcomes if isinstance(o, UnitCompleted)]) == 1


def test_counters(program):
    raws = [
        event("live.attended", unit="u3", seconds=1800),
        event("live.credited", unit="u3", seconds=240, reason="drop", live_class="c1"),
        event("practice.completed", seconds=600, turns=12, metrics={"speech_rate": 80}),
        event("enrolment.started", minutes=-5),
        event("enrolment.started", minutes=-1),
        event("subscription.renewed", minutes=3),
    ]
    state, _ = run(program, raws)
    assert state.live_seconds == 1800 + 240 and state.practice_seconds == 600
    assert state.enrolled_at.startswith("2026-01-05T08:55")
    assert state.events == 6


def test_levels_can_go_down_when_the_program_allows(program):
    prog = replace(program, can_go_down=True)
    raws = [homework(10, minutes=i) for i in range(2)] + [completed("u1", minutes=5)]
    state, _ = run(prog, raws)
    assert state.level == 1
    # Gates read only growing counters here, so use a mastery gate to fall.
    source = SMALL_PROGRAM.replace(
        "units_completed includes [u1]", "mastery.numbers >= 0.3"
    ).replace("level_policy", "x")
    source += "level_policy: {can_go_down: true}\n"
    prog = load_program(source)
    up = [homework(10, minutes=i) for i in range(3)]
    down = [answered(False, kp="numbers", minutes=10 + i) for i in range(6)]
    state, outcomes = run(prog, up + down)
    lost = [o for o in outcomes if isinstance(o, LevelLost)]
    assert [o.level for o in lost] == ["starter"] and state.level == 0
    assert state.history[-1].direction == "down"


def test_fold_is_deterministic_and_pure(program):
    raws = [watched(600, minutes=i) for i in range(3)] + [homework(7, minutes=4)]
    assert run(program, raws) == run(program, raws)
    state = initial_state("ana", program)
    event_ = dom(raws[0])
    assert fold(state, event_, program) == fold(state, event_, program)
    assert state == initial_state("ana", program)  # the input is untouched


def test_state_changes_name_exactly_the_state_fields_with_their_types():
    from typing import get_type_hints

    from levelwise.domain.state import LearnerState, StateChanges

    assert get_type_hints(StateChanges) == get_type_hints(LearnerState)
    assert StateChanges.__required_keys__ == frozenset()


def test_evolve_rejects_a_misspelt_field():
    from levelwise.domain.state import LearnerState, evolve

    state = LearnerState(learner="ana")
    misspelt: dict[str, object] = {"xp": 5, "xpp": 5}
    with pytest.raises(TypeError, match="xpp"):
        evolve(state, misspelt)  # type: ignore[arg-type]
    assert evolve(state, {"xp": 5}).xp == 5


def test_frozen_equals_the_constructor_and_takes_fields_by_name():
    from levelwise.domain.state import KpMastery, frozen

    made = frozen(KpMastery, value=0.5, sd=0.1, attempts=2, params=(1.0, 0.0))
    assert made == KpMastery(0.5, 0.1, 2, (1.0, 0.0))
    with pytest.raises(TypeError):
        frozen(KpMastery, 0.5, 0.1, 2)


def test_every_event_type_that_changes_state_has_its_own_handler():
    from levelwise.domain.events import EVENT_TYPES, INDIRECT_TYPES
    from levelwise.domain.fold import _track

    fallback = _track.dispatch(object)
    # Statements and voidings never reach _track: fold() reads them first.
    only_count = {
        t
        for t, cls in EVENT_TYPES.items()
        if _track.dispatch(cls) is fallback and t not in INDIRECT_TYPES
    }
    assert only_count == {"subscription.renewed", "pk.finished"}
    # team.rewarded is handled: it gives the task's reward (a receipt naming it).
    assert _track.dispatch(EVENT_TYPES["team.rewarded"]) is not fallback
