"""Wire models of verifiable credentials (Open Badges 2.0 and 3.0)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import PublicModel, Text
from levelwise.app.credentials.openbadges import Urls, achievement_language
from levelwise.app.credentials.ports import StoredCredential
from levelwise.app.credentials.service import Issued, Verification
from levelwise.domain.program import LANGUAGE_TAG

Id = Annotated[str, Field(min_length=1, max_length=200)]
Language = Annotated[
    str,
    Field(
        min_length=2,
        max_length=35,
        pattern=LANGUAGE_TAG,
        description="A BCP 47 language tag: en, zh-CN, pt-BR",
        examples=["zh-CN"],
    ),
]


class CredentialCreate(BaseModel):
    """Which award to certify; without ``event_id``, every award of the learner."""

    model_config = ConfigDict(extra="forbid")

    event_id: Id | None = Field(
        default=None, description="The event that produced the award"
    )
    seq: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="The award's position among the event's outcomes "
        "(default: every award of the event)",
    )
    language: Language | None = Field(
        default=None,
        description="The learner's language: the achievement's name, "
        "description and evidence are written in it (the school's names from "
        "the program file; a language the program lacks, or none, gives the "
        "program's first language). An award certified before keeps its "
        "credential and language.",
    )


class RevocationCreate(BaseModel):
    """Why a credential is revoked (published in its hosted assertion)."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=500)


class IssuerCreate(BaseModel):
    """How the school appears as an issuer in credentials issued from now on."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    url: Text = Field(min_length=1, max_length=500, description="http(s) home page")
    email: Text = Field(default="", max_length=200)


class IssuerPublic(PublicModel):
    """The school's issuer profile."""

    name: str
    url: str
    email: str
    profile_url: str


class CredentialPublic(PublicModel):
    """An issued credential and where it is published."""

    id: str
    learner: str
    kind: str
    achievement: str
    title: str = Field(
        description="The achievement's name in the credential's language"
    )
    language: str | None = Field(
        description="The credential's language (OB 3.0 achievement inLanguage); "
        "null: not named (a program without languages)"
    )
    event_id: str
    seq: int
    program_version: int
    awarded_at: str
    issued_at: str
    revoked: bool
    revoked_at: str | None
    revocation_reason: str | None
    created: bool | None = Field(
        default=None, description="On issue: whether this request created it"
    )
    assertion_url: str = Field(description="Open Badges 2.0 hosted assertion")
    credential_url: str = Field(description="Open Badges 3.0 signed JWT")
    certificate_url: str = Field(description="Printable SVG certificate")

    @classmethod
    def of(
        cls, c: StoredCredential, urls: Urls, created: bool | None = None
    ) -> CredentialPublic:
        """The wire form of a stored credential."""
        return cls(
            id=c.credential_id,
            learner=c.award.learner,
            kind=c.kind,
            achievement=c.achievement,
            title=c.title,
            language=achievement_language(c.jwt),
            event_id=c.award.event_id,
            seq=c.award.seq,
            program_version=c.award.program_version,
            awarded_at=c.awarded_at,
            issued_at=c.issued_at,
            revoked=c.revoked,
            revoked_at=c.revoked_at or None,
            revocation_reason=c.revocation_reason or None,
            created=created,
            assertion_url=urls.assertion(c.credential_id),
            credential_url=urls.credential(c.credential_id),
            certificate_url=urls.certificate(c.credential_id),
        )

    @classmethod
    def issued(cls, item: Issued, urls: Urls) -> CredentialPublic:
        """The wire form of an issue result."""
        return cls.of(item.credential, urls, item.created)


class CredentialListPublic(PublicModel):
    """A learner's credentials."""

    credentials: list[CredentialPublic]


class CheckPublic(PublicModel):
    """One verification check."""

    name: str = Field(
        description="format, issuer_key, signature, hosted, expiry or revocation"
    )
    ok: bool
    detail: str


class VerificationPublic(PublicModel):
    """Whether a credential verifies, and why (not)."""

    valid: bool
    format: str = Field(description="ob3-jwt, ob2-assertion or unknown")
    credential_id: str | None
    checks: list[CheckPublic]
    reasons: list[str] = Field(description="The failed checks, as 'name: detail'")

    @classmethod
    def of(cls, v: Verification) -> VerificationPublic:
        """The wire form of a verification."""
        return cls(
            valid=v.valid,
            format=v.format,
            credential_id=v.credential_id,
            checks=[
                CheckPublic(name=c.name, ok=c.ok, detail=c.detail) for c in v.checks
            ],
            reasons=[f"{c.name}: {c.detail}" for c in v.checks if not c.ok],
        )
