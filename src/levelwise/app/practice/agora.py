"""Agora's Conversational AI Engine: its payloads as Levelwise turns and sessions.

Two of the engine's calls reach Levelwise (the payloads are described in
``docs/practice.md``, from Agora's public documentation):

* its **custom LLM** request, an OpenAI Chat Completions body
  (https://docs.agora.io/en/ai/build/custom-model-integration/custom-llm): the
  ``messages`` become :class:`~levelwise.app.practice.ports.ChatMessage` (the
  engine's own system messages are dropped: the partner's instructions come
  from the learner's state), and the scripted partner is put back on the line
  of its scenario the conversation has reached;
* its **notifications** (https://docs.agora.io/en/ai/reference/event-types),
  signed with the project's notification secret: event 103, the history
  sent after the agent stops, becomes the turns of a finished session.

Nothing here reads a clock or a store; :func:`partner_reply` streams from the
language model it is given.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from levelwise.app.practice._script import REPHRASE, ScenarioLike, ScriptedPartner
from levelwise.app.practice.ports import ChatMessage, LanguageModel, TurnRecord
from levelwise.errors import ModelUnavailableError, PracticeError

CONVERSATIONAL_AI = 17
"""The notifications' ``productId`` of the Conversational AI Engine."""
AGENT_HISTORY = 103
"""The ``eventType`` of the history Agora sends after the agent stops."""
SCHOOL_LABEL = "levelwise_school"
"""The agent label naming the school (set when the agent is started)."""
LEARNER_LABEL = "levelwise_learner"
"""The agent label naming the learner."""
UNIT_LABEL = "levelwise_unit"
"""The agent label naming the practice unit (optional)."""
_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,180}$")
_MS_FROM = 100_000_000_000
"""A timestamp at least this large is in milliseconds (1973 in ms, 5138 in s).

Agora's examples give ``start_ts``/``stop_ts`` in seconds for most events and
in milliseconds for event 112, so the unit is read from the magnitude."""


