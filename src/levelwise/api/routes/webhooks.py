"""``/v1/webhooks``: a school's webhook endpoints, their delivery log, replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
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

NotificationId = Annotated[str, StringConstraints(pattern=r"^msg_[0-9a-f]{32}$")]
"""A notification's ``webhook-id``: ``msg_`` and 32 hex digits."""

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EndpointId = Annotated[
    str, Path(min_length=1, max_length=200, description="The endpoint id (ep_...)")
]
_COMMON = (AuthenticationError, RequestValidationError, StoreError)
_ADD = problem_responses(*_COMMON, NotificationRequestError)
_LIST = problem_responses(*_COMMON)
_ENDPOINT = problem_responses(*_COMMON, WebhookNotFoundError)
_REPLAY = problem_responses(*_COMMON, NotificationRequestError, WebhookNotFoundError)


@router.post("", status_code=201, responses=_ADD)
def add_webhook(
    body: WebhookCreate, engine: EngineDep, tenant: TenantDep
) -> WebhookCreatedPublic:
    """Add an endpoint; it receives notifications committed from now on.

    The answer carries the signing secret (``whsec_...``) once; requests are
    signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``).
    """
    endpoint = engine.webhooks.add(tenant, body.url, body.kinds)
    return WebhookCreatedPublic.from_new(endpoint)


@router.get("", responses=_LIST)
def list_webhooks(engine: EngineDep, tenant: TenantDep) -> list[WebhookPublic]:
    """The school's endpoints, oldest first (without secrets)."""
    return [WebhookPublic.from_endpoint(e) for e in engine.webhooks.endpoints(tenant)]


@router.delete("/{endpoint}", status_code=204, responses=_ENDPOINT)
def remove_webhook(
    endpoint: EndpointId, engine: EngineDep, tenant: TenantDep
) -> Response:
    """Remove an endpoint; deliveries still queued for it are dropped."""
    engine.webhooks.remove(tenant, endpoint)
    return Response(status_code=204)


@router.get("/{endpoint}/attempts", responses=_ENDPOINT)
def webhook_attempts(
    endpoint: EndpointId,
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WebhookAttemptPublic]:
    """The endpoint's delivery log, newest first: status code, error, duration."""
    rows = engine.webhooks.attempts(tenant, endpoint, limit)
    return [WebhookAttemptPublic.from_attempt(a) for a in rows]


@router.post("/replay", responses=_REPLAY)
def replay_webhooks(
    engine: EngineDep,
    tenant: TenantDep,
    since: Annotated[
        str | None, Query(description="Notifications committed at or after (ISO)")
    ] = None,
    until: Annotated[str | None, Query(description="... and before (ISO)")] = None,
    ids: Annotated[
        list[NotificationId] | None,
        Query(alias="id", max_length=1000, description="Notification ids"),
    ] = None,
    endpoint: Annotated[str | None, Query(description="Only to this endpoint")] = None,
) -> ReplayPublic:
    """Send notifications again with their original ``webhook-id``.

    Name them by ``id`` (repeatable) or by ``since`` (and ``until``); receivers
    that deduplicate by ``webhook-id`` ignore what they already have.
    """
    queued = engine.webhooks.replay(
        tenant, ids=ids or (), since=since, until=until, endpoint_id=endpoint
    )
    return ReplayPublic(queued=queued)
