"""An OpenAI-compatible streaming chat endpoint as the partner's language model.

Any server that speaks ``POST /v1/chat/completions`` with ``stream: true``
works: a local llama.cpp server, vLLM or Ollama, or a cloud endpoint. The
official ``openai`` client does the HTTP and the server-sent events; this
adapter maps its failures (refused, timed out, an error status) to
:class:`~levelwise.errors.ModelUnavailableError`, which makes the session fall
back to the scripted partner.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

import openai

from levelwise.app.practice.ports import ChatMessage
from levelwise.errors import ModelUnavailableError


class OpenAiChatModel:
    """A streaming chat model behind an OpenAI-compatible URL.

    Args:
        base_url: The API's base URL, e.g. ``http://127.0.0.1:8080/v1``.
        model: The model's name on that server.
        api_key: The key the server expects (local servers take any).
        timeout: Seconds to wait for the connection and between chunks.
        max_tokens: The longest reply.
        temperature: Sampling temperature.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "none",
        timeout: float = 10.0,
        max_tokens: int = 120,
        temperature: float = 0.7,
    ) -> None:
        """Make the client (no request is sent until a reply is asked for)."""
        self.name = model
        self._model = model
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
        )

    async def stream(
        self, messages: Sequence[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        """Stream the reply's text deltas; closing the generator stops the request.

        Raises:
            ModelUnavailableError: The endpoint refused, failed or timed out.
        """
        payload: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        try:
            response = await self._client.chat.completions.create(
                model=self._model,
                messages=payload,
                stream=True,
                max_tokens=self._max_tokens,
                temperature=self._temperature,
            )
        except openai.OpenAIError as exc:
            raise ModelUnavailableError(_why(exc)) from exc
        try:
            async for chunk in response:
                for choice in chunk.choices:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        yield text
        except openai.OpenAIError as exc:
            raise ModelUnavailableError(_why(exc)) from exc
        finally:
            await response.close()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


def _why(exc: openai.OpenAIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "the model endpoint timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "the model endpoint cannot be reached"
    if isinstance(exc, openai.APIStatusError):
        return f"the model endpoint answered {exc.status_code}"
    return "the model endpoint failed"
