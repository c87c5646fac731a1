"""Service rules that do not depend on the store (run on the in-memory log)."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import MAX_BATCH, Levelwise
from levelwise.app.ingest.service import REPLAY_CHUNK
from levelwise.errors import EventRejectedError, ProgramVersionNotFoundError
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, homework, watched


def test_batches_are_limited(engine):
    with pytest.raises(EventRejectedError, match=f"at most {MAX_BATCH} events"):
        engine.ingest("school", [watched(60)] * (MAX_BATCH + 1))


def test_whole_event_checks_read_plainly(engine):
    report = engine.ingest("school", [homework(12)])
    assert report.results[0].reason == "score 12 is above max_score 10"


def test_an_unknown_program_version_is_named(engine):
    engine.ingest("school", [watched(600)])
    with pytest.raises(ProgramVersionNotFoundError, match="version 9 does not exist"):
        engine.receipts("school", "ana", version=9)
    assert len(engine.receipts("school", "ana", version=1)) == 1


def test_the_learner_view_shows_next_gates_and_counters(engine):
    engine.ingest("school", [watched(1200), homework(5, minutes=1)])
    view = engine.learner("school", "ana")
    assert view.next_level is not None and view.next_level.id == "a1"
    assert [g.gate for g in view.gates] == [
        "xp >= 100",
        "units_completed includes [u1]",
    ]
    assert view.gates[0].current == 45 and view.gates[0].progress == 0.45
    assert (
        view.counters["watch_minutes"] == 20
        and view.counters["homework_average"] == 0.5
    )
    assert view.mastery["numbers"][2] == 1


def test_a_stale_projection_is_refolded_from_the_start(engine, program):
    engine.ingest("school", [watched(600, minutes=1), homework(8, minutes=2)])
    # A program version saved without a replay (another tool, a restore)
    # leaves the snapshot of version 1 behind version 2.
    with engine.log.session("school") as s:
        source = s.program(None).source
        s.save_program(source.replace("50 *", "20 *"), "f" * 64, "2026-01-02")
    report = engine.ingest("school", [watched(120, unit="u3", minutes=3)])
    assert report.refolded == 1
    assert report.results[0].xp == 2
    assert engine.learner("school", "ana").xp == 10 + 16 + 2
    assert len(engine.receipts("school", "ana", version=2)) == 3


def projections(lw, tenant):
    """Every snapshot and outcome row of the school, as stored."""
    with lw.log.read(tenant) as s:
        learners = s.learners()
        snaps = s.snapshots(learners)
        outcomes = [o for x in learners for o in s.outcomes(x, 1, limit=1_000_000)]
    return [snaps[x] for x in learners], outcomes


def test_replay_tells_its_progress_per_chunk_and_changes_nothing():
    # Two chunks of learners and a part of one: a learner of the last chunk
    # and every third one with two events.
    n = 2 * REPLAY_CHUNK + 3
    events = [watched(600 + i, learner=f"l{i:04}", minutes=i % 60) for i in range(n)]
    events += [homework(8, learner=f"l{i:04}", minutes=90) for i in range(0, n, 3)]
    schools = []
    for _ in range(2):
        lw = Levelwise(InMemoryEventLog(), FixedClock())
        lw.put_program("school", SMALL_PROGRAM)
        assert lw.ingest("school", events).count("accepted") == len(events)
        schools.append(lw)
    quiet, observed = schools
    calls: list[tuple[int, int]] = []

    told = observed.replay("school", on_progress=lambda *c: calls.append(c))
    plain = quiet.replay("school")

    assert calls == [(0, n), (REPLAY_CHUNK, n), (2 * REPLAY_CHUNK, n), (n, n)]
    assert told == plain and told.learners == n and told.events == len(events)
    assert projections(observed, "school") == projections(quiet, "school")


def test_replay_of_a_school_without_learners_tells_0_of_0(engine):
    calls: list[tuple[int, int]] = []

    engine.replay("school", on_progress=lambda *c: calls.append(c))

    assert calls == [(0, 0)]
