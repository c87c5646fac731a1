"""Signed statements (xAPI Data 2.6): the JWS in a signature attachment.

A signed statement carries an attachment with the usage type
:data:`SIGNATURE_USAGE` and content type ``application/octet-stream`` whose
content is a JWS in compact serialisation. The LRS checks that the JWS is well
formed, that it uses RS256, RS384 or RS512, that its payload is the statement
as it was before the signature was added, and, when the JWS header carries the
signer's certificate chain (``x5c``), that the signature verifies with it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.jws import JWSRegistry

from levelwise.errors import StatementError

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
"""The usage type of a signature attachment."""
SIGNATURE_TYPE = "application/octet-stream"
"""The content type a signature attachment must have."""
ALGORITHMS = ("RS256", "RS384", "RS512")
"""The JWS algorithms the specification allows."""
# joserfc refuses protected headers over 512 bytes, but an x5c chain (RFC 7515
# section 4.1.6) is a kilobyte or more per certificate; statements and RSA-8192
# signatures may also pass its other defaults.
_REGISTRY = JWSRegistry(algorithms=list(ALGORITHMS))
_REGISTRY.max_header_length = 64 * 1024
_REGISTRY.max_payload_length = 16 * 1024 * 1024
_REGISTRY.max_signature_length = 4 * 1024
# Seconds of an ISO 8601 duration: compared to the hundredth (Data 4.6).
_HUNDREDTHS = re.compile(r"(\d+)[.,](\d+)S")
# Properties the LRS may add or change after signing (Data 2.6.s4.b3, 2.4.*).
_IGNORED = ("id", "stored", "authority", "version", "attachments")


def is_signature(attachment: dict[str, Any]) -> bool:
    """Whether a statement attachment declares a signature."""
    return attachment.get("usageType") == SIGNATURE_USAGE


def check_signature(statement: dict[str, Any], token: bytes) -> None:
    """Check a signed statement's JWS against the statement.

    Args:
        statement: The statement as received (with its signature attachment).
        token: The signature attachment's content.

    Raises:
        StatementError: The JWS is malformed, uses another algorithm, does not
            verify with the certificate it carries, or its payload is not the
            statement.
    """
    text = _text(token)
    parts = text.split(".")
    if len(parts) != 3:
        raise StatementError("signature: not a JWS in compact serialisation")
    header = _json_part(parts[0], "header")
    payload = _json_part(parts[1], "payload")
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if algorithm not in ALGORITHMS:
        allowed = ", ".join(ALGORITHMS)
        raise StatementError(f"signature: the JWS must use {allowed}, not {algorithm}")
    assert isinstance(header, dict)  # noqa: S101 - alg was read from it
    chain = header.get("x5c")
    if isinstance(chain, list) and chain:
        _verify(text, str(chain[0]), str(algorithm))
    if not isinstance(payload, dict) or not _same(payload, statement):
        raise StatementError(
            "signature: the JWS payload is not the statement that was signed"
        )


def _text(token: bytes) -> str:
    try:
        return token.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise StatementError("signature: not a JWS (not ASCII)") from exc


def _json_part(part: str, name: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise StatementError(f"signature: the JWS {name} is not JSON") from exc


def _verify(token: str, certificate: str, algorithm: str) -> None:
    """Verify ``token`` with the public key of a base64 DER certificate."""
    from cryptography import x509  # joserfc's own dependency

    try:
        der = base64.b64decode(certificate)
        public = x509.load_der_x509_certificate(der).public_key()
        key = RSAKey.import_key(public)  # type: ignore[arg-type]
        jws.deserialize_compact(token, key, algorithms=[algorithm], registry=_REGISTRY)
    except (ValueError, TypeError, JoseError) as exc:
        raise StatementError(
            "signature: the JWS does not verify with its certificate"
        ) from exc


def _same(signed: dict[str, Any], statement: dict[str, Any]) -> bool:
    """Whether the signed payload is the statement (Data 2.6.s4.b3).

    Properties the LRS sets (id when absent from the payload, stored,
    authority, version) and the attachments (the signature is added after
    signing) are left out of the comparison.
    """

    def stripped(value: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in value.items() if k not in _IGNORED}

    if (
        "id" in signed
        and str(signed["id"]).lower() != str(statement.get("id", signed["id"])).lower()
    ):
        return False
    return bool(_normal(stripped(signed)) == _normal(stripped(statement)))


def _normal(value: Any) -> Any:
    """Compare numbers by value, and durations to the hundredth of a second."""
    if isinstance(value, dict):
        out = {k: _normal(v) for k, v in value.items()}
        if isinstance(out.get("duration"), str):
            out["duration"] = _HUNDREDTHS.sub(_truncate, out["duration"])
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, bool):
        return ("bool", value)  # True == 1.0 in Python: keep booleans apart
    if isinstance(value, int | float):
        return float(value)
    return value


def _truncate(match: re.Match[str]) -> str:
    hundredths = (match.group(2) + "00")[:2]
    return f"{match.group(1)}.{hundredths}S"
