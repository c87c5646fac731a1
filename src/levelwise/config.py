"""Settings, read from ``LEVELWISE_*`` environment variables when asked for."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///levelwise.db"


class Settings(BaseSettings):
    """Where the store is and how the server listens.

    Attributes:
        db: SQLAlchemy URL of the store (``sqlite:///file.db``,
            ``postgresql+psycopg://user@host/db``) or ``memory``.
        host: Address the API binds to.
        port: Port the API listens on.
        redis_url: Redis for leaderboards (``redis://host:6379/0``); unset:
            boards live in the store's database.
    """

    model_config = SettingsConfigDict(env_prefix="LEVELWISE_")

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
