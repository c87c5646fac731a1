"""Webhooks: endpoints per tenant, a delivery worker with retries, and replay.

Delivery is at least once with stable ids. The worker claims due deliveries
for a lease (``RetryPolicy.lease_seconds``), sends them, then records the
attempt. If it dies between sending and recording, the lease runs out and the
delivery is sent again with the same ``webhook-id``, so receivers must
deduplicate by that id (as the Standard Webhooks convention asks). Failures are
retried after the policy's delays (with jitter); after the last one the
delivery is marked ``failed`` and only a replay sends it again.

Targets must be public (:mod:`levelwise.app.notify.guard`): a URL is checked
when an endpoint is added and again before each attempt, after resolving its
name; a refused attempt sends nothing and is logged as ``blocked``. The log
keeps a failure's status code and its ``ErrorKind``, never what the receiver
answered, so a school cannot read another server through it.
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from levelwise.app.notify.guard import Refusal, UrlGuard
from levelwise.app.notify.outbox import NOTIFIABLE_KINDS, utc_key
from levelwise.app.notify.ports import (
    ERROR_KINDS,
    Attempt,
    Endpoint,
    Outbox,
    SendResult,
    WebhookSender,
    WebhookStore,
)
from levelwise.app.ports import Clock
from levelwise.errors import NotificationRequestError, WebhookNotFoundError

DEFAULT_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)
"""Seconds before retries 1..6: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h."""


@dataclass(frozen=True)
class RetryPolicy:
    """When failed deliveries are tried again.

    Attributes:
        delays: Seconds before each retry; their count is the number of retries.
        jitter: Each delay is scaled by a random factor in ``1 ± jitter``.
        lease_seconds: How long a claimed delivery is hidden from other workers
            (longer than a send may take).
    """

    delays: tuple[float, ...] = DEFAULT_DELAYS
    jitter: float = 0.1
    lease_seconds: float = 60.0

    def delay(self, attempts: int, draw: float) -> float | None:
        """Seconds until the next try after ``attempts`` failures, or None to stop.

        Args:
            attempts: Failed attempts so far (1 after the first).
            draw: A uniform random number in ``[0, 1)``.
        """
        if attempts > len(self.delays):
            return None
        return self.delays[attempts - 1] * (1 + self.jitter * (2 * draw - 1))


@dataclass
class DeliveryReport:
    """What one pass of the worker did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    ids: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """Attempts made in the pass."""
        return self.delivered + self.retrying + self.failed


def _later(key: str, seconds: float) -> str:
    moment = datetime.strptime(key, "%Y-%m-%dT%H:%M:%S.%f%z")
    return utc_key((moment + timedelta(seconds=seconds)).isoformat())


class WebhookWorker:
    """Sends due deliveries and schedules retries.

    Args:
        store: The delivery queue.
        sender: The HTTP side.
        clock: The time that decides what is due.
        policy: Retry delays and the claim lease.
        draw: Random numbers in ``[0, 1)`` for jitter.
        tenant: Deliver only this tenant's notifications (default: all).
        guard: Checks each target before sending (default: public addresses
            only, names looked up with ``socket.getaddrinfo``).
    """

    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        clock: Clock,
        policy: RetryPolicy | None = None,
        draw: Callable[[], float] | None = None,
        tenant: str | None = None,
        guard: UrlGuard | None = None,
    ) -> None:
        """Keep the collaborators."""
        self.tenant = tenant
        self.store = store
        self.sender = sender
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.draw = draw or random.SystemRandom().random
        self.guard = guard if guard is not None else UrlGuard()

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Claim up to ``limit`` due deliveries, send each once, record results.

        Each target is checked (its name resolved) just before its attempt; a
        refused one is not sent and counts as a failed attempt.
        """
        now = utc_key(self.clock.now_iso())
        lease = _later(now, self.policy.lease_seconds)
        report = DeliveryReport()
        for delivery in self.store.claim_due(now, lease, limit, self.tenant):
            target = self.guard.target(delivery.url)
            if isinstance(target, Refusal):
                result = SendResult(None, target.kind, 0)
            else:
                result = self.sender.send(delivery, target)
            number = delivery.attempts + 1
            at = utc_key(self.clock.now_iso())
            attempt = Attempt(
                delivery.tenant,
                delivery.notification_id,
                delivery.endpoint_id,
                number,
                at,
                result.status_code,
                _error_kind(result),
                result.duration_ms,
            )
            report.ids.append(delivery.notification_id)
            if result.ok:
                self.store.record(attempt, None)
                report.delivered += 1
                continue
            wait = self.policy.delay(number, self.draw())
            if wait is None:
                report.failed += 1
                self.store.record(attempt, None)
            else:
                report.retrying += 1
                self.store.record(attempt, _later(at, wait))
        return report

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set, pausing when nothing was due."""
        while not stop.is_set():
            if not self.deliver_due().attempted:
                stop.wait(idle_seconds)


