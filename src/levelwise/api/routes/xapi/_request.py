"""One xAPI request, as the resources read it: method, parameters, headers, body.

xAPI 1.0.3 lets a client send any request as a ``POST`` with ``?method=X`` and
a form body carrying the headers, the parameters and the ``content``
(Communication 1.3, "Alternate Request Syntax"); 2.0.0 removed it. Both arrive
here as the same :class:`XapiRequest`. The version is negotiated from
``X-Experience-API-Version`` and the client is read from HTTP Basic
credentials.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import Request, Response

from levelwise.api.deps import read_body
from levelwise.app.xapi.datatypes import parse_timestamp
from levelwise.app.xapi.ports import Client
from levelwise.app.xapi.service import RecordStore
from levelwise.errors import LevelwiseError, LrsAuthenticationError, XapiRequestError

V = TypeVar("V")
MAX_BODY_BYTES = 32 * 1024 * 1024
"""The largest xAPI request body (statements and their attachments)."""
VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
_FORM_HEADERS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})


@dataclass(frozen=True)
class XapiRequest:
    """A request to an xAPI resource.

    Attributes:
        method: The method meant (``GET`` ... also from ``?method=``).
        params: The query parameters (each at most once).
        headers: The headers, names in lower case.
        body: The content.
        version: ``"2.0.0"`` or ``"1.0.3"``.
        client: Who sent it.
    """

    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    version: str
    client: Client

    @property
    def tenant(self) -> str:
        """The client's school."""
        return self.client.tenant

    @property
    def content_type(self) -> str:
        """The full Content-Type header ('' when none)."""
        return self.headers.get("content-type", "")

    @property
    def media(self) -> str:
        """The media type without parameters, in lower case."""
        return self.content_type.split(";")[0].strip().lower()


def negotiate(value: str | None) -> str:
    """The version an ``X-Experience-API-Version`` header asks for.

    ``1.0``, ``1.0.0`` to ``1.0.3`` speak 1.0.3; ``2.0`` and ``2.0.x`` speak 2.0.0.

    Raises:
        XapiRequestError: The header is missing or names another version.
    """
    if value is None:
        raise XapiRequestError(f"send the {VERSION_HEADER} header (2.0.0 or 1.0.3)")
    parts = value.strip().split(".")
    numeric = all(p.isdigit() for p in parts) and len(parts) in (2, 3)
    if numeric and parts[0] == "1" and parts[1] == "0":
        if len(parts) == 2 or int(parts[2]) <= 3:
            return "1.0.3"
    if numeric and parts[0] == "2" and parts[1] == "0":
        return "2.0.0"
    raise XapiRequestError(f"{VERSION_HEADER} {value!r}: this LRS speaks 2.0.0, 1.0.3")


def client_of(records: RecordStore, authorization: str | None) -> Client:
    """The LRS client of an ``Authorization: Basic`` header.

    Raises:
        LrsAuthenticationError: No Basic credentials, or unknown ones.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        msg = "send LRS client credentials as 'Authorization: Basic <key:secret>'"
        raise LrsAuthenticationError(msg)
    try:
        pair = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise LrsAuthenticationError("the Basic credentials are malformed") from exc
    key, sep, secret = pair.partition(":")
    client = records.client_for(key, secret) if sep else None
    if client is None:
        raise LrsAuthenticationError("the LRS client is unknown or was revoked")
    return client


async def xapi_request(request: Request, records: RecordStore) -> XapiRequest:
    """Read an xAPI request (alternate syntax included); authenticate; negotiate.

    Raises:
        XapiRequestError: Repeated parameters, a missing or unknown version,
            or a malformed alternate request (400).
        LrsAuthenticationError: Bad credentials (401).
        BodyTooLargeError: The body is over :data:`MAX_BODY_BYTES` (413).
    """
    params = _single(request.query_params.multi_items())
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = await read_body(request, MAX_BODY_BYTES)
    method = request.method.upper()
    if "method" in params:
        method, params, headers, body = _alternate(method, params, headers, body)
    client = client_of(records, headers.get("authorization"))
    request.state.xapi_tenant = client.tenant
    version = negotiate(headers.get("x-experience-api-version"))
    request.state.xapi_version = version
    if version == "2.0.0" and request.query_params.get("method") is not None:
        raise XapiRequestError("xAPI 2.0.0 has no alternate request syntax")
    return XapiRequest(method, params, headers, body, version, client)


def without_repeats(
    pairs: Iterable[tuple[str, V]], repeated: Callable[[str], LevelwiseError]
) -> dict[str, V]:
    """The pairs as a dict; ``repeated(name)`` is raised for a name sent twice.

    Both a request's parameters and a statement's JSON keys must be unique.
    """
    found: dict[str, V] = {}
    for name, value in pairs:
        if name in found:
            raise repeated(name)
        found[name] = value
    return found


def _single(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    def repeated(name: str) -> LevelwiseError:
        return XapiRequestError(f"the parameter {name!r} is sent more than once")

    return without_repeats(items, repeated)


def _alternate(
    method: str, params: dict[str, str], headers: dict[str, str], body: bytes
) -> tuple[str, dict[str, str], dict[str, str], bytes]:
    """Unpack a 1.0.3 alternate-syntax request (Communication 1.3).

    Raises:
        XapiRequestError: Not a form POST, other query parameters, an unknown
            method, or a PUT/POST without a ``content`` form field.
    """
    if method != "POST":
        raise XapiRequestError("an alternate request (?method=) must be a POST")
    if set(params) != {"method"}:
        raise XapiRequestError(
            "an alternate request takes no query parameters but method"
        )
    meant = params["method"].upper()
    if meant not in _METHODS:
        raise XapiRequestError(f"method={params['method']!r} is not an HTTP method")
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise XapiRequestError(
            "an alternate request's body is application/x-www-form-urlencoded"
        )
    try:
        form = _single(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise XapiRequestError("the form body is not UTF-8") from exc
    new_headers = {
        k: v for k, v in headers.items() if k not in ("content-type", "content-length")
    }
    new_params: dict[str, str] = {}
    content: bytes = b""
    for name, value in form.items():
        low = name.lower()
        if low in _FORM_HEADERS:
            new_headers[low] = value
        elif name == "content":
            content = value.encode("utf-8")
        else:
            new_params[name] = value
    if meant in ("PUT", "POST") and "content" not in form:
        raise XapiRequestError("an alternate PUT or POST sends its body as 'content'")
    if "content" in form and "content-type" not in {k.lower() for k in form}:
        new_headers["content-type"] = "application/json"
    return meant, new_params, new_headers, content


def reply(
    request: XapiRequest,
    content: bytes = b"",
    *,
    status: int = 200,
    media_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A response to ``request`` (no body for HEAD, as RFC 9110 section 9.3.2 says)."""
    body = b"" if request.method == "HEAD" else content
    out = Response(body, status_code=status, media_type=media_type, headers=headers)
    if request.method == "HEAD" and content:
        out.headers["content-length"] = str(len(content))
    return out


def json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def http_date(key: str) -> str:
    """A store's UTC key as an HTTP date (``Last-Modified``)."""
    moment = parse_timestamp(key, zone_required=True)
    assert moment is not None  # noqa: S101 - the store's own key
    return format_datetime(moment, usegmt=True)
