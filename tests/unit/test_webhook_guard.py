"""Webhook targets: only public addresses, at registration and at delivery.

No network: names resolve through a fake resolver, and the worker sends with a
fake sender that records what it was asked to do.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.notify.guard import UrlGuard, address_problem
from levelwise.app.notify.ports import Endpoint, SendResult, Target
from levelwise.app.notify.webhooks import RetryPolicy, WebhookWorker
from levelwise.errors import NotificationRequestError
from tests.support.factories import SMALL_PROGRAM
from tests.support.notifications import (
    PUBLIC_V4,
    PUBLIC_V6,
    FakeDns,
    MovingClock,
    level_up,
)


def dns() -> FakeDns:
    return FakeDns(
        hooks_example_com=[PUBLIC_V4, PUBLIC_V6],
        loopback_example_com=["127.0.0.1"],
        private_example_com=["10.0.0.7"],
        metadata_example_com=["169.254.169.254"],
        mixed_example_com=[PUBLIC_V4, "192.168.0.10"],
        v6private_example_com=[PUBLIC_V6, "fd00:ec2::254"],
    )


class RecordingSender:
    """A sender that answers 204 and remembers each target it was given."""

    def __init__(self) -> None:
        self.targets: list[Target] = []

    def send(self, delivery, target):
        self.targets.append(target)
        return SendResult(204, None, 3)


# (url, words the refusal names)
REFUSED = [
    # loopback
    ("http://127.0.0.1:8080/h", "127.0.0.1 is a loopback address"),
    ("http://127.8.9.10/h", "loopback"),
    ("http://[::1]:9000/h", "::1 is a loopback address"),
    # private ranges, IPv4 and IPv6 (unique local)
    ("http://10.1.2.3/h", "10.1.2.3 is a private address"),
    ("http://172.16.0.1/h", "private"),
    ("http://172.31.255.254/h", "private"),
    ("http://192.168.1.1/h", "private"),
    ("http://[fd12:3456::1]/h", "private"),
    # link-local, and the cloud metadata service on it
    ("http://169.254.10.20/h", "link-local"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fe80::1]/h", "link-local"),
    # unspecified ("this host")
    ("http://0.0.0.0:8000/h", "unspecified"),
    ("http://0.1.2.3/h", "unspecified"),
    ("http://[::]/h", "unspecified"),
    # carrier-grade NAT (shared address space)
    ("http://100.64.0.1/h", "carrier-grade NAT"),
    ("http://100.127.255.254/h", "carrier-grade NAT"),
    # multicast and reserved
    ("http://224.0.0.1/h", "multicast"),
    ("http://[ff02::1]/h", "multicast"),
    ("http://240.0.0.1/h", "reserved"),
    ("http://[fec0::1]/h", "site-local"),
    ("http://192.0.2.1/h", "private"),  # documentation (TEST-NET-1)
    # IPv4 inside IPv6: mapped, 6to4
    ("http://[::ffff:127.0.0.1]/h", "an IPv4-mapped loopback address"),
    ("http://[::ffff:10.0.0.1]/h", "private"),
    ("http://[::ffff:169.254.169.254]/h", "cloud metadata"),
    ("http://[2002:7f00:1::]/h", "a 6to4 loopback address"),
    ("http://[64:ff9b::a00:1]/h", "a NAT64 private address"),
    # local names
    ("http://localhost:8000/h", "'localhost' is a local name"),
    ("http://LOCALHOST./h", "local name"),
    ("http://api.localhost/h", "local name"),
    ("http://metadata.google.internal/computeMetadata/v1/", "local name"),
    ("http://intranet/h", "not a fully qualified"),
    # numbers that resolvers read as IPv4 (2130706433 is 127.0.0.1)
    ("http://2130706433/h", "numeric"),
    ("http://0x7f.1/h", "numeric"),
    ("http://127.1/h", "numeric"),
    # public-looking names whose addresses are not public
    ("https://loopback.example.com/h", "resolves to a loopback address"),
    ("https://private.example.com/h", "resolves to a private address"),
    ("https://metadata.example.com/h", "cloud metadata"),
    ("https://mixed.example.com/h", "resolves to a private address"),
    ("https://v6private.example.com/h", "private"),
]
IDS = [
    "loopback-v4",
    "loopback-v4-range",
    "loopback-v6",
    "private-10",
    "private-172.16",
    "private-172.31",
    "private-192.168",
    "private-fc00::/7",
    "link-local-v4",
    "metadata",
    "link-local-v6",
    "unspecified-v4",
    "this-network-v4",
    "unspecified-v6",
    "cgnat-low",
    "cgnat-high",
    "multicast-v4",
    "multicast-v6",
    "reserved-v4",
    "site-local-v6",
    "documentation-v4",
    "mapped-loopback",
    "mapped-private",
    "mapped-metadata",
    "6to4-loopback",
    "nat64-private",
    "localhost",
    "localhost-upper-dot",
    "sub-localhost",
    "gce-metadata-name",
    "single-label",
    "decimal-ip",
    "hex-ip",
    "short-ip",
    "name-to-loopback",
    "name-to-private",
    "name-to-metadata",
    "name-to-public-and-private",
    "name-to-ula-v6",
]


def engine(guard: UrlGuard) -> Levelwise:
    lw = Levelwise(InMemoryEventLog(), MovingClock(), webhook_guard=guard)
    lw.put_program("school", SMALL_PROGRAM)
    return lw


def worker(lw: Levelwise, sender, guard: UrlGuard) -> WebhookWorker:
    return WebhookWorker(
        lw.log.outbox, sender, lw.clock, RetryPolicy(), draw=lambda: 0.5, guard=guard
    )


def stored(lw: Levelwise, url: str) -> Endpoint:
    """An endpoint put in the store directly, as if registered before the guard."""
    endpoint = Endpoint("ep_old", url, "whsec_" + "QUFB" * 8, (), "2026-01-01")
    lw.log.outbox.add_endpoint("school", endpoint)
    return endpoint


@pytest.mark.parametrize(("url", "words"), REFUSED, ids=IDS)
def test_a_non_public_target_is_refused_at_registration(url, words):
    lw = engine(UrlGuard(resolve=dns()))
    with pytest.raises(NotificationRequestError, match="refused") as caught:
        lw.webhooks.add("school", url)
    assert words in str(caught.value)
    assert lw.webhooks.endpoints("school") == []


@pytest.mark.parametrize(("url", "words"), REFUSED, ids=IDS)
def test_a_non_public_target_is_blocked_at_delivery(url, words):
    guard = UrlGuard(resolve=dns())
    lw = engine(guard)
    endpoint = stored(lw, url)
    lw.ingest("school", level_up())
    sender = RecordingSender()

    report = worker(lw, sender, guard).deliver_due()

    assert sender.targets == []  # no request was made
    assert report.retrying == 1
    (attempt,) = lw.webhooks.attempts("school", endpoint.id)
    assert (attempt.status_code, attempt.error) == (None, "blocked")


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC_V4,
        PUBLIC_V6,
        f"::ffff:{PUBLIC_V4}",  # IPv4-mapped: the IPv4 address decides
        "64:ff9b::5db8:d70e",  # NAT64 of PUBLIC_V4 (an IPv6-only network's way out)
        "2002:5db8:d70e::1",  # 6to4 of PUBLIC_V4
    ],
    ids=["v4", "v6", "mapped", "nat64", "6to4"],
)
def test_public_addresses_pass_in_every_form(address):
    assert address_problem(ip_address(address)) is None


def test_userinfo_is_refused():
    lw = engine(UrlGuard(resolve=dns()))
    with pytest.raises(NotificationRequestError, match="user name or password"):
        lw.webhooks.add("school", "https://ana:pw@hooks.example.com/h")


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC_V4}/h",
        f"https://[{PUBLIC_V6}]:8443/h",
        "https://hooks.example.com/h?school=1",
        "https://HOOKS.example.com./h",
    ],
    ids=["v4-literal", "v6-literal", "name", "name-upper-trailing-dot"],
)
def test_a_public_target_is_accepted_and_delivered_to(url):
    guard = UrlGuard(resolve=dns())
    lw = engine(guard)
    endpoint = lw.webhooks.add("school", url)
    lw.ingest("school", level_up())
    sender = RecordingSender()

    assert worker(lw, sender, guard).deliver_due().delivered == 1

    (target,) = sender.targets
    assert target.url == url
    assert set(target.addresses) <= {PUBLIC_V4, PUBLIC_V6} and target.addresses
    (attempt,) = lw.webhooks.attempts("school", endpoint.id)
    assert (attempt.status_code, attempt.error) == (204, "")


def test_an_allow_listed_host_is_accepted_and_nothing_else():
    resolver = FakeDns(receiver=["172.18.0.5"], localhost=["127.0.0.1"])
    guard = UrlGuard(
        allow_hosts=[" 127.0.0.1", "Receiver.", "", "[::1]"], resolve=resolver
    )
    lw = engine(guard)
    local = lw.webhooks.add("school", "http://127.0.0.1:9/h")
    named = lw.webhooks.add("school", "http://receiver:8080/h")
    lw.webhooks.add("school", "http://[::1]:8080/h")
    for other in ("http://127.0.0.2/h", "http://localhost/h", "http://10.0.0.1/h"):
        with pytest.raises(NotificationRequestError, match="refused"):
            lw.webhooks.add("school", other)
    lw.ingest("school", level_up())
    sender = RecordingSender()

    assert worker(lw, sender, guard).deliver_due().delivered == 3

    by_url = {t.url: t.addresses for t in sender.targets}
    assert by_url[local.url] == ("127.0.0.1",)
    assert by_url[named.url] == ("172.18.0.5",)  # resolved, and pinned
    assert by_url["http://[::1]:8080/h"] == ("::1",)


def test_an_allowed_address_does_not_allow_the_names_that_point_at_it():
    guard = UrlGuard(allow_hosts=["127.0.0.1"], resolve=dns())
    lw = engine(guard)
    with pytest.raises(NotificationRequestError, match="loopback"):
        lw.webhooks.add("school", "https://loopback.example.com/h")


def test_delivery_resolves_once_and_hands_the_checked_addresses_to_the_sender():
    # A rebinding name: public when registered, public at the delivery's check,
    # loopback on any later lookup. The sender gets the checked answer and
    # must not look the name up again.
    resolver = FakeDns(rebind_example_com=[[PUBLIC_V4], [PUBLIC_V4], ["127.0.0.1"]])
    guard = UrlGuard(resolve=resolver)
    lw = engine(guard)
    lw.webhooks.add("school", "https://rebind.example.com/h")
    lw.ingest("school", level_up())
    sender = RecordingSender()

    worker(lw, sender, guard).deliver_due()

    assert resolver.calls == [("rebind.example.com", 443)] * 2
    (target,) = sender.targets
    assert (target.host, target.port, target.addresses) == (
        "rebind.example.com",
        443,
        (PUBLIC_V4,),
    )


def test_a_name_that_turns_private_after_registration_is_blocked():
    resolver = FakeDns(rebind_example_com=[[PUBLIC_V4], ["10.0.0.1"]])
    guard = UrlGuard(resolve=resolver)
    lw = engine(guard)
    endpoint = lw.webhooks.add("school", "https://rebind.example.com/h")
    lw.ingest("school", level_up())
    sender = RecordingSender()

    worker(lw, sender, guard).deliver_due()

    assert sender.targets == []
    (attempt,) = lw.webhooks.attempts("school", endpoint.id)
    assert attempt.error == "blocked"


def test_a_name_that_does_not_resolve_is_kept_and_fails_with_dns():
    guard = UrlGuard(resolve=dns())
    lw = engine(guard)
    endpoint = lw.webhooks.add("school", "https://not-yet.example.com/h")
    lw.ingest("school", level_up())
    sender = RecordingSender()

    assert worker(lw, sender, guard).deliver_due().retrying == 1

    assert sender.targets == []
    (attempt,) = lw.webhooks.attempts("school", endpoint.id)
    assert (attempt.status_code, attempt.error) == (None, "dns")


class _Leaky:
    """A sender that, against its contract, reports the receiver's answer."""

    def __init__(self, result: SendResult) -> None:
        self.result = result

    def send(self, delivery, target):
        return self.result


@pytest.mark.parametrize(
    ("result", "kind"),
    [
        (SendResult(500, "HTTP 500: db password hunter2", 1), "http_status"),  # type: ignore[arg-type]
        (SendResult(None, "ConnectError: 10.0.0.1 hunter2", 1), "invalid_response"),  # type: ignore[arg-type]
        (SendResult(503, None, 1), "http_status"),
        (SendResult(None, "timeout", 1), "timeout"),
    ],
    ids=["status-with-text", "text-without-status", "status-without-kind", "kind"],
)
def test_a_failed_attempt_stores_only_a_status_and_a_kind(result, kind):
    guard = UrlGuard(resolve=dns())
    lw = engine(guard)
    endpoint = lw.webhooks.add("school", "https://hooks.example.com/h")
    lw.ingest("school", level_up())

    worker(lw, _Leaky(result), guard).deliver_due()

    (attempt,) = lw.webhooks.attempts("school", endpoint.id)
    assert (attempt.status_code, attempt.error) == (result.status_code, kind)
