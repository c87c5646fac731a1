"""Wire models of the Agora Conversational AI Engine integration.

The chat completion request is OpenAI's shape as Agora's engine sends it to a
custom LLM (https://docs.agora.io/en/ai/build/custom-model-integration/custom-llm);
fields Levelwise does not use (``modalities``, ``tools``, ``context``, the
per-message ``turn_id`` and ``timestamp`` ...) are accepted and ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from levelwise.api.schemas.common import PublicModel
from levelwise.app.ingest.wire import Id
from levelwise.app.practice.service import Finished

MAX_MESSAGES = 1100
"""The most messages a request may carry (Agora keeps at most 1,024)."""
MAX_CONTENT = 8000
"""The longest message text, in characters."""


class AgoraMessage(BaseModel):
    """One message of the conversation Agora sends."""

    model_config = ConfigDict(extra="ignore")

    role: str = Field(max_length=20, description="`system`, `user`, `assistant` ...")
    content: str | list[dict[str, Any]] | None = Field(
        default=None,
        description="Text, or OpenAI content parts (only `text` parts are read)",
    )

    def as_dict(self) -> dict[str, Any]:
        """The message as the mapping :mod:`levelwise.app.practice.agora` reads."""
        content: Any = self.content
        if isinstance(content, str):
            content = content[:MAX_CONTENT]
        return {"role": self.role, "content": content}


class LevelwiseParams(BaseModel):
    """Who is practising: set in the agent's ``llm.params.levelwise``."""

    model_config = ConfigDict(extra="forbid")

    learner: Id = Field(description="The platform's learner id")
    unit: Id | None = Field(
        default=None,
        description="A practice unit; default: chosen as for `POST /v1/practice`",
    )


class AgoraChatCreate(BaseModel):
    """A chat completion request from Agora's Conversational AI Engine."""

    model_config = ConfigDict(extra="ignore")

    messages: list[AgoraMessage] = Field(max_length=MAX_MESSAGES)
    stream: bool = Field(
        default=False,
        description="Stream server-sent events (Agora sends `true`); false: one "
        "JSON `chat.completion`",
    )
    model: str | None = Field(default=None, max_length=200)
    user: Id | None = Field(
        default=None,
        description="OpenAI's end-user id, read as the learner when "
        "`levelwise.learner` is not given",
    )
    levelwise: LevelwiseParams | None = None

    def learner_and_unit(self) -> tuple[str | None, str | None]:
        """The learner (``levelwise.learner``, else ``user``) and the unit."""
        if self.levelwise is not None:
            return self.levelwise.learner, self.levelwise.unit
        return self.user, None


class ChatReplyMessage(PublicModel):
    """The partner's message."""

    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(PublicModel):
    """The one choice of a completion."""

    index: int = 0
    message: ChatReplyMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionPublic(PublicModel):
    """A whole reply (``stream: false``), as OpenAI's ``chat.completion``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix time (seconds)")
    model: str = Field(
        description="Who answered: the configured model's name, or `scripted`"
    )
    choices: list[ChatChoice]


class AgoraNotificationPublic(PublicModel):
    """What Levelwise did with one of Agora's notifications."""

    notice_id: str
    event_type: int
    status: str = Field(
        description="`ignored` (not an agent history of a Levelwise school, or "
        "nothing to score), else the practice.completed event's ingest status: "
        "`accepted`, `duplicate`, `conflict` or `rejected`"
    )
    reason: str = ""
    session: str | None = Field(
        default=None, description="The practice session it became"
    )
    event_id: str | None = None
    xp: int = 0
    levels: list[str] = Field(default_factory=list)

    @classmethod
    def from_finished(
        cls, notice_id: str, event_type: int, done: Finished
    ) -> AgoraNotificationPublic:
        """The answer for a history that became a practice session."""
        return cls(
            notice_id=notice_id,
            event_type=event_type,
            status=done.event_status,
            reason=done.event_reason,
            session=done.record.session,
            event_id=done.record.event_id,
            xp=done.xp,
            levels=list(done.levels),
        )
