"""The record store's administration: LRS clients, unmapped statements (API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.lrs import (
    ClientCreate,
    ClientListPublic,
    ClientPublic,
    NewClientPublic,
    UnmappedPublic,
    UnmappedReportPublic,
)
from levelwise.app.engine import Levelwise
from levelwise.app.xapi.service import RecordStore
from levelwise.errors import AuthenticationError, StoreError, XapiNotFoundError

router = APIRouter(tags=["xapi"])
_ERRORS = problem_responses(
    AuthenticationError, RequestValidationError, XapiNotFoundError, StoreError
)
ClientKey = Annotated[str, Path(min_length=1, max_length=200)]


def _records(engine: Levelwise) -> RecordStore:
    if engine.xapi is None:
        raise XapiNotFoundError("this server keeps no xAPI record store")
    return engine.xapi


@router.post(
    "/v1/xapi/clients",
    status_code=201,
    responses=_ERRORS,
    response_model=NewClientPublic,
)
def add_client(
    body: ClientCreate, engine: EngineDep, tenant: TenantDep
) -> NewClientPublic:
    """Create an LRS client: its key and secret are ``/xapi/``'s Basic credentials.

    The secret is shown only in this answer.
    """
    made = _records(engine).add_client(tenant, body.label)
    c = made.client
    return NewClientPublic(
        key=c.key, label=c.label, created=c.created, secret=made.secret
    )


@router.get("/v1/xapi/clients", responses=_ERRORS)
def list_clients(engine: EngineDep, tenant: TenantDep) -> ClientListPublic:
    """The school's LRS clients, oldest first (never their secrets)."""
    found = _records(engine).clients(tenant)
    return ClientListPublic(
        clients=[
            ClientPublic(key=c.key, label=c.label, created=c.created) for c in found
        ]
    )


@router.delete("/v1/xapi/clients/{key}", status_code=204, responses=_ERRORS)
def remove_client(key: ClientKey, engine: EngineDep, tenant: TenantDep) -> Response:
    """Revoke an LRS client: its credentials stop working at once."""
    if not _records(engine).remove_client(tenant, key):
        raise XapiNotFoundError(f"no LRS client {key}")
    return Response(status_code=204)


@router.get("/v1/xapi/unmapped", responses=_ERRORS)
def unmapped(engine: EngineDep, tenant: TenantDep) -> UnmappedReportPublic:
    """Which verbs and activity types arrive without a mapping to learning events.

    Reads the school's latest 10,000 statements and explains each under the
    current program's ``xapi:`` mapping, so the school can extend it.
    """
    feed = engine.statement_feed
    if feed is None:
        raise XapiNotFoundError("this server keeps no xAPI record store")
    report = feed.unmapped(tenant)
    return UnmappedReportPublic(
        read=report.read,
        unmapped=report.unmapped,
        kinds=[
            UnmappedPublic(
                verb=k.verb,
                activity_type=k.activity_type,
                reason=k.reason,
                count=k.count,
                example=k.example,
            )
            for k in report.kinds
        ],
    )
