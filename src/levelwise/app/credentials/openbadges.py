"""Open Badges documents: 2.0 hosted JSON-LD, 3.0 credentials as JWTs, status lists.

* Open Badges 2.0 (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html):
  Profile, BadgeClass and hosted Assertion, with the recipient's identity
  salted and hashed (``sha256$<hex>``).
* Open Badges 3.0 (https://www.imsglobal.org/spec/ob/v3p0/): an
  ``OpenBadgeCredential`` in the W3C VC data model 2.0, secured as a JWT
  (VC-JOSE-COSE, https://www.w3.org/TR/vc-jose-cose/: the payload *is* the
  credential, ``typ`` ``vc+jwt``), signed with Ed25519 (JOSE alg ``Ed25519``,
  RFC 9864, which replaces the deprecated ``EdDSA`` name).
* Revocation: a BitstringStatusList (https://www.w3.org/TR/vc-bitstring-status-list/)
  per tenant, itself a signed credential.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from levelwise.app.credentials._words import words
from levelwise.app.credentials.ports import IssuerProfile, SigningKey

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ALG = "Ed25519"
JWT_TYPE = "vc+jwt"
STATUS_BITS = 131_072
"""The status list's minimum length: 16 KB, as the spec asks for privacy."""
OB3_LANGUAGE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
"""The language codes OB 3.0's JSON schema accepts (``inLanguage``)."""


class Urls:
    """The public URLs of one deployment (from ``LEVELWISE_PUBLIC_URL``).

    Args:
        base: The public base URL, without a trailing slash.
    """

    def __init__(self, base: str) -> None:
        """Keep the base URL."""
        self.base = base.rstrip("/")

    def issuer(self, tenant: str) -> str:
        """The tenant's issuer Profile (also the 3.0 issuer id)."""
        return f"{self.base}/ob/v2/issuers/{quote(tenant, safe='')}"

    def badge(self, tenant: str, slug: str, language: str | None = None) -> str:
        """A BadgeClass (3.0: the Achievement's id), in one language if given.

        Each language of a program is an edition of the achievement (OB 3.0
        ``related``): ``?lang=zh-CN`` names it in Chinese.
        """
        url = f"{self.base}/ob/v2/badges/{quote(tenant, safe='')}/{quote(slug)}"
        return url if language is None else f"{url}?lang={quote(language)}"

    def assertion(self, credential_id: str) -> str:
        """A hosted 2.0 Assertion."""
        return f"{self.base}/ob/v2/assertions/{credential_id}"

    def credential(self, credential_id: str) -> str:
        """A signed 3.0 credential."""
        return f"{self.base}/ob/v3/credentials/{credential_id}"

    def jwks(self, tenant: str) -> str:
        """The tenant's public keys."""
        return f"{self.base}/ob/v3/issuers/{quote(tenant, safe='')}/jwks.json"

    def status(self, tenant: str) -> str:
        """The tenant's revocation status list credential."""
        return f"{self.base}/ob/v3/status/{quote(tenant, safe='')}"

    def certificate(self, credential_id: str) -> str:
        """The printable certificate."""
        return f"{self.base}/ob/certificates/{credential_id}.svg"


def identity_hash(identity: str, salt: str) -> str:
    """OB 2.0 hashed identity: ``sha256$`` + hex SHA-256 of identity + salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode()).hexdigest()


def recipient_identity(tenant: str, learner: str) -> str:
    """The identity hashed into credentials: a URN naming the tenant's learner."""
    return f"urn:levelwise:{quote(tenant, safe='')}:learner:{quote(learner, safe='')}"


def profile(tenant: str, issuer: IssuerProfile, urls: Urls) -> dict[str, Any]:
    """The OB 2.0 issuer Profile of a tenant."""
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Profile",
        "id": urls.issuer(tenant),
        "name": issuer.name,
        "url": issuer.url,
        "publicKey": urls.jwks(tenant),
    }
    if issuer.email:
        doc["email"] = issuer.email
    return doc


