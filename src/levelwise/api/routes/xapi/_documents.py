"""The document resources, and the Activities and Agents resources (Comm. 2.2-2.7).

State, Activity Profile and Agent Profile documents are kept as sent.

A document is named by its parameters; GET without the document id lists the
ids. Every document has an ETag (the SHA-1 of its content); PUT, POST and
DELETE honour ``If-Match`` and ``If-None-Match`` (Communication 3.1), and a PUT
that would overwrite a document without either header is refused (409) where
the version asks for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Response

from levelwise.api.routes.xapi._request import (
    XapiRequest,
    http_date,
    json_bytes,
    reply,
)
from levelwise.app.xapi.datatypes import is_iri, is_uuid, parse_timestamp
from levelwise.app.xapi.ports import Document, DocumentKey, DocumentKind, utc_key
from levelwise.app.xapi.service import RecordStore
from levelwise.app.xapi.statements import validate_agent
from levelwise.errors import DocumentConflictError, XapiNotFoundError, XapiRequestError


@dataclass(frozen=True)
class Resource:
    """One document resource: its kind and the parameters that name a document.

    Attributes:
        kind: ``state``, ``activity`` or ``agent``.
        id_param: The document id's parameter (``stateId``, ``profileId``).
        activity: Whether ``activityId`` is required.
        agent: Whether ``agent`` is required.
        registration: Whether ``registration`` may be sent.
    """

    kind: DocumentKind
    id_param: str
    activity: bool
    agent: bool
    registration: bool = False


STATE = Resource("state", "stateId", activity=True, agent=True, registration=True)
ACTIVITY_PROFILE = Resource("activity", "profileId", activity=True, agent=False)
AGENT_PROFILE = Resource("agent", "profileId", activity=False, agent=True)


@dataclass(frozen=True)
class _Named:
    activity: str
    agent: str
    registration: str
    doc_id: str | None
    since: str | None

    def key(self, resource: Resource) -> DocumentKey:
        assert self.doc_id is not None  # noqa: S101 - checked by the caller
        return DocumentKey(
            resource.kind, self.doc_id, self.activity, self.agent, self.registration
        )


def handle_document(
    records: RecordStore, request: XapiRequest, resource: Resource
) -> Response:
    """Answer a request to a document resource."""
    named = _named(request, resource)
    method = request.method
    if method in ("GET", "HEAD"):
        return _get(records, request, resource, named)
    if named.doc_id is None and not (method == "DELETE" and resource is STATE):
        raise XapiRequestError(f"send the {resource.id_param} parameter")
    if named.since is not None:
        raise XapiRequestError("since is a parameter of GET only")
    if method == "DELETE":
        return _delete(records, request, resource, named)
    return _change(records, request, resource, named)


def _named(request: XapiRequest, resource: Resource) -> _Named:
    params = request.params
    allowed = {resource.id_param, "since"}
    allowed |= {"activityId"} if resource.activity else set()
    allowed |= {"agent"} if resource.agent else set()
    allowed |= {"registration"} if resource.registration else set()
    unknown = set(params) - allowed
    if unknown:
        raise XapiRequestError(f"unknown parameter {sorted(unknown)[0]!r}")
    activity = ""
    if resource.activity:
        activity = _required(params, "activityId")
        if not is_iri(activity):
            raise XapiRequestError("activityId: must be an IRI")
    agent = ""
    if resource.agent:
        agent = _agent(_required(params, "agent"), request.version)
    registration = params.get("registration", "")
    if registration and not is_uuid(registration):
        raise XapiRequestError("registration: must be a UUID")
    since = None
    if "since" in params:
        moment = parse_timestamp(params["since"], zone_required=False)
        if moment is None:
            raise XapiRequestError("since: must be an ISO 8601 timestamp")
        since = utc_key(moment)
    return _Named(
        activity, agent, registration.lower(), params.get(resource.id_param), since
    )


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise XapiRequestError(f"send the {name} parameter")
    return value


def _agent(text: str, version: str) -> str:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise XapiRequestError("agent: not JSON") from exc
    return validate_agent(value, version)


def _get(
    records: RecordStore, request: XapiRequest, resource: Resource, named: _Named
) -> Response:
    if named.doc_id is None:
        ids = records.document_ids(
            request.tenant,
            resource.kind,
            activity=named.activity,
            agent=named.agent,
            registration=named.registration,
            since=named.since,
        )
        return reply(request, json_bytes(ids), media_type="application/json")
    if named.since is not None:
        raise XapiRequestError("since lists documents: send it without an id")
    found = records.document(request.tenant, named.key(resource))
    if found is None:
        raise XapiNotFoundError(f"no document {named.doc_id!r}")
    return reply(
        request, found.content, media_type=found.content_type, headers=_tags(found)
    )


def _tags(document: Document) -> dict[str, str]:
    return {"ETag": f'"{document.etag}"', "Last-Modified": http_date(document.updated)}


def _conditions(request: XapiRequest) -> tuple[str | None, bool]:
    """``If-Match`` (an ETag or ``*``) and whether ``If-None-Match: *`` was sent."""
    match = request.headers.get("if-match")
    expected = None
    if match is not None:
        expected = match.split(",")[0].strip().removeprefix("W/").strip('"')
    none_match = request.headers.get("if-none-match", "").strip() == "*"
    return expected, none_match


def _change(
    records: RecordStore, request: XapiRequest, resource: Resource, named: _Named
) -> Response:
    expected, must_not_exist = _conditions(request)
    key = named.key(resource)
    merge = request.method == "POST"
    unconditional = expected is None and not must_not_exist
    guarded = resource is not STATE or request.version == "2.0.0"
    media = request.media or "application/octet-stream"
    bare_put = not merge and unconditional and guarded
    foreign_merge = merge and media != "application/json"
    held = (
        records.document(request.tenant, key) is not None
        if bare_put or foreign_merge
        else False
    )
    if bare_put:
        if held:
            msg = "the document exists: send If-Match with its ETag to replace it"
            raise DocumentConflictError(msg)
        if request.version == "1.0.3":
            # 1.0.3 asks a profile's PUT for a condition, creating one too.
            msg = "send If-None-Match: * to create a profile (If-Match to replace)"
            raise XapiRequestError(msg)
    if foreign_merge and held:
        raise XapiRequestError("POST merges JSON objects: send application/json")
    if merge and media == "application/json":
        _json_object(request.body)
    records.put_document(
        request.tenant,
        key,
        request.body,
        request.content_type or media,
        merge=merge,
        expected_etag=expected,
        must_not_exist=must_not_exist,
    )
    return reply(request, status=204)


def _json_object(body: bytes) -> None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XapiRequestError("the document is not JSON") from exc
    if not isinstance(value, dict):
        raise XapiRequestError("POST merges JSON objects: the body is not one")


def _delete(
    records: RecordStore, request: XapiRequest, resource: Resource, named: _Named
) -> Response:
    expected, _ = _conditions(request)
    if named.doc_id is None:
        records.delete_documents(
            request.tenant,
            resource.kind,
            activity=named.activity,
            agent=named.agent,
            registration=named.registration,
        )
    else:
        records.delete_document(
            request.tenant, named.key(resource), expected_etag=expected
        )
    return reply(request, status=204)


def activity_of(records: RecordStore, request: XapiRequest) -> Response:
    """``GET /xapi/activities?activityId=``: the Activity with its definition."""
    unknown = set(request.params) - {"activityId"}
    if unknown:
        raise XapiRequestError(f"unknown parameter {sorted(unknown)[0]!r}")
    activity = _required(request.params, "activityId")
    if not is_iri(activity):
        raise XapiRequestError("activityId: must be an IRI")
    found = records.activity(request.tenant, activity)
    return reply(request, json_bytes(found), media_type="application/json")


def person_of(records: RecordStore, request: XapiRequest) -> Response:
    """``GET /xapi/agents?agent=``: the Person object of an Agent."""
    unknown = set(request.params) - {"agent"}
    if unknown:
        raise XapiRequestError(f"unknown parameter {sorted(unknown)[0]!r}")
    text = _required(request.params, "agent")
    _agent(text, request.version)
    person = records.person(json.loads(text))
    return reply(request, json_bytes(person), media_type="application/json")
