"""``multipart/mixed`` bodies of statements with attachments (xAPI Data 2.4.11)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json

import pytest

from levelwise.api.routes.xapi._multipart import (
    Part,
    boundary_of,
    multipart_body,
    read_statements_body,
    split_parts,
)
from levelwise.app.xapi.ports import Attachment
from levelwise.errors import StatementError

B = "b0undary"
STATEMENT = b'{"id": "x"}'
NOTES = b"line one\r\n--not-the-boundary\r\n\x00\xff binary tail"


def body(*parts: bytes, preamble: bytes = b"", close: bytes = b"--\r\n") -> bytes:
    """A multipart body of raw parts (each its header block and content)."""
    delimiter = f"--{B}".encode()
    out = preamble + b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return out + delimiter + close


def raw_part(content: bytes, **headers: str) -> bytes:
    head = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + content


def attachment_part(content: bytes, algorithm: str = "sha256", **extra: str) -> bytes:
    headers = {
        "Content_Type": "text/plain",
        "Content_Transfer_Encoding": "binary",
        "X_Experience_API_Hash": hashlib.new(algorithm, content).hexdigest(),
        **extra,
    }
    return raw_part(content, **headers)


# -- boundary_of --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        (f"multipart/mixed; boundary={B}", B),
        (f'multipart/mixed; boundary="{B}"', B),
        (f"multipart/mixed;charset=utf-8; BOUNDARY = {B} ", B),
    ],
    ids=["plain", "quoted", "case-and-spaces"],
)
def test_the_boundary_is_read_from_the_content_type(content_type, boundary):
    assert boundary_of(content_type) == boundary


@pytest.mark.parametrize(
    "content_type",
    ["multipart/mixed", "multipart/mixed; boundary=", "multipart/mixed; charset=x"],
)
def test_a_content_type_without_a_boundary_is_refused(content_type):
    with pytest.raises(StatementError, match="boundary"):
        boundary_of(content_type)


# -- split_parts --------------------------------------------------------------


def test_parts_keep_their_headers_and_exact_content():
    raw = body(
        raw_part(STATEMENT, Content_Type="application/json"),
        raw_part(NOTES, Content_Type="text/plain", X_Custom="  padded  "),
    )

    first, second = split_parts(raw, B)

    assert first == Part({"content-type": "application/json"}, STATEMENT)
    assert second.content == NOTES  # CRLF and a near-boundary inside are content
    assert second.headers == {"content-type": "text/plain", "x-custom": "padded"}


def test_a_preamble_and_transport_padding_are_skipped():
    delimiter = f"--{B}".encode()
    raw = (
        b"this is the preamble\r\n"
        + delimiter
        + b"  \t\r\n"
        + raw_part(b"one")
        + b"\r\n"
        + delimiter
        + b"--"
    )

    assert split_parts(raw, B) == [Part({}, b"one")]


def test_a_part_without_headers_has_empty_headers():
    assert split_parts(body(b"\r\nbare content"), B) == [Part({}, b"bare content")]


def test_a_body_of_no_parts_has_none():
    assert split_parts(f"--{B}--".encode(), B) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"no boundary anywhere", "does not use its boundary"),
        (f"--{B}garbage\r\n\r\nx\r\n--{B}--".encode(), "boundary line"),
        (f"--{B}".encode(), "boundary line"),
        (f"--{B}\r\n\r\ncontent never closed".encode(), "closing boundary"),
        (body(b"Content-Type: text/plain\r\nno blank line"), "blank line"),
        (body(b"not a header\r\n\r\ncontent"), "header is malformed"),
    ],
    ids=[
        "no-boundary",
        "garbage-after-boundary",
        "boundary-only",
        "unclosed",
        "no-blank-line",
        "bad-header",
    ],
)
def test_a_malformed_body_is_refused(raw, message):
    with pytest.raises(StatementError, match=message):
        split_parts(raw, B)


# -- read_statements_body -----------------------------------------------------

CONTENT_TYPE = f"multipart/mixed; boundary={B}"


@pytest.mark.parametrize("algorithm", ["sha224", "sha256", "sha384", "sha512"])
def test_attachments_are_read_by_their_hash(algorithm):
    raw = body(
        raw_part(STATEMENT, Content_Type="application/json; charset=utf-8"),
        attachment_part(NOTES, algorithm),
        attachment_part(b"second", algorithm, Content_Type="image/png"),
    )

    statements, attachments = read_statements_body(raw, CONTENT_TYPE)

    assert statements == STATEMENT
    notes = hashlib.new(algorithm, NOTES).hexdigest()
    second = hashlib.new(algorithm, b"second").hexdigest()
    assert attachments == {
        notes: Attachment(notes, "text/plain", NOTES),
        second: Attachment(second, "image/png", b"second"),
    }


def test_a_hash_header_in_upper_case_is_read_in_lower_case():
    sha = hashlib.sha256(NOTES).hexdigest()
    raw = body(
        raw_part(STATEMENT, Content_Type="application/json"),
        raw_part(
            NOTES,
            Content_Transfer_Encoding="BINARY",
            X_Experience_API_Hash=sha.upper(),
        ),
    )

    _, attachments = read_statements_body(raw, CONTENT_TYPE)

    assert attachments == {sha: Attachment(sha, "application/octet-stream", NOTES)}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "no statements part"),
        ([raw_part(STATEMENT, Content_Type="text/plain")], "application/json"),
        ([raw_part(STATEMENT)], "application/json"),
        (
            [
                raw_part(STATEMENT, Content_Type="application/json"),
                raw_part(NOTES, Content_Transfer_Encoding="binary"),
            ],
            "part 2 has no X-Experience-API-Hash",
        ),
        (
            [
                raw_part(STATEMENT, Content_Type="application/json"),
                attachment_part(b"the right one"),
                attachment_part(
                    NOTES, X_Experience_API_Hash=hashlib.sha256(b"other").hexdigest()
                ),
            ],
            "part 3's content does not match its hash",
        ),
        (
            [
                raw_part(STATEMENT, Content_Type="application/json"),
                attachment_part(NOTES, X_Experience_API_Hash="abc123"),
            ],
            "does not match its hash",  # no SHA-2 has 6 hex digits
        ),
        (
            [
                raw_part(STATEMENT, Content_Type="application/json"),
                attachment_part(NOTES, Content_Transfer_Encoding="base64"),
            ],
            "Content-Transfer-Encoding: binary",
        ),
    ],
    ids=[
        "no-parts",
        "first-not-json",
        "first-untyped",
        "no-hash",
        "wrong-hash",
        "unknown-hash-length",
        "not-binary",
    ],
)
def test_a_bad_statements_body_is_refused(parts, message):
    with pytest.raises(StatementError, match=message):
        read_statements_body(body(*parts), CONTENT_TYPE)


def test_the_boundary_comes_from_the_content_type():
    raw = body(raw_part(STATEMENT, Content_Type="application/json"))

    with pytest.raises(StatementError, match="does not use its boundary"):
        read_statements_body(raw, "multipart/mixed; boundary=another")


# -- multipart_body -----------------------------------------------------------


def test_a_built_body_reads_back_the_same():
    attachments = [
        Attachment(hashlib.sha256(NOTES).hexdigest(), "text/plain", NOTES),
        Attachment(hashlib.sha512(b"png").hexdigest(), "image/png", b"png"),
    ]

    raw, content_type = multipart_body(STATEMENT, attachments)
    statements, read = read_statements_body(raw, content_type)

    assert content_type.startswith("multipart/mixed; boundary=")
    assert statements == STATEMENT
    assert list(read.values()) == attachments


def test_a_built_body_is_standard_mime():
    sha = hashlib.sha256(NOTES).hexdigest()
    first = json.dumps({"statements": [], "more": ""}).encode()

    raw, content_type = multipart_body(first, [Attachment(sha, "text/plain", NOTES)])
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw,
        policy=email.policy.HTTP,
    )

    one, two = message.iter_parts()
    assert one.get_content_type() == "application/json"
    assert one.get_payload(decode=True) == first
    assert two["X-Experience-API-Hash"] == sha
    assert two["Content-Transfer-Encoding"] == "binary"
    assert two.get_payload(decode=True) == NOTES


def test_a_body_without_attachments_is_the_statements_only():
    raw, content_type = multipart_body(STATEMENT, [])

    assert split_parts(raw, boundary_of(content_type)) == [
        Part({"content-type": "application/json"}, STATEMENT)
    ]


def test_each_body_has_its_own_boundary():
    _, one = multipart_body(STATEMENT, [])
    _, two = multipart_body(STATEMENT, [])

    assert boundary_of(one) != boundary_of(two)
