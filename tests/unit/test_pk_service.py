"""Group PK: scoreboard from the committed scores, ties, rounds, finishing."""

from __future__ import annotations

import orjson
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.pk import InMemoryPkStore
from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.recognition.pk import Pk, Score, finished_events, tally
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import PkScored
from levelwise.errors import PkConflictError, PkNotFoundError, PkRequestError
from tests.api.conftest import FixedClock
from tests.support.pk_support import PK_PROGRAM, TEAMS, answer


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), FixedClock())
    engine.put_program("school", PK_PROGRAM)
    return engine


@pytest.fixture
def pk(engine: Levelwise) -> Pk:
    service = Pk(engine, InMemoryPkStore())
    service.start("school", "pk-1", TEAMS, rounds=2, cohort="7b")
    return service


def _points(board) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t.team: t.points for t in board.teams}


def test_the_board_sums_points_per_team_round_and_learner(engine, pk) -> None:  # type: ignore[no-untyped-def]
    engine.ingest(
        "school",
        [
            answer("ana", "red", 1),  # 20
            answer("bob", "red", 2, ms=2500),  # 17
            answer("cy", "blue", 3, correct=False),  # 0
            answer("dee", "blue", 4, round_=2),  # 20
            answer("ana", "red", 5, round_=2, ms=9000),  # 11
            answer("eve", "green", 6, pk="pk-other"),  # another PK
        ],
    )
    board = pk.scoreboard("school", "pk-1")
    assert [(t.team, t.place, t.rank, t.points) for t in board.teams] == [
        ("red", 1, 1, 48),
        ("blue", 2, 2, 20),
        ("green", 3, 3, 0),
    ]
    red, blue, _ = board.teams
    assert red.rounds == ((1, 37), (2, 11))
    assert blue.rounds == ((1, 0), (2, 20))
    assert [(x.learner, x.points, x.answers, x.correct) for x in red.learners] == [
        ("ana", 31, 2, 2),
        ("bob", 17, 1, 1),
    ]
    assert [(x.learner, x.answers, x.correct) for x in blue.learners] == [
        ("dee", 1, 1),
        ("cy", 1, 0),
    ]
    assert board.answers == 5 and not board.ignored and not board.finished


def test_ties_go_to_the_earlier_last_score_then_the_team_id(engine, pk) -> None:  # type: ignore[no-untyped-def]
    engine.ingest(
        "school",
        [
            answer("cy", "blue", 1),
            answer("ana", "red", 2),
            answer("eve", "green", 3, correct=False),
        ],
    )
    board = pk.scoreboard("school", "pk-1")
    assert [(t.team, t.place, t.rank, t.won) for t in board.teams] == [
        ("blue", 1, 1, True),
        ("red", 2, 1, True),
        ("green", 3, 3, False),
    ]
    same_time = "2026-01-01T00:00:00Z"
    pairs = [("eve", "green"), ("cy", "blue")]
    scores = [Score(x, x, t, 1, 20, same_time, i + 1) for i, (x, t) in enumerate(pairs)]
    tied = tally(pk.spec("school", "pk-1"), scores)
    assert [t.team for t in tied.teams] == ["blue", "green", "red"]


def test_answers_outside_the_pk_are_ignored_and_reported(engine, pk) -> None:  # type: ignore[no-untyped-def]
    stranger = answer("zed", "red", 1)
    turncoat = answer("ana", "blue", 2)
    late_round = answer("bob", "red", 3, round_=3)
    engine.ingest("school", [stranger, turncoat, late_round, answer("cy", "blue", 4)])
    board = pk.scoreboard("school", "pk-1")
    assert _points(board) == {"blue": 20, "red": 0, "green": 0}
    assert sorted((i.learner, i.event_id, i.reason) for i in board.ignored) == [
        ("ana", turncoat["id"], "the learner plays for team 'red'"),
        ("bob", late_round["id"], "the PK has 2 rounds"),
        ("zed", stranger["id"], "the learner is not in this PK"),
    ]


def test_the_board_equals_a_recomputation_from_the_log(engine, pk) -> None:  # type: ignore[no-untyped-def]
    events = [
        answer(x, t, m, correct=m % 3 != 0, ms=700 * m, round_=1 + m % 2)
        for m, (x, t) in enumerate(
            [("ana", "red"), ("cy", "blue"), ("eve", "green"), ("bob", "red")] * 4
        )
    ]
    for chunk in (events[:5], events[5:9], events[9:]):
        engine.ingest("school", list(reversed(chunk)))
    program = engine.program("school")
    recomputed: dict[str, int] = {}
    for raw in events:
        _, outcomes = fold_all([to_domain(EVENT_ADAPTER.validate_python(raw))], program)
        for o in outcomes:
            if isinstance(o, PkScored):
                recomputed[o.team] = recomputed.get(o.team, 0) + o.points
    board = pk.scoreboard("school", "pk-1")
    assert _points(board) == recomputed
    assert board.answers == len(events)


