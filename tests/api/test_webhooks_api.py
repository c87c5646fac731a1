"""``/v1/webhooks``: endpoints, delivery log and replay over HTTP."""

from __future__ import annotations

import base64

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.engine import Levelwise
from levelwise.app.notify.guard import UrlGuard
from levelwise.app.notify.ports import Attempt
from levelwise.app.notify.webhooks import RetryPolicy
from tests.api.conftest import FixedClock, assert_problem
from tests.support.notifications import PUBLIC_V4, FakeDns, level_up

pytestmark = pytest.mark.anyio


@pytest.fixture
def engine() -> Levelwise:
    """The engine of these tests: names resolve without the network, and the
    operator allows the loopback receiver 127.0.0.1 (and nothing else)."""
    resolver = FakeDns(example_test=[PUBLIC_V4], internal_example_test=["10.20.30.40"])
    guard = UrlGuard(allow_hosts=["127.0.0.1"], resolve=resolver)
    return Levelwise(InMemoryEventLog(), FixedClock(), webhook_guard=guard)


async def test_add_list_and_remove_an_endpoint(client, school_a, school_b):
    body = {"url": "https://example.test/hooks", "kinds": ["level_reached"]}
    created = await client.post("/v1/webhooks", json=body, headers=school_a)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["id"].startswith("ep_") and endpoint["kinds"] == ["level_reached"]
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    listed = (await client.get("/v1/webhooks", headers=school_a)).json()
    assert listed == [{k: v for k, v in endpoint.items() if k != "secret"}]
    assert (await client.get("/v1/webhooks", headers=school_b)).json() == []
    gone = await client.delete(f"/v1/webhooks/{endpoint['id']}", headers=school_b)
    assert_problem(gone, 404, "not-found")
    removed = await client.delete(f"/v1/webhooks/{endpoint['id']}", headers=school_a)
    assert removed.status_code == 204
    assert (await client.get("/v1/webhooks", headers=school_a)).json() == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"url": "ftp://example.test/x"}, "not an http or https URL"),
        ({"url": "https://example.test/x", "kinds": ["xp"]}, "unknown kind(s) xp"),
        ({"url": "https://example.test/x", "extra": 1}, "Extra inputs"),
    ],
    ids=["scheme", "kind", "extra-field"],
)
async def test_a_bad_endpoint_is_refused_and_nothing_is_stored(
    client, school_a, body, words
):
    response = await client.post("/v1/webhooks", json=body, headers=school_a)
    assert words in assert_problem(response, 422, "invalid-request")["detail"]
    assert (await client.get("/v1/webhooks", headers=school_a)).json() == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.2:8080/admin", "127.0.0.2 is a loopback address"),
        ("http://[::1]/h", "::1 is a loopback address"),
        ("http://10.0.0.5/h", "10.0.0.5 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:192.168.0.1]/h", "IPv4-mapped private address"),
        ("http://localhost:6379/", "'localhost' is a local name"),
        ("https://internal.example.test/h", "resolves to a private address"),
        ("https://user:pw@example.test/h", "user name or password"),
    ],
    ids=[
        "loopback",
        "loopback-v6",
        "private",
        "metadata",
        "mapped",
        "localhost",
        "name-to-private",
        "userinfo",
    ],
)
async def test_a_target_that_is_not_public_is_refused(client, school_a, url, words):
    response = await client.post("/v1/webhooks", json={"url": url}, headers=school_a)
    detail = assert_problem(response, 422, "invalid-request")["detail"]
    assert "refused" in detail and words in detail
    assert (await client.get("/v1/webhooks", headers=school_a)).json() == []


async def test_a_public_and_an_allowed_target_are_accepted(client, school_a):
    for url in (f"https://{PUBLIC_V4}/h", "http://127.0.0.1:9/h"):
        created = await client.post("/v1/webhooks", json={"url": url}, headers=school_a)
        assert created.status_code == 201, created.text


async def test_webhooks_need_a_key(client):
    assert_problem(await client.get("/v1/webhooks"), 401, "unauthenticated")


async def test_the_delivery_log_and_replay(client, engine, school_a):
    created = await client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=school_a
    )
    endpoint = created.json()["id"]
    engine.ingest("school-a", level_up())
    store = engine.log.outbox
    (delivery,) = store.claim_due("9999", "9999", 10, "school-a")
    attempt = Attempt(
        "school-a",
        delivery.notification_id,
        endpoint,
        1,
        "2026-01-01",
        500,
        "http_status",
        7,
    )
    store.record(attempt, None)
    log = await client.get(f"/v1/webhooks/{endpoint}/attempts", headers=school_a)
    assert log.json() == [
        {
            "notification_id": delivery.notification_id,
            "attempt": 1,
            "at": "2026-01-01",
            "status_code": 500,
            "error": "http_status",
            "duration_ms": 7,
        }
    ]
    replay = await client.post(
        "/v1/webhooks/replay",
        params={"id": delivery.notification_id},
        headers=school_a,
    )
    assert replay.json() == {"queued": 1}
    (again,) = store.claim_due("9999", "9999", 10, "school-a")
    assert again.notification_id == delivery.notification_id
    by_time = await client.post(
        "/v1/webhooks/replay",
        params={"since": "2025-12-31T00:00:00Z", "endpoint": endpoint},
        headers=school_a,
    )
    assert by_time.json() == {"queued": 1}


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({}, 422, "invalid-request"),
        ({"since": "yesterday"}, 422, "invalid-request"),
        ({"since": "2026-01-01T00:00:00Z", "endpoint": "ep_nope"}, 404, "not-found"),
    ],
    ids=["nothing-named", "bad-time", "unknown-endpoint"],
)
async def test_a_bad_replay_is_refused(client, school_a, params, status, slug):
    response = await client.post("/v1/webhooks/replay", params=params, headers=school_a)
    assert_problem(response, status, slug)


async def test_the_log_of_an_unknown_endpoint_is_not_found(client, school_a):
    response = await client.get("/v1/webhooks/ep_nope/attempts", headers=school_a)
    assert_problem(response, 404, "not-found")


def test_the_default_retry_schedule():
    policy = RetryPolicy()
    assert [policy.delay(n, 0.5) for n in range(1, 8)] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        None,
    ]
    assert policy.delay(1, 0.0) == pytest.approx(4.5)
    assert policy.delay(1, 1.0) == pytest.approx(5.5)


async def test_replay_refuses_what_is_not_a_notification_id(client, school_a):
    response = await client.post(
        "/v1/webhooks/replay", params={"id": "\u0084\x0fðR"}, headers=school_a
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert "id" in problem["detail"]
