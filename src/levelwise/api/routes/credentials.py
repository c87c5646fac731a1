"""Verifiable certificates: issue, list, revoke (authenticated) and publish (public).

The ``/ob/...`` routes and ``POST /v1/verify`` need no API key: hosted
verification means anyone holding a credential can fetch its issuer, badge,
assertion, keys and status list.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from levelwise.api.deps import EngineDep, TenantDep, media_type, read_body
from levelwise.api.problems import problem_responses
from levelwise.api.routes.learners import LearnerId
from levelwise.api.schemas.credentials import (
    CredentialCreate,
    CredentialListPublic,
    CredentialPublic,
    IssuerCreate,
    IssuerPublic,
    RevocationCreate,
    VerificationPublic,
)
from levelwise.domain.program import LANGUAGE_TAG
from levelwise.errors import (
    AuthenticationError,
    CredentialError,
    CredentialNotFoundError,
    CredentialsUnavailableError,
    LearnerNotFoundError,
    ProgramNotFoundError,
    StoreError,
    UnsupportedMediaTypeError,
)

router = APIRouter(tags=["credentials"])

JSON_LD = "application/ld+json"
VC_JWT = "application/vc+jwt"
MAX_VERIFY_BYTES = 256 * 1024
JWT_TYPES = frozenset({"text/plain", "application/jwt", VC_JWT})

CredentialId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9a-f]+$",
        description="The credential's public id",
    ),
]
TenantId = Annotated[
    str, Path(min_length=1, max_length=200, description="The issuing school's id")
]
BadgeSlug = Annotated[
    str, Path(min_length=1, max_length=400, description="level-<id> or badge-<id>")
]
Lang = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=35,
        pattern=LANGUAGE_TAG,
        description="The edition's language (default: the program's first)",
    ),
]
_COMMON = (RequestValidationError, StoreError, CredentialsUnavailableError)
_AUTH = (*_COMMON, AuthenticationError)
_PUBLIC = problem_responses(*_COMMON, CredentialNotFoundError)
JWK_SET = "application/jwk-set+json"
SVG = "image/svg+xml"


def _served_as(media: str, what: str, schema: dict[str, str]) -> dict[int | str, Any]:
    """``responses`` of a public document: 200 in its real media type."""
    ok = {"description": what, "content": {media: {"schema": schema}}}
    return {**_PUBLIC, 200: ok}


_OBJECT = {"type": "object"}
_TEXT = {"type": "string"}


@router.post(
    "/v1/learners/{learner_id}/credentials",
    responses=problem_responses(
        *_AUTH,
        LearnerNotFoundError,
        ProgramNotFoundError,
        CredentialNotFoundError,
        CredentialError,
    ),
)
def issue_credentials(
    learner_id: LearnerId,
    body: CredentialCreate,
    engine: EngineDep,
    tenant: TenantDep,
) -> CredentialListPublic:
    """Certify one award (``event_id``, ``seq``) or every award of the learner.

    An award is a level reached or placed, or a badge earned, under the
    school's current program, named in ``language`` (default: the program's
    first language). Issuing again returns the same credential
    (``created`` false), in the language it was first issued in. Answers 404
    ``credential-not-found`` when the event gave the learner no such award.
    """
    creds = engine.credentials
    issued = creds.issue(tenant, learner_id, body.event_id, body.seq, body.language)
    return CredentialListPublic(
        credentials=[CredentialPublic.issued(i, creds.urls) for i in issued]
    )


@router.get(
    "/v1/learners/{learner_id}/credentials", responses=problem_responses(*_AUTH)
)
def list_credentials(
    learner_id: LearnerId, engine: EngineDep, tenant: TenantDep
) -> CredentialListPublic:
    """The learner's credentials, revoked ones included, oldest first."""
    creds = engine.credentials
    rows = creds.list(tenant, learner_id)
    return CredentialListPublic(
        credentials=[CredentialPublic.of(c, creds.urls) for c in rows]
    )


@router.post(
    "/v1/credentials/{credential_id}/revoke",
    responses=problem_responses(*_AUTH, CredentialNotFoundError, CredentialError),
)
def revoke_credential(
    credential_id: CredentialId,
    body: RevocationCreate,
    engine: EngineDep,
    tenant: TenantDep,
) -> CredentialPublic:
    """Revoke a credential of this school; revoking again changes nothing."""
    creds = engine.credentials
    return CredentialPublic.of(
        creds.revoke(tenant, credential_id, body.reason), creds.urls
    )


@router.put(
    "/v1/credentials/issuer", responses=problem_responses(*_AUTH, CredentialError)
)
def put_issuer(
    body: IssuerCreate, engine: EngineDep, tenant: TenantDep
) -> IssuerPublic:
    """Set the school's issuer name, home page and email for new credentials."""
    creds = engine.credentials
    profile = creds.set_issuer(tenant, body.name, body.url, body.email)
    return IssuerPublic(
        name=profile.name,
        url=profile.url,
        email=profile.email,
        profile_url=creds.urls.issuer(tenant),
    )


