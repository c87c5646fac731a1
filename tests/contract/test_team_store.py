"""The TeamStore contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from levelwise.adapters.memory.teams import InMemoryTeamStore
from levelwise.adapters.sql.teams import SqlTeamStore
from levelwise.app.teams.ports import Member, Met, Progress, TeamStore


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> TeamStore:
    """Each TeamStore implementation in turn."""
    if request.param == "memory":
        return InMemoryTeamStore()
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlTeamStore(request.getfixturevalue(name))


def row(learner, value=1.0, task="t", window="2026-W02", team="7b"):
    return Progress(
        task, window, team, learner, value, 1, "2026-01-05T09:00:00.000000Z"
    )


def test_rows_are_put_replaced_and_read_by_task_window_team(
    store, tenant, other_tenant
):
    with store.writer(tenant) as w:
        w.put([row("bob", 2.0), row("ana"), row("ana", window="2026-W03")])
        w.put([row("ana", 5.0)])
    with store.reader(tenant) as r:
        assert r.progress("t", "2026-W02", "7b") == [row("ana", 5.0), row("bob", 2.0)]
        assert [p.window for p in r.progress("t")] == [
            "2026-W02",
            "2026-W02",
            "2026-W03",
        ]
        assert r.progress_of("ana") == [row("ana", 5.0), row("ana", window="2026-W03")]
        assert r.progress("other") == []
    with store.reader(other_tenant) as r:
        assert r.progress("t") == []


def test_remove_and_clear_forget_rows(store, tenant):
    with store.writer(tenant) as w:
        w.put([row("ana"), row("bob"), row("ana", task="u")])
        w.remove([row("bob").key, ("t", "nope", "7b", "bob")])
        w.clear("ana", ["t"])
    with store.reader(tenant) as r:
        assert r.progress("t") == []
        assert r.progress("u") == [row("ana", task="u")]


def test_members_are_one_per_kind_and_learner(store, tenant):
    a = Member("cohort", "ana", "7b", "2026-01-05T09:00:00.000000Z")
    with store.writer(tenant) as w:
        w.put_members([a, Member("team", "ana", "red", a.since)])
        w.put_members([Member("cohort", "bob", "7b", a.since)])
        w.put_members([Member("cohort", "bob", "8a", "2026-01-06T09:00:00.000000Z")])
    with store.reader(tenant) as r:
        assert r.members("cohort", "7b") == [a]
        assert [m.learner for m in r.members("cohort", "8a")] == ["bob"]
    with store.writer(tenant) as w:
        w.remove_members("cohort", ["ana"])
    with store.reader(tenant) as r:
        assert r.members("cohort", "7b") == []
        assert [m.team for m in r.members("team", "red")] == ["red"]


def test_a_goal_met_is_kept_as_first_recorded_and_survives_drop(store, tenant):
    first = Met("t", "2026-W02", "7b", "2026-01-05T09:00:00.000000Z", 40.0, 3)
    with store.writer(tenant) as w:
        w.add_met([first])
        w.add_met([Met("t", "2026-W02", "7b", "2026-01-06T00:00:00.000000Z", 41.0, 4)])
        w.put([row("ana")])
        w.put_members([Member("cohort", "ana", "7b", first.at)])
        w.drop()
    with store.reader(tenant) as r:
        assert r.met("t", "2026-W02", "7b") == [first]
        assert r.met(team="8a") == []
        assert r.progress("t") == [] and r.members("cohort", "7b") == []
