"""The notification ports: the outbox in and after a transaction, webhook stores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, get_args


@dataclass(frozen=True)
class Notification:
    """One outbox row.

    Attributes:
        id: Stable id (the ``webhook-id``); see the module docstring.
        learner: The learner.
        cohort: The learner's cohort (class) when it was decided, if any.
        kind: The outcome kind (``level_reached``, ...).
        event_id: The event that caused it.
        program_version: The program version that decided it first.
        at: The event's ``occurred_at`` (UTC sort key).
        created_at: When it was committed (clock time, UTC sort key).
        body: The payload as canonical JSON (``type``, ``timestamp``, ``data``).
        position: Its place in the outbox (assigned by the store; 0 before).
    """

    id: str
    learner: str
    cohort: str | None
    kind: str
    event_id: str
    program_version: int
    at: str
    created_at: str
    body: str
    position: int = 0


class OutboxSession(Protocol):
    """The outbox inside one tenant's ``LogSession`` transaction."""

    @property
    def tenant(self) -> str:
        """The session's tenant."""
        ...

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        """Insert notifications whose id is new; ignore the others.

        For each new one, a pending delivery is queued for every webhook
        endpoint of the tenant whose kinds include it.

        Returns:
            How many were new.
        """
        ...


class OutboxReader(Protocol):
    """Reading the committed outbox, across transactions."""

    def notifications(
        self,
        tenant: str,
        *,
        after: int = 0,
        learner: str | None = None,
        cohort: str | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        """A tenant's notifications after ``position``, oldest first.

        Args:
            tenant: The school.
            after: Only positions greater than this.
            learner: Only this learner's.
            cohort: Only those of learners in this cohort.
            limit: At most this many.
        """
        ...

    def last_position(self, tenant: str) -> int:
        """The greatest position of the tenant's notifications (0 if none)."""
        ...


@dataclass(frozen=True)
class Endpoint:
    """Where a tenant receives webhooks.

    Attributes:
        id: ``ep_...``, unique per tenant.
        url: An ``http`` or ``https`` URL.
        secret: ``whsec_`` + base64 of the signing key (Standard Webhooks).
        kinds: Kinds it receives; empty means every notifiable kind.
        created_at: When it was added (UTC sort key).
    """

    id: str
    url: str
    secret: str
    kinds: tuple[str, ...]
    created_at: str


@dataclass(frozen=True)
class Delivery:
    """One notification to send to one endpoint, as the worker claimed it.

    Attributes:
        tenant: The school.
        notification_id: The ``webhook-id``.
        endpoint_id: The endpoint.
        url: Where to send it.
        secret: The endpoint's signing secret.
        body: The payload (sent byte for byte, on every attempt).
        attempts: How many attempts were made before this one.
    """

    tenant: str
    notification_id: str
    endpoint_id: str
    url: str
    secret: str
    body: str
    attempts: int


ErrorKind = Literal[
    "blocked", "dns", "connect", "tls", "timeout", "http_status", "invalid_response"
]
"""Why an attempt failed, in one word; the delivery log keeps nothing else.

``blocked``: the target is not a public address (nothing was sent); ``dns``: the
name did not resolve; ``connect``: no connection; ``tls``: the TLS handshake or
the certificate check failed; ``timeout``: no answer in time; ``http_status``:
the receiver answered, but not 2xx (its status is kept, its body never);
``invalid_response``: the answer was not HTTP, or anything else went wrong.
"""

ERROR_KINDS: frozenset[str] = frozenset(get_args(ErrorKind))
"""Every ``ErrorKind``."""


@dataclass(frozen=True)
class Target:
    """Where one delivery goes, as the guard checked it just before sending.

    Attributes:
        url: The endpoint's URL (its path and query are sent as they are).
        host: The URL's host name, lower case (the ``Host`` header and, for
            https, the TLS server name and the name the certificate must bear).
        port: The port to connect to.
        addresses: The IP addresses checked for this delivery, in the
            resolver's order; the sender connects to these and to nothing else.
    """

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class SendResult:
    """What one HTTP attempt gave: a status code, and a kind when it failed.

    Attributes:
        status_code: The receiver's status, or None (no answer).
        error: Why it failed (None on a 2xx answer); never the answer's text.
        duration_ms: How long it took.
    """

    status_code: int | None
    error: ErrorKind | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Attempt:
    """One line of the delivery log.

    Attributes:
        tenant: The school.
        notification_id: The ``webhook-id``.
        endpoint_id: The endpoint.
        attempt: 1 for the first attempt, 2 for the first retry, ...
        at: When it was made (UTC sort key).
        status_code: The receiver's HTTP status, or None (no answer).
        error: An ``ErrorKind`` ('' on success). Rows logged before kinds
            existed may hold free text.
        duration_ms: How long it took.
    """

    tenant: str
    notification_id: str
    endpoint_id: str
    attempt: int
    at: str
    status_code: int | None
    error: str
    duration_ms: int


class WebhookStore(Protocol):
    """Endpoints, the delivery queue and the delivery log of every tenant."""

    def add_endpoint(self, tenant: str, endpoint: Endpoint) -> None:
        """Store a new endpoint."""
        ...

    def endpoints(self, tenant: str) -> list[Endpoint]:
        """The tenant's endpoints, oldest first."""
        ...

    def remove_endpoint(self, tenant: str, endpoint_id: str) -> bool:
        """Delete an endpoint and its queued deliveries; False if unknown."""
        ...

    def claim_due(
        self, now: str, lease_until: str, limit: int, tenant: str | None = None
    ) -> list[Delivery]:
        """Pending deliveries due at ``now``, postponed to ``lease_until``.

        Concurrent workers never claim the same delivery within one lease.

        Args:
            now: Deliveries due at or before this time qualify.
            lease_until: When a claimed delivery is due again if never settled.
            limit: At most this many, the longest due first.
            tenant: Only this tenant's (default: every tenant's).
        """
        ...

    def record(self, attempt: Attempt, next_attempt_at: str | None) -> None:
        """Log an attempt and settle its delivery.

        A 2xx attempt marks it ``delivered``; otherwise it is due again at
        ``next_attempt_at``, or marked ``failed`` when that is None.
        """
        ...

    def attempts(
        self, tenant: str, endpoint_id: str, limit: int = 100
    ) -> list[Attempt]:
        """An endpoint's delivery log, newest first."""
        ...

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
        """Queue notifications again for the endpoints that take their kind.

        Selects notifications by id, or by ``since <= created_at < until``;
        each gets a pending delivery due at ``now`` with a fresh retry budget.

        Returns:
            How many deliveries were queued.
        """
        ...


class Outbox(OutboxReader, WebhookStore, Protocol):
    """Everything of the committed outbox: streams and webhooks."""


class WebhookSender(Protocol):
    """Sends one signed webhook request."""

    def send(self, delivery: Delivery, target: Target) -> SendResult:
        """POST the delivery's body, signed with its endpoint's secret.

        The request goes to one of ``target.addresses`` (never to another
        lookup of the name), and a redirect is an answer, not followed.
        """
        ...


class NotificationFeed(Protocol):
    """A tenant's committed notifications, as a reader of the outbox sees them."""

    def read(
        self,
        tenant: str,
        *,
        after: int,
        learner: str | None = None,
        cohort: str | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        """Committed notifications after a position, oldest first."""
        ...

    def last_position(self, tenant: str) -> int:
        """The greatest position of the tenant's notifications (0 if none)."""
        ...
