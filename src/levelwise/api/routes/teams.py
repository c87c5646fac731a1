"""Team tasks: a learner's class progress, a team's tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.common import Day
from levelwise.api.schemas.teams import TaskProgressPublic, TeamTasksPublic
from levelwise.errors import (
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(tags=["teams"])

_ERRORS = problem_responses(
    AuthenticationError, ProgramNotFoundError, RequestValidationError, StoreError
)
_LEARNER_ERRORS = problem_responses(
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    RequestValidationError,
    StoreError,
)
Id = Annotated[str, Path(min_length=1, max_length=200)]
Lang = Annotated[
    str | None,
    Query(
        max_length=35,
        pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
        description="Language of titles (default: the program's first)",
    ),
]
At = Annotated[
    Day | None, Query(description="A date in the wanted windows (default: today)")
]
Window = Annotated[
    str | None,
    Query(
        pattern=r"^(all|\d{4}-W\d{2}|\d{4}-\d{2}|\d{4}-\d{2}-\d{2})$",
        description="One window for every task (2026-W50, 2026-12, 2026-12-07, all)",
    ),
]


@router.get("/v1/learners/{learner}/teams", responses=_LEARNER_ERRORS)
def learner_teams(
    learner: Id, engine: EngineDep, tenant: TenantDep, lang: Lang = None, at: At = None
) -> TeamTasksPublic:
    """The team tasks of the learner's class and team, in their current windows.

    Each says the team's total, the goal, and the learner's own part
    ("your class: 31 of 40, you gave 6").
    """
    found = engine.teams.learner_tasks(tenant, learner, lang, at)
    return TeamTasksPublic(tasks=[TaskProgressPublic.of(p) for p in found])


@router.get("/v1/teams/{team}/tasks", responses=_ERRORS)
def team_tasks(
    team: Id,
    engine: EngineDep,
    tenant: TenantDep,
    lang: Lang = None,
    at: At = None,
    window: Window = None,
) -> TeamTasksPublic:
    """Every team task as this class or team stands, with each member's part."""
    found = engine.teams.team_tasks(tenant, team, lang, at, window)
    return TeamTasksPublic(tasks=[TaskProgressPublic.of(p) for p in found])
