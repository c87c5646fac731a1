"""Where webhooks may go: public addresses only, unless the operator allows a host.

A school chooses its webhook URLs and reads their delivery log, so a URL that
reaches into the server's own network would let it probe internal services
(server-side request forgery). ``UrlGuard`` refuses such targets, in this order:

1. The URL is ``http`` or ``https`` with a host, a valid port, and no user name
   or password.
2. A host on the operator's allow-list (``LEVELWISE_WEBHOOK_ALLOW_HOSTS``)
   passes as it is. The list holds hosts as written in URLs: allowing
   ``127.0.0.1`` does not allow a name that resolves to it.
3. A host written as an IP address must be public (:func:`address_problem`):
   not loopback, private, link-local (which holds the cloud metadata service
   169.254.169.254), unspecified, carrier-grade NAT, multicast, reserved,
   site-local or otherwise special-purpose (not global), nor an IPv6 form of
   such an IPv4 address (IPv4-mapped, NAT64, 6to4).
4. A name must be fully qualified (it has a dot), written in ASCII, not local
   (``localhost``, ``*.localhost``, ``*.local``, ``*.localdomain``,
   ``*.internal`` such as ``metadata.google.internal``, ``*.home.arpa``), and
   not a number that resolvers read as IPv4 (``2130706433``, ``0x7f.1``,
   ``127.1``).
5. Every address the name resolves to must be public, as in 3.

Registration (:meth:`UrlGuard.check`) applies the rules with one lookup; a name
that does not resolve yet is accepted, since delivery checks again. Delivery
(:meth:`UrlGuard.target`) resolves the name once, checks every address, and
hands the checked addresses to the sender, which connects to them and never
looks the name up again: a name that answers differently after the check (DNS
rebinding) cannot move the request.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
)
from typing import Protocol
from urllib.parse import urlsplit

from levelwise.app.notify.ports import ErrorKind, Target
from levelwise.errors import NotificationRequestError

Address = IPv4Address | IPv6Address

_THIS_NETWORK = IPv4Network("0.0.0.0/8")  # RFC 791 "this host on this network"
_SHARED = IPv4Network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT
_NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_METADATA = frozenset({IPv4Address("169.254.169.254"), IPv6Address("fd00:ec2::254")})
_LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "home.arpa")
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_NUMERIC = re.compile(r"[0-9]+|0x[0-9a-f]*")
_ADVICE = "webhooks go to public addresses only, unless the operator allows the host"


class Resolver(Protocol):
    """Looks a host name up: its IP addresses, as text, in preference order."""

    def __call__(self, host: str, port: int) -> Sequence[str]:
        """The addresses of ``host`` for a TCP connection to ``port``.

        Raises:
            OSError: The name does not resolve.
        """
        ...


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``socket.getaddrinfo`` gives for a TCP connection, each once.

    Raises:
        OSError: The name does not resolve (``socket.gaierror``).
    """
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class Refusal:
    """Why a delivery may not go to a URL.

    Attributes:
        kind: ``blocked`` (a rule refuses the target) or ``dns`` (the name did
            not resolve).
        reason: A sentence for the school; it names no resolved address.
        hint: What the school can do about it ('' if nothing needs saying).
    """

    kind: ErrorKind
    reason: str
    hint: str = ""


def address_problem(address: Address) -> str | None:
    """Why ``address`` is not a public unicast address, or None when it is.

    Examples:
        >>> from ipaddress import ip_address
        >>> address_problem(ip_address("169.254.169.254"))
        'a link-local address (cloud metadata)'
        >>> address_problem(ip_address("::ffff:10.0.0.1"))
        'an IPv4-mapped private address'
        >>> address_problem(ip_address("93.184.215.14")) is None
        True
    """
    if isinstance(address, IPv6Address):
        form, inner = _embedded(address)
        if inner is not None:
            problem = _problem(inner)
            if problem is not None:
                return _article(f"{form} {problem}")
            if form != "6to4":
                return None  # a mapped or NAT64 address is its IPv4 address
    problem = _problem(address)
    return None if problem is None else _article(problem)


