"""State and outcome JSON round trips are exact."""

from __future__ import annotations

from levelwise.app.wire import EVENT_ADAPTER, to_domain
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from tests.factories import answered, completed, event, homework, watched


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
    ]
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    state, outcomes = fold_all(events, program)
    assert state is not None and state.level == 1
    text = codec.dumps(codec.state_to_dict(state))
    back = codec.state_from_dict(
        codec._loads(text)
        if hasattr(codec, "_loads")
        else __import__("json").loads(text)
    )
    assert back == state
    assert codec.dumps(codec.state_to_dict(back)) == text
    kinds = set()
    for outcome in outcomes:
        data = codec.outcome_to_dict(outcome)
        kinds.add(data["kind"])
        assert (
            codec.outcome_from_dict(__import__("json").loads(codec.dumps(data)))
            == outcome
        )
    assert kinds == {"xp", "unit_completed", "level_reached"}


def test_evolve_matches_dataclasses_replace(program):
    from dataclasses import replace

    from levelwise.domain.fold import initial_state
    from levelwise.domain.state import evolve

    state = initial_state("ana", program)
    changes = {"xp": 5, "units_completed": frozenset({"u1"}), "events": 2}
    assert evolve(state, changes) == replace(state, **changes)
    assert state.xp == 0  # untouched
