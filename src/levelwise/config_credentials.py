"""Settings of verifiable credentials, read from ``LEVELWISE_*`` variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from levelwise.app.credentials.service import DEFAULT_PUBLIC_URL


class CredentialSettings(BaseSettings):
    """Where credentials are published.

    Attributes:
        public_url: The public base URL of the API (``LEVELWISE_PUBLIC_URL``):
            every hosted badge, assertion, key set and status list URL starts
            with it, so it must be the address verifiers reach.
    """

    model_config = SettingsConfigDict(env_prefix="LEVELWISE_")

    public_url: str = DEFAULT_PUBLIC_URL
