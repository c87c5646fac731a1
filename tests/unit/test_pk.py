"""Group PK in the fold: answers score team points; results feed XP and badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.wire import EVENT_ADAPTER, to_domain
from levelwise.app.programs.loader import load_program
from levelwise.domain.codec import outcome_from_dict, outcome_to_dict
from levelwise.domain.fold import fold_all
from levelwise.domain.outcomes import BadgeEarned, PkScored, XpAwarded
from tests.support.factories import SMALL_PROGRAM, new_id

PK_RULES = """\
  - id: pk_result
    on: pk.finished
    xp: if(won, 20, 5) + points / 10
badges:
  - id: pk_champion
    title: PK champion
    on: pk.finished
    where: won
    tiers: [{tier: bronze, count: 1}, {tier: silver, count: 2}]
"""

T = datetime(2026, 3, 2, 18, tzinfo=UTC)


def ev(type_: str, minutes: float, **fields: object):  # type: ignore[no-untyped-def]
    raw = {
        "id": new_id(),
        "learner": "ana",
        "type": type_,
        "occurred_at": (T + timedelta(minutes=minutes)).isoformat(),
        **fields,
    }
    return to_domain(EVENT_ADAPTER.validate_python(raw))


@pytest.fixture(scope="module")
def program():  # type: ignore[no-untyped-def]
    text = SMALL_PROGRAM.replace(
        "xp_rules:\n", "xp_rules:\n" + PK_RULES.split("badges:")[0]
    )
    return load_program(text + "badges:" + PK_RULES.split("badges:")[1], "pk.yaml")


@pytest.mark.parametrize(
    ("correct", "ms", "points"),
    [
        (True, 0, 20),
        (True, 2500, 17),
        (True, 9000, 11),
        (True, 60_000, 10),
        (False, 100, 0),
    ],
)
def test_a_pk_answer_scores_right_and_fast(
    program, correct: bool, ms: int, points: int
) -> None:  # type: ignore[no-untyped-def]
    answer = ev(
        "live.interaction", 1, unit="u3", kind="pk", correct=correct,
        pk="pk-1", team="red", round=2, response_ms=ms,
    )  # fmt: skip
    _, outcomes = fold_all([answer], program)
    scored = [o for o in outcomes if isinstance(o, PkScored)]
    assert [(s.pk, s.team, s.round, s.points) for s in scored] == [
        ("pk-1", "red", 2, points)
    ]
    assert outcome_from_dict(outcome_to_dict(scored[0])) == scored[0]


def test_interactions_outside_a_pk_score_nothing(program) -> None:  # type: ignore[no-untyped-def]
    plain = ev("live.interaction", 1, unit="u3", kind="pk", correct=True)
    _, outcomes = fold_all([plain], program)
    assert not [o for o in outcomes if isinstance(o, PkScored)]


def test_a_pk_answer_needs_its_team() -> None:
    raw = {
        "id": "x", "learner": "ana", "type": "live.interaction",
        "occurred_at": T.isoformat(), "kind": "pk", "pk": "pk-1",
    }  # fmt: skip
    with pytest.raises(ValidationError, match="names its team"):
        EVENT_ADAPTER.validate_python(raw)


def test_pk_results_earn_xp_and_badges(program) -> None:  # type: ignore[no-untyped-def]
    def result(minutes: float, won: bool):  # type: ignore[no-untyped-def]
        return ev(
            "pk.finished", minutes, pk=f"pk-{minutes}", team="red", points=40,
            team_points=120, rank=1 if won else 2, won=won,
        )  # fmt: skip

    state, outcomes = fold_all(
        [result(1, True), result(2, False), result(3, True)], program
    )
    assert state is not None
    assert [o.xp for o in outcomes if isinstance(o, XpAwarded)] == [24, 9, 24]
    earned = [(o.badge, o.tier) for o in outcomes if isinstance(o, BadgeEarned)]
    assert earned == [("pk_champion", "bronze"), ("pk_champion", "silver")]
