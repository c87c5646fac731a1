"""In-memory outbox, endpoints and deliveries: same contract as the SQL outbox.

A write session stages its notifications; they are added when the session
commits (``StagedOutbox.commit``), so a failed transaction adds none.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NoReturn

from levelwise.app.notify.ports import Attempt, Delivery, Endpoint, Notification
from levelwise.errors import StoreError


@dataclass
class _Queued:
    status: str
    attempts: int
    next_attempt_at: str


@dataclass
class _Tenant:
    notifications: list[Notification] = field(default_factory=list)
    by_id: dict[str, Notification] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    queue: dict[tuple[str, str], _Queued] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)


def _takes(endpoint: Endpoint, kind: str) -> bool:
    return not endpoint.kinds or kind in endpoint.kinds


class MemoryOutbox:
    """Every tenant's outbox, endpoints, delivery queue and log, in dictionaries."""

    def __init__(self) -> None:
        """Start empty."""
        self._tenants: dict[str, _Tenant] = {}
        self._position = 0
        self._lock = threading.RLock()

    def _tenant(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def stage(self, tenant: str) -> StagedOutbox:
        """An outbox for one write session; ``commit`` adds what it staged."""
        return StagedOutbox(self, tenant)

    def add_committed(self, tenant: str, rows: Sequence[Notification]) -> None:
        """Add a committed session's notifications (ids already stored are skipped)."""
        with self._lock:
            data = self._tenant(tenant)
            for row in rows:
                if row.id in data.by_id:
                    continue
                self._position += 1
                stored = replace(row, position=self._position)
                data.notifications.append(stored)
                data.by_id[row.id] = stored
                for endpoint in data.endpoints.values():
                    if _takes(endpoint, row.kind):
                        queued = _Queued("pending", 0, row.created_at)
                        data.queue[(row.id, endpoint.id)] = queued

    def known(self, tenant: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are committed."""
        with self._lock:
            data = self._tenant(tenant)
            return {i for i in ids if i in data.by_id}

    # -- OutboxReader -------------------------------------------------------------

    def notifications(
        self,
        tenant: str,
        *,
        after: int = 0,
        learner: str | None = None,
        cohort: str | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        """A tenant's notifications after a position, oldest first."""
        with self._lock:
            rows = self._tenant(tenant).notifications
            found = [
                n
                for n in rows
                if n.position > after
                and (learner is None or n.learner == learner)
                and (cohort is None or n.cohort == cohort)
            ]
        return found[: max(limit, 0)]

    def last_position(self, tenant: str) -> int:
        """The greatest position of the tenant's notifications (0 if none)."""
        with self._lock:
            rows = self._tenant(tenant).notifications
            return rows[-1].position if rows else 0

    # -- WebhookStore ---------------------------------------------------------------

    def add_endpoint(self, tenant: str, endpoint: Endpoint) -> None:
        """Store a new endpoint."""
        with self._lock:
            self._tenant(tenant).endpoints[endpoint.id] = endpoint

    def endpoints(self, tenant: str) -> list[Endpoint]:
        """The tenant's endpoints, oldest first."""
        with self._lock:
            found = list(self._tenant(tenant).endpoints.values())
        return sorted(found, key=lambda e: (e.created_at, e.id))

    def remove_endpoint(self, tenant: str, endpoint_id: str) -> bool:
        """Delete an endpoint and its queued deliveries; False if unknown."""
        with self._lock:
            data = self._tenant(tenant)
            if data.endpoints.pop(endpoint_id, None) is None:
                return False
            data.queue = {k: v for k, v in data.queue.items() if k[1] != endpoint_id}
            return True

    def claim_due(
        self, now: str, lease_until: str, limit: int, tenant: str | None = None
    ) -> list[Delivery]:
        """Pending deliveries due at ``now``, postponed to ``lease_until``."""
        with self._lock:
            due = [
                (q.next_attempt_at, name, key)
                for name, data in self._tenants.items()
                if tenant in (None, name)
                for key, q in data.queue.items()
                if q.status == "pending" and q.next_attempt_at <= now
            ]
            due.sort()
            claimed = []
            for _, name, (nid, eid) in due[: max(limit, 0)]:
                data = self._tenants[name]
                queued = data.queue[(nid, eid)]
                queued.next_attempt_at = lease_until
                endpoint = data.endpoints[eid]
                claimed.append(
                    Delivery(
                        name,
                        nid,
                        eid,
                        endpoint.url,
                        endpoint.secret,
                        data.by_id[nid].body,
                        queued.attempts,
                    )
                )
        return claimed

    def record(self, attempt: Attempt, next_attempt_at: str | None) -> None:
        """Log an attempt and settle its delivery."""
        with self._lock:
            data = self._tenant(attempt.tenant)
            data.attempts.append(attempt)
            queued = data.queue.get((attempt.notification_id, attempt.endpoint_id))
            if queued is None:  # the endpoint was removed meanwhile
                return
            queued.attempts = attempt.attempt
            code = attempt.status_code
            if code is not None and 200 <= code < 300:
                queued.status = "delivered"
            elif next_attempt_at is None:
                queued.status = "failed"
            else:
                queued.next_attempt_at = next_attempt_at

    def attempts(
        self, tenant: str, endpoint_id: str, limit: int = 100
    ) -> list[Attempt]:
        """An endpoint's delivery log, newest first."""
        with self._lock:
            rows = [
                a for a in self._tenant(tenant).attempts if a.endpoint_id == endpoint_id
            ]
        return rows[::-1][: max(limit, 0)]

    def requeue(
        self,
        tenant: str,
        now: str,
        *,
        ids: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        endpoint_id: str | None = None,
    ) -> int:
        """Queue notifications again for the endpoints that take their kind."""
        with self._lock:
            data = self._tenant(tenant)
            if ids:
                picked = [data.by_id[i] for i in dict.fromkeys(ids) if i in data.by_id]
            else:
                picked = [
                    n
                    for n in data.notifications
                    if since is not None
                    and n.created_at >= since
                    and (until is None or n.created_at < until)
                ]
            count = 0
            for row in picked:
                for endpoint in data.endpoints.values():
                    if endpoint_id not in (None, endpoint.id):
                        continue
                    if _takes(endpoint, row.kind):
                        data.queue[(row.id, endpoint.id)] = _Queued("pending", 0, now)
                        count += 1
            return count


class StagedOutbox:
    """The outbox of one in-memory write session (``OutboxSession``)."""

    def __init__(self, outbox: MemoryOutbox, tenant: str) -> None:
        """Stage for ``tenant`` of ``outbox``."""
        self._outbox = outbox
        self._tenant = tenant
        self._rows: dict[str, Notification] = {}

    @property
    def tenant(self) -> str:
        """The session's tenant."""
        return self._tenant

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        """Stage the notifications whose id is new; return how many were."""
        known = self._outbox.known(self._tenant, [n.id for n in notifications])
        new = 0
        for row in notifications:
            if row.id not in known and row.id not in self._rows:
                self._rows[row.id] = row
                new += 1
        return new

    def commit(self) -> None:
        """Add what was staged (the session committed)."""
        self._outbox.add_committed(self._tenant, list(self._rows.values()))
        self._rows.clear()


class ReadOnlyOutbox:
    """The outbox of a read session: adding raises."""

    tenant = ""

    def add_notifications(self, notifications: Sequence[Notification]) -> NoReturn:  # noqa: ARG002
        """Refuse: a read session writes nothing.

        Raises:
            StoreError: Always.
        """
        msg = "this session only reads; open a write session to change the log"
        raise StoreError(msg)
