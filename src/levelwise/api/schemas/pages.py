"""Wire models of signed page links."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from levelwise.api.schemas.common import PublicModel


class PageLinkCreate(BaseModel):
    """A request for a signed link to a learner page or the dashboard."""

    model_config = ConfigDict(extra="forbid")

    page: Literal["learner", "dashboard"]
    learner: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The learner (required for a learner page)",
    )
    hours: int = Field(default=24, ge=1, le=720, description="How long the link works")

    @model_validator(mode="after")
    def _learner_matches_page(self) -> Self:
        if self.page == "learner" and self.learner is None:
            msg = "a learner page needs 'learner'"
            raise ValueError(msg)
        if self.page == "dashboard" and self.learner is not None:
            msg = "a dashboard link takes no 'learner'"
            raise ValueError(msg)
        return self


class PageLinkPublic(PublicModel):
    """A signed page link: open ``url`` in a browser until ``expires_at``."""

    url: str
    expires_at: datetime