def test_answers_before_the_start_do_not_count(engine) -> None:  # type: ignore[no-untyped-def]
    engine.ingest("school", [answer("ana", "red", 1, pk="pk-2")])
    pk = Pk(engine, InMemoryPkStore())
    pk.start("school", "pk-2", TEAMS, rounds=1)
    engine.ingest("school", [answer("bob", "red", 2, pk="pk-2")])
    assert _points(pk.scoreboard("school", "pk-2"))["red"] == 20


def test_start_validates_and_is_idempotent(pk) -> None:  # type: ignore[no-untyped-def]
    again = pk.start("school", "pk-1", TEAMS, rounds=2, cohort="7b")
    assert again.pk == "pk-1" and len(again.teams) == 3
    with pytest.raises(PkConflictError, match="already started"):
        pk.start("school", "pk-1", TEAMS, rounds=3, cohort="7b")
    with pytest.raises(PkRequestError, match="in teams 'a' and 'b'"):
        pk.start("school", "pk-9", {"a": ["ana"], "b": ["ana"]}, rounds=1)
    with pytest.raises(PkRequestError, match="at least two teams"):
        pk.start("school", "pk-9", {"a": ["ana"]}, rounds=1)
    with pytest.raises(PkNotFoundError):
        pk.scoreboard("school", "pk-9")
    with pytest.raises(PkNotFoundError):
        pk.scoreboard("other-school", "pk-1")


def test_finish_logs_results_with_xp_and_badges_once(engine, pk) -> None:  # type: ignore[no-untyped-def]
    engine.ingest(
        "school",
        [answer("ana", "red", 1), answer("cy", "blue", 2), answer("dee", "blue", 3)],
    )
    done = pk.finish("school", "pk-1")
    assert done.scoreboard.finished
    assert [r.status for r in done.report.results] == ["accepted"] * 5
    engine.ingest("school", [answer("bob", "red", 4)])  # after the finish
    again = pk.finish("school", "pk-1")
    assert [r.status for r in again.report.results] == ["duplicate"] * 5
    assert again.scoreboard == done.scoreboard
    assert pk.scoreboard("school", "pk-1") == done.scoreboard
    results = {}
    for x in ("ana", "bob", "cy", "dee", "eve"):
        (row,) = [
            r for r in engine.receipts("school", x, kinds=["xp"])
            if r["event_id"].startswith("pk-")
        ]  # fmt: skip
        results[x] = row["xp"]
    # won: 20 + points / 10; lost: 5 + points / 10
    assert results == {"ana": 7, "bob": 5, "cy": 22, "dee": 22, "eve": 5}
    badges = {
        x: [r["badge"] for r in engine.receipts("school", x, kinds=["badge_earned"])]
        for x in ("ana", "cy", "eve")
    }
    assert badges == {"ana": [], "cy": ["pk_champion"], "eve": []}


def test_finished_events_carry_team_result_and_rank(engine, pk) -> None:  # type: ignore[no-untyped-def]
    engine.ingest("school", [answer("ana", "red", 1), answer("cy", "blue", 2)])
    done = pk.finish("school", "pk-1")
    spec = pk.spec("school", "pk-1")
    events = {e["learner"]: e for e in finished_events(spec, done.scoreboard)}
    assert {x: (e["team"], e["points"], e["team_points"], e["rank"], e["won"])
            for x, e in events.items()} == {
        "ana": ("red", 20, 20, 1, True), "bob": ("red", 0, 20, 1, True),
        "cy": ("blue", 20, 20, 1, True), "dee": ("blue", 0, 20, 1, True),
        "eve": ("green", 0, 0, 3, False),
    }  # fmt: skip
    assert len({e["id"] for e in events.values()}) == 5
    for e in events.values():
        stored = engine.receipts("school", e["learner"], kinds=["xp"])
        assert any(r["event_id"] == e["id"] for r in stored)
    assert orjson.dumps(events["ana"])  # a plain JSON-able wire event


def test_pk_scores_reach_the_class_outbox(engine, pk) -> None:  # type: ignore[no-untyped-def]
    engine.ingest("school", [answer("ana", "red", 1)])
    rows = engine.notifications.read("school", after=0)
    assert [r.kind for r in rows] == ["pk_scored"]
    assert orjson.loads(rows[0].body)["data"]["points"] == 20
