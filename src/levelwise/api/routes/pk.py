"""``/v1/pk``: group PK competitions: start, scoreboard, live scoreboard, finish.

The live scoreboard is a Server-Sent Events stream: the full scoreboard when
the client connects, then again right after each commit that scored an answer
of the PK (the stream wakes on the engine's broadcaster, it does not poll),
and a last one when the PK is finished. Each event's ``id`` is the outbox
position it covers and its ``data`` is the scoreboard with ``new``: the ids of
the answers it adds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Depends, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.pk import PkCreate, PkFinishPublic, ScoreboardPublic
from levelwise.app.notify.outbox import Notifications
from levelwise.app.recognition.pk import Pk, Score, Scoreboard, tally
from levelwise.errors import (
    AuthenticationError,
    PkConflictError,
    PkNotFoundError,
    PkRequestError,
    PkUnavailableError,
    ProgramNotFoundError,
    StoreError,
)

router = APIRouter(prefix="/v1/pk", tags=["pk"])

_BASE = (AuthenticationError, RequestValidationError, PkUnavailableError, StoreError)
_START = problem_responses(*_BASE, PkRequestError, PkConflictError)
_READ = problem_responses(*_BASE, PkNotFoundError)
_FINISH = problem_responses(*_BASE, PkNotFoundError, ProgramNotFoundError)
_STREAM = {
    **_READ,
    200: {
        "content": {"text/event-stream": {}},
        "description": "Server-Sent Events: `id` (outbox position), `event` "
        "(`scoreboard`), `data` (the scoreboard and `new`: the answers it adds)",
    },
}
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

PkId = Annotated[str, Path(min_length=1, max_length=200)]


def get_pk(engine: EngineDep) -> Pk:
    """The engine's group PK service.

    Raises:
        PkUnavailableError: The engine was built without a PK store.
    """
    if not engine.pk.available:
        msg = "this server was started without a PK store"
        raise PkUnavailableError(msg)
    return engine.pk


PkDep = Annotated[Pk, Depends(get_pk)]


@router.post("", status_code=201, responses=_START)
def start_pk(body: PkCreate, pk: PkDep, tenant: TenantDep) -> ScoreboardPublic:
    """Start a PK with its teams and rounds; answers committed from now on count.

    Answers are ``live.interaction`` events of kind ``pk`` naming this PK, the
    learner's team and the round. Starting the same PK again with the same
    definition returns its scoreboard.
    """
    board = pk.start(tenant, body.id, body.teams, body.rounds, body.cohort)
    return ScoreboardPublic.of(board)


@router.get("/{pk_id}", responses=_READ)
def get_scoreboard(pk_id: PkId, pk: PkDep, tenant: TenantDep) -> ScoreboardPublic:
    """The scoreboard: teams by points, then the earlier last score, then id.

    Answers of learners outside the PK, for another team or past the last
    round are listed under ``ignored`` and do not count.
    """
    return ScoreboardPublic.of(pk.scoreboard(tenant, pk_id))


@router.post("/{pk_id}/finish", responses=_FINISH)
def finish_pk(pk_id: PkId, pk: PkDep, tenant: TenantDep) -> PkFinishPublic:
    """Freeze the scoreboard and log one ``pk.finished`` event per participant.

    Idempotent: finishing again returns the same board and the events come
    back as duplicates. Teams tied for first all win.
    """
    return PkFinishPublic.of(pk.finish(tenant, pk_id))


def frame(board: Scoreboard, new: Sequence[Score]) -> str:
    """One Server-Sent Event with the full scoreboard."""
    data = ScoreboardPublic.of(board).model_dump()
    data["new"] = [s.event_id for s in new]
    text = orjson.dumps(data).decode()
    return f"id: {board.position}\nevent: scoreboard\ndata: {text}\n\n"


async def _boards(
    pk: Pk, notifications: Notifications, tenant: str, pk_id: str
) -> AsyncIterator[str]:
    with notifications.broadcaster.subscribe(tenant) as woken:
        spec, scores, after = await anyio.to_thread.run_sync(
            partial(pk.updates, tenant, pk_id, 0)
        )
        yield frame(tally(spec, scores), ())
        while spec.finished_at is None:
            with anyio.move_on_after(notifications.poll_seconds) as waited:
                await woken.wait()
            # Cleared before reading: a commit during the read wakes us again.
            woken.clear()
            spec, new, after = await anyio.to_thread.run_sync(
                partial(pk.updates, tenant, pk_id, after)
            )
            scores.extend(new)
            if new or spec.finished_at is not None:
                yield frame(tally(spec, scores), new)
            elif waited.cancelled_caught:
                yield ": keep-alive\n\n"


@router.get("/{pk_id}/stream", response_class=StreamingResponse, responses=_STREAM)
def stream_scoreboard(
    pk_id: PkId, pk: PkDep, engine: EngineDep, tenant: TenantDep
) -> StreamingResponse:
    """The live scoreboard: after each committed answer of the PK, the full board.

    The stream ends after the final scoreboard once the PK is finished.
    """
    pk.spec(tenant, pk_id)  # 404 before the stream starts
    events = _boards(pk, engine.notifications, tenant, pk_id)
    return StreamingResponse(events, media_type="text/event-stream", headers=_HEADERS)
