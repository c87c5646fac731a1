"""Signed page links: tokens that open one page of one school until they expire.

A page link carries a token that names the school (tenant), the page kind
(``learner`` with its learner id, or ``dashboard``) and an expiry, signed with
HMAC-SHA256 (RFC 2104) under ``LEVELWISE_PAGE_SECRET``. Whoever holds the link
sees that page until it expires; nobody can change what it points at without
the secret.

When ``LEVELWISE_PAGE_SECRET`` is unset, each process draws a random secret
the first time it signs or checks a link: links then work only against the
server that made them and die when it restarts. Set the variable (the same
value on every server and for ``levelwise pages link``) to keep links valid
across restarts and machines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Literal
from urllib.parse import quote

from levelwise.errors import InvalidLinkError

PageKind = Literal["learner", "dashboard"]
MAX_TOKEN_LENGTH = 2000
"""The longest token :meth:`PageLinks.verify` reads; the links we sign (learner
ids of up to 200 characters) are well under it."""
_CONTEXT = b"levelwise-page-link-v1."


@cache
def _process_secret() -> bytes:
    """A random key drawn once per process (links die with the process)."""
    return secrets.token_bytes(32)


@dataclass(frozen=True)
class PageGrant:
    """What a valid token lets its holder see.

    Attributes:
        tenant: The school.
        page: ``learner`` or ``dashboard``.
        learner: The learner of a learner page ('' for the dashboard).
        expires_at: When the link stops working (UTC).
    """

    tenant: str
    page: PageKind
    learner: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PageLinks:
    """Signs and checks page-link tokens with one key.

    Args:
        secret: The HMAC key.
    """

    def __init__(self, secret: bytes) -> None:
        """Keep the key."""
        self._secret = secret

    @classmethod
    def from_secret(cls, secret: str | None) -> PageLinks:
        """Links signed with ``secret``, or with the process's own key if None."""
        return cls(_process_secret() if secret is None else secret.encode())

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._secret, _CONTEXT + payload.encode(), hashlib.sha256)
        return _b64(digest.digest())

    def sign(self, grant: PageGrant) -> str:
        """The token of ``grant``: ``<payload>.<signature>``, both base64url."""
        body = {
            "t": grant.tenant,
            "p": grant.page,
            "l": grant.learner,
            "e": int(grant.expires_at.timestamp()),
        }
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True)
        payload = _b64(raw.encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, now: datetime) -> PageGrant:
        """The grant a token carries, once its signature and expiry are checked.

        Raises:
            InvalidLinkError: The token is malformed or too long, its signature
                does not match, or it expired.
        """
        if len(token) > MAX_TOKEN_LENGTH:  # refused unread, like a bad signature
            msg = "the link is not valid"
            raise InvalidLinkError(msg)
        payload, _, mac = token.partition(".")
        # Bytes: compare_digest refuses a str with non-ASCII characters.
        expected = self._mac(payload).encode()
        if not payload or not hmac.compare_digest(mac.encode(), expected):
            msg = "the link is not valid"
            raise InvalidLinkError(msg)
        try:
            body = json.loads(_unb64(payload))
            page = body["p"]
            grant = PageGrant(
                str(body["t"]),
                page if page == "learner" else "dashboard",
                str(body["l"]),
                datetime.fromtimestamp(int(body["e"]), UTC),
            )
        except (
            ValueError,
            KeyError,
            TypeError,
            OverflowError,  # an expiry no datetime can hold (1e20, inf)
            OSError,  # the same, as some platforms' localtime says it
            binascii.Error,
        ) as exc:
            msg = "the link is not valid"
            raise InvalidLinkError(msg) from exc
        if grant.expires_at <= now:
            msg = "the link has expired"
            raise InvalidLinkError(msg)
        return grant

    def check(
        self, token: str, now: datetime, page: PageKind, learner: str = ""
    ) -> PageGrant:
        """Verify ``token`` and that it opens ``page`` (of ``learner``).

        Raises:
            InvalidLinkError: As :meth:`verify`, or the token is for another page.
        """
        grant = self.verify(token, now)
        if grant.page != page or grant.learner != learner:
            msg = "the link is for another page"
            raise InvalidLinkError(msg)
        return grant


def link_path(grant: PageGrant, token: str) -> str:
    """The path and query of the page ``grant`` opens, with its token."""
    if grant.page == "learner":
        return f"/pages/learner/{quote(grant.learner, safe='')}?t={token}"
    return f"/pages/dashboard?t={token}"
