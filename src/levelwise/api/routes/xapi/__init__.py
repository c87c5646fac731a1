"""The xAPI record store over HTTP: ``/xapi/`` resources for LRS clients.

Clients authenticate with HTTP Basic credentials of the school's LRS clients
(``levelwise xapi clients add``), never with API keys, and send
``X-Experience-API-Version`` (2.0.0 or 1.0.3; 1.0.3 also takes the alternate
request syntax). Every response says the version it speaks. Errors are
problem+json, with the status codes the specification asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from levelwise.api.deps import EngineDep
from levelwise.api.problems import levelwise_error_response, problem_responses
from levelwise.api.routes.xapi._documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    Resource,
    activity_of,
    handle_document,
    person_of,
)
from levelwise.api.routes.xapi._request import (
    CONSISTENT_THROUGH,
    VERSION_HEADER,
    XapiRequest,
    json_bytes,
    xapi_request,
)
from levelwise.api.routes.xapi._statements import (
    get_statements,
    post_statements,
    put_statement,
)
from levelwise.app.xapi.service import ABOUT_VERSIONS, RecordStore
from levelwise.errors import (
    BodyTooLargeError,
    DocumentConflictError,
    DocumentMergeError,
    LevelwiseError,
    LrsAuthenticationError,
    PreconditionFailedError,
    StatementConflictError,
    StatementError,
    XapiNotFoundError,
    XapiRequestError,
)

Handler = Callable[[RecordStore, XapiRequest], Response]


class _XapiRoute(APIRoute):
    """A route whose every answer, errors included, names the xAPI version."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except LevelwiseError as exc:
                response = await levelwise_error_response(request, exc)
            engine = request.app.state.engine
            default = (
                ABOUT_VERSIONS[0]
                if engine.xapi is None
                else engine.xapi.default_version
            )
            version = getattr(request.state, "xapi_version", default)
            response.headers[VERSION_HEADER] = version
            tenant = getattr(request.state, "xapi_tenant", None)
            if (
                request.url.path.endswith("/statements")
                and CONSISTENT_THROUGH not in response.headers
                and engine.xapi is not None
            ):
                # Every answer of the Statement Resource says it (2.1.3), errors too.
                through = engine.xapi.consistent_through(tenant or "")
                response.headers[CONSISTENT_THROUGH] = through
            return response

        return answer


router = APIRouter(prefix="/xapi", tags=["xapi"], route_class=_XapiRoute)
_ALL = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def _records(engine: EngineDep) -> RecordStore:
    if engine.xapi is None:
        raise XapiNotFoundError("this server keeps no xAPI record store")
    return engine.xapi


async def _dispatch(
    request: Request, records: RecordStore, handlers: dict[str, Handler]
) -> Response:
    x = await xapi_request(request, records)
    handler = handlers.get(x.method)
    if handler is None:
        allowed = ", ".join(sorted(handlers))
        return Response(status_code=405, headers={"Allow": allowed})
    return handler(records, x)


async def statements(request: Request, engine: EngineDep) -> Response:
    """Statements: PUT one by ``statementId``, POST one or many, GET by id or query.

    GET takes every filter of the specification (``agent``, ``verb``,
    ``activity``, ``registration``, ``related_activities``, ``related_agents``,
    ``since``, ``until``, ``limit``, ``format``, ``attachments``, ``ascending``)
    and answers a ``StatementResult`` whose ``more`` link continues the query
    exactly where it stopped, however many statements arrive meanwhile.
    """
    handlers: dict[str, Handler] = {
        "GET": get_statements,
        "HEAD": get_statements,
        "PUT": put_statement,
        "POST": post_statements,
    }
    return await _dispatch(request, _records(engine), handlers)


def _document_handlers(resource: Resource) -> dict[str, Handler]:
    def handle(records: RecordStore, x: XapiRequest) -> Response:
        return handle_document(records, x, resource)

    return dict.fromkeys(_ALL, handle)


async def state(request: Request, engine: EngineDep) -> Response:
    """State documents of an activity, agent and (optional) registration."""
    handlers = _document_handlers(STATE)
    return await _dispatch(request, _records(engine), handlers)


async def activity_profile(request: Request, engine: EngineDep) -> Response:
    """Activity Profile documents."""
    handlers = _document_handlers(ACTIVITY_PROFILE)
    return await _dispatch(request, _records(engine), handlers)


async def agent_profile(request: Request, engine: EngineDep) -> Response:
    """Agent Profile documents."""
    handlers = _document_handlers(AGENT_PROFILE)
    return await _dispatch(request, _records(engine), handlers)


async def activities(request: Request, engine: EngineDep) -> Response:
    """The Activity object of ``activityId``, with its latest definition."""
    handlers: dict[str, Handler] = dict.fromkeys(("GET", "HEAD"), activity_of)
    return await _dispatch(request, _records(engine), handlers)


async def agents(request: Request, engine: EngineDep) -> Response:
    """The Person object of ``agent``."""
    handlers: dict[str, Handler] = dict.fromkeys(("GET", "HEAD"), person_of)
    return await _dispatch(request, _records(engine), handlers)


async def about(request: Request) -> Response:
    """The versions this LRS speaks (no credentials needed)."""
    body = json_bytes({"version": list(ABOUT_VERSIONS), "extensions": {}})
    if request.method == "HEAD":
        return Response(b"", media_type="application/json")
    return Response(body, media_type="application/json")


