"""The httpx sender: it connects to the checked address, never follows a
redirect, and reports a failure as a status and a kind, never the answer's text.

Receivers listen on loopback; names resolve through a fake resolver, so the
operator's allow-list (as the tests set it) is what lets them through.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from levelwise import bootstrap
from levelwise.adapters.http.webhooks import HttpxWebhookSender
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.notify.guard import UrlGuard
from levelwise.app.notify.ports import Delivery, Endpoint, Target
from levelwise.app.notify.webhooks import WebhookWorker
from levelwise.config import Settings
from levelwise.errors import NotificationRequestError
from tests.support.factories import SMALL_PROGRAM
from tests.support.notifications import (
    PUBLIC_V4,
    PUBLIC_V6,
    FakeDns,
    MovingClock,
    level_up,
)

SECRET = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
LEAK = "db password hunter2"


@dataclass
class Answer:
    """How the receiver answers, and what it saw."""

    status: int = 204
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    seen: list[dict[str, str]] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        answer: Answer = self.server.answer  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("content-length", "0")))
        answer.seen.append(
            {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        )
        time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@contextmanager
def _serve(tls: ssl.SSLContext | None = None) -> Iterator[tuple[Answer, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    answer = Answer()
    server.answer = answer  # type: ignore[attr-defined]
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: answer.sni.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield answer, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[tuple[Answer, int]]:
    with _serve() as served:
        yield served


@pytest.fixture
def other_receiver() -> Iterator[tuple[Answer, int]]:
    with _serve() as served:
        yield served


@pytest.fixture
def sender() -> Iterator[HttpxWebhookSender]:
    s = HttpxWebhookSender(timeout=2)
    yield s
    s.close()


def _delivery(url: str) -> Delivery:
    return Delivery("school", "msg_1", "ep_1", url, SECRET, '{"type":"x"}', 0)


def _engine(guard: UrlGuard) -> Levelwise:
    lw = Levelwise(InMemoryEventLog(), MovingClock(), webhook_guard=guard)
    lw.put_program("school", SMALL_PROGRAM)
    return lw


def _deliver(lw: Levelwise, sender: HttpxWebhookSender, url: str):
    """Register ``url``, level a learner up, run one pass; the endpoint's log."""
    endpoint = lw.webhooks.add("school", url)
    lw.ingest("school", level_up())
    worker = WebhookWorker(
        lw.log.outbox, sender, lw.clock, draw=lambda: 0.5, guard=lw.webhooks.guard
    )
    worker.deliver_due()
    return lw.webhooks.attempts("school", endpoint.id)


# -- pinning ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "address", "sent_to", "host"),
    [
        (
            "https://hooks.example.com:8443/in?school=1",
            PUBLIC_V4,
            f"https://{PUBLIC_V4}:8443/in?school=1",
            "hooks.example.com:8443",
        ),
        (
            "http://hooks.example.com/in",
            PUBLIC_V6,
            f"http://[{PUBLIC_V6}]/in",
            "hooks.example.com",
        ),
    ],
    ids=["https-v4", "http-v6"],
)
def test_the_request_goes_to_the_checked_address_under_the_name(
    url, address, sent_to, host
):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sender = HttpxWebhookSender(transport=httpx.MockTransport(answer))
    target = Target(url, "hooks.example.com", 8443, (address,))

    assert sender.send(_delivery(url), target).ok

    (request,) = seen
    assert str(request.url) == sent_to
    assert request.headers["host"] == host
    if url.startswith("https"):
        # TLS: SNI and the certificate check use the name, not the address.
        assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["webhook-id"] == "msg_1"


def _pem_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name`` from a fresh test CA,
    and a client context that trusts only that CA."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "levelwise test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    return server, client


