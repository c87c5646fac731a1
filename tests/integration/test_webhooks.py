"""Webhooks end to end: a real receiver on loopback verifies Standard Webhooks
signatures; failures are retried on schedule and nothing is lost or doubled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from levelwise.adapters.http.webhooks import HttpxWebhookSender
from levelwise.app.engine import Levelwise
from levelwise.app.notify.guard import UrlGuard
from levelwise.app.notify.webhooks import RetryPolicy, WebhookWorker
from tests.support.factories import SMALL_PROGRAM
from tests.support.notifications import MovingClock, level_up


@dataclass
class Receiver:
    """What the loopback receiver saw; it fails its first ``fail_first`` requests."""

    secret: str = ""
    fail_first: int = 0
    requests: int = 0
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests += 1
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                self.rejected.append(str(exc))
                return 401
            if self.requests <= self.fail_first:
                return 503
            msg_id = headers["webhook-id"]
            if msg_id in self.bodies:  # deduplicate by webhook-id
                assert self.bodies[msg_id] == body
                self.duplicates.append(msg_id)
            else:
                self.bodies[msg_id] = body
                self.accepted.append(msg_id)
            return 204


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Receiver()
    server.receiver = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def clock():
    return MovingClock()


@pytest.fixture
def guard():
    """The operator allows the loopback receivers of these tests."""
    return UrlGuard(allow_hosts=["127.0.0.1"])


@pytest.fixture
def sender():
    s = HttpxWebhookSender(timeout=5)
    yield s
    s.close()


def _setup(event_log, clock, tenant, receiver, url, guard):
    lw = Levelwise(event_log, clock, webhook_guard=guard)
    lw.put_program(tenant, SMALL_PROGRAM)
    endpoint = lw.webhooks.add(tenant, url)
    receiver.secret = endpoint.secret
    return lw, endpoint


def _worker(lw, sender, clock, tenant):
    policy = RetryPolicy(delays=(5, 300, 1800), jitter=0.2)
    # draw 0.5 puts the jitter factor at exactly 1.
    return WebhookWorker(
        lw.log.outbox,
        sender,
        clock,
        policy,
        draw=lambda: 0.5,
        tenant=tenant,
        guard=lw.webhooks.guard,
    )


def test_a_failing_receiver_gets_every_notification_once(
    event_log, tenant, clock, receiver, sender, guard
):
    state, url = receiver
    state.fail_first = 4
    lw, endpoint = _setup(event_log, clock, tenant, state, url, guard)
    lw.ingest(tenant, level_up("ana") + level_up("bob", 10) + level_up("cy", 20))
    ids = {n.id for n in lw.log.outbox.notifications(tenant)}
    assert len(ids) == 3
    worker = _worker(lw, sender, clock, tenant)

    first = worker.deliver_due()
    assert (first.delivered, first.retrying) == (0, 3)
    clock.advance(4.9)  # the first retry is due after 5 s
    assert worker.deliver_due().attempted == 0
    clock.advance(0.1)
    second = worker.deliver_due()
    assert (second.delivered, second.retrying) == (2, 1)
    clock.advance(299)  # the second retry is due 300 s after the failure
    assert worker.deliver_due().attempted == 0
    clock.advance(1)
    assert worker.deliver_due().delivered == 1
    clock.advance(100_000)
    assert worker.deliver_due().attempted == 0

    assert sorted(state.accepted) == sorted(ids)  # none lost
    assert state.duplicates == [] and state.rejected == []  # none twice, all signed
    log = lw.webhooks.attempts(tenant, endpoint.id)
    assert sorted(a.attempt for a in log) == [1, 1, 1, 2, 2, 2, 3]
    assert {a.status_code for a in log} == {503, 204}
    assert all(a.error == "http_status" for a in log if a.status_code == 503)
    payload = orjson.loads(state.bodies[state.accepted[0]])
    assert payload["type"] == "level_reached" and payload["data"]["level"] == "a1"


def test_a_receiver_that_never_answers_2xx_is_given_up_on(
    event_log, tenant, clock, receiver, sender, guard
):
    state, url = receiver
    state.fail_first = 100
    lw, endpoint = _setup(event_log, clock, tenant, state, url, guard)
    lw.ingest(tenant, level_up())
    worker = _worker(lw, sender, clock, tenant)
    reports = []
    for wait in (0, 5, 300, 1800, 100_000):
        clock.advance(wait)
        reports.append(worker.deliver_due())
    assert [r.attempted for r in reports] == [1, 1, 1, 1, 0]
    assert reports[3].failed == 1
    assert state.requests == 4 and state.accepted == []
    # A replay sends it again, with the same id, and a fresh retry budget.
    state.fail_first = 0
    (row,) = lw.log.outbox.notifications(tenant)
    assert lw.webhooks.replay(tenant, ids=[row.id]) == 1
    assert worker.deliver_due().delivered == 1
    assert state.accepted == [row.id]


def test_replay_resends_with_the_same_id(
    event_log, tenant, clock, receiver, sender, guard
):
    state, url = receiver
    lw, _ = _setup(event_log, clock, tenant, state, url, guard)
    lw.ingest(tenant, level_up())
    worker = _worker(lw, sender, clock, tenant)
    assert worker.deliver_due().delivered == 1
    clock.advance(60)
    assert lw.webhooks.replay(tenant, since="2026-01-05T11:00:00Z") == 1
    assert worker.deliver_due().delivered == 1
    assert state.duplicates == state.accepted and len(state.accepted) == 1


class _CrashAfterSend:
    """Sends, then dies before the worker can record the attempt."""

    def __init__(self, inner):
        self.inner = inner

    def send(self, delivery, target):
        self.inner.send(delivery, target)
        raise SystemExit("worker killed")


def test_a_crash_between_send_and_record_resends_the_same_id(
    event_log, tenant, clock, receiver, sender, guard
):
    state, url = receiver
    lw, _ = _setup(event_log, clock, tenant, state, url, guard)
    lw.ingest(tenant, level_up())
    crashing = WebhookWorker(
        lw.log.outbox, _CrashAfterSend(sender), clock, tenant=tenant, guard=guard
    )
    with pytest.raises(SystemExit):
        crashing.deliver_due()
    worker = _worker(lw, sender, clock, tenant)
    assert worker.deliver_due().attempted == 0  # still leased
    clock.advance(RetryPolicy().lease_seconds)
    assert worker.deliver_due().delivered == 1
    assert len(state.accepted) == 1 and state.duplicates == state.accepted


def test_a_wrong_secret_is_rejected_by_the_receiver(
    event_log, tenant, clock, receiver, sender, guard
):
    state, url = receiver
    lw, _ = _setup(event_log, clock, tenant, state, url, guard)
    state.secret = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
    lw.ingest(tenant, level_up())
    report = _worker(lw, sender, clock, tenant).deliver_due()
    assert report.retrying == 1
    assert state.rejected == ["No matching signature found"]


def test_an_unreachable_endpoint_is_logged_without_a_status(
    event_log, tenant, clock, sender, guard
):
    lw = Levelwise(event_log, clock, webhook_guard=guard)
    lw.put_program(tenant, SMALL_PROGRAM)
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    endpoint = lw.webhooks.add(tenant, "http://127.0.0.1:9/hooks")
    lw.ingest(tenant, level_up())
    assert _worker(lw, sender, clock, tenant).deliver_due().retrying == 1
    (attempt,) = lw.webhooks.attempts(tenant, endpoint.id)
    assert (attempt.status_code, attempt.error) == (None, "connect")
