"""Leaderboards and weekly leagues: top of a board, a learner's rank, week close."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.boards import (
    BoardPublic,
    LeagueWeekPublic,
    RankPublic,
    WeekClosePublic,
)
from levelwise.api.schemas.common import Day
from levelwise.app.recognition.boards import previous_week
from levelwise.app.recognition.service import MAX_LIMIT
from levelwise.errors import AuthenticationError, LearnerNotFoundError, StoreError

router = APIRouter(tags=["boards"])

_ERRORS = problem_responses(AuthenticationError, RequestValidationError, StoreError)
_RANK_ERRORS = problem_responses(
    AuthenticationError, LearnerNotFoundError, RequestValidationError, StoreError
)
_WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"

Scope = Annotated[
    str,
    Query(
        pattern=r"^(all|cohort:.+|team:.+)$",
        max_length=220,
        description="all (the school), cohort:<id> or team:<id>",
    ),
]
Window = Annotated[
    Literal["all", "week", "month"],
    Query(description="all time, or the week or month that holds `at`"),
]
At = Annotated[
    Day | None,
    Query(description="A date in the wanted week or month (default: today)"),
]


def _league_week(week: str) -> str:
    """``week`` if it can hold a league: an ISO week that exists, with one before.

    The pattern lets through weeks no calendar has (2021-W53, 0000-W01); a
    league also reads the week before it (its groups are formed by last week's
    pace). Raising ``ValueError`` here makes them a 422 like any bad input.
    """
    previous_week(week)  # parses ``week`` too
    return week


Week = Annotated[
    str,
    Path(pattern=_WEEK, description="An ISO week such as 2026-W48"),
    AfterValidator(_league_week),
]


@router.get("/v1/boards", responses=_ERRORS)
def get_board(
    engine: EngineDep,
    tenant: TenantDep,
    scope: Scope = "all",
    window: Window = "all",
    at: At = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> BoardPublic:
    """The top of a board: more XP first, then who reached it first, then id.

    Weekly and monthly boards count only the XP earned in that window (by the
    learner's local date). Flagged XP and opted-out learners are left out.
    """
    return BoardPublic.of(engine.boards.top(tenant, scope, window, at, limit))


@router.get("/v1/learners/{learner_id}/rank", responses=_RANK_ERRORS)
def get_rank(
    learner_id: Annotated[str, Path(min_length=1, max_length=200)],
    engine: EngineDep,
    tenant: TenantDep,
    scope: Scope = "all",
    window: Window = "all",
    at: At = None,
    k: Annotated[int, Query(ge=0, le=50, description="Neighbours each side")] = 5,
) -> RankPublic:
    """A learner's rank and the learners just above and below.

    A learner who opted out of public boards gets the rank their XP would
    have, with ``public`` false.
    """
    view = engine.boards.rank(tenant, learner_id, scope, window, at, k)
    return RankPublic.of(view)


@router.get("/v1/leagues/close", include_in_schema=False)
def get_close() -> None:
    """``close`` is not a week: the path takes POST only (405 with ``Allow``)."""
    raise HTTPException(HTTPStatus.METHOD_NOT_ALLOWED)


@router.get("/v1/leagues/{week}", responses=_ERRORS)
def get_league(week: Week, engine: EngineDep, tenant: TenantDep) -> LeagueWeekPublic:
    """A week's league groups with promotion and demotion zones.

    Before the week is closed the groups are live (as if it closed now).
    """
    return LeagueWeekPublic.of(engine.boards.league(tenant, week))


@router.post("/v1/leagues/close", responses=_ERRORS)
def close_league(
    engine: EngineDep,
    tenant: TenantDep,
    week: Annotated[
        str,
        Query(pattern=_WEEK, description="The ISO week to close"),
        AfterValidator(_league_week),
    ],
) -> WeekClosePublic:
    """Close a week: promote the top, demote the bottom of every group.

    Idempotent: closing a week again changes nothing and returns the same moves
    with ``closed_now`` false.
    """
    return WeekClosePublic.of(engine.boards.close_week(tenant, week))