def _badge_image(title: str) -> str:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120">'
        '<circle cx="60" cy="60" r="56" fill="#1d4ed8"/>'
        '<text x="60" y="66" font-size="14" text-anchor="middle" fill="#fff">'
        f"{xml_text(title[:14])}</text></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def xml_text(text: str) -> str:
    """``text`` escaped for XML content and attribute values."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def ob3_language(tag: str | None) -> str | None:
    """``tag`` as OB 3.0 writes a language (``zh-CN``, ``zh-Hant``), if it can.

    Returns:
        The tag in BCP 47's usual case, or None when OB 3.0's schema would not
        accept it (a variant such as ``de-1996``): the credential then names
        no language rather than a wrong one.
    """
    if tag is None:
        return None
    parts = tag.split("-")
    cased = [parts[0].lower()] + [
        p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p for p in parts[1:]
    ]
    shown = "-".join(cased)
    return shown if OB3_LANGUAGE.match(shown) else None


def criteria(kind: str, title: str, language: str | None = None) -> str:
    """How the achievement is earned, in words of ``language``."""
    said = words(language)
    if kind == "badge_earned":
        return said.badge_criteria.format(title=title)
    return said.level_criteria.format(title=title)


def badge_class(
    tenant: str,
    slug: str,
    kind: str,
    title: str,
    urls: Urls,
    language: str | None = None,
) -> dict[str, Any]:
    """The OB 2.0 BadgeClass of a level or badge (``title`` in ``language``)."""
    return {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.badge(tenant, slug, language),
        "name": title,
        "description": f"{title} ({slug})",
        "image": _badge_image(title),
        "criteria": {"narrative": criteria(kind, title, language)},
        "issuer": urls.issuer(tenant),
    }


def narrative(
    kind: str,
    body: Mapping[str, Any],
    at: str,
    title: str | None = None,
    language: str | None = None,
) -> str:
    """The evidence in words, from the award's receipt.

    It names the award, its date and why it was given, never the learner's or
    the platform's ids: the event id would tie the credential back to the
    learner that the hashed recipient hides.

    Args:
        kind: The award's outcome kind.
        body: The stored outcome.
        at: The award's date.
        title: The award's name in ``language`` (a badge's with its tier);
            None: the stored title (with the tier's id).
        language: The language of the sentences around the names; the gate
            expressions and reasons are the program's own, as written.
    """
    said = words(language)
    named = body.get("title") or body.get("level") or body.get("badge") or ""
    if kind == "badge_earned":
        if title is None:
            tier = body.get("tier")
            title = said.tier.format(badge=named, tier=tier) if tier else named
        head = said.earned.format(title=title, at=at)
        why = str(body.get("reason", ""))
    else:
        verb = said.placed if kind == "level_placed" else said.reached
        level = body.get("level", "")
        head = verb.format(title=named if title is None else title, level=level, at=at)
        parts = [
            said.gate.format(gate=g["gate"], current=g["current"], target=g["target"])
            for g in body.get("gates") or []
        ]
        parts += [
            f"{item['dimension']} θ={item['theta']:.2f}"
            for item in body.get("evidence") or []
        ]
        why = said.separator.join(parts)
    tail = f"{said.colon}{why}" if why else ""
    return f"{head}{tail}{said.stop}"


def assertion(
    *,
    credential_id: str,
    tenant: str,
    learner: str,
    slug: str,
    salt: str,
    issued_on: str,
    evidence: str,
    urls: Urls,
    language: str | None = None,
) -> dict[str, Any]:
    """An OB 2.0 hosted Assertion (its badge: the edition in ``language``)."""
    return {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": urls.assertion(credential_id),
        "recipient": {
            "type": "url",
            "hashed": True,
            "salt": salt,
            "identity": identity_hash(recipient_identity(tenant, learner), salt),
        },
        "badge": urls.badge(tenant, slug, language),
        "issuedOn": issued_on,
        "verification": {"type": "hosted"},
        "evidence": [{"narrative": evidence}],
    }


def open_badge_credential(
    *,
    credential_id: str,
    tenant: str,
    issuer: IssuerProfile,
    learner: str,
    slug: str,
    kind: str,
    title: str,
    salt: str,
    issued_on: str,
    awarded_on: str,
    evidence: str,
    status_index: int,
    urls: Urls,
    language: str | None = None,
    editions: Sequence[str] = (),
) -> dict[str, Any]:
    """An OB 3.0 ``OpenBadgeCredential`` (unsigned).

    Args:
        credential_id: The credential's public id.
        tenant: The issuing school.
        issuer: How the school appears.
        learner: The recipient (only hashed into the credential).
        slug: The achievement's slug.
        kind: The award's outcome kind.
        title: The achievement's name in ``language``.
        salt: The identity hash's salt.
        issued_on: When the credential is issued.
        awarded_on: When the award happened.
        evidence: The evidence narrative.
        status_index: Its bit in the school's status list.
        urls: The deployment's public URLs.
        language: The credential's language (a program language), or None.
        editions: The program's other languages: each is a ``related``
            edition of the achievement (OB 3.0 ``Related``), at its own URL.
    """
    status = urls.status(tenant)
    achievement: dict[str, Any] = {
        "id": urls.badge(tenant, slug, language),
        "type": ["Achievement"],
        "name": title,
        "description": f"{title} ({slug})",
        "criteria": {"narrative": criteria(kind, title, language)},
    }
    tag = ob3_language(language)
    if tag is not None:
        achievement["inLanguage"] = tag
    related = [
        {
            "id": urls.badge(tenant, slug, other),
            "type": ["Related"],
            **({"inLanguage": t} if (t := ob3_language(other)) else {}),
        }
        for other in editions
        if other != language
    ]
    if related:
        achievement["related"] = related
    return {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": urls.credential(credential_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {
            "id": urls.issuer(tenant),
            "type": ["Profile"],
            "name": issuer.name,
            "url": issuer.url,
            **({"email": issuer.email} if issuer.email else {}),
        },
        "validFrom": issued_on,
        "awardedDate": awarded_on,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(
                        recipient_identity(tenant, learner), salt
                    ),
                    "identityType": "identifier",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": achievement,
        },
        "evidence": [{"type": ["Evidence"], "narrative": evidence}],
        "credentialStatus": {
            "id": f"{status}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status,
        },
    }


def achievement_language(token: str) -> str | None:
    """The ``inLanguage`` of a signed credential's achievement, if it names one."""
    parsed = unverified(token)
    if parsed is None:
        return None
    subject = parsed[1].get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    found = achievement.get("inLanguage") if isinstance(achievement, dict) else None
    return found if isinstance(found, str) else None


def new_key(kid: str, created_at: str) -> SigningKey:
    """A fresh Ed25519 key pair."""
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid})
    return SigningKey(
        kid=kid,
        private_jwk=json.dumps(key.as_dict(private=True), sort_keys=True),
        public_jwk=json.dumps(key.as_dict(private=False), sort_keys=True),
        created_at=created_at,
    )


