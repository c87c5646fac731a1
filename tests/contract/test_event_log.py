"""The EventLog contract: every implementation must pass every test here."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from levelwise.app.ports import EventLog, LogSession
from levelwise.errors import ConcurrencyError
from tests.contract.builders import at, checkpoint, outcome, snapshot, stored_event
from tests.support.factories import new_tenant

# -- events -------------------------------------------------------------------


def test_history_is_ordered_by_occurred_at_then_event_id(event_log, tenant):
    # Ids chosen so that code-point order differs from a locale's order.
    ids = ["e-B", "e-a", "e-a-b", "e_a_b", "e-Z", "e-10", "e-9", "é-1"]
    rows = [stored_event(i, when=at(n % 3)) for n, i in enumerate(ids)]
    shuffled = random.Random(7).sample(rows, len(rows))
    with event_log.session(tenant) as s:
        s.append(shuffled[:4])
    with event_log.session(tenant) as s:
        s.append(shuffled[4:])

    with event_log.session(tenant) as s:
        history = s.history("ana")

    assert history == sorted(rows, key=lambda e: (e.occurred_at, e.event_id))


def test_history_keeps_every_field_and_only_that_learner(event_log, tenant):
    ana = stored_event("e1", "ana", at(5), note='naïve ✓ "quoted"')
    bob = stored_event("e2", "bob", at(1))
    with event_log.session(tenant) as s:
        s.append([ana, bob])

    with event_log.session(tenant) as s:
        assert s.history("ana") == [ana]
        assert s.history("bob") == [bob]
        assert s.history("nobody") == []


def test_digests_only_for_stored_ids(event_log, tenant):
    stored = [stored_event("e1"), stored_event("e2", when=at(1))]
    with event_log.session(tenant) as s:
        s.append(stored)

    with event_log.session(tenant) as s:
        found = s.digests(["e2", "missing", "e1", "e2"])

    assert found == {"e1": stored[0].digest, "e2": stored[1].digest}


def test_learners_are_distinct_and_sorted(event_log, tenant):
    learners = ["zoe", "Bob", "ana", "ana-2", "ana_2", "ana"]
    with event_log.session(tenant) as s:
        assert s.learners() == []
        s.append([stored_event(f"e{n}", x) for n, x in enumerate(learners)])

    with event_log.session(tenant) as s:
        assert s.learners() == sorted(set(learners))


def test_large_id_lists_are_answered_in_full(event_log, tenant):
    rows = [stored_event(f"e{n:04d}", f"l{n:04d}") for n in range(1200)]
    with event_log.session(tenant) as s:
        s.append(rows)
        s.put_snapshots([snapshot(r.learner) for r in rows[::2]])

    asked = [r.event_id for r in rows] + [f"x{n}" for n in range(300)]
    with event_log.session(tenant) as s:
        digests = s.digests(asked)
        snaps = s.snapshots([r.learner for r in rows])

    assert digests == {r.event_id: r.digest for r in rows}
    assert sorted(snaps) == sorted(r.learner for r in rows[::2])


def test_empty_batches_and_lists_are_no_ops(event_log, tenant):
    with event_log.session(tenant) as s:
        s.lock_learners([])
        s.append([])
        s.put_snapshots([])
        s.add_outcomes([])
        s.put_checkpoints([])
        assert s.digests([]) == {}
        assert s.snapshots([]) == {}
        assert s.learners() == []


# -- transactions ---------------------------------------------------------------


def _write_everything(s: LogSession) -> None:
    s.append([stored_event("new-1", "bob")])
    s.put_snapshots([snapshot("bob")])
    s.add_outcomes([outcome("new-1", learner="bob")])
    s.put_checkpoints([checkpoint("bob")])
    s.clear_checkpoints("ana", 1)
    s.save_program("program: two", "b" * 64, "2026-01-02T00:00:00Z")


def _assert_only_first_session(event_log: EventLog, tenant: str) -> None:
    with event_log.session(tenant) as s:
        assert [e.event_id for e in s.history("ana")] == ["e1"]
        assert s.history("bob") == []
        assert s.learners() == ["ana"]
        assert s.digests(["e1", "new-1"]).keys() == {"e1"}
        assert s.snapshots(["ana", "bob"]) == {"ana": snapshot("ana")}
        assert s.outcomes("bob", 1) == []
        assert s.checkpoint_before("bob", 1, (at(999), "")) is None
        assert s.checkpoint_before("ana", 1, (at(999), "")) == checkpoint("ana")
        stored = s.program(None)
        assert stored is not None
        assert stored.version == 1


def _first_session(event_log: EventLog, tenant: str) -> None:
    with event_log.session(tenant) as s:
        s.append([stored_event("e1")])
        s.put_snapshots([snapshot("ana")])
        s.put_checkpoints([checkpoint("ana")])
        s.save_program("program: one", "a" * 64, "2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    "batch",
    [
        # The id was stored by an earlier session.
        ["e1"],
        # The id appears twice in one batch.
        ["new-2", "new-2"],
    ],
    ids=["already-stored", "twice-in-batch"],
)
def test_duplicate_append_raises_concurrency_error_and_rolls_back(
    event_log, tenant, batch
):
    _first_session(event_log, tenant)

    with pytest.raises(ConcurrencyError), event_log.session(tenant) as s:
        _write_everything(s)
        s.append([stored_event(i, when=at(9)) for i in batch])

    _assert_only_first_session(event_log, tenant)


def test_an_exception_in_a_session_rolls_back_everything(event_log, tenant):
    _first_session(event_log, tenant)

    with pytest.raises(RuntimeError, match="boom"), event_log.session(tenant) as s:
        _write_everything(s)
        raise RuntimeError("boom")

    _assert_only_first_session(event_log, tenant)


def test_lock_learners_serialises_writers_of_a_learner(event_log, tenant):
    locked = threading.Event()

    def first() -> None:
        with event_log.session(tenant) as s:
            s.lock_learners(["bob", "ana"])
            locked.set()
            time.sleep(0.3)
            s.append([stored_event("e1")])

    def second() -> list[str]:
        assert locked.wait(10)
        with event_log.session(tenant) as s:
            s.lock_learners(["ana"])
            return [e.event_id for e in s.history("ana")]

    with ThreadPoolExecutor(max_workers=2) as pool:
        done_first = pool.submit(first)
        seen_by_second = pool.submit(second)
        done_first.result(timeout=20)
        assert seen_by_second.result(timeout=20) == ["e1"]


# -- tenants ---------------------------------------------------------------------


def test_tenants_never_see_each_other(event_log, tenant, other_tenant):
    _first_session(event_log, tenant)
    with event_log.session(tenant) as s:
        s.add_outcomes([outcome("e1")])

    with event_log.session(other_tenant) as s:
        assert s.history("ana") == []
        assert s.learners() == []
        assert s.digests(["e1"]) == {}
        assert s.snapshots(["ana"]) == {}
        assert s.outcomes("ana", 1) == []
        assert s.program(None) is None
        assert s.program(1) is None
        assert s.checkpoint_before("ana", 1, (at(999), "")) is None
        # Event ids are unique per tenant only.
        s.append([stored_event("e1", when=at(3))])
        s.add_outcomes([outcome("e1", kind="level_reached")])
        s.clear_outcomes("ana", 1)
        s.clear_checkpoints("ana", 1)
        s.put_checkpoints([checkpoint("ana", xp=99)])
        assert s.save_program("program: b", "c" * 64, "2026-02-01T00:00:00Z") == 1

    with event_log.session(tenant) as s:
        assert s.history("ana") == [stored_event("e1")]
        assert [o.kind for o in s.outcomes("ana", 1)] == ["xp"]
        assert s.checkpoint_before("ana", 1, (at(999), "")) == checkpoint("ana")
        stored = s.program(None)
        assert stored is not None
        assert stored.source == "program: one"


# -- snapshots -------------------------------------------------------------------


def test_put_snapshots_inserts_then_replaces(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_snapshots([snapshot("ana", xp=10), snapshot("bob", xp=20)])
    with event_log.session(tenant) as s:
        s.put_snapshots([snapshot("ana", xp=30, version=2)])

    with event_log.session(tenant) as s:
        found = s.snapshots(["bob", "nobody", "ana"])

    assert found == {
        "bob": snapshot("bob", xp=20),
        "ana": snapshot("ana", xp=30, version=2),
    }


def test_put_snapshots_keeps_the_last_of_a_learner(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_snapshots([snapshot("ana", xp=10), snapshot("ana", xp=40)])

    with event_log.session(tenant) as s:
        assert s.snapshots(["ana"]) == {"ana": snapshot("ana", xp=40)}


# -- outcomes --------------------------------------------------------------------


def test_outcomes_are_newest_first_by_at_event_then_seq(event_log, tenant):
    rows = [
        outcome("e-b", 0, when=at(1)),
        outcome("e-b", 1, when=at(1), kind="level_reached"),
        outcome("e-a", 0, when=at(1)),
        outcome("e-c", 0, when=at(0)),
        outcome("e-d", 0, when=at(2), kind="unit_completed"),
    ]
    with event_log.session(tenant) as s:
        s.add_outcomes(random.Random(3).sample(rows, len(rows)))

    with event_log.session(tenant) as s:
        found = s.outcomes("ana", 1)

    assert found == sorted(rows, key=lambda o: (o.at, o.event_id, o.seq), reverse=True)


def test_outcomes_filter_by_kinds_and_limit(event_log, tenant):
    kinds = ["xp", "level_reached", "xp", "unit_completed", "xp", "level_lost"]
    rows = [outcome(f"e{n}", when=at(n), kind=k) for n, k in enumerate(kinds)]
    with event_log.session(tenant) as s:
        s.add_outcomes(rows)

    with event_log.session(tenant) as s:
        xp_only = s.outcomes("ana", 1, kinds=["xp"])
        levels = s.outcomes("ana", 1, kinds=("level_reached", "level_lost"))
        newest_two = s.outcomes("ana", 1, limit=2)
        none = s.outcomes("ana", 1, limit=0)

    assert [o.event_id for o in xp_only] == ["e4", "e2", "e0"]
    assert [o.event_id for o in levels] == ["e5", "e1"]
    assert [o.event_id for o in newest_two] == ["e5", "e4"]
    assert none == []


def test_outcomes_are_per_learner_and_version(event_log, tenant):
    with event_log.session(tenant) as s:
        s.add_outcomes(
            [
                outcome("e1", version=1),
                outcome("e1", version=2),
                outcome("e2", version=2, learner="bob"),
            ]
        )

    with event_log.session(tenant) as s:
        assert s.outcomes("ana", 1) == [outcome("e1", version=1)]
        assert s.outcomes("ana", 2) == [outcome("e1", version=2)]
        assert s.outcomes("bob", 2) == [outcome("e2", version=2, learner="bob")]
        assert s.outcomes("ana", 3) == []


def test_clear_outcomes_forgets_only_that_learner_and_version(event_log, tenant):
    with event_log.session(tenant) as s:
        s.add_outcomes(
            [
                outcome("e1", version=1),
                outcome("e1", version=2),
                outcome("e2", version=2, learner="bob"),
            ]
        )
    with event_log.session(tenant) as s:
        s.clear_outcomes("ana", 2)
        s.clear_outcomes("nobody", 1)

    with event_log.session(tenant) as s:
        assert s.outcomes("ana", 2) == []
        assert s.outcomes("ana", 1) == [outcome("e1", version=1)]
        assert s.outcomes("bob", 2) == [outcome("e2", version=2, learner="bob")]


# -- programs --------------------------------------------------------------------


def test_program_versions_count_from_one(event_log, tenant):
    with event_log.session(tenant) as s:
        assert s.program(None) is None
        assert s.save_program("v1", "1" * 64, "2026-01-01T00:00:00Z") == 1
        assert s.save_program("v2", "2" * 64, "2026-01-02T00:00:00Z") == 2
    with event_log.session(tenant) as s:
        assert s.save_program("v3", "3" * 64, "2026-01-03T00:00:00Z") == 3

    with event_log.session(tenant) as s:
        newest = s.program(None)
        default = s.program()
        first = s.program(1)
        missing = [s.program(v) for v in (0, -1, 4)]

    assert newest is not None
    assert (newest.version, newest.source, newest.digest) == (3, "v3", "3" * 64)
    assert default == newest
    assert first is not None
    assert (first.version, first.source, first.created_at) == (
        1,
        "v1",
        "2026-01-01T00:00:00Z",
    )
    assert missing == [None, None, None]


def test_program_versions_are_per_tenant(event_log, tenant, other_tenant):
    with event_log.session(tenant) as s:
        s.save_program("a1", "1" * 64, "2026-01-01T00:00:00Z")
        s.save_program("a2", "2" * 64, "2026-01-01T00:00:00Z")

    with event_log.session(other_tenant) as s:
        assert s.save_program("b1", "3" * 64, "2026-01-01T00:00:00Z") == 1
        newest = s.program(None)

    assert newest is not None
    assert (newest.version, newest.source) == (1, "b1")


# -- API keys --------------------------------------------------------------------


def _key() -> str:
    return hashlib.sha256(new_tenant().encode()).hexdigest()


def test_keys_map_to_their_tenant(event_log, tenant, other_tenant):
    mine, theirs, unknown = _key(), _key(), _key()
    event_log.add_key(tenant, mine, "ci")
    event_log.add_key(other_tenant, theirs, "")

    assert event_log.tenant_for_key(mine) == tenant
    assert event_log.tenant_for_key(theirs) == other_tenant
    assert event_log.tenant_for_key(unknown) is None


def test_adding_a_key_again_rebinds_it(event_log, tenant, other_tenant):
    key = _key()
    event_log.add_key(tenant, key, "first")
    event_log.add_key(other_tenant, key, "second")

    assert event_log.tenant_for_key(key) == other_tenant
