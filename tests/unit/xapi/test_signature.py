"""Signed statements (xAPI Data 2.6): the JWS a signature attachment carries.

Tokens are built here with ``cryptography`` alone (not with the JOSE library
the code under test uses), certificates are self-signed on the fly.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from levelwise.app.xapi.signature import (
    SIGNATURE_TYPE,
    SIGNATURE_USAGE,
    check_signature,
    is_signature,
)
from levelwise.errors import StatementError
from tests.support.jws import b64url, certificate, jws, rsa_key

ID = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "id": ID,
        "actor": {"objectType": "Agent", "mbox": "mailto:ana@school.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"objectType": "Activity", "id": "https://school.example/q/1"},
        "result": {"success": True, "score": {"scaled": 1}, "duration": "PT1.234S"},
        **extra,
    }


def parent(level: float) -> dict[str, Any]:
    """A context activity with a number inside, for comparisons within lists."""
    return {
        "id": "https://school.example/course",
        "definition": {"extensions": {"https://school.example/level": level}},
    }


def as_received(payload: dict[str, Any]) -> dict[str, Any]:
    """The statement the LRS receives: the payload with its signature attached."""
    received = copy.deepcopy(payload)
    received["attachments"] = [
        {
            "usageType": SIGNATURE_USAGE,
            "display": {"en-US": "signature"},
            "contentType": SIGNATURE_TYPE,
            "length": 1,
            "sha2": "0" * 64,
        }
    ]
    return received


def test_a_signature_attachment_is_known_by_its_usage_type():
    assert is_signature({"usageType": SIGNATURE_USAGE})
    assert not is_signature({"usageType": "https://school.example/notes"})
    assert not is_signature({})


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_statement_signed_with_an_allowed_algorithm_holds(alg):
    payload = statement()

    check_signature(as_received(payload), jws({"alg": alg}, payload))


@pytest.mark.parametrize(
    "alg",
    [
        "RS256",
        "RS512",
    ],
)
def test_a_signature_verifies_with_the_certificate_it_carries(alg):
    payload = statement()
    header = {"alg": alg, "x5c": [certificate(rsa_key(1))]}

    check_signature(as_received(payload), jws(header, payload))


def test_a_signature_is_refused_by_anothers_certificate():
    payload = statement()
    header = {"alg": "RS256", "x5c": [certificate(rsa_key(2))]}

    with pytest.raises(StatementError, match="does not verify with its certificate"):
        check_signature(as_received(payload), jws(header, payload, key=1))


def test_a_certificate_that_is_not_one_is_refused():
    payload = statement()
    header = {"alg": "RS256", "x5c": [base64.b64encode(b"not DER").decode()]}

    with pytest.raises(StatementError, match="does not verify"):
        check_signature(as_received(payload), jws(header, payload))


def test_without_a_certificate_only_form_and_payload_are_checked():
    payload = statement()
    signed = jws({"alg": "RS256"}, payload)
    forged = signed.rsplit(b".", 1)[0] + b"." + b64url(b"not a signature").encode()

    check_signature(as_received(payload), forged)


@pytest.mark.parametrize(
    ("header", "alg"),
    [
        ({"alg": "HS256"}, "HS256"),
        ({"alg": "none"}, "none"),
        ({"alg": "ES256"}, "ES256"),
        ({"typ": "JWT"}, "None"),
        (["RS256"], "None"),
    ],
    ids=["hs256", "none", "es256", "no-alg", "header-not-object"],
)
def test_another_algorithm_is_refused(header, alg):
    payload = statement()

    with pytest.raises(StatementError, match=f"RS256, RS384, RS512, not {alg}$"):
        check_signature(as_received(payload), jws(header, payload))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("héllo.wörld.x".encode(), "not ASCII"),
        (b"only.two", "compact serialisation"),
        (b"a.b.c.d", "compact serialisation"),
        (b"!!!." + b64url(b"{}").encode() + b".sig", "header is not JSON"),
        (b64url(b'{"alg":"RS256"}').encode() + b".e30x.sig", "payload is not JSON"),
        (b64url(b'{"alg":"RS256"}').encode() + b".bm90IGpzb24.sig", "payload is not"),
    ],
    ids=[
        "not-ascii",
        "two-parts",
        "four-parts",
        "header",
        "payload-b64",
        "payload-json",
    ],
)
def test_a_token_that_is_no_jws_is_refused(raw, message):
    with pytest.raises(StatementError, match=message):
        check_signature(as_received(statement()), raw)


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        (statement(), statement(id=ID.upper())),  # ids compare in any case
        ({k: v for k, v in statement().items() if k != "id"}, statement()),
        (
            statement(),
            statement(
                stored="2027-01-01T00:00:00Z",
                version="2.0.0",
                authority={"objectType": "Agent", "mbox": "mailto:lrs@x.org"},
            ),
        ),
        (
            statement(result={"success": True, "score": {"scaled": 1.0}}),
            statement(result={"success": True, "score": {"scaled": 1}}),
        ),
        (
            statement(result={"duration": "PT1.2399S"}),
            statement(result={"duration": "PT1.23S"}),
        ),
        (
            statement(context={"contextActivities": {"parent": [parent(2)]}}),
            statement(context={"contextActivities": {"parent": [parent(2.0)]}}),
        ),
    ],
    ids=[
        "id-case",
        "id-assigned",
        "lrs-properties",
        "number-forms",
        "hundredths",
        "inside-lists",
    ],
)
def test_what_the_lrs_may_change_does_not_break_a_signature(signed, received):
    check_signature(as_received(received), jws({"alg": "RS256"}, signed))


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        (statement(), statement(id="11111111-1111-4111-8111-111111111111")),
        (statement(result={"success": True}), statement(result={"success": False})),
        (
            statement(result={"duration": "PT1.24S"}),
            statement(result={"duration": "PT1.23S"}),
        ),
        (statement(), {**statement(), "context": {"language": "en"}}),
        ([statement()], statement()),
        (
            statement(result={"success": True, "extensions": {"https://x.org/e": 1}}),
            statement(
                result={"success": True, "extensions": {"https://x.org/e": True}}
            ),
        ),
    ],
    ids=[
        "other-id",
        "other-result",
        "other-hundredths",
        "added-context",
        "payload-not-object",
        "true-is-not-1",
    ],
)
def test_a_payload_that_is_not_the_statement_is_refused(signed, received):
    with pytest.raises(StatementError, match="payload is not the statement"):
        check_signature(as_received(received), jws({"alg": "RS256"}, signed))
