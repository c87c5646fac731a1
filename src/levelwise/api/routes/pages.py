"""``POST /v1/pages/links``: signed links to a learner's page or the dashboard.

The pages themselves (``/pages/...``) are served by :mod:`levelwise.web`; a
link's token is checked there with the same key (see
:mod:`levelwise.app.links`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.pages import PageLinkCreate, PageLinkPublic
from levelwise.app.links import PageGrant, link_path
from levelwise.errors import (
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/pages", tags=["pages"])

_ERRORS = problem_responses(
    AuthenticationError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    RequestValidationError,
    StoreError,
)


@router.post("/links", status_code=201, responses=_ERRORS)
def create_link(
    body: PageLinkCreate, request: Request, engine: EngineDep, tenant: TenantDep
) -> PageLinkPublic:
    """A signed link to a learner's page or the school's dashboard.

    Anyone holding the link sees that page (and only it) until ``expires_at``,
    so hand it to the learner or operator it is for. A learner page needs a
    learner with events in this school.
    """
    learner = body.learner or ""
    if body.page == "learner":
        engine.learner(tenant, learner)  # raises LearnerNotFoundError
    now = datetime.fromisoformat(engine.clock.now_iso())
    expires = (now + timedelta(hours=body.hours)).replace(microsecond=0)
    grant = PageGrant(tenant, body.page, learner, expires)
    token = engine.links.sign(grant)
    base = str(request.base_url).rstrip("/")
    return PageLinkPublic(url=base + link_path(grant, token), expires_at=expires)
