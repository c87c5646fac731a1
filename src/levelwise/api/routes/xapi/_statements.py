"""The Statement Resource (Communication 2.1): PUT, POST, GET and HEAD."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from fastapi import Response

from levelwise.api.routes.xapi._multipart import multipart_body, read_statements_body
from levelwise.api.routes.xapi._request import (
    CONSISTENT_THROUGH,
    XapiRequest,
    http_date,
    json_bytes,
    reply,
    without_repeats,
)
from levelwise.app.xapi.datatypes import is_iri, is_uuid, parse_timestamp
from levelwise.app.xapi.ports import (
    Attachment,
    Cursor,
    StatementQuery,
    StoredStatement,
    utc_key,
)
from levelwise.app.xapi.service import MAX_LIMIT, RecordStore, in_format, served
from levelwise.app.xapi.statements import validate_agent
from levelwise.errors import StatementError, XapiNotFoundError, XapiRequestError

_QUERY_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
_SINGLE_PARAMS = frozenset(
    {"statementId", "voidedStatementId", "format", "attachments"}
)
_FORMATS = ("exact", "ids", "canonical")
MORE_PATH = "/xapi/statements"


def put_statement(records: RecordStore, request: XapiRequest) -> Response:
    """``PUT /xapi/statements?statementId=``: store one statement (204)."""
    extra = set(request.params) - {"statementId"}
    if extra:
        raise XapiRequestError(
            f"PUT statements takes no parameter {sorted(extra)[0]!r}"
        )
    statement_id = request.params.get("statementId")
    if statement_id is None:
        raise XapiRequestError("PUT statements needs the statementId parameter")
    if not is_uuid(statement_id):
        raise StatementError("statementId: must be a UUID")
    data, parts = _statements_body(request)
    records.save(
        request.tenant,
        request.version,
        data,
        parts,
        records.authority(request.client),
        statement_id,
    )
    return reply(request, status=204)


def post_statements(records: RecordStore, request: XapiRequest) -> Response:
    """``POST /xapi/statements``: store statements, answer their ids (200)."""
    if request.params:
        name = sorted(request.params)[0]
        raise XapiRequestError(f"POST statements takes no parameter {name!r}")
    data, parts = _statements_body(request)
    saved = records.save(
        request.tenant,
        request.version,
        data,
        parts,
        records.authority(request.client),
    )
    return reply(request, json_bytes(saved.ids), media_type="application/json")


def _statements_body(request: XapiRequest) -> tuple[object, dict[str, Attachment]]:
    if request.media == "multipart/mixed":
        raw, parts = read_statements_body(request.body, request.content_type)
    elif request.media in ("application/json", ""):
        raw, parts = request.body, {}
    else:
        msg = "Content-Type: send statements as application/json or multipart/mixed"
        raise StatementError(msg)
    return _json(raw), parts


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw, object_pairs_hook=_no_repeats)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StatementError(f"statement: not JSON ({exc})") from exc


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    def repeated(key: str) -> StatementError:
        return StatementError(f"statement: the key {key!r} appears twice")

    return without_repeats(pairs, repeated)


def get_statements(records: RecordStore, request: XapiRequest) -> Response:
    """``GET /xapi/statements``: one statement, a query, or its next page."""
    params = request.params
    if "more" in params:
        if len(params) > 1:
            raise XapiRequestError("'more' takes no other parameter")
        params = _unpack_more(params["more"])
    if "statementId" in params or "voidedStatementId" in params:
        return _single(records, request, params)
    unknown = set(params) - _QUERY_PARAMS - {"_after"}
    if unknown:
        raise XapiRequestError(f"unknown statements parameter {sorted(unknown)[0]!r}")
    query = _query(params, request.version)
    page = records.query(request.tenant, query)
    form = _format(params)
    languages = _languages(request)
    statements = [in_format(served(s), form, languages) for s in page.statements]
    more = "" if page.more is None else _more_link(params, page.more)
    result = json_bytes({"statements": statements, "more": more})
    headers = {CONSISTENT_THROUGH: records.consistent_through(request.tenant)}
    return _with_attachments(records, request, params, page.statements, result, headers)


def _single(
    records: RecordStore, request: XapiRequest, params: dict[str, str]
) -> Response:
    if "statementId" in params and "voidedStatementId" in params:
        raise XapiRequestError("send statementId or voidedStatementId, not both")
    extra = set(params) - _SINGLE_PARAMS
    if extra:
        raise XapiRequestError(
            f"a statement by id takes no parameter {sorted(extra)[0]!r}"
        )
    voided = "voidedStatementId" in params
    wanted = params["voidedStatementId" if voided else "statementId"]
    if not is_uuid(wanted):
        raise XapiRequestError("the statement id must be a UUID")
    found = records.statement(request.tenant, wanted, voided=voided)
    if found is None:
        raise XapiNotFoundError(f"no statement {wanted}")
    data = in_format(served(found), _format(params), _languages(request))
    headers = {
        "Last-Modified": http_date(found.stored),
        CONSISTENT_THROUGH: records.consistent_through(request.tenant),
    }
    return _with_attachments(
        records, request, params, [found], json_bytes(data), headers
    )


def _with_attachments(
    records: RecordStore,
    request: XapiRequest,
    params: dict[str, str],
    statements: Sequence[StoredStatement],
    first: bytes,
    headers: dict[str, str],
) -> Response:
    if not _flag(params, "attachments"):
        return reply(request, first, media_type="application/json", headers=headers)
    body, media = multipart_body(
        first, records.attachments_of(request.tenant, statements)
    )
    return reply(request, body, media_type=media, headers=headers)


def _query(params: dict[str, str], version: str) -> StatementQuery:
    agent = None
    if "agent" in params:
        try:
            value = json.loads(params["agent"])
        except ValueError as exc:
            raise XapiRequestError("agent: not JSON") from exc
        agent = validate_agent(value, version)
    for name in ("verb", "activity"):
        if name in params and not is_iri(params[name]):
            raise XapiRequestError(f"{name}: must be an IRI")
    registration = params.get("registration")
    if registration is not None and not is_uuid(registration):
        raise XapiRequestError("registration: must be a UUID")
    limit = params.get("limit", "0")
    if not limit.isdigit():
        raise XapiRequestError("limit: must be a non-negative integer")
    count = int(limit)
    after = None
    if "_after" in params:
        stored, _, last = params["_after"].partition(" ")
        after = Cursor(stored, last)
    return StatementQuery(
        agent=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=registration.lower() if registration else None,
        related_activities=_flag(params, "related_activities"),
        related_agents=_flag(params, "related_agents"),
        since=_moment(params, "since"),
        until=_moment(params, "until"),
        limit=MAX_LIMIT if count == 0 or count > MAX_LIMIT else count,
        ascending=_flag(params, "ascending"),
        after=after,
    )


def _flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise XapiRequestError(f"{name}: must be true or false")
    return value == "true"


def _format(params: dict[str, str]) -> str:
    form = params.get("format", "exact")
    if form not in _FORMATS:
        raise XapiRequestError(f"format: must be one of {', '.join(_FORMATS)}")
    return form


def _moment(params: dict[str, str], name: str) -> str | None:
    if name not in params:
        return None
    moment = parse_timestamp(params[name], zone_required=False)
    if moment is None:
        raise XapiRequestError(f"{name}: must be an ISO 8601 timestamp")
    return utc_key(moment)


def _languages(request: XapiRequest) -> list[str]:
    """Accept-Language ranges by preference (``q`` weights), for ``canonical``."""
    ranges: list[tuple[float, int, str]] = []
    header = request.headers.get("accept-language", "")
    for i, item in enumerate(header.split(",")):
        tag, _, rest = item.strip().partition(";")
        weight = 1.0
        if rest.strip().startswith("q="):
            try:
                weight = float(rest.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            ranges.append((-weight, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranges)]


def _more_link(params: dict[str, str], cursor: Cursor) -> str:
    state = {k: v for k, v in params.items() if k != "_after"}
    state["_after"] = f"{cursor.stored} {cursor.id}"
    token = base64.urlsafe_b64encode(json_bytes(state)).decode().rstrip("=")
    return f"{MORE_PATH}?more={token}"


def _unpack_more(token: str) -> dict[str, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise XapiRequestError("more: not a link this LRS gave") from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in state.items()
    ):
        raise XapiRequestError("more: not a link this LRS gave")
    return state
