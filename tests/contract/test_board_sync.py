"""Boards follow the log on every backend: windows, ties, replay, opt-out, flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from levelwise.adapters.memory.boards import InMemoryBoardStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.sql.boards import SqlBoardStore
from levelwise.adapters.sql.event_log import SqlEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.recognition.ports import BoardStore
from tests.conftest import FixedClock
from tests.support.boards_support import redis_store
from tests.support.factories import SMALL_PROGRAM, answered, event, watched

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "redis",
]
PLUS8 = timezone(timedelta(hours=8))
MINUS5 = timezone(timedelta(hours=-5))


@pytest.fixture
def redis_boards() -> Iterator[BoardStore]:
    yield from redis_store()


@pytest.fixture(params=BACKENDS)
def lw(request: pytest.FixtureRequest, tenant: str) -> Levelwise:
    """An engine with boards on each backend, with the small program set."""
    if request.param == "memory":
        engine = Levelwise(InMemoryEventLog(), FixedClock(), InMemoryBoardStore())
    elif request.param == "redis":
        log = SqlEventLog(request.getfixturevalue("sqlite_engine"))
        engine = Levelwise(log, FixedClock(), request.getfixturevalue("redis_boards"))
    else:
        name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
        sql = request.getfixturevalue(name)
        engine = Levelwise(SqlEventLog(sql), FixedClock(), SqlBoardStore(sql))
    engine.put_program(tenant, SMALL_PROGRAM)
    return engine


def _top(lw: Levelwise, tenant: str, **kw: object) -> list[tuple[str, int]]:
    page = lw.boards.top(tenant, **kw)  # type: ignore[arg-type]
    return [(s.member, s.xp) for s in page.standings]


def test_a_week_board_counts_the_local_week(lw, tenant):
    # Sunday 23:30 in UTC+8 is Sunday 15:30 UTC: still ISO week 47.
    sunday = datetime(2026, 11, 22, 23, 30, tzinfo=PLUS8)
    # Sunday 19:10 in UTC-5 is Monday 00:10 UTC, yet locally still week 47.
    late_sunday = datetime(2026, 11, 22, 19, 10, tzinfo=MINUS5)
    # Monday 00:10 in UTC+8 is Sunday 16:10 UTC, but locally week 48.
    monday = datetime(2026, 11, 23, 0, 10, tzinfo=PLUS8)
    lw.ingest(
        tenant,
        [
            watched(600, learner="ana", at=sunday),
            watched(1200, learner="bo", at=late_sunday),
            watched(300, learner="cy", at=monday),
        ],
    )

    week47 = _top(lw, tenant, window="week", day=date(2026, 11, 18))
    week48 = _top(lw, tenant, window="week", day=date(2026, 11, 25))
    month = _top(lw, tenant, window="month", day=date(2026, 11, 1))
    alltime = _top(lw, tenant)

    assert week47 == [("bo", 20), ("ana", 10)]
    assert week48 == [("cy", 5)]
    assert month == [("bo", 20), ("ana", 10), ("cy", 5)]
    assert alltime == month


def test_equal_xp_ranks_who_reached_it_first_then_id(lw, tenant):
    t = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    lw.ingest(
        tenant,
        [
            watched(600, learner="zed", at=t),
            watched(600, learner="bea", at=t + timedelta(minutes=5)),
            watched(600, learner="abe", at=t + timedelta(minutes=5)),
            watched(900, learner="kim", at=t + timedelta(minutes=9)),
        ],
    )

    assert _top(lw, tenant) == [("kim", 15), ("zed", 10), ("abe", 10), ("bea", 10)]
    view = lw.boards.rank(tenant, "bea", k=1)
    assert (view.rank, view.public) == (4, True)
    assert [s.member for s in view.neighbours] == ["abe", "bea"]


def test_a_late_event_and_a_replay_give_the_same_boards(lw, tenant):
    t = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    # The watching rule caps at 30 XP a day: a late event moves later awards.
    lw.ingest(tenant, [watched(1200, learner="ana", at=t + timedelta(hours=2))])
    lw.ingest(tenant, [watched(1200, learner="bo", at=t + timedelta(hours=1))])
    lw.ingest(tenant, [watched(1800, learner="ana", at=t)])  # late
    boards = [
        _top(lw, tenant),
        _top(lw, tenant, window="week", day=t.date()),
        _top(lw, tenant, window="month", day=t.date()),
    ]

    lw.replay(tenant)

    assert boards[0] == [("ana", 30), ("bo", 20)]  # 30 then capped at 0
    assert [
        _top(lw, tenant),
        _top(lw, tenant, window="week", day=t.date()),
        _top(lw, tenant, window="month", day=t.date()),
    ] == boards


def test_an_opted_out_learner_is_off_public_boards_but_sees_their_rank(lw, tenant):
    t = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    lw.ingest(
        tenant,
        [
            event("profile.updated", learner="ana", cohort="7b", team="red", at=t),
            watched(1200, learner="ana", at=t),
            watched(600, learner="bo", at=t),
            event("profile.updated", learner="bo", cohort="7b", at=t),
        ],
    )
    assert _top(lw, tenant, scope="cohort:7b") == [("ana", 20), ("bo", 10)]
    assert _top(lw, tenant, scope="team:red") == [("ana", 20)]

    lw.ingest(
        tenant,
        [event("profile.updated", learner="ana", public_boards=False, minutes=1)],
    )

    assert _top(lw, tenant) == [("bo", 10)]
    assert _top(lw, tenant, scope="cohort:7b") == [("bo", 10)]
    assert _top(lw, tenant, scope="team:red") == []
    mine = lw.boards.rank(tenant, "ana")
    assert (mine.public, mine.rank, mine.xp) == (False, 1, 20)


def test_a_cohort_change_moves_the_learner_between_boards(lw, tenant):
    t = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    lw.ingest(
        tenant,
        [
            event("profile.updated", learner="ana", cohort="7a", at=t),
            watched(600, learner="ana", at=t),
        ],
    )
    lw.ingest(
        tenant,
        [event("profile.updated", learner="ana", cohort="7b", at=t + timedelta(1))],
    )

    assert _top(lw, tenant, scope="cohort:7a") == []
    assert _top(lw, tenant, scope="cohort:7b") == [("ana", 10)]


def test_flagged_xp_stays_off_boards_but_counts_for_the_learner(lw, tenant):
    t = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    lw.ingest(
        tenant,
        [
            answered(True, learner="ana", item="q1", at=t),
            # The same item right again minutes later: flagged as a repeat.
            answered(True, learner="ana", item="q1", at=t + timedelta(minutes=5)),
        ],
    )

    assert _top(lw, tenant) == [("ana", 5)]
    assert lw.learner(tenant, "ana").xp == 10


def test_a_learner_without_xp_has_no_rank(lw, tenant):
    lw.ingest(tenant, [event("profile.updated", learner="ana", cohort="7a")])

    view = lw.boards.rank(tenant, "ana", scope="cohort:7a")

    assert (view.rank, view.xp, view.neighbours) == (None, 0, ())


def _week_of_xp(lw, tenant, n, start, unit="u1"):
    # Learner i earns i + 1 XP (minutes of watching) from ``start``.
    lw.ingest(
        tenant,
        [
            watched(
                60 * (i + 1),
                unit=unit,
                learner=f"l{i:02d}",
                at=start + timedelta(minutes=i),
            )
            for i in range(n)
        ],
    )


def test_closing_a_week_moves_learners_and_is_idempotent(lw, tenant):
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)  # week 2026-W48
    _week_of_xp(lw, tenant, 30, tuesday)

    live = lw.boards.league(tenant, "2026-W48")
    first = lw.boards.close_week(tenant, "2026-W48")
    again = lw.boards.close_week(tenant, "2026-W48")
    final = lw.boards.league(tenant, "2026-W48")

    assert not live.closed and final.closed
    assert [len(g.standings) for g in live.groups] == [30]
    assert final.groups == live.groups
    assert first.closed_now and not again.closed_now
    assert again.moves == first.moves
    promoted = [m.learner for m in first.moves if m.zone == "promotion"]
    assert promoted == [f"l{i:02d}" for i in range(29, 22, -1)]
    assert lw.boards.tier(tenant, "l29") == 1
    assert lw.boards.tier(tenant, "l00") == 0  # bronze: nobody goes lower
    assert lw.boards.tier(tenant, "l15") == 0


def test_next_week_groups_by_tier_after_a_close(lw, tenant):
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=PLUS8)
    _week_of_xp(lw, tenant, 30, tuesday)
    lw.boards.close_week(tenant, "2026-W48")
    # Another unit: a repeat on u1 would earn less (repeat decay).
    _week_of_xp(lw, tenant, 30, tuesday + timedelta(days=7), unit="u3")

    groups = lw.boards.league(tenant, "2026-W49").groups

    assert [(g.tier_name, len(g.standings)) for g in groups] == [
        ("silver", 7),
        ("bronze", 23),
    ]
