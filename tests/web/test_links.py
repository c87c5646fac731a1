"""Signed page links: tokens, and ``POST /v1/pages/links``."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from levelwise.api import create_app
from levelwise.app.links import MAX_TOKEN_LENGTH, PageGrant, PageLinks, link_path
from levelwise.errors import InvalidLinkError
from tests.web.conftest import NOW, SECRET, token

pytestmark = pytest.mark.anyio
LINKS = PageLinks(SECRET.encode())


def test_a_token_round_trips():
    grant = PageGrant("s", "learner", "ana", NOW + timedelta(hours=1))

    assert LINKS.verify(LINKS.sign(grant), NOW) == grant
    assert LINKS.check(LINKS.sign(grant), NOW, "learner", "ana") == grant


def test_an_expired_token_is_refused():
    with pytest.raises(InvalidLinkError, match="expired"):
        LINKS.verify(token(hours=-1), NOW)


def tampered(original: str, **changes: str) -> str:
    payload, _, mac = original.partition(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(changes)
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + mac


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-dot",
        "a.b",
        tampered(token(), t="other-school"),
        tampered(token(), l="bo"),
        tampered(token(), p="dashboard", l=""),
        token(secret="another-secret"),
        token().partition(".")[0] + ".é",
    ],
    ids=[
        "empty",
        "no-dot",
        "junk",
        "tenant",
        "learner",
        "page",
        "other-key",
        "non-ascii-signature",
    ],
)
def test_a_tampered_or_foreign_token_is_refused(bad):
    with pytest.raises(InvalidLinkError, match="not valid"):
        LINKS.verify(bad, NOW)


def test_a_signed_but_unreadable_payload_is_refused():
    payload = base64.urlsafe_b64encode(b'{"t": "s"}').rstrip(b"=").decode()
    forged = payload + "." + LINKS._mac(payload)

    with pytest.raises(InvalidLinkError, match="not valid"):
        LINKS.verify(forged, NOW)


def signed(raw: str) -> str:
    """A token whose payload is ``raw``, signed with the test key (a forgery)."""
    payload = base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()
    return payload + "." + LINKS._mac(payload)


@pytest.mark.parametrize(
    "expiry",
    ["100000000000000000000", "-100000000000000000000", "1e400"],
    ids=["10^20", "-10^20", "infinite"],
)
def test_a_signed_expiry_no_clock_can_show_is_refused(expiry):
    forged = signed(f'{{"e":{expiry},"l":"ana","p":"learner","t":"s"}}')

    with pytest.raises(InvalidLinkError, match="not valid"):
        LINKS.verify(forged, NOW)


def test_a_token_longer_than_any_link_is_refused_even_if_signed():
    longest_id = PageGrant("s" * 200, "learner", "a" * 200, NOW + timedelta(hours=1))
    too_long = PageGrant("s", "learner", "a" * 2000, NOW + timedelta(hours=1))

    assert LINKS.verify(LINKS.sign(longest_id), NOW) == longest_id
    assert len(LINKS.sign(too_long)) > MAX_TOKEN_LENGTH
    with pytest.raises(InvalidLinkError, match="not valid"):
        LINKS.verify(LINKS.sign(too_long), NOW)


@pytest.mark.parametrize(
    ("page", "learner"), [("learner", "bo"), ("dashboard", "")], ids=str
)
def test_a_token_opens_only_its_own_page(page, learner):
    with pytest.raises(InvalidLinkError, match="another page"):
        LINKS.check(token(), NOW, page, learner)


def test_without_a_secret_the_process_key_is_used():
    first = PageLinks.from_secret(None)
    second = PageLinks.from_secret(None)
    grant = PageGrant("s", "dashboard", "", NOW + timedelta(hours=1))

    assert second.verify(first.sign(grant), NOW) == grant
    with pytest.raises(InvalidLinkError):
        LINKS.verify(first.sign(grant), NOW)


def test_link_paths_quote_the_learner():
    grant = PageGrant("s", "learner", "a/b c", NOW)

    assert link_path(grant, "T") == "/pages/learner/a%2Fb%20c?t=T"
    assert link_path(PageGrant("s", "dashboard", "", NOW), "T") == (
        "/pages/dashboard?t=T"
    )


async def test_the_api_makes_a_learner_link_that_opens(client, key):
    r = await client.post(
        "/v1/pages/links", json={"page": "learner", "learner": "ana"}, headers=key
    )

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["url"].startswith("http://levelwise.test/pages/learner/ana?t=")
    assert body["expires_at"] == "2026-01-08T00:00:00Z"
    page = await client.get(body["url"])
    assert page.status_code == 200
    assert 'data-learner="ana"' in page.text


async def test_the_api_makes_a_dashboard_link(client, key):
    r = await client.post(
        "/v1/pages/links", json={"page": "dashboard", "hours": 720}, headers=key
    )

    assert r.status_code == 201
    assert "/pages/dashboard?t=" in r.json()["url"]
    assert r.json()["expires_at"] == "2026-02-06T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"page": "learner"}, 422),
        ({"page": "dashboard", "learner": "ana"}, 422),
        ({"page": "learner", "learner": "ana", "hours": 721}, 422),
        ({"page": "learner", "learner": "ana", "hours": 0}, 422),
        ({"page": "other"}, 422),
        ({"page": "learner", "learner": "nobody"}, 404),
    ],
    ids=["no-learner", "dashboard-learner", "too-long", "zero", "page", "unknown"],
)
async def test_bad_link_requests_are_problems(client, key, body, status):
    r = await client.post("/v1/pages/links", json=body, headers=key)

    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"


async def test_links_need_an_api_key(client):
    r = await client.post("/v1/pages/links", json={"page": "dashboard"})

    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_an_app_without_pages_still_signs_links(engine, key):
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
        r = await c.post("/v1/pages/links", json={"page": "dashboard"}, headers=key)
        again = await c.post("/v1/pages/links", json={"page": "dashboard"}, headers=key)

    assert r.status_code == again.status_code == 201
    assert r.json()["url"] == again.json()["url"]
