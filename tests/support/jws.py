"""Signed xAPI statements for tests: RSA keys, self-signed certificates, JWS."""

from __future__ import annotations

import base64
import hmac
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

HASHES: dict[str, hashes.HashAlgorithm] = {
    "RS256": hashes.SHA256(),
    "RS384": hashes.SHA384(),
    "RS512": hashes.SHA512(),
}


@cache
def rsa_key(which: int) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key (``which`` tells two keys apart)."""
    del which
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(key: rsa.RSAPrivateKey) -> str:
    """A self-signed certificate of ``key``, as ``x5c`` carries it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Levelwise test")])
    made = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2036, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(made.public_bytes(Encoding.DER)).decode()


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JWS writes its parts."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jws(header: Any, payload: Any, key: int = 1) -> bytes:
    """A compact JWS (RSxxx with ``rsa_key(key)``; any other alg: an HMAC)."""
    signing_input = ".".join(
        b64url(json.dumps(part).encode()) for part in (header, payload)
    )
    alg = header.get("alg") if isinstance(header, dict) else None
    if alg in HASHES:
        signature = rsa_key(key).sign(
            signing_input.encode(), padding.PKCS1v15(), HASHES[alg]
        )
    else:
        signature = hmac.new(b"shared", signing_input.encode(), "sha256").digest()
    return f"{signing_input}.{b64url(signature)}".encode()