def _error_kind(result: SendResult) -> str:
    """The kind to log: '' on success, else an ``ErrorKind`` and nothing more.

    A sender that reports anything else (say, the receiver's text) is not
    believed: its word never reaches the log.
    """
    if result.ok:
        return ""
    if result.error in ERROR_KINDS:
        return result.error
    return "http_status" if result.status_code is not None else "invalid_response"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Webhooks:
    """Manage a tenant's webhook endpoints, read their log, replay notifications.

    Args:
        store: Endpoints and deliveries.
        clock: Stamps new endpoints and replays.
        kinds: The kinds endpoints may ask for.
        guard: Refuses URLs that are not public (default: no host allowed
            beyond that, names looked up with ``socket.getaddrinfo``); the
            delivery worker checks with the same guard.
    """

    def __init__(
        self,
        store: Outbox,
        clock: Clock,
        kinds: Collection[str] = NOTIFIABLE_KINDS,
        guard: UrlGuard | None = None,
    ) -> None:
        """Keep the collaborators."""
        self.store = store
        self.clock = clock
        self.kinds = frozenset(kinds)
        self.guard = guard if guard is not None else UrlGuard()

    def add(self, tenant: str, url: str, kinds: Sequence[str] = ()) -> Endpoint:
        """Add an endpoint with a fresh secret; it gets notifications from now on.

        Raises:
            NotificationRequestError: The URL is not http(s), its target is not
                public (see :mod:`levelwise.app.notify.guard`), or a kind is
                unknown.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"{url!r} is not an http or https URL"
            raise NotificationRequestError(msg)
        if len(url) > 2000:
            msg = "the URL is longer than 2,000 characters"
            raise NotificationRequestError(msg)
        unknown = sorted(set(kinds) - self.kinds)
        if unknown:
            msg = (
                f"unknown kind(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(self.kinds))}"
            )
            raise NotificationRequestError(msg)
        self.guard.check(url)  # last: it may look the name up
        endpoint = Endpoint(
            id=f"ep_{secrets.token_hex(8)}",
            url=url,
            secret=new_secret(),
            kinds=tuple(sorted(set(kinds))),
            created_at=utc_key(self.clock.now_iso()),
        )
        self.store.add_endpoint(tenant, endpoint)
        return endpoint

    def endpoints(self, tenant: str) -> list[Endpoint]:
        """The tenant's endpoints, oldest first."""
        return self.store.endpoints(tenant)

    def remove(self, tenant: str, endpoint_id: str) -> None:
        """Delete an endpoint; its queued deliveries go too.

        Raises:
            WebhookNotFoundError: No such endpoint in the tenant.
        """
        if not self.store.remove_endpoint(tenant, endpoint_id):
            raise WebhookNotFoundError(_missing(endpoint_id))

    def attempts(
        self, tenant: str, endpoint_id: str, limit: int = 100
    ) -> list[Attempt]:
        """An endpoint's delivery log, newest first.

        Raises:
            WebhookNotFoundError: No such endpoint in the tenant.
        """
        self._check(tenant, endpoint_id)
        return self.store.attempts(tenant, endpoint_id, limit)

    def replay(
        self,
        tenant: str,
        *,
        ids: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        endpoint_id: str | None = None,
    ) -> int:
        """Send notifications again, with their original ids, due now.

        Args:
            tenant: The school.
            ids: Notification ids to send again.
            since: Or every notification committed at or after this ISO time.
            until: With ``since``: only those committed before this ISO time.
            endpoint_id: Only to this endpoint (default: every endpoint that
                takes the notification's kind).

        Returns:
            How many deliveries were queued.

        Raises:
            NotificationRequestError: Neither ids nor ``since`` was given, or a
                time is not ISO 8601.
            WebhookNotFoundError: ``endpoint_id`` is not an endpoint of the tenant.
        """
        if not ids and since is None:
            msg = "name the notifications to replay: ids, or a 'since' time"
            raise NotificationRequestError(msg)
        start = None if since is None else utc_key(since)
        end = None if until is None else utc_key(until)
        if endpoint_id is not None:
            self._check(tenant, endpoint_id)
        return self.store.requeue(
            tenant,
            utc_key(self.clock.now_iso()),
            ids=tuple(ids),
            since=start,
            until=end,
            endpoint_id=endpoint_id,
        )

    def _check(self, tenant: str, endpoint_id: str) -> None:
        if all(e.id != endpoint_id for e in self.store.endpoints(tenant)):
            raise WebhookNotFoundError(_missing(endpoint_id))


def _missing(endpoint_id: str) -> str:
    return f"webhook endpoint {endpoint_id!r} does not exist in this school"
