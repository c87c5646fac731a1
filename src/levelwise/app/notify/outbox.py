"""Notifications: an outbox filled in the ingest transaction, read by webhooks, streams.

A notification is a stored outcome worth telling the school about right away
(a level reached, a badge earned, ...). It is written to the outbox in the same
transaction as the events and outcomes that caused it, so a notification exists
exactly when its decision was committed; webhook deliveries and live streams
read the outbox afterwards.

The notification id (also the Standard Webhooks ``webhook-id``) is stable: it is
``msg_`` plus the first 32 hex digits of a SHA-256 over the tenant, learner,
event id, kind and the fields that identify the decision (see
:data:`IDENTITY_FIELDS`). The program version, the outcome's position among the
event's outcomes and explanatory fields (gate values, reasons) are not part of
it. So a re-fold (late event, replay) or a new program version that makes the
same decision at the same event adds nothing; a different decision (another
level, or the level reached at another event) is a new notification.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from levelwise.app.notify.ports import Notification, OutboxReader
from levelwise.domain import codec
from levelwise.errors import NotificationRequestError

if TYPE_CHECKING:
    from levelwise.app.ports import Clock, Decision, LogSession
    from levelwise.domain.state import LearnerState

NOTIFIABLE_KINDS = frozenset(
    {
        "level_reached",
        "level_placed",
        "level_lost",
        "badge_earned",
        "title_changed",
        "streak_broken",
    }
)
"""Outcome kinds that become notifications unless configured otherwise."""

IDENTITY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "level_reached": ("level",),
    "level_placed": ("level",),
    "level_lost": ("level",),
    "badge_earned": ("badge", "tier"),
    "title_changed": ("title",),
    "streak_broken": ("length",),
}
"""Body fields that identify a decision per kind; other kinds use the whole body."""


def utc_key(iso: str) -> str:
    """A clock's ISO time as a sortable UTC key (``YYYY-MM-DDTHH:MM:SS.ffffffZ``).

    Raises:
        NotificationRequestError: ``iso`` is not an ISO 8601 time.
    """
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError as exc:
        msg = f"{iso!r} is not an ISO 8601 time (e.g. 2026-01-05T09:00:00Z)"
        raise NotificationRequestError(msg) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def notification_id(tenant: str, d: Decision, body: Mapping[str, Any]) -> str:
    """The stable id of a notifiable outcome (see the module docstring)."""
    fields = IDENTITY_FIELDS.get(d.kind)
    subject = body if fields is None else {f: body.get(f) for f in fields}
    parts = (tenant, d.learner, d.event_id, d.kind, _dumps(subject))
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"msg_{digest[:32]}"


def payload(d: Decision, body: dict[str, Any], version: int) -> str:
    """The notification payload: ``type``, ``timestamp`` and ``data``.

    ``data`` is the outcome as receipts show it, with its program version.
    """
    data = codec.outcome_view(
        body, kind=d.kind, event_id=d.event_id, learner=d.learner, at=d.at
    )
    data["program_version"] = version
    return _dumps({"type": d.kind, "timestamp": d.at, "data": data})


def _dumps(data: object) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class Broadcaster:
    """Wakes live streams when a tenant's outbox got new rows.

    It carries no data: a woken stream reads the outbox after its last
    position. ``wake`` is safe from any thread; waiters are asyncio events of
    the loops that subscribed.
    """

    def __init__(self) -> None:
        """Start with no subscribers."""
        self._lock = threading.Lock()
        self._waiters: dict[str, set[_Waiter]] = {}

    def wake(self, tenant: str) -> None:
        """Wake every stream of ``tenant``."""
        with self._lock:
            waiters = list(self._waiters.get(tenant, ()))
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop closed; its stream is gone
                continue

    @contextmanager
    def subscribe(self, tenant: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``tenant`` is woken (call from a running loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(tenant, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._waiters.get(tenant, set()).discard(entry)


class Notifications:
    """Fills the outbox in the ingest transaction and wakes streams after commit.

    Args:
        outbox: The committed outbox, for streams.
        clock: Stamps ``created_at``.
        kinds: Outcome kinds to notify (default :data:`NOTIFIABLE_KINDS`).
        broadcaster: Wakes streams after commit (default: in-process).
        poll_seconds: Longest a stream waits before looking at the outbox again
            (notifications committed by other processes arrive within this).
    """

    def __init__(
        self,
        outbox: OutboxReader,
        clock: Clock,
        kinds: Collection[str] = NOTIFIABLE_KINDS,
        broadcaster: Broadcaster | None = None,
        poll_seconds: float = 10.0,
    ) -> None:
        """Keep the collaborators; nothing is read yet."""
        self.outbox = outbox
        self.clock = clock
        self.kinds = frozenset(kinds)
        self.broadcaster = broadcaster or Broadcaster()
        self.poll_seconds = poll_seconds

    def enqueue(
        self,
        s: LogSession,
        decisions: Sequence[Decision],
        states: Mapping[str, LearnerState],
        version: int,
    ) -> int:
        """Add the notifiable outcomes to the outbox, in the open transaction.

        Args:
            s: The open session; the outbox rows commit with it.
            decisions: The outcomes the fold decided.
            states: The learners' new states (for their cohorts).
            version: The program version the fold ran under.

        Returns:
            How many notifications were new.
        """
        picked = [d for d in decisions if d.kind in self.kinds]
        if not picked:
            return 0
        tenant = s.outbox.tenant
        now = utc_key(self.clock.now_iso())
        rows = []
        for d in picked:
            body = codec.outcome_body(d.outcome)
            rows.append(
                Notification(
                    id=notification_id(tenant, d, body),
                    learner=d.learner,
                    cohort=states[d.learner].profile.cohort,
                    kind=d.kind,
                    event_id=d.event_id,
                    program_version=version,
                    at=d.at,
                    created_at=now,
                    body=payload(d, body, version),
                )
            )
        return s.outbox.add_notifications(rows)

    def announce(
        self,
        s: LogSession,
        *,
        kind: str,
        cohort: str,
        subject: str,
        at: str,
        data: Mapping[str, Any],
    ) -> int:
        """Add one notification that no learner's event decided (a class alert).

        Args:
            s: The open session; the row commits with it.
            kind: Its kind (``live.quality_degraded``).
            cohort: The class it concerns: the class's stream shows it.
            subject: What it is about, for its stable id (the same subject,
                kind and time give the same id: announcing twice is a no-op).
            at: When it happened (ISO time).
            data: Its payload's ``data``.

        Returns:
            1 when it was new, else 0.
        """
        tenant = s.outbox.tenant
        when = utc_key(at)
        parts = (tenant, "", subject, kind, when)
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        row = Notification(
            id=f"msg_{digest[:32]}",
            learner="",
            cohort=cohort,
            kind=kind,
            event_id=subject,
            program_version=0,
            at=when,
            created_at=utc_key(self.clock.now_iso()),
            body=_dumps({"type": kind, "timestamp": when, "data": dict(data)}),
        )
        return s.outbox.add_notifications([row])

    def committed(self, tenant: str) -> None:
        """Tell live streams that ``tenant``'s outbox may have new rows."""
        self.broadcaster.wake(tenant)

    def read(
        self,
        tenant: str,
        *,
        after: int,
        learner: str | None = None,
        cohort: str | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        """Committed notifications after a position (see ``OutboxReader``)."""
        return self.outbox.notifications(
            tenant, after=after, learner=learner, cohort=cohort, limit=limit
        )

    def last_position(self, tenant: str) -> int:
        """Where a stream without ``Last-Event-ID`` starts."""
        return self.outbox.last_position(tenant)
