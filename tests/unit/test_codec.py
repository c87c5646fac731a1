"""State and outcome JSON round trips are exact."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import LevelReached
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    event,
    homework,
    watched,
)


def test_state_and_outcomes_round_trip(program):
    raws = [
        watched(600, minutes=0),
        watched(600, minutes=1),
        homework(10, minutes=2),
        homework(10, minutes=3),
        homework(10, minutes=4),
        answered(True, minutes=5),
        completed("u1", minutes=6),
        event("enrolment.started", minutes=-1),
        event(
            "live.credited",
            minutes=7,
            unit="u3",
            seconds=720,
            reason="network broken 19:42–19:54",
            live_class="c1",
        ),
    ]
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    state, outcomes = fold_all(events, program)
    assert state is not None and state.level == 1
    text = dumps(codec.state_to_dict(state))
    back = codec.state_from_dict(json.loads(text))
    assert back == state
    assert dumps(codec.state_to_dict(back)) == text
    kinds = set()
    for outcome in outcomes:
        data = codec.outcome_to_dict(outcome)
        kinds.add(data["kind"])
        assert codec.outcome_from_dict(json.loads(dumps(data))) == outcome
    assert kinds == {"xp", "unit_completed", "level_reached", "minutes_credited"}


def test_evolve_matches_dataclasses_replace(program):
    from levelwise.domain.fold import initial_state
    from levelwise.domain.state import evolve

    state = initial_state("ana", program)
    changes = {"xp": 5, "units_completed": frozenset({"u1"}), "events": 2}
    assert evolve(state, changes) == replace(state, **changes)
    assert state.xp == 0  # untouched


def test_stored_bodies_leave_out_the_envelope_and_views_restore_it(program):
    from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
    from levelwise.domain.fold import fold_all

    raws = [homework(10, minutes=i) for i in range(2)] + [completed("u1", minutes=5)]
    raws.append(
        event(
            "live.credited",
            minutes=7,
            unit="u3",
            seconds=720,
            reason="network broken 19:42–19:54",
            live_class="c1",
        )
    )
    events = [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]
    _, outcomes = fold_all(sorted(events, key=lambda e: e.sort_key), program)
    kinds = set()
    for outcome in outcomes:
        full = codec.outcome_to_dict(outcome)
        body = json.loads(dumps(codec.outcome_body(outcome)))
        assert not set(codec.ENVELOPE) & set(body)
        assert "text" not in body and "text" not in body.get("receipt", {})
        envelope = {k: full[k] for k in codec.ENVELOPE}
        assert codec.outcome_view(body, **envelope) == full
        kinds.add(full["kind"])
    assert kinds == {"xp", "unit_completed", "level_reached", "minutes_credited"}


AND_GATE = "xp >= 100 and units_completed includes [u1]"
ONE_PART_KEYS = {"gate", "current", "target", "progress", "met"}
BOTH = "      - xp >= 100\n      - units_completed includes [u1]\n"

GATE_JSON = [
    # (id, the a1 gates in the program, the stored gates: (gate, keys, parts))
    ("one-part-gates", BOTH,  # written as before: no `parts` key
     [("xp >= 100", ONE_PART_KEYS, None),
      ("units_completed includes [u1]", ONE_PART_KEYS, None)]),
    ("and-gate", f"      - {AND_GATE}\n",  # each part's own values, no nesting
     [(AND_GATE, ONE_PART_KEYS | {"parts"},
       [{"gate": "xp >= 100", "current": 170.0, "target": 100.0, "progress": 1.0,
         "met": True},
        {"gate": "units_completed includes [u1]", "current": 1.0, "target": 1.0,
         "progress": 1.0, "met": True}])]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("gates", "stored"), [c[1:] for c in GATE_JSON], ids=[c[0] for c in GATE_JSON]
)
def test_level_receipts_store_gate_parts_and_round_trip(gates, stored):
    program = load_program(SMALL_PROGRAM.replace(BOTH, gates))
    raws = [homework(10, minutes=i) for i in range(3)] + [completed("u1", minutes=9)]
    events = [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]
    _, outcomes = fold_all(sorted(events, key=lambda e: e.sort_key), program)
    (reached,) = [o for o in outcomes if isinstance(o, LevelReached)]
    data = json.loads(dumps(codec.outcome_to_dict(reached)))
    got = [(g["gate"], set(g), g.get("parts")) for g in data["gates"]]
    assert got == stored
    assert codec.outcome_from_dict(data) == reached


def test_receipts_stored_before_gate_parts_still_decode():
    body = {
        "kind": "level_reached",
        "event_id": "e-1",
        "learner": "ana",
        "at": "2026-01-05T09:10:00.000000Z",
        "level": "a1",
        "title": "Breakthrough",
        "previous": "starter",
        "gates": [
            {"gate": AND_GATE, "current": 2.0, "target": 2.0, "progress": 1.0,
             "met": True},
        ],
    }  # fmt: skip
    reached = codec.outcome_from_dict(body)
    (gate,) = reached.gates  # type: ignore[union-attr]
    assert (gate.gate, gate.current, gate.target, gate.parts) == (
        AND_GATE,
        2.0,
        2.0,
        (),
    )
    assert codec.outcome_to_dict(reached) == body


def test_snapshots_stored_before_display_names_still_decode(program):
    from levelwise.domain.fold import initial_state
    from levelwise.domain.state import Profile

    data = codec.state_to_dict(initial_state("ana", program))
    old = {"timezone": "Asia/Shanghai", "cohort": "c1", "team": None,
           "public_boards": False, "title": None}  # fmt: skip
    data["profile"] = dict(old)
    state = codec.state_from_dict(json.loads(dumps(data)))
    assert state.profile == Profile(
        timezone="Asia/Shanghai", cohort="c1", public_boards=False
    )
    assert state.profile.display_name is None
    # Written back as it was: no display_name key while none is set.
    assert codec.state_to_dict(state)["profile"] == old
    named = replace(state, profile=replace(state.profile, display_name="Ana"))
    written = codec.state_to_dict(named)["profile"]
    assert written == {**old, "display_name": "Ana"}
    assert codec.state_from_dict(json.loads(dumps(codec.state_to_dict(named)))) == (
        named
    )


def test_flagged_awards_keep_their_flags_and_others_write_none(program):
    raws = [watched(600, minutes=0)]
    events = [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]
    _, outcomes = fold_all(events, program)
    (award,) = outcomes
    assert "flags" not in codec.outcome_body(award)  # bodies as before flags
    flagged = replace(award, flags=("rate",))
    body = json.loads(dumps(codec.outcome_body(flagged)))
    assert body["flags"] == ["rate"]
    envelope = {"kind": "xp", "event_id": award.event_id, "learner": "ana"}
    assert codec.outcome_from_dict({**body, **envelope, "at": award.at}) == flagged


def test_unit_scores_and_day_tallies_round_trip_and_are_written_only_when_set(
    program,
):
    from types import MappingProxyType

    from levelwise.domain.fold import initial_state
    from levelwise.domain.state import DayTally

    plain = initial_state("ana", program)
    written = codec.state_to_dict(plain)
    assert "unit_scores" not in written and "day_tally" not in written
    scored = replace(
        plain,
        unit_scores=MappingProxyType({"u2": (0.8, 0.25), "u1": (1.0, 1.0)}),
        day_tally=DayTally(seconds=90.5, answers=2, events=3, units=1, xp=7),
    )
    text = dumps(codec.state_to_dict(scored))
    back = codec.state_from_dict(json.loads(text))
    assert back == scored
    assert back.unit_scores["u2"] == (0.8, 0.25)
    assert dumps(codec.state_to_dict(back)) == text
    # Snapshots written before the fields existed decode to their defaults.
    old = codec.state_from_dict(json.loads(dumps(written)))
    assert old.unit_scores == {} and old.day_tally == DayTally()


def test_a_set_input_of_a_receipt_is_a_sorted_list_and_decodes_to_a_set():
    from levelwise.domain.outcomes import Receipt, XpAwarded

    receipt = Receipt(
        rule="r",
        formula="count(unit.tags)",
        inputs=(("seconds", 60), ("unit.tags", frozenset({"mock", "group", "b"}))),
        base=3.0,
        factor=1.0,
        repeat=0,
        daily_cap=None,
        earned_today=0,
        capped=False,
        xp=3,
    )
    award = XpAwarded("e1", "ana", "2026-01-05T10:00:00Z", 3, 3, receipt)
    body = codec.outcome_body(award)
    assert body["receipt"]["inputs"] == {
        "seconds": 60,
        "unit.tags": ["b", "group", "mock"],
    }
    assert receipt.text == (
        "+3 XP: r (count(unit.tags) = 3 with seconds=60, unit.tags=[b, group, mock])"
    )
    view = codec.outcome_view(
        json.loads(dumps(body)), kind="xp", event_id="e1", learner="ana", at=award.at
    )
    assert view["receipt"]["text"] == receipt.text
    assert codec.outcome_from_dict(view) == award
