"""Send webhooks over HTTP with httpx, signed per the Standard Webhooks convention.

https://www.standardwebhooks.com/: headers ``webhook-id`` (the notification id,
the same on every attempt and replay, so receivers deduplicate by it),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with the
base64-decoded part of the ``whsec_`` secret), computed with the reference
``standardwebhooks`` library.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from math import floor

import httpx
from standardwebhooks import Webhook

from levelwise.app.notify.ports import Delivery, SendResult

USER_AGENT = "levelwise-webhooks/1"
MAX_ERROR = 500
"""Characters of an error message or response body kept in the delivery log."""


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
    """POSTs deliveries with one pooled ``httpx.Client``.

    Args:
        timeout: Seconds for connecting and for the whole answer.
        now: Wall time for ``webhook-timestamp`` (receivers check it against
            their own clock, so it is the real time, not the worker's clock).
        transport: An httpx transport (tests); default: the network.
    """

    def __init__(
        self,
        timeout: float = 10.0,
        now: Callable[[], datetime] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Open the client (no connection is made yet)."""
        self._client = httpx.Client(
            timeout=timeout, transport=transport, follow_redirects=False
        )
        self._now = now or (lambda: datetime.now(UTC))

    def send(self, delivery: Delivery) -> SendResult:
        """POST one delivery; any 2xx is a success, anything else a failure."""
        headers = signed_headers(delivery, self._now())
        started = time.perf_counter()
        try:
            response = self._client.post(
                delivery.url, content=delivery.body.encode(), headers=headers
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
            return SendResult(None, error, _ms(started))
        if 200 <= response.status_code < 300:
            return SendResult(response.status_code, "", _ms(started))
        text = response.text[:MAX_ERROR]
        return SendResult(
            response.status_code, f"HTTP {response.status_code}: {text}", _ms(started)
        )

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
