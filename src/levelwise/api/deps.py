"""Request dependencies: the engine, the caller's tenant, and size-limited bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from levelwise.api.schemas.events import EventBatchCreate
from levelwise.api.schemas.programs import ProgramCreate
from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import loads, repeated_keys
from levelwise.errors import (
    AuthenticationError,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
)

MAX_EVENTS_BYTES = 16 * 1024 * 1024
"""Byte limit of ``POST /v1/events`` (5,000 events of about 3 KB)."""
MAX_PROGRAM_BYTES = 1024 * 1024
"""Byte limit of ``PUT /v1/programs``."""
YAML_TYPES = frozenset(
    {"application/yaml", "application/x-yaml", "text/yaml", "text/plain"}
)
"""Media types read as the program's raw text."""

# Both schemes are optional on their own: get_tenant accepts either and answers
# 401 itself, so the problem body and WWW-Authenticate header are ours.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`"
)


def get_engine(request: Request) -> Levelwise:
    """The engine ``create_app`` stored on the application."""
    engine: Levelwise = request.app.state.engine
    return engine


EngineDep = Annotated[Levelwise, Depends(get_engine)]


def get_tenant(
    engine: EngineDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> str:
    """The tenant (school) whose API key came with the request.

    Raises:
        AuthenticationError: No key was sent, or the key is unknown.
    """
    key = bearer.credentials if bearer is not None else api_key
    if not key:
        msg = "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        raise AuthenticationError(msg)
    tenant = engine.tenant_for_key(key)
    if tenant is None:
        msg = "the API key is unknown or was revoked"
        raise AuthenticationError(msg)
    return tenant


TenantDep = Annotated[str, Depends(get_tenant)]


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower case ('' if none)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read in chunks and refused once it passes ``limit``.

    Raises:
        BodyTooLargeError: The body (or its declared length) exceeds ``limit``.
    """
    too_large = f"the body is limited to {limit:,} bytes"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(too_large)
    return bytes(body)


def _invalid_body(exc: ValidationError) -> RequestValidationError:
    errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    return RequestValidationError(errors)


def _is_json(media: str) -> bool:
    return media in ("", "application/json") or media.endswith("+json")


async def event_batch(request: Request) -> EventBatchCreate:
    """The event batch in the JSON body (an object or a bare array).

    Raises:
        UnsupportedMediaTypeError: The body is not JSON.
        BodyTooLargeError: The body is over ``MAX_EVENTS_BYTES``.
        RequestValidationError: The body is not a non-empty batch of events.
    """
    if not _is_json(media_type(request)):
        msg = "send the events as application/json"
        raise UnsupportedMediaTypeError(msg)
    raw = await read_body(request, MAX_EVENTS_BYTES)
    try:
        data = loads(raw)
    except ValueError as exc:  # not JSON, or not Unicode
        error = {"type": "json_invalid", "loc": ("body",), "msg": f"not JSON: {exc}"}
        raise RequestValidationError([error]) from exc
    repeated = repeated_keys(data, deep=False)  # an event's own: that event only
    if repeated:
        msg = f"the key {repeated[0]!r} appears more than once in the batch"
        error = {"type": "value_error", "loc": ("body",), "msg": msg}
        raise RequestValidationError([error])
    try:
        bare = isinstance(data, list)  # a bare array of events is a batch too
        return EventBatchCreate.model_validate({"events": data} if bare else data)
    except ValidationError as exc:
        raise _invalid_body(exc) from exc


async def program_source(request: Request) -> ProgramCreate:
    """The program in the body: raw YAML text, or JSON ``{"source": ...}``.

    Raises:
        UnsupportedMediaTypeError: The body is neither YAML/text nor JSON (a
            body without a content type is read as YAML).
        BodyTooLargeError: The body is over ``MAX_PROGRAM_BYTES``.
        RequestValidationError: The body is empty, not UTF-8, or bad JSON.
    """
    media = media_type(request) or "application/yaml"
    if media not in YAML_TYPES and not _is_json(media):
        msg = f"send the program as one of {', '.join(sorted(YAML_TYPES))} or JSON"
        raise UnsupportedMediaTypeError(msg)
    raw = await read_body(request, MAX_PROGRAM_BYTES)
    try:
        if media in YAML_TYPES:
            return ProgramCreate(source=raw.decode("utf-8"))
        return ProgramCreate.model_validate_json(raw)
    except UnicodeDecodeError as exc:
        error = {"type": "unicode_decode", "loc": ("body",), "msg": "not UTF-8 text"}
        raise RequestValidationError([error]) from exc
    except ValidationError as exc:
        raise _invalid_body(exc) from exc


EventBatchDep = Annotated[EventBatchCreate, Depends(event_batch)]
ProgramSourceDep = Annotated[ProgramCreate, Depends(program_source)]
