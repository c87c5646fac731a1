"""``/v1/agora``: Agora's Conversational AI Engine as a practice partner's voice.

``POST /v1/agora/chat/completions`` is the custom LLM the engine calls (an
OpenAI-compatible Chat Completions endpoint, streamed as server-sent events),
authenticated with the school's API key as the agent's ``llm.api_key``; it
answers as the learner's speaking partner. ``POST /v1/agora/notifications``
receives the engine's notifications, signed with the school's Agora
notification secret; an agent's history (event 103) becomes a finished
practice session, scored, and its ``practice.completed`` event. The payloads
and their sources are in ``docs/practice.md``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from levelwise.api.deps import EngineDep, TenantDep, read_body
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.agora import (
    AgoraChatCreate,
    AgoraNotificationPublic,
    ChatChoice,
    ChatCompletionPublic,
    ChatReplyMessage,
)
from levelwise.app.practice import agora
from levelwise.app.practice.ports import ChatMessage
from levelwise.errors import (
    AuthenticationError,
    BodyTooLargeError,
    PracticeError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/agora", tags=["agora"])

MAX_NOTIFICATION_BYTES = 2 * 1024 * 1024
"""The largest notification body (a history of 1,024 messages fits)."""
SSE = "text/event-stream"
_COMMON = (RequestValidationError, StoreError, ProgramNotFoundError, PracticeError)


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "description": "The partner's reply: server-sent `chat.completion.chunk` "
            "events ending with `data: [DONE]` when `stream` is true, else one "
            "`chat.completion`",
            "model": ChatCompletionPublic,
            "content": {SSE: {"schema": {"type": "string"}}},
        },
        **problem_responses(AuthenticationError, *_COMMON),
    },
)
async def chat_completions(
    body: AgoraChatCreate, engine: EngineDep, tenant: TenantDep
) -> Response:
    """Answer as the learner's speaking partner (Agora's custom LLM).

    The learner comes from ``levelwise.learner`` (else OpenAI's ``user``),
    the unit from ``levelwise.unit``: set them in the agent's ``llm.params``.
    The partner's instructions (the learner's level, weak points and the
    unit's scenario) replace the system messages Agora sends; the configured
    language model answers, or the scripted partner continues the scenario
    from the conversation in ``messages``.
    """
    learner, unit = body.learner_and_unit()
    if learner is None:
        error = {
            "type": "missing",
            "loc": ("body", "levelwise", "learner"),
            "msg": "name the learner: set llm.params.levelwise.learner (or user) "
            "when starting the agent",
        }
        raise RequestValidationError([error])
    system, _, scenario = await asyncio.to_thread(
        engine.practice.external_partner, tenant, learner, unit
    )
    history = agora.chat_messages([m.as_dict() for m in body.messages])
    backends = engine.practice.backends
    reply = agora.partner_reply(
        backends.model() if backends.model is not None else None,
        agora.resume_script(scenario, history),
        [ChatMessage("system", system), *history],
        first_token_timeout=backends.live.first_token_timeout,
    )
    ident = f"chatcmpl-{uuid.uuid4().hex}"
    created = _unix(engine.clock.now_iso())
    if body.stream:
        return StreamingResponse(
            _events(reply, ident, created),
            media_type=SSE,
            headers={"Cache-Control": "no-cache"},
        )
    parts: list[str] = []
    who = "scripted"
    try:
        async for delta, source in reply:
            parts.append(delta)
            who = source
    finally:
        await reply.aclose()
    done = ChatCompletionPublic(
        id=ident,
        created=created,
        model=who,
        choices=[ChatChoice(message=ChatReplyMessage(content="".join(parts)))],
    )
    return JSONResponse(done.model_dump(mode="json"))


async def _events(
    reply: AsyncGenerator[tuple[str, str], None], ident: str, created: int
) -> AsyncIterator[str]:
    """The reply as OpenAI's ``chat.completion.chunk`` server-sent events."""
    who = "scripted"
    first = True
    try:
        async for delta, who in reply:
            body: dict[str, Any] = {"content": delta}
            if first:
                body = {"role": "assistant", **body}
                first = False
            yield _chunk(ident, created, who, body, None)
        yield _chunk(
            ident, created, who, {"role": "assistant"} if first else {}, "stop"
        )
        yield "data: [DONE]\n\n"
    finally:
        await reply.aclose()


def _chunk(
    ident: str, created: int, model: str, delta: dict[str, Any], finish: str | None
) -> str:
    chunk = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"


def _unix(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


@router.post(
    "/notifications",
    responses=problem_responses(AuthenticationError, BodyTooLargeError, *_COMMON),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "parameters": [
            {
                "name": "Agora-Signature-V2",
                "in": "header",
                "schema": {"type": "string"},
                "description": "Hex HMAC-SHA256 of the raw body with the school's "
                "Agora notification secret",
            },
            {
                "name": "Agora-Signature",
                "in": "header",
                "schema": {"type": "string"},
                "description": "Hex HMAC-SHA1 of the raw body (read when V2 is "
                "not sent)",
            },
        ],
    },
)
async def agora_notification(
    request: Request, engine: EngineDep
) -> AgoraNotificationPublic:
    """Receive a notification of Agora's Conversational AI Engine.

    The agent's ``levelwise_school`` label names the school, whose Agora
    notification secret must sign the raw body (``Agora-Signature-V2``, else
    ``Agora-Signature``); a bad or missing signature is 401. An agent history
    (event 103) with a ``levelwise_learner`` label becomes a finished
    practice session of that learner, scored, and its ``practice.completed``
    event (id ``practice-agora-<agent_id>``: a redelivery is a duplicate).
    Every other notification, and one of an agent without the school label,
    is answered 200 ``ignored`` (Agora retries anything but 200).
    """
    raw = await read_body(request, MAX_NOTIFICATION_BYTES)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        error = {"type": "json_invalid", "loc": ("body",), "msg": "not JSON"}
        raise RequestValidationError([error]) from exc
    note = agora.notification(data)
    school = note.school
    if school is None:
        return _ignored(note, f"the agent has no '{agora.SCHOOL_LABEL}' label")
    secret = engine.practice.agora_secret(school)
    if secret is None or not agora.verify_signature(
        raw,
        secret,
        signature_v2=request.headers.get("agora-signature-v2"),
        signature_v1=request.headers.get("agora-signature"),
    ):
        msg = (
            "the notification's signature does not verify with the school's Agora "
            "notification secret (send Agora-Signature-V2)"
        )
        raise AuthenticationError(msg)
    if not note.is_history:
        return _ignored(note, "only an agent history (event 103) is recorded")
    talk = agora.conversation(note)
    if not any(t.role == "learner" for t in talk.turns):
        return _ignored(note, "the learner said nothing: nothing to score")
    done = await asyncio.to_thread(
        engine.practice.record_external,
        school,
        session=talk.session,
        learner=talk.learner,
        unit=talk.unit,
        started_at=talk.started_at,
        finished_at=talk.finished_at,
        turns=talk.turns,
        source="agora",
    )
    return AgoraNotificationPublic.from_finished(note.notice_id, note.event_type, done)


def _ignored(note: agora.Notification, reason: str) -> AgoraNotificationPublic:
    return AgoraNotificationPublic(
        notice_id=note.notice_id,
        event_type=note.event_type,
        status="ignored",
        reason=reason,
    )
