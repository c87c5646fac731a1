"""``/v1/webhooks``: a school's webhook endpoints, their delivery log, replays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas import Problem
from levelwise.api.schemas.webhooks import (
    ReplayPublic,
    WebhookAttemptPublic,
    WebhookCreate,
    WebhookCreatedPublic,
    WebhookPublic,
)
from levelwise.errors import (
    AuthenticationError,
    NotificationRequestError,
    StoreError,
    WebhookNotFoundError,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EndpointId = Annotated[
    str, Path(min_length=1, max_length=200, description="The endpoint id (ep_...)")
]
_COMMON = problem_responses(AuthenticationError, RequestValidationError, StoreError)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "`not-found`: no such endpoint"}
}


@contextmanager
def _problems(where: str) -> Iterator[None]:
    """Answer the notification errors as problem+json (422 and 404)."""
    try:
        yield
    except WebhookNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except NotificationRequestError as exc:
        error = {"type": "value_error", "loc": (where,), "msg": str(exc)}
        raise RequestValidationError([error]) from exc


@router.post("", status_code=201, responses=_COMMON)
def add_webhook(
    body: WebhookCreate, engine: EngineDep, tenant: TenantDep
) -> WebhookCreatedPublic:
    """Add an endpoint; it receives notifications committed from now on.

    The answer carries the signing secret (``whsec_...``) once; requests are
    signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``).
    """
    with _problems("body"):
        endpoint = engine.webhooks.add(tenant, body.url, body.kinds)
    return WebhookCreatedPublic.from_new(endpoint)


@router.get("", responses=_COMMON)
def list_webhooks(engine: EngineDep, tenant: TenantDep) -> list[WebhookPublic]:
    """The school's endpoints, oldest first (without secrets)."""
    return [WebhookPublic.from_endpoint(e) for e in engine.webhooks.endpoints(tenant)]


@router.delete("/{endpoint}", status_code=204, responses={**_COMMON, **_NOT_FOUND})
def remove_webhook(
    endpoint: EndpointId, engine: EngineDep, tenant: TenantDep
) -> Response:
    """Remove an endpoint; deliveries still queued for it are dropped."""
    with _problems("path"):
        engine.webhooks.remove(tenant, endpoint)
    return Response(status_code=204)


@router.get("/{endpoint}/attempts", responses={**_COMMON, **_NOT_FOUND})
def webhook_attempts(
    endpoint: EndpointId,
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WebhookAttemptPublic]:
    """The endpoint's delivery log, newest first: status code, error, duration."""
    with _problems("path"):
        rows = engine.webhooks.attempts(tenant, endpoint, limit)
    return [WebhookAttemptPublic.from_attempt(a) for a in rows]


@router.post("/replay", responses={**_COMMON, **_NOT_FOUND})
def replay_webhooks(
    engine: EngineDep,
    tenant: TenantDep,
    since: Annotated[
        str | None, Query(description="Notifications committed at or after (ISO)")
    ] = None,
    until: Annotated[str | None, Query(description="... and before (ISO)")] = None,
    ids: Annotated[
        list[str] | None,
        Query(alias="id", max_length=1000, description="Notification ids"),
    ] = None,
    endpoint: Annotated[str | None, Query(description="Only to this endpoint")] = None,
) -> ReplayPublic:
    """Send notifications again with their original ``webhook-id``.

    Name them by ``id`` (repeatable) or by ``since`` (and ``until``); receivers
    that deduplicate by ``webhook-id`` ignore what they already have.
    """
    with _problems("query"):
        queued = engine.webhooks.replay(
            tenant, ids=ids or (), since=since, until=until, endpoint_id=endpoint
        )
    return ReplayPublic(queued=queued)
