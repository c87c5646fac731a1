"""Wire models of webhook endpoints, their delivery log and replays."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import PublicModel, Text
from levelwise.app.notify.ports import Attempt, Endpoint


class WebhookCreate(BaseModel):
    """A new webhook endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: Text = Field(min_length=1, max_length=2000, description="http(s) URL")
    kinds: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Kinds to receive (e.g. level_reached); empty: every kind",
    )


class WebhookPublic(PublicModel):
    """A webhook endpoint (its secret is shown only when it is created)."""

    id: str
    url: str
    kinds: list[str]
    created_at: str

    @classmethod
    def from_endpoint(cls, endpoint: Endpoint) -> WebhookPublic:
        """Build from the stored endpoint, without its secret."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            kinds=list(endpoint.kinds),
            created_at=endpoint.created_at,
        )


class WebhookCreatedPublic(WebhookPublic):
    """A new endpoint with its signing secret (``whsec_``, Standard Webhooks)."""

    secret: str

    @classmethod
    def from_new(cls, endpoint: Endpoint) -> WebhookCreatedPublic:
        """Build from the new endpoint, with its secret."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            kinds=list(endpoint.kinds),
            created_at=endpoint.created_at,
            secret=endpoint.secret,
        )


class WebhookAttemptPublic(PublicModel):
    """One attempt of the delivery log."""

    notification_id: str = Field(description="The webhook-id")
    attempt: int = Field(description="1 for the first attempt, 2 for a retry, ...")
    at: str
    status_code: int | None = Field(description="The receiver's status, if any")
    error: str = Field(
        description=(
            "Why it failed, in one word: blocked (not a public address; nothing "
            "was sent), dns, connect, tls, timeout, http_status or "
            "invalid_response; empty on success. The receiver's answer is "
            "never kept"
        )
    )
    duration_ms: int

    @classmethod
    def from_attempt(cls, attempt: Attempt) -> WebhookAttemptPublic:
        """Build from the stored attempt."""
        return cls(
            notification_id=attempt.notification_id,
            attempt=attempt.attempt,
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


class ReplayPublic(PublicModel):
    """How many deliveries a replay queued."""

    queued: int
