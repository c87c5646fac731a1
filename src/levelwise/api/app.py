"""The FastAPI application factory."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from levelwise.api.problems import (
    document_unreadable_bodies,
    install_problem_handlers,
    problem_responses,
    use_problem_media_type,
)
from levelwise.api.routes import agora as agora_routes
from levelwise.api.routes import boards as board_routes
from levelwise.api.routes import credentials as credential_routes
from levelwise.api.routes import (
    events,
    guidance,
    health,
    learners,
    live,
    lrs,
    placements,
    practice,
    programs,
    streams,
    teams,
    webhooks,
    xapi,
)
from levelwise.api.routes import metrics as metric_routes
from levelwise.api.routes import pages as page_routes
from levelwise.api.routes import pk as pk_routes
from levelwise.api.schemas.events import event_schemas
from levelwise.app.engine import Levelwise

_DESCRIPTION = """\
Events in, exact levels with receipts out.

Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`; a key
belongs to one school and every request sees only that school's data. Every
error is `application/problem+json` (RFC 9457) with a `urn:levelwise:problem:*`
type.
"""


class _LevelwiseAPI(FastAPI):
    """FastAPI whose OpenAPI schema shows error bodies as problem+json."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.included: list[APIRouter] = []

    def include_router(self, router: APIRouter, **kwargs: Any) -> None:
        """Include ``router``, remembering it for the OpenAPI document."""
        self.included.append(router)
        super().include_router(router, **kwargs)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI schema, built once."""
        if self.openapi_schema is None:
            openapi = super().openapi()
            use_problem_media_type(openapi)
            openapi["components"]["schemas"].update(event_schemas())
            parsed = [
                (route.path, method)
                for router in self.included
                for route in router.routes
                if isinstance(route, APIRoute)
                and route.include_in_schema
                and route.body_field is not None
                for method in route.methods or ()
            ]
            document_unreadable_bodies(openapi, parsed)
        return super().openapi()


def _version() -> str:
    try:
        return version("levelwise")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(engine: Levelwise, *, title: str = "Levelwise") -> FastAPI:
    """Build the HTTP API over a ready engine.

    Args:
        engine: The use cases, already wired to a store and a clock.
        title: The API's title in OpenAPI and ``/docs``.

    Returns:
        The application; ``engine`` is kept in ``app.state.engine``.
    """
    app = _LevelwiseAPI(
        title=title,
        version=_version(),
        description=_DESCRIPTION,
        responses=problem_responses(Exception),
        # A trailing slash is never redirected away: /v1/learners/abc%2F is
        # not learner abc, and a redirect between learners would show one
        # learner's data at another's address.
        redirect_slashes=False,
    )
    app.state.engine = engine
    install_problem_handlers(app)
    for module in (health, events, learners, guidance, programs, placements):
        app.include_router(module.router)
    app.include_router(credential_routes.router)
    app.include_router(webhooks.router)
    app.include_router(streams.router)
    app.include_router(board_routes.router)
    app.include_router(pk_routes.router)
    app.include_router(metric_routes.router)
    app.include_router(practice.router)
    app.include_router(agora_routes.router)
    app.include_router(live.router)
    app.include_router(page_routes.router)
    app.include_router(teams.router)
    app.include_router(lrs.router)
    app.include_router(xapi.router)
    return app
