"""Settings: every ``LEVELWISE_*`` variable in one place, read when asked for.

Nothing reads the environment at import time: ``levelwise.bootstrap`` builds one
``Settings()`` per process (or takes the one it is given) and hands each part to
the object that needs it.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///levelwise.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


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
    """

    model_config = SettingsConfigDict(env_prefix="LEVELWISE_")

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    public_url: str = DEFAULT_PUBLIC_URL
    page_secret: SecretStr | None = None
    page_frame_ancestors: str = "'self'"
