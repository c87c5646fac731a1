"""State and outcome JSON round trips are exact."""

from __future__ import annotations

import json

from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from tests.support.factories import answered, completed, event, homework, watched


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
    text = dumps(codec.state_to_dict(state))
    back = codec.state_from_dict(json.loads(text))
    assert back == state
    assert dumps(codec.state_to_dict(back)) == text
    kinds = set()
    for outcome in outcomes:
        data = codec.outcome_to_dict(outcome)
        kinds.add(data["kind"])
        assert codec.outcome_from_dict(json.loads(dumps(data))) == outcome
    assert kinds == {"xp", "unit_completed", "level_reached"}


def test_evolve_matches_dataclasses_replace(program):
    from dataclasses import replace

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
    events = [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]
    _, outcomes = fold_all(sorted(events, key=lambda e: e.sort_key), program)
    kinds = set()
    for outcome in outcomes:
        full = codec.outcome_to_dict(outcome)
        body = json.loads(dumps(codec.outcome_body(outcome)))
        assert not set(codec.ENVELOPE) & set(body)
        assert "text" not in body.get("receipt", {})
        envelope = {k: full[k] for k in codec.ENVELOPE}
        assert codec.outcome_view(body, **envelope) == full
        kinds.add(full["kind"])
    assert kinds == {"xp", "unit_completed", "level_reached"}
