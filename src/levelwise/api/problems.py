"""problem+json (RFC 9457): error classes to HTTP statuses, and the handlers.

This is the only module that knows which status an error gets: ``PROBLEMS``
lists every problem type with the error classes it covers, and nothing else
maps an error to HTTP. Errors resolve by walking ``type(exc).__mro__``, so a
subclass inherits its parent's problem type unless it is listed itself (as in
Starlette's ``_lookup_exception_handler``). Routes let errors propagate; the
handlers installed by ``install_problem_handlers`` render them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import reduce
from http import HTTPStatus
from operator import or_
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from levelwise.api.schemas.common import (
    InvalidProgramProblem,
    InvalidRequestProblem,
    Problem,
)
from levelwise.api.schemas.events import BatchProblem
from levelwise.errors import (
    AuthenticationError,
    BatchTooLargeError,
    BodyTooLargeError,
    CatError,
    ConcurrencyError,
    CredentialError,
    CredentialNotFoundError,
    CredentialsUnavailableError,
    DatasetNotFoundError,
    DetailedError,
    DocumentConflictError,
    DocumentMergeError,
    EventConflictError,
    EventRejectedError,
    ExperimentNotFoundError,
    FileLineError,
    FitError,
    GraphCycleError,
    InvalidLinkError,
    InvalidResponsesError,
    JunyiNotFoundError,
    LearnerNotFoundError,
    LevelwiseError,
    LrsAuthenticationError,
    MetricError,
    ModelNotAvailableError,
    ModelUnavailableError,
    NotFittedError,
    NotificationRequestError,
    PkConflictError,
    PkNotFoundError,
    PkRequestError,
    PkUnavailableError,
    PlacementError,
    PlacementNotFoundError,
    PlanError,
    PracticeClosedError,
    PracticeError,
    PracticeNotFoundError,
    PreconditionFailedError,
    ProgramError,
    ProgramNotFoundError,
    ProgramVersionNotFoundError,
    QualityInputError,
    QualityNotFoundError,
    SpeechError,
    StatementConflictError,
    StatementError,
    StoreError,
    UnsupportedMediaTypeError,
    WebhookNotFoundError,
    XapiNotFoundError,
    XapiRequestError,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:levelwise:problem:"


@dataclass(frozen=True)
class ProblemType:
    """How one class of errors looks over HTTP.

    Attributes:
        status: The HTTP status code.
        slug: The problem type's name, after ``urn:levelwise:problem:``.
        title: A short summary that is the same for every occurrence.
        model: The body's model, for OpenAPI.
        expose: Whether the error's message may be sent as ``detail``; when
            not, the error is logged and the client gets a generic detail.
        errors: The error classes answered with this type (their subclasses
            too, unless listed under another type).
        retry_after: Seconds after which the same request may succeed, sent
            as ``Retry-After`` (RFC 9110 §10.2.3); None: retrying will not help.
    """

    status: int
    slug: str
    title: str
    model: type[Problem] = Problem
    expose: bool = True
    errors: tuple[type[BaseException], ...] = ()
    retry_after: int | None = None


PROBLEMS: tuple[ProblemType, ...] = (
    ProblemType(
        401,
        "unauthenticated",
        "Missing or unknown key",
        errors=(AuthenticationError,),
    ),
    ProblemType(
        404,
        "not-found",
        "Not Found",
        errors=(WebhookNotFoundError, ExperimentNotFoundError),
    ),
    ProblemType(
        403,
        "invalid-link",
        "The page link is not valid",
        errors=(InvalidLinkError,),
    ),
    ProblemType(
        404,
        "learner-not-found",
        "Learner not found",
        errors=(LearnerNotFoundError,),
    ),
    ProblemType(
        404,
        "program-version-not-found",
        "No such program version",
        errors=(ProgramVersionNotFoundError,),
    ),
    ProblemType(
        404,
        "placement-not-found",
        "No such placement session",
        errors=(PlacementNotFoundError,),
    ),
    ProblemType(
        404,
        "credential-not-found",
        "No such credential or award",
        errors=(CredentialNotFoundError,),
    ),
    ProblemType(
        404,
        "pk-not-found",
        "No such PK",
        errors=(PkNotFoundError,),
    ),
    ProblemType(
        404,
        "practice-not-found",
        "No such practice session",
        errors=(PracticeNotFoundError,),
    ),
    ProblemType(
        404,
        "live-class-not-found",
        "No call-quality statistics for this live class",
        errors=(QualityNotFoundError,),
    ),
    ProblemType(
        422,
        "quality-invalid",
        "The call-quality statistics are invalid",
        errors=(QualityInputError,),
    ),
    ProblemType(
        400,
        "statement-invalid",
        "The xAPI statement breaks the specification",
        errors=(StatementError,),
    ),
    ProblemType(
        409,
        "statement-conflict",
        "An xAPI statement id is taken by another statement",
        errors=(StatementConflictError,),
    ),
    ProblemType(
        412,
        "precondition-failed",
        "The document changed: its ETag does not meet the request's condition",
        errors=(PreconditionFailedError,),
    ),
    ProblemType(
        409,
        "document-exists",
        "The xAPI document exists: send If-Match or If-None-Match to change it",
        errors=(DocumentConflictError,),
    ),
    ProblemType(
        400,
        "xapi-bad-request",
        "The xAPI request breaks the protocol",
        errors=(XapiRequestError,),
    ),
    ProblemType(
        404,
        "xapi-not-found",
        "No such xAPI statement or document",
        errors=(XapiNotFoundError,),
    ),
    ProblemType(
        400,
        "document-not-mergeable",
        "Only JSON objects can be merged",
        errors=(DocumentMergeError,),
    ),
    ProblemType(
        409,
        "program-required",
        "No program is set for this school",
        errors=(ProgramNotFoundError,),
    ),
    ProblemType(
        409,
        "event-conflict",
        "An event id was reused with another body",
        BatchProblem,
        errors=(EventConflictError,),
    ),
    ProblemType(
        409,
        "placement-conflict",
        "The placement step is not possible now",
        errors=(PlacementError,),
    ),
    # Transient: the same request succeeds once the other writer is done
    # (a redelivered event is a duplicate, never this; see Ingest.ingest).
    ProblemType(
        503,
        "concurrent-write",
        "A concurrent request changed the same learner",
        errors=(ConcurrencyError,),
        retry_after=1,
    ),
    ProblemType(
        409,
        "practice-closed",
        "The practice session has finished",
        errors=(PracticeClosedError,),
    ),
    ProblemType(
        422,
        "practice-invalid",
        "The practice request is not possible",
        errors=(PracticeError,),
    ),
    ProblemType(
        409,
        "pk-conflict",
        "The PK id is taken by another definition",
        errors=(PkConflictError,),
    ),
    ProblemType(
        413,
        "batch-too-large",
        "Too many events",
        errors=(BatchTooLargeError,),
    ),
    ProblemType(
        413,
        "body-too-large",
        "Request body too large",
        errors=(BodyTooLargeError,),
    ),
    ProblemType(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        errors=(UnsupportedMediaTypeError,),
    ),
    # A domain error listed here is answered like a validation error of the
    # route's input: its body if the route reads one, else its query string.
    ProblemType(
        422,
        "invalid-request",
        "The request is invalid",
        InvalidRequestProblem,
        errors=(RequestValidationError, NotificationRequestError, MetricError),
    ),
    ProblemType(
        422,
        "invalid-program",
        "The program file is invalid",
        InvalidProgramProblem,
        errors=(ProgramError,),
    ),
    ProblemType(
        422,
        "events-rejected",
        "Some events were rejected",
        BatchProblem,
        errors=(EventRejectedError,),
    ),
    ProblemType(
        422,
        "plan-impossible",
        "No plan can be made to that target level",
        errors=(PlanError,),
    ),
    ProblemType(
        422,
        "invalid-credential-request",
        "The credential request is invalid",
        errors=(CredentialError,),
    ),
    ProblemType(
        422,
        "invalid-pk",
        "The PK definition is invalid",
        errors=(PkRequestError,),
    ),
    # Errors of files, models and links the server reads itself: if one
    # reaches a request, it is the server's fault. DetailedError is a mixin
    # and stays out of this table: it comes first in its subclasses' MRO and
    # would hide the problem type of their other base.
    ProblemType(
        500,
        "internal-error",
        "Internal server error",
        expose=False,
        errors=(
            Exception,
            FileLineError,
            InvalidResponsesError,
            DatasetNotFoundError,
            JunyiNotFoundError,
            GraphCycleError,
            FitError,
            NotFittedError,
            ModelNotAvailableError,
            CatError,
        ),
    ),
    ProblemType(
        503,
        "store-unavailable",
        "The store is unavailable",
        expose=False,
        errors=(StoreError,),
        retry_after=5,
    ),
    ProblemType(
        503,
        "credentials-unavailable",
        "Credentials are not set up on this server",
        errors=(CredentialsUnavailableError,),
    ),
    ProblemType(
        503,
        "pk-unavailable",
        "PK competitions are not set up on this server",
        errors=(PkUnavailableError,),
    ),
    ProblemType(
        503,
        "speech-unavailable",
        "Speech processing failed on this server",
        errors=(SpeechError,),
    ),
    ProblemType(
        503,
        "model-unavailable",
        "The language model is unavailable",
        errors=(ModelUnavailableError,),
        retry_after=5,
    ),
)
"""Every problem type the API answers with, and the errors each covers."""

_BY_ERROR: Mapping[type[BaseException], ProblemType] = {
    error: kind for kind in PROBLEMS for error in kind.errors
}

INTERNAL = _BY_ERROR[Exception]
INVALID_REQUEST = _BY_ERROR[RequestValidationError]

_GENERIC_DETAIL = {
    500: "An unexpected error occurred; it has been logged.",
    503: "The store is unavailable; retry later.",
}


def problem_type(cls: type[BaseException]) -> ProblemType:
    """The problem type of an error class: its own, or its nearest ancestor's."""
    for klass in cls.__mro__:
        found = _BY_ERROR.get(klass)
        if found is not None:
            return found
    return INTERNAL


