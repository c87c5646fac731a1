"""``multipart/mixed`` bodies of xAPI statements with attachments (Data 2.4.11).

The first part is the statements (``application/json``); every other part is
one attachment's raw content with its ``X-Experience-API-Hash`` (SHA-2, hex).
Responses with ``attachments=true`` are built the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from levelwise.app.xapi.ports import Attachment
from levelwise.errors import StatementError

HASH_HEADER = "x-experience-api-hash"


@dataclass(frozen=True)
class Part:
    """One part: its headers (names in lower case) and content."""

    headers: dict[str, str]
    content: bytes


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a multipart Content-Type.

    Raises:
        StatementError: There is none.
    """
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip():
            return value.strip().strip('"')
    raise StatementError("Content-Type: multipart/mixed needs a boundary parameter")


def split_parts(body: bytes, boundary: str) -> list[Part]:
    """The parts of a multipart body (RFC 2046 section 5.1.1).

    Raises:
        StatementError: The body does not open and close with the boundary,
            or a part has no header block.
    """
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        rest = body[len(delimiter) :]
    else:
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise StatementError("multipart: the body does not use its boundary")
        rest = body[start + 2 + len(delimiter) :]
    parts: list[Part] = []
    while True:
        if rest.startswith(b"--"):
            return parts
        line_end = rest.find(b"\r\n")
        if line_end < 0 or rest[:line_end].strip(b" \t"):
            raise StatementError("multipart: a boundary line is malformed")
        rest = rest[line_end + 2 :]
        end = rest.find(b"\r\n" + delimiter)
        if end < 0:
            raise StatementError("multipart: the closing boundary is missing")
        parts.append(_part(rest[:end]))
        rest = rest[end + 2 + len(delimiter) :]


def _part(raw: bytes) -> Part:
    if raw.startswith(b"\r\n"):
        return Part({}, raw[2:])
    head, blank, content = raw.partition(b"\r\n\r\n")
    if not blank:
        raise StatementError("multipart: a part has no blank line after headers")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise StatementError("multipart: a part header is malformed")
        headers[name.strip().lower()] = value.strip()
    return Part(headers, content)


def read_statements_body(
    body: bytes, content_type: str
) -> tuple[bytes, dict[str, Attachment]]:
    """The statements' JSON and the attachments of a ``multipart/mixed`` request.

    Raises:
        StatementError: The first part is not JSON, a later part has no
            ``X-Experience-API-Hash``, or its content does not have that hash.
    """
    parts = split_parts(body, boundary_of(content_type))
    if not parts:
        raise StatementError("multipart: no statements part")
    first, *rest = parts
    media = first.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise StatementError("multipart: the first part must be application/json")
    attachments: dict[str, Attachment] = {}
    for i, part in enumerate(rest, start=2):
        sha = part.headers.get(HASH_HEADER, "").strip().lower()
        if not sha:
            msg = f"multipart: part {i} has no X-Experience-API-Hash header"
            raise StatementError(msg)
        if _digest(part.content, len(sha)) != sha:
            msg = f"multipart: part {i}'s content does not match its hash"
            raise StatementError(msg)
        encoding = part.headers.get("content-transfer-encoding", "").lower()
        if encoding != "binary":
            msg = f"multipart: part {i} needs Content-Transfer-Encoding: binary"
            raise StatementError(msg)
        kind = part.headers.get("content-type", "application/octet-stream")
        attachments[sha] = Attachment(sha, kind, part.content)
    return first.content, attachments


def _digest(content: bytes, hex_length: int) -> str:
    """The SHA-2 of ``content`` of the size a hash of ``hex_length`` digits has."""
    algorithm = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}.get(
        hex_length
    )
    if algorithm is None:
        return ""
    return hashlib.new(algorithm, content).hexdigest()


def multipart_body(
    first: bytes, attachments: Sequence[Attachment]
) -> tuple[bytes, str]:
    """A ``multipart/mixed`` body of JSON and attachments, and its Content-Type."""
    boundary = "lw" + secrets.token_hex(16)
    delimiter = b"--" + boundary.encode()
    chunks = [
        delimiter,
        b"\r\nContent-Type: application/json\r\n\r\n",
        first,
        b"\r\n",
    ]
    for a in attachments:
        chunks += [
            delimiter,
            f"\r\nContent-Type: {a.content_type}\r\n".encode("latin-1"),
            b"Content-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {a.sha2}\r\n\r\n".encode("latin-1"),
            a.content,
            b"\r\n",
        ]
    chunks += [delimiter, b"--\r\n"]
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
