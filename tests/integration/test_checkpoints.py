"""Late events re-fold from the last checkpoint before them, on every store."""

from __future__ import annotations

import random
from contextlib import contextmanager

from levelwise.app.engine import Levelwise
from levelwise.app.ingest.projection import CHECKPOINT_EVERY, dumps
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from tests.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, answered, homework, watched

TOTAL = 700  # three checkpoints (200, 400, 600) and a tail


class _CountingLog:
    """Wraps a log; records how many events each ``history()`` call returns."""

    def __init__(self, inner):
        self.inner = inner
        self.reads: list[int] = []

    @contextmanager
    def session(self, tenant):
        with self.inner.session(tenant) as s:
            real = s.history

            def history(learner, after=None):
                rows = real(learner, after)
                self.reads.append(len(rows))
                return rows

            s.history = history
            yield s

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _learner_events(rng, n, learner="ana"):
    """``n`` events, ten minutes apart; late ones go between them (``+ 5``)."""
    made = []
    for i in range(n):
        at = {"learner": learner, "minutes": 10 * i}
        kind = rng.choice("wah")
        if kind == "w":
            made.append(watched(rng.choice([60, 300, 900]), **at))
        elif kind == "a":
            made.append(answered(rng.random() < 0.6, **at))
        else:
            made.append(homework(rng.randint(1, 10), **at))
    return made


def _key(raw):
    return to_domain(EVENT_ADAPTER.validate_python(raw)).sort_key


def _expected_read(stored, late):
    """Events after the last checkpoint before ``late``: what a re-fold reads."""
    before = sum(1 for raw in stored if _key(raw) < _key(late))
    return len(stored) - before // CHECKPOINT_EVERY * CHECKPOINT_EVERY


def _assert_state_is_a_fresh_fold(lw, school, program, stored, learner="ana"):
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in stored),
        key=lambda e: e.sort_key,
    )
    expected, outcomes = fold_all([e for e in events if e.learner == learner], program)
    got = [x for x in lw.snapshots(school) if x.learner == learner]
    assert [codec.state_to_dict(x) for x in got] == [codec.state_to_dict(expected)]
    receipts = lw.receipts(school, learner, limit=100_000)
    assert sorted(dumps({**r, "program_version": 0}) for r in receipts) == sorted(
        dumps({**codec.outcome_to_dict(o), "program_version": 0}) for o in outcomes
    )


def test_late_events_refold_from_the_last_checkpoint_before_them(
    lw, event_log, school, program
):
    assert CHECKPOINT_EVERY == 200
    counting = _CountingLog(event_log)
    engine = Levelwise(counting, FixedClock())
    rng = random.Random(11)
    stored = _learner_events(rng, TOTAL)
    for start in range(0, TOTAL, 250):
        report = engine.ingest(school, stored[start : start + 250])
        assert report.count("accepted") == len(stored[start : start + 250])
        assert report.refolded == 0
    assert counting.reads == []  # in order: no history is read
    _assert_state_is_a_fresh_fold(engine, school, program, stored)

    # Late events between checkpoints, latest first, so each lands before the
    # checkpoints the previous re-fold rebuilt; the last one is before them all.
    for minutes in (6505, 4505, 2505, 3995, 10 * (TOTAL - 1) - 5, -5):
        late = watched(300, minutes=minutes)
        counting.reads.clear()
        report = engine.ingest(school, [late])
        assert report.count("accepted") == 1 and report.refolded == 1
        assert counting.reads == [_expected_read(stored, late)]
        stored.append(late)
        _assert_state_is_a_fresh_fold(engine, school, program, stored)

    reads_per_late = [_expected_read(stored[:n], stored[n]) for n in range(700, 706)]
    assert reads_per_late[:5] == [100, 301, 502, 303, 104]
    assert reads_per_late[5] == TOTAL + 5  # before the first checkpoint: all


def test_one_batch_of_late_and_new_events_for_several_learners(
    lw, event_log, school, program
):
    counting = _CountingLog(event_log)
    engine = Levelwise(counting, FixedClock())
    rng = random.Random(12)
    ana = _learner_events(rng, 450)
    bob = _learner_events(rng, 90, learner="bob")
    engine.ingest(school, ana)
    engine.ingest(school, bob)

    # Ana: two late events and two new ones; the earliest late one decides
    # where the re-fold starts. Bob and Zoe only get events in order.
    batch = [
        homework(4, minutes=3495),
        watched(600, minutes=2105),
        answered(True, minutes=10 * 450),
        answered(False, minutes=10 * 451),
        watched(60, learner="bob", minutes=10 * 90),
        watched(60, learner="zoe", minutes=1),
    ]
    counting.reads.clear()
    report = engine.ingest(school, batch)

    assert report.count("accepted") == 6 and report.refolded == 1
    assert counting.reads == [_expected_read(ana, batch[1])] == [450 - 200]
    stored = ana + bob + batch
    for learner in ("ana", "bob", "zoe"):
        _assert_state_is_a_fresh_fold(engine, school, program, stored, learner)


def test_replay_and_a_new_program_version_rebuild_the_checkpoints(
    lw, event_log, school, program
):
    counting = _CountingLog(event_log)
    engine = Levelwise(counting, FixedClock())
    stored = _learner_events(random.Random(13), 500)
    engine.ingest(school, stored)

    assert engine.replay(school).events == 500
    late = watched(900, minutes=4205)
    counting.reads.clear()
    assert engine.ingest(school, [late]).refolded == 1
    assert counting.reads == [_expected_read(stored, late)] == [500 - 400]
    stored.append(late)
    _assert_state_is_a_fresh_fold(engine, school, program, stored)

    easier = SMALL_PROGRAM.replace("xp >= 100", "xp >= 50")
    assert engine.put_program(school, easier).version == 2
    late = homework(7, minutes=2995)
    counting.reads.clear()
    assert engine.ingest(school, [late]).refolded == 1
    assert counting.reads == [_expected_read(stored, late)] == [501 - 200]
    stored.append(late)
    _assert_state_is_a_fresh_fold(engine, school, load_program(easier), stored)
