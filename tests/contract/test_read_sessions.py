"""The EventLog contract for read sessions: one snapshot, no waiting, no writes."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from levelwise.errors import StoreError
from tests.contract.builders import at, checkpoint, outcome, snapshot, stored_event

KEY = hashlib.sha256(b"read-sessions").hexdigest()


def _fill(event_log, tenant):
    with event_log.session(tenant) as s:
        s.append([stored_event("e1")])
        s.put_snapshots([snapshot("ana")])
        s.add_outcomes([outcome("e1")])
        s.put_checkpoints([checkpoint("ana")])
        s.save_program("program: one", "a" * 64, "2026-01-01T00:00:00Z")


def _seen(event_log, tenant):
    with event_log.read(tenant) as s:
        return (
            [e.event_id for e in s.history("ana")],
            s.learners(),
            s.digests(["e1", "e2"]),
            s.snapshots(["ana", "bob"]),
            s.outcomes("ana", 1),
            s.checkpoint_before("ana", 1, (at(999), "")),
            s.program(None),
        )


def test_a_read_session_sees_what_is_committed(event_log, tenant, other_tenant):
    _fill(event_log, tenant)

    history, learners, digests, snaps, outcomes, point, program = _seen(
        event_log, tenant
    )

    assert history == ["e1"] and learners == ["ana"]
    assert digests == {"e1": stored_event("e1").digest}
    assert snaps == {"ana": snapshot("ana")}
    assert outcomes == [outcome("e1")]
    assert point == checkpoint("ana")
    assert program is not None and program.source == "program: one"
    assert _seen(event_log, other_tenant) == ([], [], {}, {}, [], None, None)


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.append([stored_event("e2")]),
        lambda s: s.put_snapshots([snapshot("ana", xp=90)]),
        lambda s: s.add_outcomes([outcome("e2")]),
        lambda s: s.clear_outcomes("ana", 1),
        lambda s: s.clear_outcomes("ana", 1, (at(0), "")),
        lambda s: s.put_checkpoints([checkpoint("ana", 400)]),
        lambda s: s.clear_checkpoints("ana", 1),
        lambda s: s.save_program("program: two", "b" * 64, "2026-01-02T00:00:00Z"),
    ],
    ids=[
        "append",
        "put_snapshots",
        "add_outcomes",
        "clear_outcomes",
        "clear_outcomes_after",
        "put_checkpoints",
        "clear_checkpoints",
        "save_program",
    ],
)
def test_writes_through_a_read_session_raise_and_change_nothing(
    event_log, tenant, write
):
    _fill(event_log, tenant)
    before = _seen(event_log, tenant)

    with pytest.raises(StoreError), event_log.read(tenant) as s:
        s.lock_learners(["ana"])
        write(s)

    assert _seen(event_log, tenant) == before


def test_a_read_session_keeps_its_snapshot_while_writers_commit(event_log, tenant):
    _fill(event_log, tenant)

    def commit_more() -> None:
        with event_log.session(tenant) as s:
            s.append([stored_event("e2", when=at(1))])

    with event_log.read(tenant) as s, ThreadPoolExecutor(max_workers=1) as pool:
        assert [e.event_id for e in s.history("ana")] == ["e1"]
        pool.submit(commit_more).result(timeout=10)
        assert [e.event_id for e in s.history("ana")] == ["e1"]
        assert s.digests(["e2"]) == {}

    assert _seen(event_log, tenant)[0] == ["e1", "e2"]


def test_reads_complete_while_a_write_session_is_open(event_log, tenant):
    _fill(event_log, tenant)
    event_log.add_key(tenant, KEY, "reads")
    written = threading.Event()
    release = threading.Event()

    def write() -> None:
        with event_log.session(tenant) as s:
            s.lock_learners(["ana"])
            s.append([stored_event("e2", when=at(1))])
            written.set()
            assert release.wait(10)

    def read() -> tuple[list[str], str | None]:
        with event_log.read(tenant) as s:
            history = [e.event_id for e in s.history("ana")]
        return history, event_log.tenant_for_key(KEY)

    with ThreadPoolExecutor(max_workers=2) as pool:
        writer = pool.submit(write)
        try:
            assert written.wait(10)
            # Well under SQLite's busy_timeout (5 s): a read must not queue.
            assert pool.submit(read).result(timeout=2) == (["e1"], tenant)
        finally:
            release.set()
        writer.result(timeout=10)

    assert _seen(event_log, tenant)[0] == ["e1", "e2"]