def verify_signature(
    body: bytes,
    secret: str,
    *,
    signature_v2: str | None = None,
    signature_v1: str | None = None,
) -> bool:
    """Whether a notification's signature is the secret's on its raw body.

    ``Agora-Signature-V2`` is the hex HMAC-SHA256 of the raw body with the
    notification secret; ``Agora-Signature`` the same with HMAC-SHA1
    (https://docs.agora.io/en/ai/build/handle-runtime-events/webhooks, "Verify
    signatures"). The V2 signature decides when it is sent; else the V1 one.

    Args:
        body: The request body exactly as received.
        secret: The notification secret Agora Console gave the project.
        signature_v2: The ``Agora-Signature-V2`` header, if sent.
        signature_v1: The ``Agora-Signature`` header, if sent.

    Returns:
        True when the deciding signature matches; False when none was sent.

    Examples:
        RFC 4231's test case 2 (key ``Jefe``) as a body and its secret:

        >>> body = b"what do ya want for nothing?"
        >>> v2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        >>> verify_signature(body, "Jefe", signature_v2=v2)
        True
        >>> verify_signature(body, "Jefe", signature_v2=v2, signature_v1="0" * 40)
        True
        >>> verify_signature(body, "Jefe", signature_v1="0" * 40)
        False
    """
    key = secret.encode()
    if signature_v2:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature_v2.strip().lower())
    if signature_v1:
        expected = hmac.new(key, body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(expected, signature_v1.strip().lower())
    return False


@dataclass(frozen=True)
class Notification:
    """One notification callback of Agora's notification service.

    Attributes:
        notice_id: Agora's id of the notification (the same when retried).
        product_id: ``17`` for the Conversational AI Engine.
        event_type: What happened (``103``: the agent's history).
        payload: The event's own fields.
    """

    notice_id: str
    product_id: int
    event_type: int
    payload: Mapping[str, Any]

    @property
    def labels(self) -> Mapping[str, str]:
        """The agent's labels (set when it was started), as text."""
        raw = self.payload.get("labels")
        if not isinstance(raw, Mapping):
            return {}
        return {str(k): str(v) for k, v in raw.items() if isinstance(v, str | int)}

    @property
    def school(self) -> str | None:
        """The school the agent's ``levelwise_school`` label names, if any."""
        return self.labels.get(SCHOOL_LABEL) or None

    @property
    def is_history(self) -> bool:
        """Whether this is the history of a finished Conversational AI agent."""
        return self.product_id == CONVERSATIONAL_AI and self.event_type == AGENT_HISTORY


def notification(data: object) -> Notification:
    """The notification in a decoded JSON body.

    Raises:
        PracticeError: The body is not a notification (no object, no event type).
    """
    if not isinstance(data, Mapping):
        msg = "a notification is a JSON object"
        raise PracticeError(msg)
    payload = data.get("payload")
    event_type, product = data.get("eventType"), data.get("productId")
    if not isinstance(event_type, int) or not isinstance(product, int):
        msg = "a notification has integer 'eventType' and 'productId'"
        raise PracticeError(msg)
    if isinstance(event_type, bool) or isinstance(product, bool):
        msg = "a notification has integer 'eventType' and 'productId'"
        raise PracticeError(msg)
    return Notification(
        notice_id=str(data.get("noticeId", ""))[:200],
        product_id=product,
        event_type=event_type,
        payload=payload if isinstance(payload, Mapping) else {},
    )


@dataclass(frozen=True)
class Conversation:
    """A finished conversation of an Agora agent, as Levelwise keeps sessions.

    Attributes:
        session: The session's id: ``agora-`` and the agent's id.
        learner: The learner the agent's ``levelwise_learner`` label names.
        unit: The practice unit its ``levelwise_unit`` label names, if any.
        started_at: When the agent started (UTC, RFC 3339).
        finished_at: When it stopped.
        turns: The conversation, in order; a partner turn cut off by the
            learner is marked interrupted.
    """

    session: str
    learner: str
    unit: str | None
    started_at: str
    finished_at: str
    turns: tuple[TurnRecord, ...]


def conversation(note: Notification) -> Conversation:
    """The finished conversation in an agent history notification (event 103).

    Each ``contents`` entry is a turn: ``user`` is the learner, ``assistant``
    the partner; empty entries (speech the recogniser found no words in) are
    skipped. When the entries carry ``speech_start_ms``/``speech_end_ms``
    (agents whose LLM vendor is ``custom``), a learner turn's duration is its
    speech time, a partner turn's ``first_audio`` latency is the time from the
    learner's speech end to the partner's playback start, and a partner turn
    whose playback ended after the learner's next speech began was
    interrupted (barge-in).

    Raises:
        PracticeError: It is not a history notification, or it lacks the
            agent id, the learner label or the stop time.
    """
    if not note.is_history:
        msg = f"event {note.event_type} is not an agent history (103)"
        raise PracticeError(msg)
    payload = note.payload
    agent = payload.get("agent_id")
    if not isinstance(agent, str) or not _AGENT_ID.match(agent):
        msg = "the history has no usable 'agent_id'"
        raise PracticeError(msg)
    learner = note.labels.get(LEARNER_LABEL)
    if not learner:
        msg = (
            f"the agent has no '{LEARNER_LABEL}' label: start it with "
            f'"labels": {{"{LEARNER_LABEL}": "<learner id>"}}'
        )
        raise PracticeError(msg)
    entries = _entries(payload.get("contents"))
    stop = _time(payload.get("stop_ts"))
    if stop is None:
        ends = [e.end for e in entries if e.end is not None]
        stop = max(ends) if ends else None
    if stop is None:
        msg = "the history has no 'stop_ts'"
        raise PracticeError(msg)
    start = _time(payload.get("start_ts"))
    return Conversation(
        session=f"agora-{agent}",
        learner=learner,
        unit=note.labels.get(UNIT_LABEL) or None,
        started_at=_iso(start if start is not None and start <= stop else stop),
        finished_at=_iso(stop),
        turns=_turns(entries),
    )


@dataclass(frozen=True)
class _Entry:
    role: Literal["learner", "partner"]
    text: str
    start: float | None
    end: float | None


def _entries(raw: object) -> list[_Entry]:
    found = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping) or item.get("role") not in (
            "user",
            "assistant",
        ):
            continue
        text = _text(item.get("content")).strip()
        if not text:
            continue
        start, end = (
            _time(item.get("speech_start_ms"), ms=True),
            _time(item.get("speech_end_ms"), ms=True),
        )
        if start is not None and end is not None and end < start:
            start = end = None
        role: Literal["learner", "partner"] = (
            "learner" if item["role"] == "user" else "partner"
        )
        found.append(_Entry(role, text, start, end))
    return found