def sign(payload: Mapping[str, Any], key: SigningKey) -> str:
    """A compact JWS of ``payload`` (a credential) with the tenant's key."""
    private = OKPKey.import_key(json.loads(key.private_jwk))
    header = {"alg": ALG, "kid": key.kid, "typ": JWT_TYPE}
    return jwt.encode(header, dict(payload), private, algorithms=[ALG])


def jwk_set(keys: Sequence[SigningKey]) -> dict[str, Any]:
    """The public JWK set of a tenant (no private parts)."""
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The header and payload of a compact JWS, unchecked; None if malformed."""
    try:
        parts = jws.extract_compact(token.encode())
        payload = json.loads(parts.payload)
    except (JoseError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    return dict(parts.headers()), payload


def signature_ok(token: str, keys: Sequence[SigningKey]) -> bool:
    """Whether ``token`` was signed by one of ``keys`` (matched by ``kid``)."""
    if not keys:
        return False
    key_set = KeySet.import_key_set(jwk_set(keys))  # type: ignore[arg-type]
    try:
        jwt.decode(token, key_set, algorithms=[ALG])
    except (JoseError, ValueError):
        return False
    return True


def encoded_list(revoked: Sequence[int]) -> str:
    """The status list's ``encodedList``: multibase base64url of the GZIP bitstring.

    Bit ``i`` is the ``i``-th bit from the left (index 0 is the most
    significant bit of the first byte), as the spec defines it.
    """
    size = max(
        STATUS_BITS, ((max(revoked, default=0) // STATUS_BITS) + 1) * STATUS_BITS
    )
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def bit_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set."""
    data = encoded[1:] if encoded.startswith("u") else encoded
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if index // 8 >= len(bits):
        return False
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list(
    tenant: str, revoked: Sequence[int], valid_from: str, urls: Urls
) -> dict[str, Any]:
    """The tenant's revocation ``BitstringStatusListCredential`` (unsigned)."""
    status = urls.status(tenant)
    return {
        "@context": [VC2_CONTEXT],
        "id": status,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": urls.issuer(tenant),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{status}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked),
        },
    }


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with a zone, or None if ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
