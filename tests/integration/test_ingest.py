"""Ingest behaviour on every store: exactly once, late events, replay, tenants."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    SCHEMA_VERSION,
    digest_of,
    to_domain,
)
from levelwise.app.ports import StoredEvent
from levelwise.domain import codec
from levelwise.domain.fold import fold_all
from levelwise.errors import LearnerNotFoundError, ProgramError, ProgramNotFoundError
from tests.conftest import FixedClock
from tests.support.factories import (
    SMALL_PROGRAM,
    answered,
    completed,
    homework,
    watched,
)


def batch_for(learner="ana"):
    return [
        watched(600, learner=learner, minutes=1),
        watched(900, learner=learner, unit="u3", minutes=2),
        homework(9, learner=learner, minutes=3),
        answered(True, learner=learner, minutes=4),
        completed("u1", learner=learner, minutes=5),
        homework(10, learner=learner, minutes=6),
    ]


def test_ten_redeliveries_never_double_count(lw, school):
    batch = batch_for()
    first = lw.ingest(school, batch)
    assert first.count("accepted") == 6
    xp = lw.learner(school, "ana").xp
    receipts = len(lw.receipts(school, "ana", limit=1000))
    for _ in range(10):
        again = lw.ingest(school, batch)
        assert again.count("duplicate") == 6 and again.count("accepted") == 0
    assert lw.learner(school, "ana").xp == xp == 10 + 15 + 45 + 5 + 20 + 50
    assert len(lw.receipts(school, "ana", limit=1000)) == receipts


def test_same_id_with_another_body_is_a_conflict_and_others_are_stored(lw, school):
    original = homework(5)
    lw.ingest(school, [original])
    changed = dict(original, score=10)
    fresh = watched(600, minutes=9)
    report = lw.ingest(school, [changed, fresh])
    assert [r.status for r in report.results] == ["conflict", "accepted"]
    assert "different body" in report.results[0].reason
    assert lw.learner(school, "ana").xp == 25 + 10  # the stored homework stands


def test_duplicates_and_conflicts_inside_one_batch(lw, school):
    a = watched(600)
    report = lw.ingest(school, [a, dict(a), dict(a, seconds=60)])
    assert [r.status for r in report.results] == ["accepted", "duplicate", "conflict"]
    assert lw.learner(school, "ana").xp == 10


def test_bad_events_are_rejected_with_reasons_and_change_nothing(lw, school):
    bad = [
        {"id": "x1", "learner": "bo", "type": "lesson.watched", "seconds": 5},
        dict(watched(60, learner="bo"), occurred_at="2026-01-05T09:00:00"),
        dict(watched(60, learner="bo"), type="lesson.seen"),
        homework(11, learner="bo"),
        watched(60, learner="bo", unit="nope"),
        answered(True, learner="bo", kp="nope"),
        "not an object",
    ]
    report = lw.ingest(school, bad)
    assert report.count("rejected") == len(bad)
    reasons = [r.reason for r in report.results]
    assert reasons[0] == "occurred_at: Field required"
    assert "timezone" in reasons[1]
    assert "unknown event type 'lesson.seen'" in reasons[2]
    assert "score 11 is above max_score 10" in reasons[3]
    assert "unknown unit 'nope'" in reasons[4]
    assert "unknown knowledge point 'nope'" in reasons[5]
    with pytest.raises(LearnerNotFoundError):
        lw.learner(school, "bo")


def test_late_events_give_the_state_of_a_fold_of_the_sorted_log(lw, school, program):
    rng = random.Random(3)
    raws = []
    for _ in range(60):
        kind = rng.choice(["w", "h", "a", "c"])
        at = {"minutes": rng.randint(0, 5 * 24 * 60)}
        if kind == "w":
            raws.append(
                watched(
                    rng.choice([300, 900, 1800]), unit=rng.choice(["u1", "u3"]), **at
                )
            )
        elif kind == "h":
            raws.append(homework(rng.randint(1, 10), **at))
        elif kind == "a":
            raws.append(answered(rng.random() < 0.6, **at))
        else:
            raws.append(completed(rng.choice(["u1", "u2", "u3"]), **at))
    arrival = raws[:]
    rng.shuffle(arrival)
    refolds = 0
    for start in range(0, len(arrival), 7):
        refolds += lw.ingest(school, arrival[start : start + 7]).refolded
    assert refolds > 0  # some batches really arrived late
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    expected, outcomes = fold_all(events, program)
    got = lw.snapshots(school)
    assert len(got) == 1
    assert codec.state_to_dict(got[0]) == codec.state_to_dict(expected)
    stored = lw.receipts(school, "ana", limit=10_000)
    assert sorted(dumps({**r, "program_version": 0}) for r in stored) == sorted(
        dumps({**codec.outcome_to_dict(o), "program_version": 0}) for o in outcomes
    )


def test_program_change_replays_and_keeps_older_receipts(lw, school):
    lw.ingest(school, [homework(8, minutes=1), completed("u1", minutes=2)])
    assert lw.learner(school, "ana").level.id == "starter"  # 40 + 20 XP < 100
    easier = SMALL_PROGRAM.replace("xp >= 100", "xp >= 50")
    summary = lw.put_program(school, easier)
    assert summary.version == 2
    assert summary.replay is not None and summary.replay.levels_changed == 1
    view = lw.learner(school, "ana")
    assert view.level.id == "a1" and view.program_version == 2
    now = lw.receipts(school, "ana", kinds=["level_reached"])
    assert [r["level"] for r in now] == ["a1"] and now[0]["program_version"] == 2
    assert lw.receipts(school, "ana", kinds=["level_reached"], version=1) == []
    assert len(lw.receipts(school, "ana", version=1)) == 3
    same = lw.put_program(school, easier)  # unchanged text: no new version
    assert same.version == 2 and same.replay is None
    assert lw.replay(school).events == 2


def test_invalid_program_changes_nothing(lw, school):
    with pytest.raises(ProgramError):
        lw.put_program(school, SMALL_PROGRAM.replace("xp >= 100", "xp >= "))
    summary, _ = lw.current_program(school)
    assert summary.version == 1


def test_tenants_are_isolated(lw, school):
    other = school + "-b"
    with pytest.raises(ProgramNotFoundError):
        lw.ingest(other, [watched(600)])
    lw.put_program(other, SMALL_PROGRAM.replace("seconds / 60", "seconds / 30"))
    same = watched(600)
    assert lw.ingest(school, [same]).count("accepted") == 1
    assert lw.ingest(other, [same]).count("accepted") == 1  # ids are per tenant
    assert lw.learner(school, "ana").xp == 10 and lw.learner(other, "ana").xp == 20
    lw.ingest(other, [watched(600, learner="zoe")])
    with pytest.raises(LearnerNotFoundError):
        lw.learner(school, "zoe")
    with pytest.raises(LearnerNotFoundError):
        lw.receipts(school, "zoe")
    key = lw.create_key(other, "t")
    assert lw.tenant_for_key(key) == other and lw.tenant_for_key(key + "x") is None


class _FailingLog:
    """Wraps a log; the session fails while writing snapshots."""

    def __init__(self, inner):
        self.inner = inner

    @contextmanager
    def session(self, tenant):
        with self.inner.session(tenant) as s:
            real = s.put_snapshots

            def boom(snaps):
                real(snaps)
                raise RuntimeError("disk full")

            s.put_snapshots = boom
            yield s

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_failed_batch_stores_nothing(event_log, school):
    Levelwise(event_log, FixedClock()).put_program(school, SMALL_PROGRAM)
    broken = Levelwise(_FailingLog(event_log), FixedClock())
    with pytest.raises(RuntimeError):
        broken.ingest(school, batch_for())
    healthy = Levelwise(event_log, FixedClock())
    with pytest.raises(LearnerNotFoundError):
        healthy.learner(school, "ana")
    assert healthy.ingest(school, batch_for()[:1]).count("accepted") == 1


def test_two_workers_on_one_store_agree_with_a_fold_of_the_log(
    event_log, school, program
):
    first = Levelwise(event_log, FixedClock())
    second = Levelwise(event_log, FixedClock())
    first.put_program(school, SMALL_PROGRAM)
    raws = [watched(600, unit=f"u{i % 3 + 1}", minutes=i) for i in range(9)]
    raws += [answered(i % 2 == 0, minutes=20 + i) for i in range(6)]
    # The workers take turns on the same learner, so each one's cached state
    # goes stale behind the other's writes.
    for i in range(0, len(raws), 2):
        worker = first if i % 4 == 0 else second
        worker.ingest(school, raws[i : i + 2])
    events = sorted(
        (to_domain(EVENT_ADAPTER.validate_python(r)) for r in raws),
        key=lambda e: e.sort_key,
    )
    expected, _ = fold_all(events, program)
    for worker in (first, second):
        assert worker.learner(school, "ana").xp == expected.xp
    assert codec.state_to_dict(first.snapshots(school)[0]) == codec.state_to_dict(
        expected
    )


@pytest.mark.parametrize(
    "order",
    [("changed", "original"), ("original", "changed")],
    ids=["changed-first", "original-first"],
)
def test_a_batch_answers_as_its_events_sent_one_by_one(lw, school, order):
    original = homework(5)
    lw.ingest(school, [original])
    bodies = {"original": original, "changed": dict(original, score=10)}
    batch = [bodies[name] for name in order]

    together = [r.status for r in lw.ingest(school, batch).results]
    one_by_one = [lw.ingest(school, [e]).results[0].status for e in batch]

    expected = ["duplicate" if name == "original" else "conflict" for name in order]
    assert together == one_by_one == expected


def test_a_new_id_twice_in_a_batch_is_judged_by_its_first_body(lw, school):
    first = homework(5)
    report = lw.ingest(school, [first, dict(first, score=9), first])
    assert [r.status for r in report.results] == ["accepted", "conflict", "duplicate"]
    assert lw.learner(school, "ana").xp == 25


def test_concurrent_redeliveries_of_one_event_are_duplicates(lw, school):
    event = homework(5)
    start = threading.Barrier(8)

    def deliver() -> str:
        start.wait(10)
        return lw.ingest(school, [event]).results[0].status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [
            f.result(timeout=60) for f in [pool.submit(deliver) for _ in range(8)]
        ]

    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 7
    assert lw.learner(school, "ana").xp == 25


def test_a_stored_version_that_a_later_check_refuses_still_compiles_and_replays(
    event_log, school
):
    # A counting badge with a ``when`` was accepted (the ``when`` ignored)
    # before the check that refuses it: the stored version must still load.
    text = SMALL_PROGRAM + (
        "badges:\n  - id: b\n    on: lesson.watched\n    when: streak >= 7\n"
    )
    with pytest.raises(ProgramError, match="'when' does not apply"):
        Levelwise(event_log, FixedClock()).put_program(school, text)
    with event_log.session(school) as s:
        s.save_program(text, "0" * 64, "2026-01-01T00:00:00+00:00")

    lw = Levelwise(event_log, FixedClock())
    report = lw.ingest(school, [watched(600, minutes=1)])
    assert report.count("accepted") == 1
    assert [b.id for b in lw.program(school).badges] == ["b"]
    assert lw.replay(school).learners == 1


def test_an_event_stored_under_older_rules_still_replays(lw, school):
    # Accepted before today's edge rules: a space in the learner id and more
    # seconds than one day. The log is the truth: it must still fold.
    body = json.dumps(
        {
            "type": "lesson.watched",
            "id": "old-1",
            "learner": "ana b",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "seconds": 100_000.0,
        },
        separators=(",", ":"),
    )
    row = StoredEvent(
        "old-1",
        "ana b",
        "lesson.watched",
        SCHEMA_VERSION,
        "2026-01-05T01:00:00.000000Z",
        body,
        digest_of(body),
    )
    with lw.log.session(school) as s:
        s.append([row])

    report = lw.replay(school)

    assert (report.learners, report.events) == (1, 1)
    assert lw.learner(school, "ana b").xp > 0
