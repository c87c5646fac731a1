"""Settings: every ``LEVELWISE_*`` variable in one place, read when asked for.

Nothing reads the environment at import time: ``levelwise.bootstrap`` builds one
``Settings()`` per process (or takes the one it is given) and hands each part to
the object that needs it.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///levelwise.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_EVENT_MAX_SKEW_SECONDS = 600
DEFAULT_EVENT_EARLIEST = date(2000, 1, 1)


class Settings(BaseSettings):
    """Where the store is, how the server listens, and how it speaks for itself.

    Attributes:
        db: SQLAlchemy URL of the store (``sqlite:///file.db``,
            ``postgresql+psycopg://user@host/db``) or ``memory``.
        host: Address the API binds to.
        port: Port the API listens on.
        redis_url: Redis for leaderboards (``redis://host:6379/0``); unset:
            boards live in the store's database.
        public_url: The public base URL of the API (``LEVELWISE_PUBLIC_URL``):
            every hosted badge, assertion, key set and status list URL starts
            with it, so it must be the address verifiers reach.
        page_secret: The key that signs page links (``LEVELWISE_PAGE_SECRET``);
            None: a random key per process, so links stop working when the
            server restarts.
        page_frame_ancestors: The CSP ``frame-ancestors`` sources of embedded
            learner widgets (``LEVELWISE_PAGE_FRAME_ANCESTORS``), e.g.
            ``'self' https://school.example``. Other pages are never framed.
        webhook_allow_hosts: Comma-separated hosts webhooks may reach although
            they are not public (``LEVELWISE_WEBHOOK_ALLOW_HOSTS``), e.g.
            ``127.0.0.1,receiver``; matched against the URL's host as written
            (allowing an address does not allow the names that resolve to
            it). Empty: webhooks reach public addresses only.
        event_max_skew_seconds: How far ahead of the server's clock an event's
            ``occurred_at`` may be (``LEVELWISE_EVENT_MAX_SKEW_SECONDS``,
            default 600); later ones are rejected.
        event_earliest: The first day events are accepted for
            (``LEVELWISE_EVENT_EARLIEST``, default 2000-01-01), the same for
            every school for now; earlier ones are rejected.
    """

    model_config = SettingsConfigDict(env_prefix="LEVELWISE_")

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    public_url: str = DEFAULT_PUBLIC_URL
    page_secret: SecretStr | None = None
    page_frame_ancestors: str = "'self'"
    webhook_allow_hosts: str = ""
    event_max_skew_seconds: int = Field(default=DEFAULT_EVENT_MAX_SKEW_SECONDS, ge=0)
    event_earliest: date = DEFAULT_EVENT_EARLIEST
