"""Folding into stored rows: outcome rows, checkpoints every so many events."""

from __future__ import annotations

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.ingest.projection import (
    CHECKPOINT_EVERY,
    Writes,
    fold_into,
    snapshot_of,
)
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.domain.fold import default_model, fold_all, initial_state
from tests.support.factories import answered, watched


def _events(n):
    raws = [
        answered(i % 3 == 0, minutes=i) if i % 2 else watched(60, minutes=i)
        for i in range(n)
    ]
    return [to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws]


def test_a_checkpoint_is_taken_every_checkpoint_every_events(program):
    events = _events(2 * CHECKPOINT_EVERY + 7)
    model = default_model(program)
    writes = Writes(program.version)
    state = initial_state("ana", program, model)

    # In two calls, as two batches would: the count runs on across them.
    state = fold_into(state, events[:150], program, model, writes)
    state = fold_into(state, events[150:], program, model, writes)

    points = writes.checkpoints
    assert [p.events for p in points] == [CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]
    assert [p.last_id for p in points] == [
        events[CHECKPOINT_EVERY - 1].id,
        events[2 * CHECKPOINT_EVERY - 1].id,
    ]
    at_first, _ = fold_all(events[:CHECKPOINT_EVERY], program)
    assert at_first is not None
    assert points[0] == snapshot_of(at_first, program)
    assert points[0].learner_state() == at_first
    assert writes.decisions
    assert {d.event_id for d in writes.decisions} <= {e.id for e in events}


def test_writes_store_nothing_when_empty():
    log = InMemoryEventLog()
    with log.session("school") as s:
        Writes(1).store(s)
    with log.read("school") as s:
        assert s.learners() == []
