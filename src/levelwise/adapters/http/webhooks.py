"""Send webhooks over HTTP with httpx, signed per the Standard Webhooks convention.

https://www.standardwebhooks.com/: headers ``webhook-id`` (the notification id,
the same on every attempt and replay, so receivers deduplicate by it),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the
base64-decoded part of the ``whsec_`` secret), computed with the reference
``standardwebhooks`` library.

The request goes to an address the guard checked (``Target.addresses``), never
to a fresh lookup of the name: the URL's host is replaced by that address, the
``Host`` header keeps the name, and for https the TLS server name (SNI) and the
certificate check use the name too (httpcore's ``sni_hostname`` extension), so
a certificate must still be valid for the name. Connections are not kept alive:
a pooled connection is keyed by address, and one verified for a name must not
carry a request for another name on the same address. Redirects are answers,
never followed. The answer's body is never read: a failure is its status and an
``ErrorKind``. The environment's proxy settings (``HTTPS_PROXY``, ...) and
``.netrc`` are ignored: through a proxy tunnel httpcore would check the
certificate against the address, and the connection would not be the one the
guard checked.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from math import floor

import httpx
from standardwebhooks import Webhook

from levelwise.app.notify.ports import Delivery, ErrorKind, SendResult, Target

USER_AGENT = "levelwise-webhooks/1"
MAX_ADDRESSES = 3
"""Addresses of a name tried in turn when connecting fails: with the default
timeout, three attempts stay well inside the worker's 60 s claim lease."""


def signed_headers(delivery: Delivery, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of a delivery sent at ``now``."""
    stamp = datetime.fromtimestamp(floor(now.timestamp()), tz=UTC)
    signature = Webhook(delivery.secret).sign(
        delivery.notification_id, stamp, delivery.body
    )
    return {
        "webhook-id": delivery.notification_id,
        "webhook-timestamp": str(floor(stamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class HttpxWebhookSender:
    """POSTs deliveries with one ``httpx.Client``, to the checked addresses only.

    Args:
        timeout: Seconds for connecting and for the whole answer.
        now: Wall time for ``webhook-timestamp`` (receivers check it against
            their own clock, so it is the real time, not the worker's clock).
        transport: An httpx transport (tests); default: the network.
        verify: How to verify TLS certificates: an ``ssl.SSLContext`` (tests
            trust their own authority), or True for the system's.
    """

    def __init__(
        self,
        timeout: float = 10.0,
        now: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """Open the client (no connection is made yet)."""
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            verify=verify,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,  # no proxy or .netrc from the environment
        )
        self._now = now or (lambda: datetime.now(UTC))

    def send(self, delivery: Delivery, target: Target) -> SendResult:
        """POST one delivery to the target's first reachable address.

        Any 2xx is a success; any other status is ``http_status`` (a redirect
        too). Without an answer the kind says why: ``connect``, ``tls``,
        ``timeout`` or ``invalid_response``.
        """
        url = httpx.URL(target.url)
        headers = signed_headers(delivery, self._now())
        headers["host"] = url.netloc.decode("ascii")
        extensions = {"sni_hostname": target.host} if url.scheme == "https" else {}
        started = time.perf_counter()
        error: ErrorKind = "connect"
        for address in target.addresses[:MAX_ADDRESSES]:
            try:
                with self._client.stream(
                    "POST",
                    url.copy_with(host=address),
                    content=delivery.body.encode(),
                    headers=headers,
                    extensions=extensions,
                ) as response:
                    status = response.status_code  # the body is never read
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                error = _connect_kind(exc)
                if error == "tls":
                    break  # the name's certificate: no other address helps
                continue
            except httpx.TimeoutException:
                return SendResult(None, "timeout", _ms(started))
            except httpx.HTTPError:
                return SendResult(None, "invalid_response", _ms(started))
            kind: ErrorKind | None = None if 200 <= status < 300 else "http_status"
            return SendResult(status, kind, _ms(started))
        return SendResult(None, error, _ms(started))

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()


def _connect_kind(exc: httpx.HTTPError) -> ErrorKind:
    if isinstance(exc, httpx.ConnectTimeout):
        return "timeout"
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return "tls"
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return "connect"


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