def _embedded(address: IPv6Address) -> tuple[str, IPv4Address | None]:
    """The IPv4 address an IPv6 address stands for, with the form's name."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address in _NAT64:
        return "NAT64", IPv4Address(int(address) & 0xFFFFFFFF)
    return "6to4", address.sixtofour


def _problem(address: Address) -> str | None:
    if address.is_unspecified or address in _THIS_NETWORK:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        if address in _METADATA:
            return "link-local address (cloud metadata)"
        return "link-local address"
    if address in _SHARED:
        return "carrier-grade NAT (shared) address"
    if address in _METADATA:
        return "private address (cloud metadata)"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "site-local address"  # deprecated (RFC 3879), yet not global
    if address.is_multicast:
        return "multicast address"
    if address.is_reserved:
        return "reserved address"
    if address.is_private:
        return "private address"
    if not address.is_global:
        return "special-purpose address"
    return None


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiouIU" else "a ") + phrase


def _name_problem(host: str) -> str | None:
    if any(host == s or host.endswith(f".{s}") for s in _LOCAL_SUFFIXES):
        return f"{host!r} is a local name"
    if not _NAME.fullmatch(host):
        return f"{host!r} is not a valid ASCII host name (write IDNs as xn--)"
    if _NUMERIC.fullmatch(host.rsplit(".", 1)[-1]):
        return f"{host!r} is a numeric host that is not a standard IP address"
    if "." not in host:
        return f"{host!r} is not a fully qualified name"
    return None


def _normal(host: str) -> str:
    """A host as the allow-list compares it: lower case, no brackets or final dot."""
    host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    try:
        return str(ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True)
class _Place:
    host: str
    port: int
    literal: Address | None
    allowed: bool


class UrlGuard:
    """Decides whether a webhook may go to a URL, and where to connect.

    Args:
        allow_hosts: Hosts the operator allows whatever their addresses (e.g.
            ``127.0.0.1`` for a receiver on the same machine); blank ones are
            ignored.
        resolve: Looks names up (default: :func:`system_resolver`).
    """

    def __init__(
        self, allow_hosts: Iterable[str] = (), resolve: Resolver | None = None
    ) -> None:
        """Keep the allow-list (normalised) and the resolver."""
        self.allow_hosts = frozenset(_normal(h) for h in allow_hosts if h.strip())
        self.resolve: Resolver = resolve or system_resolver

    def check(self, url: str) -> None:
        """Refuse a URL a new endpoint may not have.

        A name is looked up once; one that does not resolve is accepted
        (delivery checks it again).

        Raises:
            NotificationRequestError: The URL breaks a rule; the message says
                which.
        """
        place = self._place(url)
        if isinstance(place, Refusal):
            raise NotificationRequestError(_refused(place))
        if place.allowed or place.literal is not None:
            return
        verdict = self._resolved(place)
        if isinstance(verdict, Refusal) and verdict.kind == "blocked":
            raise NotificationRequestError(_refused(verdict))

    def target(self, url: str) -> Target | Refusal:
        """Where a delivery to ``url`` connects, checked now; or why it may not.

        A name is looked up once, and every address it gives must pass (an
        allowed host's addresses are used unchecked).
        """
        place = self._place(url)
        if isinstance(place, Refusal):
            return place
        if place.literal is not None:
            return Target(url, place.host, place.port, (str(place.literal),))
        verdict = self._resolved(place)
        if isinstance(verdict, Refusal):
            return verdict
        return Target(url, place.host, place.port, verdict)

    def _place(self, url: str) -> _Place | Refusal:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Refusal("blocked", "the URL is not an http or https URL")
        if parts.username is not None or parts.password is not None:
            return Refusal("blocked", "the URL has a user name or password")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return Refusal("blocked", "the URL's port is not valid")
        host = parts.hostname.rstrip(".")
        allowed = _normal(host) in self.allow_hosts
        try:
            literal: Address | None = ip_address(host)
        except ValueError:
            literal = None
        if not allowed:
            if literal is None:
                problem = _name_problem(host)
            else:
                kind = address_problem(literal)
                problem = None if kind is None else f"{host} is {kind}"
            if problem is not None:
                return Refusal("blocked", problem, _ADVICE)
        return _Place(host, port, literal, allowed)

    def _resolved(self, place: _Place) -> tuple[str, ...] | Refusal:
        try:
            answers = [ip_address(a) for a in self.resolve(place.host, place.port)]
        except (OSError, ValueError, UnicodeError):
            answers = []
        if not answers:
            return Refusal("dns", f"{place.host!r} does not resolve")
        if not place.allowed:
            for address in answers:
                problem = address_problem(address)
                if problem is not None:
                    reason = f"{place.host!r} resolves to {problem}"
                    return Refusal("blocked", reason, _ADVICE)
        return tuple(str(a) for a in answers)


def _refused(refusal: Refusal) -> str:
    hint = f" ({refusal.hint})" if refusal.hint else ""
    return f"the webhook URL is refused: {refusal.reason}{hint}"