@router.get(
    "/ob/v2/issuers/{tenant_id}",
    responses=_served_as(JSON_LD, "The issuer Profile", _OBJECT),
    response_class=Response,
)
def get_issuer(tenant_id: TenantId, engine: EngineDep) -> JSONResponse:
    """The school's Open Badges 2.0 issuer Profile (JSON-LD)."""
    return JSONResponse(engine.credentials.profile(tenant_id), media_type=JSON_LD)


@router.get(
    "/ob/v2/badges/{tenant_id}/{slug}",
    responses=_served_as(JSON_LD, "The BadgeClass", _OBJECT),
    response_class=Response,
)
def get_badge_class(
    tenant_id: TenantId, slug: BadgeSlug, engine: EngineDep, lang: Lang = None
) -> JSONResponse:
    """An Open Badges 2.0 BadgeClass of a level or badge the school certified.

    ``?lang=zh-CN`` gives its edition in that language, named as the school's
    program names it (a language the program lacks: its first language).
    """
    doc = engine.credentials.badge_class(tenant_id, slug, lang)
    return JSONResponse(doc, media_type=JSON_LD)


@router.get(
    "/ob/v2/assertions/{credential_id}",
    responses={
        **_served_as(JSON_LD, "The Assertion", _OBJECT),
        410: {
            "description": "Revoked: the Assertion with `revoked` and its reason",
            "content": {JSON_LD: {"schema": _OBJECT}},
        },
    },
    response_class=Response,
)
def get_assertion(credential_id: CredentialId, engine: EngineDep) -> JSONResponse:
    """A hosted Open Badges 2.0 Assertion; 410 Gone once revoked."""
    doc, revoked = engine.credentials.hosted_assertion(credential_id)
    return JSONResponse(doc, status_code=410 if revoked else 200, media_type=JSON_LD)


@router.get(
    "/ob/v3/issuers/{tenant_id}/jwks.json",
    responses=_served_as(JWK_SET, "The JWK set", _OBJECT),
    response_class=Response,
)
def get_jwks(tenant_id: TenantId, engine: EngineDep) -> JSONResponse:
    """The school's public Ed25519 keys as a JWK set (RFC 7517)."""
    return JSONResponse(engine.credentials.jwks(tenant_id), media_type=JWK_SET)


@router.get(
    "/ob/v3/credentials/{credential_id}",
    responses=_served_as(VC_JWT, "The credential, a signed JWT", _TEXT),
    response_class=Response,
)
def get_credential(credential_id: CredentialId, engine: EngineDep) -> Response:
    """The Open Badges 3.0 credential as a signed JWT (``application/vc+jwt``)."""
    found = engine.credentials.credential(credential_id)
    return Response(found.jwt, media_type=VC_JWT)


@router.get(
    "/ob/v3/status/{tenant_id}",
    responses=_served_as(VC_JWT, "The status list credential, a JWT", _TEXT),
    response_class=Response,
)
def get_status_list(tenant_id: TenantId, engine: EngineDep) -> Response:
    """The school's revocation BitstringStatusListCredential, as a signed JWT."""
    return Response(engine.credentials.status_list(tenant_id), media_type=VC_JWT)


@router.get(
    "/ob/certificates/{credential_id}.svg",
    responses=_served_as(SVG, "The certificate, an SVG image", _TEXT),
    response_class=Response,
)
def get_certificate(credential_id: CredentialId, engine: EngineDep) -> Response:
    """A printable certificate with a QR code of its verification URL."""
    svg = engine.credentials.certificate(credential_id)
    return Response(svg, media_type=SVG)


@router.post(
    "/v1/verify",
    responses=problem_responses(*_COMMON, UnsupportedMediaTypeError),
    openapi_extra={
        "requestBody": {
            "content": {
                VC_JWT: {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"oneOf": [{"type": "string"}, {"type": "object"}]}
                },
            }
        }
    },
)
async def verify(request: Request, engine: EngineDep) -> VerificationPublic:
    """Verify a credential: an OB 3.0 JWT or an OB 2.0 Assertion (JSON object).

    Send the JWT as ``application/vc+jwt``/``text/plain`` or as a JSON string.
    The answer lists each check (signature, issuer key, expiry, revocation, or
    for 2.0 the hosted copy) and the reasons of any failure.
    """
    media = media_type(request)
    raw = await read_body(request, MAX_VERIFY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = {"type": "unicode_decode", "loc": ("body",), "msg": "not UTF-8 text"}
        raise RequestValidationError([error]) from exc
    if media in JWT_TYPES:
        return VerificationPublic.of(engine.credentials.verify(text))
    if media not in ("", "application/json", JSON_LD):
        msg = f"send a JWT as {VC_JWT} or text/plain, or JSON"
        raise UnsupportedMediaTypeError(msg)
    try:
        document = json.loads(text)
    except ValueError as exc:
        error = {"type": "json_invalid", "loc": ("body",), "msg": "not JSON"}
        raise RequestValidationError([error]) from exc
    if not isinstance(document, str | dict):
        error = {
            "type": "credential_type",
            "loc": ("body",),
            "msg": "send a JWT string or an Assertion object",
        }
        raise RequestValidationError([error])
    return VerificationPublic.of(engine.credentials.verify(document))