def problem_response(
    request: Request,
    kind: ProblemType,
    detail: str,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` response for ``request``."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + kind.slug,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": request.url.path,
    }
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    if kind.retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(kind.retry_after)}
    return JSONResponse(
        body, status_code=kind.status, headers=headers, media_type=PROBLEM_JSON
    )


async def levelwise_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The problem+json response of a Levelwise error (the handler of them all)."""
    kind = problem_type(type(exc))
    if not kind.expose:
        logger.exception("%s on %s", kind.slug, request.url.path, exc_info=exc)
        return problem_response(request, kind, _GENERIC_DETAIL[kind.status])
    if kind is INVALID_REQUEST:
        error = {"loc": [_input_part(request)], "msg": str(exc), "type": "value_error"}
        return _request_problem(request, [error])
    extensions: dict[str, Any] = {}
    detail = str(exc)
    if isinstance(exc, ProgramError):
        extensions["errors"] = [asdict(issue) for issue in exc.issues]
        detail = f"{len(exc.issues)} problem(s) in the program: " + "; ".join(
            str(issue) for issue in exc.issues[:3]
        )
    if isinstance(exc, DetailedError):
        extensions.update(exc.extensions)
    # RFC 9110 §11.6.1: a 401 names the scheme the client should use.
    scheme = (
        'Basic realm="xAPI"' if isinstance(exc, LrsAuthenticationError) else "Bearer"
    )
    headers = {"WWW-Authenticate": scheme} if kind.status == 401 else None
    return problem_response(request, kind, detail, extensions, headers)


def _input_part(request: Request) -> str:
    """The part of the request a domain error about its input points at.

    The body when the route reads one, else the query string (path parameters
    are validated before the route runs).
    """
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and route.body_field is not None:
        return "body"
    return "query"


MAX_ERRORS = 20
"""The most validation errors one problem lists."""


def _clip(value: Any, limit: int = 60) -> Any:
    """A string cut to ``limit`` characters: a problem never echoes a megabyte."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _request_problem(
    request: Request, errors: Sequence[Mapping[str, Any]]
) -> JSONResponse:
    """The ``invalid-request`` problem of ``errors`` (``loc``, ``msg``, ``type``).

    Names in ``loc`` (a client's own keys) and messages are clipped, and at
    most ``MAX_ERRORS`` errors are listed; input values are never sent back.
    """
    shown = [
        {
            "loc": [_clip(p) for p in e["loc"]],
            "msg": _clip(e["msg"], 1000),
            "type": e["type"],
        }
        for e in errors[:MAX_ERRORS]
    ]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in shown[:3]
    )
    return problem_response(request, INVALID_REQUEST, detail, {"errors": shown})


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered so
    errors = [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    return _request_problem(request, errors)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document lists for ``path`` (by its templates).

    Starlette's 405 names the methods of the first route that matched, but a
    path may be served by several routes (``GET`` and ``POST /v1/webhooks``).
    The templates with the fewest parameters win: ``/v1/leagues/close`` is
    that path, not a week of ``/v1/leagues/{week}``.
    """
    templates: list[tuple[int, re.Pattern[str], list[str]]] | None = getattr(
        app.state, "path_templates", None
    )
    if templates is None:
        templates = [
            (
                template.count("{"),
                re.compile(
                    "".join(
                        "[^/]+" if part.startswith("{") else re.escape(part)
                        for part in re.split(r"(\{[^}]+\})", template)
                    )
                ),
                sorted(m.upper() for m in operations),
            )
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.path_templates = templates
    matches = [(n, ms) for n, pattern, ms in templates if pattern.fullmatch(path)]
    fewest = min((n for n, _ in matches), default=0)
    return sorted({m for n, ms in matches if n == fewest for m in ms})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered so
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        methods = allowed_methods(request.app, request.url.path)
        if methods:
            exc = HTTPException(405, exc.detail, {"Allow": ", ".join(methods)})
    try:
        title = HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "HTTP error"
    slug = title.lower().replace(" ", "-").replace("'", "")
    kind = ProblemType(exc.status_code, slug, title)
    detail = exc.detail if exc.detail != title else f"{title}: {request.url.path}"
    return problem_response(request, kind, detail, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(request, INTERNAL, _GENERIC_DETAIL[500])


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error ``app`` answers an ``application/problem+json`` body."""
    app.add_exception_handler(LevelwiseError, levelwise_error_response)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    # Starlette hands this one to ServerErrorMiddleware, which still re-raises
    # the error after the response is sent, so the server logs it too.
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*errors: type[Exception]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for routes that can raise ``errors``.

    Errors that share a status are listed together in its description, and
    their body models are joined into one union.
    """
    by_status: dict[int, list[ProblemType]] = {}
    for error in errors:
        kind = problem_type(error)
        kinds = by_status.setdefault(kind.status, [])
        if kind not in kinds:
            kinds.append(kind)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, kinds in sorted(by_status.items()):
        models = list(dict.fromkeys(k.model for k in kinds))
        responses[status] = {
            "model": reduce(or_, models) if len(models) > 1 else models[0],
            "description": "; ".join(f"`{k.slug}`: {k.title}" for k in kinds),
        }
    return responses


def use_problem_media_type(openapi: dict[str, Any]) -> None:
    """Document error bodies as ``application/problem+json`` in an OpenAPI schema."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")


UNREADABLE_BODY = {
    "description": (
        "`bad-request`: the body could not be read at all (JSON that is not "
        "UTF-8 text); a body that is read but does not fit is a 422"
    ),
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
"""The 400 a route answers when the framework cannot decode its JSON body."""


def document_unreadable_bodies(
    openapi: dict[str, Any], parsed: Iterable[tuple[str, str]]
) -> None:
    """Add the ``400`` of an unreadable body to the operations in ``parsed``.

    ``parsed`` holds ``(path, method)`` of the routes whose JSON body FastAPI
    decodes itself (a pydantic body parameter); routes that read their body
    on their own answer 422 for the same input.
    """
    for path, method in parsed:
        operation = openapi["paths"][path][method.lower()]
        operation["responses"].setdefault("400", UNREADABLE_BODY)
