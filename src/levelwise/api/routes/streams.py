"""``/v1/streams``: live notifications as Server-Sent Events, per learner or class.

Each event's ``id`` is the notification's outbox position; a client that
reconnects with ``Last-Event-ID`` gets what it missed from the outbox. Without
it, a stream starts at what is committed from now on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Header, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from levelwise.api.deps import EngineDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.app.notify.outbox import Notifications
from levelwise.app.notify.ports import Notification
from levelwise.errors import AuthenticationError, StoreError

router = APIRouter(prefix="/v1/streams", tags=["streams"])

PAGE = 100
"""Notifications read from the outbox per query."""

_RESPONSES = {
    **problem_responses(AuthenticationError, RequestValidationError, StoreError),
    200: {
        "content": {"text/event-stream": {}},
        "description": "Server-Sent Events: `id` (position), `event` (kind), "
        "`data` (the webhook payload with its `id`)",
    },
}
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

Id = Annotated[str, Path(min_length=1, max_length=200)]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", description="Resume after this event id"),
]


def frame(row: Notification) -> str:
    """One Server-Sent Event for a notification."""
    data = {"id": row.id, **orjson.loads(row.body)}
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    return f"id: {row.position}\nevent: {row.kind}\ndata: {text}\n\n"


def _start(notifications: Notifications, tenant: str, last: str | None) -> int:
    if last is None:
        return notifications.last_position(tenant)
    if not last.isdigit() or len(last) > 18:
        error = {
            "type": "value_error",
            "loc": ("header", "Last-Event-ID"),
            "msg": "must be an event id this stream sent (a whole number)",
        }
        raise RequestValidationError([error])
    return int(last)


async def _events(
    notifications: Notifications,
    tenant: str,
    after: int,
    learner: str | None,
    cohort: str | None,
) -> AsyncIterator[str]:
    read = partial(notifications.read, tenant, learner=learner, cohort=cohort)
    with notifications.broadcaster.subscribe(tenant) as woken:
        yield ": connected\n\n"
        while True:
            # Cleared before reading: a commit during the read wakes us again.
            woken.clear()
            rows = await anyio.to_thread.run_sync(
                partial(read, after=after, limit=PAGE)
            )
            for row in rows:
                yield frame(row)
                after = row.position
            if len(rows) == PAGE:
                continue
            with anyio.move_on_after(notifications.poll_seconds) as waited:
                await woken.wait()
            if waited.cancelled_caught:
                yield ": keep-alive\n\n"


def _stream(
    engine: EngineDep,
    tenant: str,
    last: str | None,
    *,
    learner: str | None = None,
    cohort: str | None = None,
) -> StreamingResponse:
    notifications = engine.notifications
    after = _start(notifications, tenant, last)
    events = _events(notifications, tenant, after, learner, cohort)
    return StreamingResponse(events, media_type="text/event-stream", headers=_HEADERS)


@router.get(
    "/learners/{learner}", response_class=StreamingResponse, responses=_RESPONSES
)
def learner_stream(
    learner: Id, engine: EngineDep, tenant: TenantDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """A learner's notifications (level-ups, badges, ...) as they are committed."""
    return _stream(engine, tenant, last_event_id, learner=learner)


@router.get("/classes/{cohort}", response_class=StreamingResponse, responses=_RESPONSES)
def class_stream(
    cohort: Id, engine: EngineDep, tenant: TenantDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """The notifications of a class: learners whose profile ``cohort`` is this.

    A learner's cohort is the one in their profile when the notification was
    committed.
    """
    return _stream(engine, tenant, last_event_id, cohort=cohort)
