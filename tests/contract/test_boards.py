"""One behaviour suite for every board store: memory, SQLite, PostgreSQL, Redis."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from levelwise.adapters.memory.boards import InMemoryBoardStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.sql.boards import SqlBoardStore
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.app.recognition.ports import BoardStore, Entry
from tests.support.boards_support import redis_store

STORES = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "redis",
]
T1 = "2026-11-20T10:00:00.000000Z"
T2 = "2026-11-21T10:00:00.000000Z"
T3 = "2026-11-22T10:00:00.000000Z"


@pytest.fixture
def redis_boards() -> Iterator[BoardStore]:
    yield from redis_store()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> BoardStore:
    """Each board store in turn."""
    if request.param == "memory":
        return InMemoryBoardStore()
    if request.param == "redis":
        found: BoardStore = request.getfixturevalue("redis_boards")
        return found
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlBoardStore(request.getfixturevalue(name))


def _fill(store: BoardStore, tenant: str, board: str, entries: list[Entry]) -> None:
    with store.writer(tenant) as w:
        w.set(board, entries)


def _members(store: BoardStore, tenant: str, board: str) -> list[str]:
    with store.reader(tenant) as r:
        return [s.member for s in r.range(board, 0, 1000)]


def test_more_xp_ranks_higher_then_earlier_time_then_id(store, tenant):
    _fill(
        store,
        tenant,
        "b",
        [
            Entry("zoe", 50, T1),
            Entry("bob", 50, T2),
            Entry("amy", 50, T2),
            Entry("max", 70, T3),
            Entry("cat", 10, T1),
        ],
    )

    with store.reader(tenant) as r:
        top = r.range("b", 0, 10)
        assert [(s.rank, s.member, s.xp) for s in top] == [
            (1, "max", 70),
            (2, "zoe", 50),
            (3, "amy", 50),
            (4, "bob", 50),
            (5, "cat", 10),
        ]
        assert top[1].reached == T1
        assert r.rank("b", "bob") == 4
        assert r.rank("b", "nobody") is None
        assert r.count("b") == 5
        assert r.count("empty") == 0


def test_set_replaces_the_score_instead_of_adding(store, tenant):
    _fill(store, tenant, "b", [Entry("ana", 30, T1), Entry("bo", 20, T1)])
    _fill(store, tenant, "b", [Entry("ana", 10, T2)])

    with store.reader(tenant) as r:
        assert r.entry("b", "ana") == Entry("ana", 10, T2)
        assert r.rank("b", "ana") == 2
        assert r.count("b") == 2


def test_top_and_ranges_page_through_the_board(store, tenant):
    _fill(store, tenant, "b", [Entry(f"m{i:02d}", 100 - i, T1) for i in range(20)])

    with store.reader(tenant) as r:
        assert [s.member for s in r.range("b", 0, 3)] == ["m00", "m01", "m02"]
        assert [s.rank for s in r.range("b", 18, 25)] == [19, 20]
        assert r.range("b", 5, 5) == []


def test_neighbourhood_is_k_above_and_k_below(store, tenant):
    _fill(store, tenant, "b", [Entry(f"m{i:02d}", 100 - i, T1) for i in range(20)])

    with store.reader(tenant) as r:
        middle = r.around("b", "m10", 2)
        first = r.around("b", "m00", 3)
        last = r.around("b", "m19", 3)
        missing = r.around("b", "nobody", 3)

    assert [(s.rank, s.member) for s in middle] == [
        (9, "m08"),
        (10, "m09"),
        (11, "m10"),
        (12, "m11"),
        (13, "m12"),
    ]
    assert [s.member for s in first] == ["m00", "m01", "m02", "m03"]
    assert [s.rank for s in last] == [17, 18, 19, 20]
    assert missing == []


def test_ahead_counts_members_above_an_absent_score(store, tenant):
    _fill(
        store, tenant, "b", [Entry("a", 50, T1), Entry("c", 50, T3), Entry("d", 5, T1)]
    )

    with store.reader(tenant) as r:
        assert r.ahead("b", Entry("b", 50, T2)) == 1
        assert r.ahead("b", Entry("z", 99, T3)) == 0
        assert r.ahead("b", Entry("z", 1, T3)) == 3
        assert r.ahead("b", Entry("c", 50, T3)) == 1  # a member: those above it
        assert r.count("b") == 3  # the probe left nothing behind


def test_remove_retain_drop_and_board_listing(store, tenant):
    _fill(store, tenant, "xp|all|all", [Entry("ana", 5, T1), Entry("bo", 4, T1)])
    _fill(store, tenant, "xp|all|team:red", [Entry("ana", 5, T1)])
    _fill(store, tenant, "tier", [Entry("ana", 2)])

    with store.writer(tenant) as w:
        w.remove("xp|all|all", ["bo", "nobody"])
    assert _members(store, tenant, "xp|all|all") == ["ana"]

    with store.writer(tenant) as w:
        w.retain("ana", {"xp|all|all"}, "xp|")
    assert _members(store, tenant, "xp|all|team:red") == []
    assert _members(store, tenant, "tier") == ["ana"]  # outside the prefix

    with store.reader(tenant) as r:
        assert r.boards("xp|") == ["xp|all|all"]
    with store.writer(tenant) as w:
        w.drop("xp|all|all")
    with store.reader(tenant) as r:
        assert r.boards("") == ["tier"]
        assert r.count("xp|all|all") == 0


def test_tenants_do_not_see_each_other(store, tenant, other_tenant):
    _fill(store, tenant, "b", [Entry("ana", 5, T1)])

    with store.reader(other_tenant) as r:
        assert r.count("b") == 0
        assert r.rank("b", "ana") is None
        assert r.boards("") == []


def test_ids_with_separators_and_unicode_keep_code_point_order(store, tenant):
    names = ["a:b", "a_b", "a-b", "B", "é", "a%b", "a}b"]
    _fill(store, tenant, "xp|all|cohort:x:y}", [Entry(n, 1, T1) for n in names])

    assert _members(store, tenant, "xp|all|cohort:x:y}") == sorted(names)


@pytest.mark.parametrize(
    "log_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_sql_boards_roll_back_with_the_log_transaction(log_kind, request, tenant):
    engine = request.getfixturevalue(
        f"{'sqlite' if log_kind == 'sqlite' else 'pg'}_engine"
    )
    log, store = SqlEventLog(engine), SqlBoardStore(engine)
    assert store.joins_log

    with pytest.raises(RuntimeError), log.session(tenant) as s:
        with store.writer(tenant, s) as w:
            w.set("b", [Entry("ana", 5, T1)])
        raise RuntimeError

    with log.session(tenant) as s, store.writer(tenant, s) as w:
        w.set("b", [Entry("bo", 7, T1)])
    assert _members(store, tenant, "b") == ["bo"]


def test_sql_boards_refuse_a_foreign_session(sqlite_engine, tenant):
    store = SqlBoardStore(sqlite_engine)
    with InMemoryEventLog().session(tenant) as s, pytest.raises(TypeError):
        with store.writer(tenant, s):
            pass


def test_ranks_stay_exact_through_random_sets_and_removes(store, tenant):
    """Every member's rank equals its position in the full order, whatever
    mix of score changes, ties and removals came before (the SQL store keeps
    per-score counts for ranks; they must never drift)."""
    rng = random.Random(11)
    members = [f"m{i:02d}" for i in range(40)]
    for step in range(12):
        changed = rng.sample(members, 10)
        entries = [
            Entry(m, rng.choice((5, 10, 10, 20)), T1 if step % 2 else T2)
            for m in changed
        ]
        with store.writer(tenant) as w:
            w.set("b", entries)
            if step % 3 == 2:
                w.remove("b", rng.sample(members, 4))
        with store.reader(tenant) as r:
            order = r.range("b", 0, 1000)
            assert [s.rank for s in order] == list(range(1, len(order) + 1))
            for s in order:
                assert r.rank("b", s.member) == s.rank
    with store.writer(tenant) as w:
        w.drop("b")
        w.set("b", [Entry("late", 1, T1)])
    with store.reader(tenant) as r:
        assert r.rank("b", "late") == 1 and r.count("b") == 1