_VERSION_PARAM: dict[str, Any] = {
    "name": VERSION_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": list(ABOUT_VERSIONS)},
    "description": "The xAPI version the client speaks",
}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": schema.pop("required", False),
        "schema": {"type": "string", **schema},
        "description": description,
    }


_FLAG = {"enum": ["true", "false"]}
_AGENT = "An Agent or identified Group as JSON"
_STATEMENT_QUERY = [
    _query("statementId", "One statement by id", format="uuid"),
    _query("voidedStatementId", "One voided statement by id", format="uuid"),
    _query("agent", _AGENT),
    _query("verb", "A verb IRI"),
    _query("activity", "An activity IRI"),
    _query("registration", "A registration", format="uuid"),
    _query("related_activities", "Match activities anywhere", **_FLAG),
    _query("related_agents", "Match agents anywhere", **_FLAG),
    _query("since", "Stored after this timestamp", format="date-time"),
    _query("until", "Stored at or before this timestamp", format="date-time"),
    _query("limit", "At most this many (0: the server's page)", pattern="^[0-9]+$"),
    _query("format", "exact, ids or canonical", enum=["exact", "ids", "canonical"]),
    _query("attachments", "multipart/mixed with attachments", **_FLAG),
    _query("ascending", "Oldest first", **_FLAG),
    _query("more", "The 'more' link of a previous page"),
]
_JSON_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {}},
        "multipart/mixed": {"schema": {"type": "string", "format": "binary"}},
    },
}
_DOCUMENT_BODY = {
    "required": True,
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
}


def _document_params(resource: Resource) -> list[dict[str, Any]]:
    params = [_query(resource.id_param, "The document's id")]
    if resource.activity:
        params.append(_query("activityId", "An activity IRI", required=True))
    if resource.agent:
        params.append(_query("agent", _AGENT, required=True))
    if resource.registration:
        params.append(_query("registration", "A registration", format="uuid"))
    params.append(_query("since", "Ids of documents changed after", format="date-time"))
    return params


_ERRORS = problem_responses(
    XapiRequestError,
    DocumentConflictError,
    DocumentMergeError,
    StatementError,
    LrsAuthenticationError,
    XapiNotFoundError,
    StatementConflictError,
    PreconditionFailedError,
    BodyTooLargeError,
)
_ANY: dict[str, Any] = {"content": {"*/*": {"schema": {}}}}
_SUCCESS: dict[str, dict[int | str, dict[str, Any]]] = {
    "GET": {200: {"description": "Found", **_ANY}},
    "HEAD": {200: {"description": "Found (headers only)"}},
    "PUT": {204: {"description": "Stored"}},
    "POST": {200: {"description": "Stored", **_ANY}, 204: {"description": "Stored"}},
    "DELETE": {204: {"description": "Deleted"}},
}


def _serve(
    path: str,
    endpoint: Callable[..., Any],
    methods: list[str],
    params: list[dict[str, Any]],
    body: dict[str, Any] | None = None,
    *,
    public: bool = False,
) -> None:
    """Route ``path`` to ``endpoint``, one documented operation per method."""
    for method in methods:
        extra: dict[str, Any] = {
            "parameters": params if public else [_VERSION_PARAM, *params]
        }
        if body is not None and method in ("PUT", "POST"):
            extra["requestBody"] = body
        responses = {**_SUCCESS[method], **({} if public else _ERRORS)}
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=f"xapi_{endpoint.__name__}_{method.lower()}",
            openapi_extra=extra,
            responses=responses,
            response_class=Response,
        )


_serve("/statements", statements, ["GET", "HEAD"], _STATEMENT_QUERY)
_serve(
    "/statements",
    statements,
    ["PUT"],
    [_query("statementId", "The statement's id", required=True, format="uuid")],
    _JSON_BODY,
)
_serve("/statements", statements, ["POST"], [], _JSON_BODY)
for _path, _endpoint, _resource in (
    ("/activities/state", state, STATE),
    ("/activities/profile", activity_profile, ACTIVITY_PROFILE),
    ("/agents/profile", agent_profile, AGENT_PROFILE),
):
    _serve(_path, _endpoint, _ALL, _document_params(_resource), _DOCUMENT_BODY)
_serve(
    "/activities",
    activities,
    ["GET", "HEAD"],
    [_query("activityId", "An activity IRI", required=True)],
)
_serve("/agents", agents, ["GET", "HEAD"], [_query("agent", _AGENT, required=True)])
_serve("/about", about, ["GET", "HEAD"], [], public=True)
_ALTERNATE = [
    _query(
        "method",
        "xAPI 1.0.3's alternate request syntax: the method meant; the form body "
        "carries the headers, the parameters and the content",
        required=True,
        enum=["GET", "HEAD"],
    )
]
_FORM = {
    "required": True,
    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
}
_serve("/activities", activities, ["POST"], _ALTERNATE, _FORM)
_serve("/agents", agents, ["POST"], _ALTERNATE, _FORM)
# Methods a resource does not have still reach its dispatcher, whose 405 names
# the allowed methods and (like every answer here) the xAPI version.
for _path, _endpoint, _methods in (
    ("/statements", statements, ["DELETE"]),
    ("/activities", activities, ["PUT", "DELETE"]),
    ("/agents", agents, ["PUT", "DELETE"]),
):
    router.add_api_route(
        _path,
        _endpoint,
        methods=_methods,
        include_in_schema=False,
        response_class=Response,
    )