def _turns(entries: Sequence[_Entry]) -> tuple[TurnRecord, ...]:
    turns = []
    for index, entry in enumerate(entries):
        if entry.role == "learner":
            duration = (
                round(entry.end - entry.start, 3)
                if entry.start is not None and entry.end is not None
                else None
            )
            turns.append(
                TurnRecord(index, "learner", entry.text, "voice", duration=duration)
            )
            continue
        latency: tuple[tuple[str, float], ...] = ()
        before = entries[index - 1] if index else None
        if (
            before is not None
            and before.role == "learner"
            and before.end is not None
            and entry.start is not None
            and entry.start >= before.end
        ):
            latency = (("first_audio", round((entry.start - before.end) * 1000, 1)),)
        after = entries[index + 1] if index + 1 < len(entries) else None
        interrupted = (
            after is not None
            and after.role == "learner"
            and after.start is not None
            and entry.end is not None
            and after.start < entry.end
        )
        turns.append(
            TurnRecord(
                index,
                "partner",
                entry.text,
                "voice",
                interrupted=interrupted,
                generated=entry.text,
                latency=latency,
                source="agora",
            )
        )
    return tuple(turns)


def chat_messages(raw: Sequence[Mapping[str, Any]]) -> list[ChatMessage]:
    """The conversation in a chat completion request, without system messages.

    Text parts of a multi-part ``content`` are joined; tool calls, tool
    results and images are not part of a practice conversation and are
    dropped, as are the engine's system messages (the partner's instructions
    replace them).
    """
    messages = []
    for item in raw:
        role = item.get("role")
        text = _text(item.get("content")).strip()
        if role in ("user", "assistant") and text:
            messages.append(
                ChatMessage("user" if role == "user" else "assistant", text)
            )
    return messages


def resume_script(
    scenario: ScenarioLike | None, messages: Sequence[ChatMessage]
) -> ScriptedPartner:
    """The scripted partner standing where ``messages`` left its scenario.

    The engine sends the whole conversation with each request and keeps no
    state of the script, so the script is found again: when the partner's
    last line is one of the scenario's lines (as the script said it), the
    script stands on that line; otherwise the scenario is replayed from its
    first line over the learner's messages before the last one. Its
    :meth:`~ScriptedPartner.stream` then answers the last learner message.
    """
    script = ScriptedPartner(scenario)
    if scenario is None:
        return script
    script.opening()
    said = [m.content for m in messages if m.role == "user"]
    last_partner = next(
        (m.content for m in reversed(messages) if m.role == "assistant"), None
    )
    last_learner = max(
        (i for i, m in enumerate(messages) if m.role == "user"), default=-1
    )
    partner_at = max(
        (i for i, m in enumerate(messages) if m.role == "assistant"), default=-1
    )
    if last_partner is not None and partner_at < last_learner:
        spoken = last_partner.removeprefix(REPHRASE).strip()
        for line in scenario.lines:
            if line.say.strip() == spoken:
                script.current = line.id
                script.ended = line.end
                return script
    for text in said[:-1]:
        script.answer(text)
    return script


async def partner_reply(
    model: LanguageModel | None,
    script: ScriptedPartner,
    messages: Sequence[ChatMessage],
    *,
    first_token_timeout: float,
) -> AsyncGenerator[tuple[str, str], None]:
    """The partner's reply as ``(text delta, who produced it)``.

    The model answers when there is one; when it is down, refuses or sends no
    first token within ``first_token_timeout`` seconds, the scripted partner
    answers instead (``who`` then says ``scripted``), as in a live session. A
    model that fails after its first token ends the reply there. Closing the
    generator closes the model's stream.

    Args:
        model: The configured language model; None: the scripted partner.
        script: The scripted partner, standing on the conversation's line.
        messages: The partner's instructions, then the conversation.
        first_token_timeout: Seconds to wait for the model's first token.
    """
    if model is not None:
        stream = model.stream(messages)
        try:
            try:
                first = await asyncio.wait_for(anext(stream), first_token_timeout)
            except (ModelUnavailableError, TimeoutError, StopAsyncIteration):
                pass  # the scripted partner answers below
            else:
                yield first, model.name
                try:
                    async for delta in stream:
                        yield delta, model.name
                except ModelUnavailableError:
                    pass  # mid-reply: the reply ends with what came
                return
        finally:
            await stream.aclose()
    async for delta in script.stream(messages):
        yield delta, script.name


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def _time(value: object, *, ms: bool = False) -> float | None:
    """Seconds since the epoch of an Agora timestamp (seconds or milliseconds)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return None
    seconds = value / 1000 if ms or value >= _MS_FROM else float(value)
    return seconds if seconds < 32_503_680_000 else None  # before the year 3000


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
