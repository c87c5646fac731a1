"""``/v1/practice``: sessions with the AI speaking partner, over HTTP and WebSocket.

``POST /v1/practice`` opens a session and returns a token; the client connects
to ``/v1/practice/{session}/ws?token=...`` (or sends its API key in a header)
and talks: typed JSON messages with a sequence number, and binary audio frames
(a 4-byte big-endian sequence number, then 16 kHz mono s16le PCM). The protocol
is documented in ``docs/practice.md``.

A conversation another engine runs (a school's Pipecat pipeline, say) uses two
more routes: ``POST /v1/practice/instructions`` gives the partner's system
prompt for the learner, and ``POST /v1/practice/external`` records the
finished conversation, scored like a session of ours.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.practice import (
    PracticeCreate,
    PracticeExternalCreate,
    PracticeFinishedPublic,
    PracticeInstructionsCreate,
    PracticeInstructionsPublic,
    PracticeOpenedPublic,
    PracticePublic,
)
from levelwise.app.engine import Levelwise
from levelwise.app.practice.live import Conversation
from levelwise.errors import (
    AuthenticationError,
    ConcurrencyError,
    LevelwiseError,
    PracticeClosedError,
    PracticeError,
    PracticeNotFoundError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/practice", tags=["practice"])

SessionId = Annotated[
    str, Path(min_length=1, max_length=200, description="The practice session id")
]
_COMMON = (AuthenticationError, RequestValidationError, StoreError)
MAX_TEXT = 2000
"""The longest typed turn, in characters."""
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_FINISHED = 4409


@router.post(
    "",
    status_code=201,
    responses=problem_responses(*_COMMON, ProgramNotFoundError, PracticeError),
)
def start_practice(
    body: PracticeCreate, engine: EngineDep, tenant: TenantDep
) -> PracticeOpenedPublic:
    """Open a practice session for a learner on a practice unit.

    The session starts from the learner's state (level, abilities, the unit's
    least-mastered points, vocabulary level) and the unit's scenario. Answers
    422 ``practice-invalid`` when the unit is not a practice unit.
    """
    opened = engine.practice.start(tenant, body.learner, body.unit)
    return PracticeOpenedPublic.from_opened(opened)


@router.get("/{session}", responses=problem_responses(*_COMMON, PracticeNotFoundError))
def get_practice(
    session: SessionId, engine: EngineDep, tenant: TenantDep
) -> PracticePublic:
    """The session: its brief, turns with latency, p50/p90 per stage, scores."""
    return PracticePublic.from_record(engine.practice.get(tenant, session))


@router.post(
    "/{session}/finish",
    responses=problem_responses(*_COMMON, PracticeNotFoundError, PracticeError),
)
def finish_practice(
    session: SessionId, engine: EngineDep, tenant: TenantDep
) -> PracticeFinishedPublic:
    """Finish the session: score it and ingest its ``practice.completed`` event.

    Finishing again returns the same scores (the event is then a duplicate).
    """
    return PracticeFinishedPublic.from_finished(engine.practice.finish(tenant, session))


@router.post(
    "/instructions",
    responses=problem_responses(*_COMMON, ProgramNotFoundError, PracticeError),
)
def practice_instructions(
    body: PracticeInstructionsCreate, engine: EngineDep, tenant: TenantDep
) -> PracticeInstructionsPublic:
    """The partner's instructions for a conversation another engine runs.

    The system prompt a session of ``POST /v1/practice`` starts with: the
    learner's level, skill estimates and weakest points of the unit, and the
    unit's scenario, from the learner's state now. It never names the learner
    or anyone else. Answers 422 ``practice-invalid`` when the unit is not a
    practice unit.
    """
    text, unit, scenario = engine.practice.external_partner(
        tenant, body.learner, body.unit
    )
    return PracticeInstructionsPublic(
        unit=unit, scenario=scenario.title if scenario else "", instructions=text
    )


@router.post(
    "/external",
    responses=problem_responses(
        *_COMMON,
        ProgramNotFoundError,
        PracticeClosedError,
        PracticeError,
        ConcurrencyError,
    ),
)
def record_external_practice(
    body: PracticeExternalCreate, engine: EngineDep, tenant: TenantDep
) -> PracticeFinishedPublic:
    """Record a finished conversation another engine ran: score it, ingest it.

    The conversation becomes a finished session with id ``session``, scored as
    ``POST /v1/practice/{session}/finish`` scores one (fluency from the
    learner's timed words, lexis from their text), and its
    ``practice.completed`` event (id ``practice-<session>``, at
    ``finished_at``) is ingested. Sending the same conversation again answers
    the same with ``event_status`` ``duplicate``; another conversation under
    a session id already used is 409 ``practice-closed``.
    """
    try:
        stored = engine.practice.get(tenant, body.session)
    except PracticeNotFoundError:
        stored = None
    if stored is not None and not body.recorded_by(stored):
        msg = (
            f"practice session {body.session!r} was recorded with another "
            "conversation; give each conversation its own session id"
        )
        raise PracticeClosedError(msg)
    done = engine.practice.record_external(
        tenant,
        session=body.session,
        learner=body.learner,
        unit=body.unit,
        started_at=body.started,
        finished_at=body.finished,
        turns=body.turn_records(),
        source=body.source,
    )
    return PracticeFinishedPublic.from_finished(done)


class _Socket:
    """A conversation's sender over a WebSocket, numbering what it sends."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.seq = 0
        self.lock = asyncio.Lock()

    async def json(self, message: dict[str, Any]) -> None:
        async with self.lock:
            self.seq += 1
            await self.ws.send_text(json.dumps({**message, "seq": self.seq}))

    async def audio(self, pcm: bytes) -> None:
        async with self.lock:
            self.seq += 1
            await self.ws.send_bytes(self.seq.to_bytes(4, "big") + pcm)


def _tenant(engine: Levelwise, ws: WebSocket) -> str | None:
    """The school of the WebSocket: its API key, or the session token's school."""
    auth = ws.headers.get("authorization", "")
    key = (
        auth[7:]
        if auth.lower().startswith("bearer ")
        else ws.headers.get("x-api-key", "")
    )
    if key:
        return engine.tenant_for_key(key)
    token = ws.query_params.get("token", "")
    return engine.practice.token_tenant(token)


@router.websocket("/{session}/ws")
async def practice_socket(ws: WebSocket, session: str) -> None:
    """Talk with the partner (see ``docs/practice.md`` for the protocol)."""
    engine: Levelwise = ws.app.state.engine
    tenant = _tenant(engine, ws)
    if tenant is None:
        await ws.close(CLOSE_UNAUTHORIZED, "send the session's token or an API key")
        return
    token = ws.query_params.get("token")
    try:
        if token is not None:
            engine.practice.check_token(tenant, session, token)
        sender = _Socket(ws)
        spoken = ws.query_params.get("mode") == "voice"
        live = engine.practice.connect(tenant, session, sender, spoken=spoken)
    except PracticeClosedError:
        await ws.close(CLOSE_FINISHED, "the session has finished")
        return
    except PracticeNotFoundError:
        await ws.close(CLOSE_NOT_FOUND, "no such practice session")
        return
    await ws.accept()
    await sender.json({"type": "ready", "session": session, "audio": _AUDIO})
    await live.begin()
    try:
        await _talk(ws, sender, live, engine, tenant, session)
    except WebSocketDisconnect:
        pass
    finally:
        await live.close()


_AUDIO = {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}


async def _talk(
    ws: WebSocket,
    sender: _Socket,
    live: Conversation,
    engine: Levelwise,
    tenant: str,
    session: str,
) -> None:
    expected = 1
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        try:
            seq, kind, body = _parse(message)
            if seq != expected:
                msg = f"message {seq} is out of sequence: expected {expected}"
                raise PracticeError(msg)
            expected += 1
            if kind == "audio":
                await live.audio(body)
            elif kind == "text":
                await live.text(body.decode())
            elif kind == "audio.end":
                await live.audio_end()
            else:  # finish
                await live.idle()
                done = await asyncio.to_thread(engine.practice.finish, tenant, session)
                report = PracticeFinishedPublic.from_finished(done)
                await sender.json(
                    {"type": "finished", "report": report.model_dump(mode="json")}
                )
                await ws.close(1000)
                return
        except LevelwiseError as exc:
            await sender.json({"type": "error", "code": _code(exc), "detail": str(exc)})


def _code(exc: LevelwiseError) -> str:
    if isinstance(exc, PracticeClosedError):
        return "finished"
    if isinstance(exc, PracticeError):
        return "invalid"
    return "unavailable"


def _parse(message: Mapping[str, Any]) -> tuple[int, str, bytes]:
    """``(seq, kind, payload)`` of a client message.

    Raises:
        PracticeError: It is not a message of the protocol.
    """
    data = message.get("bytes")
    if data is not None:
        if len(data) < 4:
            msg = "an audio frame starts with a 4-byte sequence number"
            raise PracticeError(msg)
        return int.from_bytes(data[:4], "big"), "audio", data[4:]
    try:
        parsed = json.loads(message.get("text") or "")
    except ValueError as exc:
        msg = "a text message must be a JSON object"
        raise PracticeError(msg) from exc
    if not isinstance(parsed, dict):
        msg = "a text message must be a JSON object"
        raise PracticeError(msg)
    seq, kind = parsed.get("seq"), parsed.get("type")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        msg = "every message needs 'seq', a positive integer"
        raise PracticeError(msg)
    if kind == "text":
        text = parsed.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            msg = f"'text' must be 1 to {MAX_TEXT} characters"
            raise PracticeError(msg)
        return seq, kind, text.encode()
    if kind in ("audio.end", "finish"):
        return seq, kind, b""
    msg = f"unknown message type {str(kind)[:40]!r}; known: text, audio.end, finish"
    raise PracticeError(msg)