@pytest.mark.parametrize(
    ("certified", "delivered"),
    [("hooks.example.test", True), ("other.example.test", False)],
    ids=["name-matches", "name-differs"],
)
def test_https_connects_to_the_pinned_address_and_verifies_the_name(
    tmp_path, certified, delivered
):
    # hooks.example.test exists only in the fake resolver, and the certificate
    # names it, not 127.0.0.1: a delivery proves both the pin and the check.
    server_tls, client_tls = _pem_pair(tmp_path, certified)
    guard = UrlGuard(
        allow_hosts=["hooks.example.test"],
        resolve=FakeDns(hooks_example_test=["127.0.0.1"]),
    )
    sender = HttpxWebhookSender(timeout=2, verify=client_tls)
    with _serve(server_tls) as (answer, port):
        url = f"https://hooks.example.test:{port}/in"
        (attempt,) = _deliver(_engine(guard), sender, url)
    sender.close()
    assert answer.sni == ["hooks.example.test"]
    if delivered:
        assert (attempt.status_code, attempt.error) == (204, "")
        assert answer.seen[0]["host"] == f"hooks.example.test:{port}"
    else:
        assert (attempt.status_code, attempt.error) == (None, "tls")
        assert answer.seen == []


def test_a_name_that_resolves_privately_is_blocked_before_any_request(receiver, sender):
    answer, port = receiver
    resolver = FakeDns(hooks_example_com=[[PUBLIC_V4], ["127.0.0.1"]])
    lw = _engine(UrlGuard(resolve=resolver))

    (attempt,) = _deliver(lw, sender, f"http://hooks.example.com:{port}/in")

    assert (attempt.status_code, attempt.error) == (None, "blocked")
    assert answer.seen == []


def test_an_endpoint_stored_before_the_guard_is_blocked(receiver, sender):
    answer, port = receiver
    lw = _engine(UrlGuard())
    url = f"http://127.0.0.1:{port}/internal"
    lw.log.outbox.add_endpoint("school", Endpoint("ep_old", url, SECRET, (), "2026"))
    lw.ingest("school", level_up())
    worker = WebhookWorker(lw.log.outbox, sender, lw.clock, guard=lw.webhooks.guard)

    assert worker.deliver_due().retrying == 1

    assert answer.seen == []
    (attempt,) = lw.webhooks.attempts("school", "ep_old")
    assert (attempt.status_code, attempt.error) == (None, "blocked")


# -- what a failure keeps -----------------------------------------------------


@pytest.fixture
def allowed() -> Levelwise:
    return _engine(UrlGuard(allow_hosts=["127.0.0.1"]))


def test_a_failed_attempt_keeps_the_status_and_not_the_answer(
    allowed, receiver, sender
):
    answer, port = receiver
    answer.status = 500
    answer.body = f"Internal error: {LEAK}".encode()

    (attempt,) = _deliver(allowed, sender, f"http://127.0.0.1:{port}/in")

    assert (attempt.status_code, attempt.error) == (500, "http_status")
    assert LEAK not in repr(attempt)


def test_a_redirect_is_not_followed(allowed, receiver, other_receiver, sender):
    answer, port = receiver
    elsewhere, other_port = other_receiver
    answer.status = 307
    answer.headers = {"location": f"http://127.0.0.1:{other_port}/admin"}

    (attempt,) = _deliver(allowed, sender, f"http://127.0.0.1:{port}/in")

    assert (attempt.status_code, attempt.error) == (307, "http_status")
    assert len(answer.seen) == 1 and elsewhere.seen == []


def test_a_slow_receiver_is_a_timeout(allowed, receiver):
    answer, port = receiver
    answer.delay = 1.0
    sender = HttpxWebhookSender(timeout=0.2)

    (attempt,) = _deliver(allowed, sender, f"http://127.0.0.1:{port}/in")
    sender.close()

    assert (attempt.status_code, attempt.error) == (None, "timeout")


def test_a_closed_port_is_a_connect_error(allowed, sender):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    (attempt,) = _deliver(allowed, sender, "http://127.0.0.1:9/in")

    assert (attempt.status_code, attempt.error) == (None, "connect")


# -- the operator's setting -----------------------------------------------------


def test_the_allow_list_setting_reaches_registration_and_the_worker():
    allowing = bootstrap.build(
        "memory", settings=Settings(webhook_allow_hosts="127.0.0.1, receiver")
    )
    allowing.webhooks.add("school", "http://127.0.0.1:9/h")
    allowing.webhooks.add("school", "http://receiver:8080/h")
    worker = bootstrap.webhook_worker(allowing)
    assert worker.guard is allowing.webhooks.guard

    default = bootstrap.build("memory", settings=Settings(webhook_allow_hosts=""))
    with pytest.raises(NotificationRequestError, match="loopback"):
        default.webhooks.add("school", "http://127.0.0.1:9/h")
