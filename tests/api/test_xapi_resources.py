"""The xAPI record store over HTTP: every ``/xapi/`` resource, as a client sees it.

The app runs over the in-memory stores; the tests that define what is stored
and found again run on SQLite and PostgreSQL too (``lrs``), the others on
memory only (``mem``). The record store's clock ticks one second per stamp, so
``stored``, ``Last-Modified`` and ``since`` are exact without waiting.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.xapi import InMemoryXapiStore
from levelwise.adapters.sql.xapi import SqlXapiStore
from levelwise.api import create_app
from levelwise.api.routes.xapi._request import MAX_BODY_BYTES
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import Stores, engine_over, memory_stores, open_stores
from tests.api.conftest import FixedClock
from tests.support.factories import new_tenant
from tests.support.jws import certificate, jws, rsa_key
from tests.support.postgres import postgres_engine, postgres_url

pytestmark = pytest.mark.anyio

V2, V1 = "2.0.0", "1.0.3"
VERSION = "X-Experience-API-Version"
THROUGH = "X-Experience-API-Consistent-Through"
ADL = "http://adlnet.gov/expapi/verbs/"
ATTEMPTED, ANSWERED, COMPLETED = ADL + "attempted", ADL + "answered", ADL + "completed"
VOIDED = ADL + "voided"
Q1, Q2 = "https://school.example/q/1", "https://school.example/q/2"
COURSE = "https://school.example/course"
ANA = {"objectType": "Agent", "mbox": "mailto:ana@school.example", "name": "Ana"}
BOB = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.school.example", "name": "bob"},
}
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
NOTES_USAGE = "https://school.example/attachments/notes"
STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Ticks:
    """A clock one second further at every call."""

    def __init__(self) -> None:
        self.at = datetime(2027, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@contextmanager
def stores_on(kind: str, tmp_path: Path) -> Iterator[Stores]:
    """The stores of ``kind``, with the record store on a ticking clock."""
    if kind == "memory":
        stores = memory_stores()
        yield replace(stores, xapi=InMemoryXapiStore(Ticks()))
        return
    if kind == "postgres":
        postgres_engine().dispose()  # skip, or fail in CI, when it is down
        stores = open_stores(postgres_url())
    else:
        stores = open_stores(f"sqlite:///{tmp_path / 'lrs.db'}")
    sql = stores.log.engine  # type: ignore[attr-defined]
    try:
        yield replace(stores, xapi=SqlXapiStore(sql, Ticks()))
    finally:
        sql.dispose()


def basic(key: str, secret: str) -> str:
    """An ``Authorization: Basic`` value."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@dataclass
class Lrs:
    """An app over one engine, and one school's LRS client."""

    engine: Levelwise
    http: httpx.AsyncClient
    tenant: str
    key: str
    secret: str

    def headers(self, version: str = V2, **extra: str) -> dict[str, str]:
        return {
            "Authorization": basic(self.key, self.secret),
            VERSION: version,
            **extra,
        }

    def client(self, label: str = "other") -> tuple[str, str]:
        """Another LRS client of this school: its key and secret."""
        assert self.engine.xapi is not None
        made = self.engine.xapi.add_client(self.tenant, label)
        return made.client.key, made.secret

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        version: str = V2,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.request(
            method,
            path,
            params=params,
            content=content,
            headers={**self.headers(version), **(headers or {})},
        )

    async def post(self, body: Any, version: str = V2) -> httpx.Response:
        return await self.request(
            "POST",
            "/xapi/statements",
            content=json.dumps(body).encode(),
            version=version,
            headers={"Content-Type": "application/json"},
        )

    async def put(
        self, statement: dict[str, Any], statement_id: str | None = None
    ) -> httpx.Response:
        return await self.request(
            "PUT",
            "/xapi/statements",
            params={"statementId": statement_id or statement["id"]},
            content=json.dumps(statement).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def get(self, version: str = V2, **params: str) -> httpx.Response:
        return await self.request(
            "GET", "/xapi/statements", params=params, version=version
        )

    async def one(self, statement_id: str, **params: str) -> dict[str, Any]:
        r = await self.get(statementId=statement_id, **params)
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    async def ids(self, **params: str) -> list[str]:
        """The ids a query answers (one page: the tests hold fewer than 500)."""
        r = await self.get(**params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["statements"]]


@dataclass(frozen=True)
class Served:
    """One engine and its app."""

    engine: Levelwise
    app: FastAPI


class Apps:
    """The module's apps, one per store, each made when a test first needs it.

    Building an app's routes costs a few tenths of a second at its first
    request, so an app serves every test of the module, each a new school.
    """

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._served: dict[str, Served] = {}
        self._open = ExitStack()

    def __call__(self, kind: str) -> Served:
        if kind not in self._served:
            stores = self._open.enter_context(stores_on(kind, self._tmp_path))
            engine = engine_over(stores, FixedClock())
            self._served[kind] = Served(engine, create_app(engine))
        return self._served[kind]

    def close(self) -> None:
        self._open.close()


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    made = Apps(tmp_path_factory.mktemp("lrs"))
    yield made
    made.close()


async def lrs_over(
    served: Served, school: tuple[str, str, str] | None = None
) -> AsyncIterator[Lrs]:
    """An HTTP client of the app for ``school`` (tenant, key, secret) or a new one."""
    engine = served.engine
    if school is None:
        tenant = new_tenant()
        assert engine.xapi is not None
        made = engine.xapi.add_client(tenant, "lms")
        school = (tenant, made.client.key, made.secret)
    transport = httpx.ASGITransport(app=served.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as http:
        yield Lrs(engine, http, *school)


@pytest.fixture(params=STORES)
async def lrs(request: pytest.FixtureRequest, apps: Apps) -> AsyncIterator[Lrs]:
    """A school's LRS on each store in turn."""
    async for made in lrs_over(apps(request.param)):
        yield made


@pytest.fixture
async def mem(apps: Apps) -> AsyncIterator[Lrs]:
    """A school's LRS on the in-memory stores."""
    async for made in lrs_over(apps("memory")):
        yield made


def stmt(
    verb: str = ATTEMPTED,
    activity: str = Q1,
    *,
    actor: dict[str, Any] | None = None,
    id_: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid statement (with an id unless ``id_`` is ``""``)."""
    made: dict[str, Any] = {
        "actor": actor or ANA,
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }
    if id_ != "":
        made["id"] = id_ or str(uuid.uuid4())
    return made


def voiding(target: str) -> dict[str, Any]:
    return stmt(
        VOIDED,
        actor=ANA,
        object={"objectType": "StatementRef", "id": target},
    )


def stored_at(statement: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(statement["stored"])


# -- authentication -----------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer lw_key", "Basic", "Basic !!not-base64!!", "Basic bm9jb2xvbg=="],
    ids=["none", "bearer", "empty", "malformed", "no-colon"],
)
async def test_a_request_without_basic_credentials_is_challenged(mem, authorization):
    headers = {VERSION: V2}
    if authorization is not None:
        headers["Authorization"] = authorization

    r = await mem.http.get("/xapi/statements", headers=headers)

    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.headers[VERSION] == V2
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_wrong_secret_is_refused_and_stores_nothing(lrs):
    sent = stmt()

    r = await lrs.http.post(
        "/xapi/statements",
        json=sent,
        headers={VERSION: V2, "Authorization": basic(lrs.key, "not-the-secret")},
    )

    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert (await lrs.get(statementId=sent["id"])).status_code == 404
    assert await lrs.ids() == []


async def test_a_revoked_client_is_refused_at_once(lrs):
    key, secret = lrs.client("tablet")
    auth = {VERSION: V2, "Authorization": basic(key, secret)}
    assert (await lrs.http.get("/xapi/statements", headers=auth)).status_code == 200
    assert lrs.engine.xapi is not None

    assert lrs.engine.xapi.remove_client(lrs.tenant, key)
    refused = await lrs.http.post("/xapi/statements", json=stmt(), headers=auth)

    assert refused.status_code == 401
    assert (await lrs.http.get("/xapi/statements", headers=auth)).status_code == 401
    assert await lrs.ids() == []  # the school's other client still works


async def test_another_school_never_sees_this_schools_statements_or_documents(lrs):
    assert lrs.engine.xapi is not None
    other = lrs.engine.xapi.add_client(new_tenant(), "other school")
    theirs = {VERSION: V2, "Authorization": basic(other.client.key, other.secret)}
    ours = stmt(ANSWERED)
    assert (await lrs.put(ours)).status_code == 204
    state = {"stateId": "bookmark", "activityId": Q1, "agent": json.dumps(ANA)}
    put = await lrs.request(
        "PUT", "/xapi/activities/state", params=state, content=b'{"page": 3}'
    )
    assert put.status_code == 204

    by_id = await lrs.http.get(
        "/xapi/statements", params={"statementId": ours["id"]}, headers=theirs
    )
    query = await lrs.http.get("/xapi/statements", headers=theirs)
    doc = await lrs.http.get("/xapi/activities/state", params=state, headers=theirs)
    listed = await lrs.http.get(
        "/xapi/activities/state",
        params={"activityId": Q1, "agent": json.dumps(ANA)},
        headers=theirs,
    )
    # The same id is free in the other school: its statement is its own.
    own = {**ours, "verb": {"id": COMPLETED}}
    same_id = await lrs.http.put(
        "/xapi/statements",
        params={"statementId": ours["id"]},
        json=own,
        headers=theirs,
    )

    assert by_id.status_code == 404
    assert query.json()["statements"] == []
    assert doc.status_code == 404
    assert listed.json() == []
    assert same_id.status_code == 204
    assert (await lrs.one(ours["id"]))["verb"]["id"] == ANSWERED
    assert (
        await lrs.request("GET", "/xapi/activities/state", params=state)
    ).json() == {"page": 3}


async def test_about_needs_no_credentials_and_names_both_versions(mem):
    r = await mem.http.get("/xapi/about")
    head = await mem.http.head("/xapi/about")

    assert r.status_code == 200
    assert r.json()["version"] == ["2.0.0", "1.0.3"]
    assert r.headers[VERSION] == V2
    assert head.status_code == 200 and head.content == b""


# -- versions -----------------------------------------------------------------


async def test_a_missing_version_is_refused_and_the_answer_names_one(mem):
    r = await mem.http.get(
        "/xapi/statements", headers={"Authorization": basic(mem.key, mem.secret)}
    )

    assert r.status_code == 400
    assert "X-Experience-API-Version" in r.json()["detail"]
    assert r.headers[VERSION] == V2
    assert THROUGH in r.headers


@pytest.mark.parametrize(
    ("asked", "spoken"),
    [
        ("2.0.0", "2.0.0"),
        ("2.0", "2.0.0"),
        ("2.0.9", "2.0.0"),
        ("1.0.3", "1.0.3"),
        ("1.0.1", "1.0.3"),
        ("1.0", "1.0.3"),
    ],
)
async def test_a_version_is_answered_in_the_version_spoken(mem, asked, spoken):
    r = await mem.get(version=asked)

    assert r.status_code == 200
    assert r.headers[VERSION] == spoken


@pytest.mark.parametrize("asked", ["3.0.0", "1.0.4", "1.1.0", "0.95", "2", "two"])
async def test_an_unknown_version_is_refused(mem, asked):
    sent = stmt()

    r = await mem.post(sent, version=asked)

    assert r.status_code == 400
    assert r.headers[VERSION] == V2
    assert (await mem.get(statementId=sent["id"])).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/xapi/statements", {"statementId": str(uuid.uuid4())}),
        ("GET", "/xapi/statements", {"bogus": "1"}),
        ("PUT", "/xapi/statements", {}),
        ("GET", "/xapi/activities", {}),
        ("GET", "/xapi/agents", {"agent": "{}"}),
        ("GET", "/xapi/activities/state", {}),
    ],
    ids=["404", "400", "put-without-id", "no-activity", "bad-agent", "state"],
)
async def test_every_answer_names_the_version_errors_too(mem, method, path, params):
    r = await mem.request(method, path, params=params, version="1.0.2")

    assert r.status_code in (400, 404)
    assert r.headers[VERSION] == V1


async def test_a_405_names_the_version_too(mem):
    r = await mem.request("DELETE", "/xapi/statements")

    assert r.status_code == 405
    assert r.headers[VERSION]
    assert "DELETE" not in r.headers["allow"] and "POST" in r.headers["allow"]
    assert r.headers[VERSION] == V2


# -- statements: storing ------------------------------------------------------


async def test_a_put_statement_is_served_back_with_what_the_lrs_adds(lrs):
    sent = stmt(ANSWERED, result={"success": True})

    r = await lrs.put(sent)
    got = await lrs.get(statementId=sent["id"])

    assert r.status_code == 204 and r.content == b""
    assert got.status_code == 200
    served = got.json()
    assert {k: served[k] for k in sent} == sent
    assert served["version"] == "2.0.0"
    assert served["authority"]["account"]["name"] == lrs.key
    assert served["timestamp"] == served["stored"]  # none sent: stored
    assert parsedate_to_datetime(got.headers["Last-Modified"]) == stored_at(served)
    assert datetime.fromisoformat(got.headers[THROUGH]) >= stored_at(served)


@pytest.mark.parametrize(
    ("version", "timestamp", "served_as", "statement_version"),
    [
        (V2, "2026-01-05T10:00:00.123+01:00", "2026-01-05T09:00:00.123000Z", "2.0.0"),
        (V1, "2026-01-05T10:00:00.123+01:00", "2026-01-05T10:00:00.123+01:00", "1.0.0"),
    ],
    ids=["2.0.0-in-utc", "1.0.3-as-sent"],
)
async def test_timestamps_and_versions_follow_the_version_spoken(
    lrs, version, timestamp, served_as, statement_version
):
    sent = stmt(timestamp=timestamp)

    r = await lrs.post(sent, version=version)

    assert r.status_code == 200
    served = await lrs.one(sent["id"])
    assert served["timestamp"] == served_as
    assert served["version"] == statement_version
    assert served["stored"].endswith("Z")


async def test_a_timestamp_without_a_zone_is_refused(mem):
    r = await mem.post(stmt(timestamp="2026-01-05T10:00:00"))

    assert r.status_code == 400
    assert "timestamp" in r.json()["detail"]
    assert await mem.ids() == []


async def test_post_answers_the_ids_in_order_and_assigns_missing_ones(lrs):
    first, third = stmt(), stmt(COMPLETED)
    no_id = stmt(ANSWERED, Q2, id_="")

    one = await lrs.post(stmt(COMPLETED, COURSE, id_=""))
    many = await lrs.post([first, no_id, third])

    assert one.status_code == 200 and many.status_code == 200
    [assigned] = one.json()
    assert uuid.UUID(assigned).version == 4
    ids = many.json()
    assert [ids[0], ids[2]] == [first["id"], third["id"]]
    assert uuid.UUID(ids[1])
    assert (await lrs.one(ids[1]))["object"]["id"] == Q2
    assert (await lrs.one(assigned))["object"]["id"] == COURSE
    assert sorted(await lrs.ids()) == sorted([assigned, *ids])


async def test_the_same_id_with_the_same_body_is_fine_and_another_conflicts(lrs):
    sent = stmt(ANSWERED, result={"success": True})
    assert (await lrs.put(sent)).status_code == 204
    before = await lrs.one(sent["id"])

    again = await lrs.put(sent)
    posted_again = await lrs.post([sent])
    other = {**sent, "result": {"success": False}}
    conflict_put = await lrs.put(other)
    conflict_post = await lrs.post([stmt(), other])

    assert again.status_code == 204
    assert posted_again.status_code == 200 and posted_again.json() == [sent["id"]]
    assert conflict_put.status_code == 409
    assert conflict_post.status_code == 409
    assert await lrs.one(sent["id"]) == before
    assert await lrs.ids() == [sent["id"]]  # the batch's other statement too


async def test_a_batch_with_one_invalid_statement_stores_none_of_it(lrs):
    good, bad = stmt(), stmt(COMPLETED)
    del bad["verb"]

    r = await lrs.post([good, bad])

    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert (await lrs.get(statementId=good["id"])).status_code == 404
    assert await lrs.ids() == []


async def test_a_request_of_over_1000_statements_is_refused(mem):
    r = await mem.post([stmt() for _ in range(1001)])

    assert r.status_code == 400
    assert "at most 1000" in r.json()["detail"]
    assert await mem.ids() == []


async def test_a_batch_repeating_an_id_is_refused_whole(mem):
    sent = stmt()

    r = await mem.post([sent, {**sent, "verb": {"id": COMPLETED}}])
    same = await mem.post([sent, sent])

    assert r.status_code == 400 and same.status_code == 400
    assert await mem.ids() == []


@pytest.mark.parametrize(
    ("params", "body", "content_type"),
    [
        ({}, b"{}", "application/json"),  # no statementId
        ({"statementId": "not-a-uuid"}, None, "application/json"),
        ({"statementId": str(uuid.uuid4())}, None, "application/json"),  # id differs
        ({"statementId": "S", "limit": "1"}, None, "application/json"),
        ({"statementId": "S"}, b"[]", "application/json"),  # a PUT takes one
        ({"statementId": "S"}, b"{not json", "application/json"),
        ({"statementId": "S"}, b'{"id": "x", "id": "y"}', "application/json"),
        ({"statementId": "S"}, None, "text/plain"),
    ],
    ids=[
        "no-id",
        "not-uuid",
        "id-differs",
        "extra-param",
        "array",
        "not-json",
        "repeated-key",
        "media",
    ],
)
async def test_a_malformed_put_is_refused_and_stores_nothing(
    mem, params, body, content_type
):
    sent = stmt()
    params = {k: sent["id"] if v == "S" else v for k, v in params.items()}

    r = await mem.request(
        "PUT",
        "/xapi/statements",
        params=params,
        content=body if body is not None else json.dumps(sent).encode(),
        headers={"Content-Type": content_type},
    )

    assert r.status_code == 400, r.text
    assert await mem.ids() == []


async def test_a_post_with_a_parameter_is_refused(mem):
    r = await mem.request(
        "POST",
        "/xapi/statements",
        params={"statementId": str(uuid.uuid4())},
        content=json.dumps(stmt()).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert r.status_code == 400
    assert await mem.ids() == []


async def test_an_unknown_statement_is_not_found(lrs):
    assert (await lrs.put(stmt())).status_code == 204

    r = await lrs.get(statementId=str(uuid.uuid4()))
    voided = await lrs.get(voidedStatementId=str(uuid.uuid4()))

    assert r.status_code == 404 and voided.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


# -- statements: queries ------------------------------------------------------

REGISTRATION = str(uuid.uuid4())


def seed() -> dict[str, dict[str, Any]]:
    """Four statements stored in this order, each matching other filters."""
    return {
        "s1": stmt(
            ANSWERED,
            Q1,
            actor=ANA,
            context={"registration": REGISTRATION},
        ),
        "s2": stmt(
            COMPLETED,
            COURSE,
            actor=BOB,
            context={
                "instructor": ANA,
                "contextActivities": {"parent": [{"id": Q1}]},
            },
        ),
        "s3": stmt(COMPLETED, Q2, actor=ANA),
        "s4": stmt(ATTEMPTED, actor=BOB, object=ANA),
    }


Seeded = tuple[Lrs, dict[str, dict[str, Any]], dict[str, str]]


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[tuple[str, str, str], dict[str, Any], dict[str, str]]]:
    """The seeded school of each store: made once, read by every query test."""
    return {}


@pytest.fixture(params=STORES)
async def seeded(
    request: pytest.FixtureRequest, apps: Apps, seeds: dict[str, Any]
) -> AsyncIterator[Seeded]:
    """A school holding :func:`seed`'s statements, their ``stored`` by name."""
    kind = request.param
    served = apps(kind)
    if kind not in seeds:
        async for lrs in lrs_over(served):
            sent = seed()
            for s in sent.values():
                assert (await lrs.post(s)).status_code == 200
            stored = {n: (await lrs.one(s["id"]))["stored"] for n, s in sent.items()}
            seeds[kind] = ((lrs.tenant, lrs.key, lrs.secret), sent, stored)
    school, sent, stored = seeds[kind]
    async for lrs in lrs_over(served, school):
        yield lrs, sent, stored


def at(stored: dict[str, str], ref: str) -> str:
    """``stored`` of the statement ``ref`` names (``s2``), in its offset if any."""
    name, zone = ref[:2], ref[2:]
    if not zone:
        return stored[name]
    offset = datetime.strptime(zone, "%z").tzinfo
    return datetime.fromisoformat(stored[name]).astimezone(offset).isoformat()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["s4", "s3", "s2", "s1"]),  # newest first
        ({"ascending": "true"}, ["s1", "s2", "s3", "s4"]),
        ({"agent": json.dumps(ANA)}, ["s4", "s3", "s1"]),  # actor or object
        ({"agent": json.dumps(BOB)}, ["s4", "s2"]),
        (
            {"agent": json.dumps(ANA), "related_agents": "true"},
            ["s4", "s3", "s2", "s1"],
        ),
        ({"verb": COMPLETED}, ["s3", "s2"]),
        ({"activity": Q1}, ["s1"]),
        ({"activity": Q1, "related_activities": "true"}, ["s2", "s1"]),
        ({"registration": REGISTRATION}, ["s1"]),
        ({"registration": REGISTRATION.upper()}, ["s1"]),
        ({"verb": COMPLETED, "agent": json.dumps(ANA)}, ["s3"]),
        ({"limit": "2"}, ["s4", "s3"]),
        ({"limit": "2", "ascending": "true"}, ["s1", "s2"]),
        ({"since": "s2"}, ["s4", "s3"]),  # after s2 was stored (exclusive)
        ({"until": "s2"}, ["s2", "s1"]),  # up to s2 (inclusive)
        ({"since": "s1", "until": "s3", "ascending": "true"}, ["s2", "s3"]),
        ({"since": "s2+01:00"}, ["s4", "s3"]),  # the same moment, another offset
    ],
    ids=[
        "all",
        "ascending",
        "agent-ana",
        "agent-bob",
        "related-agents",
        "verb",
        "activity",
        "related-activities",
        "registration",
        "registration-case",
        "verb-and-agent",
        "limit",
        "limit-ascending",
        "since",
        "until",
        "since-until",
        "since-in-another-zone",
    ],
)
async def test_a_query_filters_as_the_specification_says(seeded, params, expected):
    lrs, sent, stored = seeded
    asked = {
        k: at(stored, v) if k in ("since", "until") else v for k, v in params.items()
    }

    r = await lrs.get(**asked)

    assert r.status_code == 200, r.text
    names = {s["id"]: name for name, s in sent.items()}
    assert [names[s["id"]] for s in r.json()["statements"]] == expected
    more = r.json()["more"]
    assert bool(more) == (params.get("limit") == "2")


async def test_more_pages_stay_consistent_while_statements_arrive(lrs):
    first = [stmt() for _ in range(5)]
    for s in first:
        assert (await lrs.post(s)).status_code == 200
    newest_first = [s["id"] for s in reversed(first)]

    page1 = (await lrs.get(limit="2")).json()
    arrived = [stmt() for _ in range(3)]
    assert (await lrs.post(arrived)).status_code == 200
    seen = [s["id"] for s in page1["statements"]]
    link = page1["more"]
    pages = 1
    while link:
        assert link.startswith("/xapi/statements?more=")
        r = await lrs.http.get(link, headers=lrs.headers())
        assert r.status_code == 200, r.text
        seen += [s["id"] for s in r.json()["statements"]]
        link = r.json()["more"]
        pages += 1

    assert seen == newest_first  # no repeat, no gap, none of the new ones
    assert pages == 3
    assert len(await lrs.ids()) == 8


async def test_ascending_pages_continue_into_what_arrives(lrs):
    first = [stmt() for _ in range(3)]
    for s in first:
        assert (await lrs.post(s)).status_code == 200

    page1 = (await lrs.get(limit="2", ascending="true")).json()
    arrived = stmt()
    assert (await lrs.post(arrived)).status_code == 200
    page2 = (await lrs.http.get(page1["more"], headers=lrs.headers())).json()

    seen = [s["id"] for s in page1["statements"] + page2["statements"]]
    assert seen == [s["id"] for s in first] + [arrived["id"]]
    assert page2["more"] == ""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"more": "not-a-link!"}, "more: not a link this LRS gave"),
        (
            {"more": base64.urlsafe_b64encode(b"[1, 2]").decode()},
            "more: not a link this LRS gave",
        ),
        ({"more": "e30", "limit": "1"}, "'more' takes no other parameter"),
    ],
    ids=["garbage", "not-an-object", "with-other-params"],
)
async def test_a_more_link_the_lrs_did_not_give_is_refused(mem, params, message):
    r = await mem.get(**params)

    assert r.status_code == 400
    assert message in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bogus": "1"}, "unknown statements parameter 'bogus'"),
        ({"statementId": "S", "verb": COMPLETED}, "takes no parameter 'verb'"),
        ({"statementId": "S", "voidedStatementId": "S"}, "not both"),
        ({"statementId": "not-a-uuid"}, "must be a UUID"),
        ({"agent": "not json"}, "agent: not JSON"),
        ({"agent": json.dumps({"mbox": "ana@school.example"})}, "mbox"),
        ({"verb": "not an iri"}, "verb: must be an IRI"),
        ({"activity": "no-iri"}, "activity: must be an IRI"),
        ({"registration": "not-a-uuid"}, "registration: must be a UUID"),
        ({"limit": "-1"}, "limit: must be a non-negative integer"),
        ({"ascending": "yes"}, "ascending: must be true or false"),
        ({"format": "full"}, "format: must be one of"),
        ({"since": "yesterday"}, "since: must be an ISO 8601 timestamp"),
    ],
    ids=[
        "unknown",
        "id-with-filter",
        "both-ids",
        "bad-id",
        "agent-not-json",
        "agent-invalid",
        "verb",
        "activity",
        "registration",
        "limit",
        "flag",
        "format",
        "since",
    ],
)
async def test_a_bad_query_parameter_is_refused(mem, params, message):
    sent = stmt()
    assert (await mem.put(sent)).status_code == 204
    params = {k: sent["id"] if v == "S" else v for k, v in params.items()}

    r = await mem.get(**params)

    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]


async def test_a_repeated_parameter_is_refused(mem):
    r = await mem.http.get(
        f"/xapi/statements?{urlencode([('verb', ANSWERED), ('verb', COMPLETED)])}",
        headers=mem.headers(),
    )

    assert r.status_code == 400


def multilingual() -> dict[str, Any]:
    made = stmt(
        ANSWERED,
        object={
            "objectType": "Activity",
            "id": Q1,
            "definition": {
                "name": {"en-US": "Question one", "fr-FR": "Question un"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            },
        },
    )
    made["verb"]["display"] = {"en-US": "answered", "fr-FR": "a répondu"}
    return made


async def test_the_ids_format_keeps_identifiers_only(lrs):
    sent = multilingual()
    assert (await lrs.post(sent)).status_code == 200

    got = await lrs.one(sent["id"], format="ids")
    listed = (await lrs.get(format="ids")).json()["statements"]

    assert got["actor"] == {"objectType": "Agent", "mbox": ANA["mbox"]}
    assert got["verb"] == {"id": ANSWERED}
    assert got["object"] == {"id": Q1}
    assert got["authority"]["account"]["name"] == lrs.key
    assert listed == [got]


@pytest.mark.parametrize(
    ("accept", "display", "name"),
    [
        ("fr-FR", {"fr-FR": "a répondu"}, {"fr-FR": "Question un"}),
        ("de-DE, en;q=0.8, fr;q=0.5", {"en-US": "answered"}, {"en-US": "Question one"}),
        ("fr;q=0.9, en-US;q=0.1", {"fr-FR": "a répondu"}, {"fr-FR": "Question un"}),
        ("ja", {"en-US": "answered"}, {"en-US": "Question one"}),  # first entry
        ("fr;q=high, en-US", {"en-US": "answered"}, {"en-US": "Question one"}),
    ],
)
async def test_the_canonical_format_keeps_one_language(mem, accept, display, name):
    sent = multilingual()
    assert (await mem.post(sent)).status_code == 200

    r = await mem.request(
        "GET",
        "/xapi/statements",
        params={"statementId": sent["id"], "format": "canonical"},
        headers={"Accept-Language": accept},
    )
    exact = await mem.one(sent["id"], format="exact")

    assert r.json()["verb"]["display"] == display
    assert r.json()["object"]["definition"]["name"] == name
    assert r.json()["actor"] == ANA
    assert exact["verb"]["display"] == sent["verb"]["display"]
    assert exact["object"]["definition"]["name"] == sent["object"]["definition"]["name"]


async def test_head_answers_the_headers_of_get_without_a_body(lrs):
    sent = stmt()
    assert (await lrs.post(sent)).status_code == 200

    get = await lrs.get(statementId=sent["id"])
    head = await lrs.request(
        "HEAD", "/xapi/statements", params={"statementId": sent["id"]}
    )
    query_head = await lrs.request("HEAD", "/xapi/statements")
    missing = await lrs.request(
        "HEAD", "/xapi/statements", params={"statementId": str(uuid.uuid4())}
    )

    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]
    assert head.headers[VERSION] == V2 and THROUGH in head.headers
    assert query_head.status_code == 200 and query_head.content == b""
    assert missing.status_code == 404 and missing.content == b""


async def test_consistent_through_covers_every_statement_answered(lrs):
    assert (await lrs.post([stmt(), stmt(), stmt()])).status_code == 200

    r = await lrs.get()

    through = datetime.fromisoformat(r.headers[THROUGH])
    assert r.headers[THROUGH].endswith("Z")
    assert all(stored_at(s) <= through for s in r.json()["statements"])
    assert len(r.json()["statements"]) == 3


# -- voiding ------------------------------------------------------------------


async def test_a_voided_statement_is_found_only_as_voided(lrs):
    target, other = stmt(ANSWERED), stmt(COMPLETED, Q2)
    assert (await lrs.post([target, other])).status_code == 200
    void = voiding(target["id"])

    r = await lrs.post(void)

    assert r.status_code == 200
    assert (await lrs.get(statementId=target["id"])).status_code == 404
    found = await lrs.get(voidedStatementId=target["id"])
    assert found.status_code == 200 and found.json()["id"] == target["id"]
    assert "Last-Modified" in found.headers
    assert (await lrs.get(voidedStatementId=void["id"])).status_code == 404
    assert await lrs.ids() == [void["id"], other["id"]]
    # A statement referring to a match matches too (Communication 2.1.3).
    assert await lrs.ids(verb=ANSWERED) == [void["id"]]
    assert await lrs.ids(activity=Q1) == [void["id"]]


async def test_voiding_a_voiding_statement_does_not_void_it(lrs):
    target = stmt(ANSWERED)
    first = voiding(target["id"])
    assert (await lrs.post([target, first])).status_code == 200

    r = await lrs.post(voiding(first["id"]))

    assert r.status_code == 200
    assert (await lrs.one(first["id"]))["verb"]["id"] == VOIDED
    assert (await lrs.get(voidedStatementId=first["id"])).status_code == 404
    assert (await lrs.get(statementId=target["id"])).status_code == 404


async def test_a_statement_voided_before_it_arrives_arrives_voided(lrs):
    later = stmt(ANSWERED)
    assert (await lrs.post(voiding(later["id"]))).status_code == 200

    assert (await lrs.put(later)).status_code == 204

    assert (await lrs.get(statementId=later["id"])).status_code == 404
    assert (await lrs.get(voidedStatementId=later["id"])).status_code == 200


# -- attachments --------------------------------------------------------------

BOUNDARY = "xapi-test-boundary"


def attachment_of(
    content: bytes, content_type: str = "text/plain", **extra: Any
) -> dict[str, Any]:
    """The attachment object that declares ``content``."""
    return {
        "usageType": NOTES_USAGE,
        "display": {"en-US": "notes"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def part(
    content: bytes,
    content_type: str = "text/plain",
    *,
    sha2: str | None = None,
    binary: bool = True,
) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": content_type,
        "X-Experience-API-Hash": sha2 or hashlib.sha256(content).hexdigest(),
    }
    if binary:
        headers["Content-Transfer-Encoding"] = "binary"
    return headers, content


def multipart(statements: Any, parts: list[tuple[dict[str, str], bytes]]) -> bytes:
    """A ``multipart/mixed`` body: the statements, then each part."""
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(statements).encode(),
        b"\r\n",
    ]
    for headers, content in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks += [f"--{BOUNDARY}\r\n{head}\r\n".encode(), content, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


async def post_multipart(
    lrs: Lrs, statements: Any, parts: list[tuple[dict[str, str], bytes]]
) -> httpx.Response:
    return await lrs.request(
        "POST",
        "/xapi/statements",
        content=multipart(statements, parts),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )


def parse_multipart(r: httpx.Response) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart response, read by the standard library."""
    head = f"Content-Type: {r.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + r.content, policy=email.policy.HTTP)
    assert message.is_multipart()
    parsed = []
    for p in message.iter_parts():
        payload = p.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parsed.append(({k.lower(): str(v) for k, v in p.items()}, payload))
    return parsed


NOTES = b"Ana's notes: \x00\x01\xff binary too"


async def test_an_attachment_is_stored_and_served_back(lrs):
    sent = stmt(ANSWERED, attachments=[attachment_of(NOTES, "application/pdf")])

    r = await post_multipart(lrs, [sent], [part(NOTES, "application/pdf")])
    plain = await lrs.get(statementId=sent["id"])
    multi = await lrs.get(statementId=sent["id"], attachments="true")
    queried = await lrs.get(attachments="true")

    assert r.status_code == 200, r.text
    assert r.json() == [sent["id"]]
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["attachments"] == sent["attachments"]
    assert multi.headers["content-type"].startswith("multipart/mixed; boundary=")
    (first_head, first), (head, content) = parse_multipart(multi)
    assert first_head["content-type"] == "application/json"
    assert json.loads(first)["id"] == sent["id"]
    assert content == NOTES
    assert head["content-type"] == "application/pdf"
    assert head["x-experience-api-hash"] == sent["attachments"][0]["sha2"]
    assert head["content-transfer-encoding"] == "binary"
    (q_head, q_first), (_, q_content) = parse_multipart(queried)
    assert [s["id"] for s in json.loads(q_first)["statements"]] == [sent["id"]]
    assert q_content == NOTES


async def test_a_put_statement_carries_its_attachment_too(lrs):
    sent = stmt(attachments=[attachment_of(b"put notes")])

    r = await lrs.request(
        "PUT",
        "/xapi/statements",
        params={"statementId": sent["id"]},
        content=multipart(sent, [part(b"put notes")]),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )

    assert r.status_code == 204, r.text
    multi = await lrs.get(statementId=sent["id"], attachments="true", format="ids")
    (_, first), (_, content) = parse_multipart(multi)
    assert json.loads(first)["actor"] == {"objectType": "Agent", "mbox": ANA["mbox"]}
    assert content == b"put notes"


async def test_an_attachment_two_statements_share_is_sent_and_served_once(lrs):
    shared = attachment_of(NOTES)
    one, two = stmt(attachments=[shared]), stmt(COMPLETED, attachments=[shared])

    r = await post_multipart(lrs, [one, two], [part(NOTES)])
    multi = await lrs.get(attachments="true")

    assert r.status_code == 200, r.text
    first, *attachments = parse_multipart(multi)
    assert len(json.loads(first[1])["statements"]) == 2
    assert [content for _, content in attachments] == [NOTES]


async def test_an_attachment_with_a_file_url_needs_no_part(mem):
    sent = stmt(
        attachments=[attachment_of(NOTES, fileUrl="https://school.example/n.txt")]
    )

    r = await mem.post(sent)

    assert r.status_code == 200
    multi = await mem.get(statementId=sent["id"], attachments="true")
    assert len(parse_multipart(multi)) == 1  # the statement only


@pytest.mark.parametrize(
    "case",
    [
        "wrong-hash",
        "declared-without-part",
        "extra-part",
        "not-binary",
        "no-hash-header",
        "first-part-not-json",
        "no-boundary",
        "unclosed",
    ],
)
async def test_a_bad_attachment_request_is_refused_and_stores_nothing(mem, case):
    sent = stmt(attachments=[attachment_of(NOTES)])
    parts = [part(NOTES)]
    content_type = f"multipart/mixed; boundary={BOUNDARY}"
    if case == "wrong-hash":
        parts = [part(NOTES, sha2=hashlib.sha256(b"other").hexdigest())]
    elif case == "declared-without-part":
        parts = []
    elif case == "extra-part":
        parts.append(part(b"more"))
    elif case == "not-binary":
        parts = [part(NOTES, binary=False)]
    elif case == "no-hash-header":
        parts = [({"Content-Type": "text/plain"}, NOTES)]
    body = multipart([sent], parts)
    if case == "first-part-not-json":
        body = body.replace(b"application/json", b"text/plain", 1)
    elif case == "no-boundary":
        content_type = "multipart/mixed"
    elif case == "unclosed":
        body = body[: body.rindex(b"--" + BOUNDARY.encode())]

    r = await mem.request(
        "POST", "/xapi/statements", content=body, headers={"Content-Type": content_type}
    )

    assert r.status_code == 400, r.text
    assert await mem.ids() == []


async def test_a_body_over_the_limit_is_refused_with_413(mem):
    sent = stmt()

    declared = await mem.request(
        "POST",
        "/xapi/statements",
        content=json.dumps(sent).encode(),
        headers={
            "Content-Type": "application/json",
            "Content-Length": str(MAX_BODY_BYTES + 1),
        },
    )

    async def chunks() -> AsyncIterator[bytes]:
        block = b" " * (4 * 1024 * 1024)
        for _ in range(MAX_BODY_BYTES // len(block) + 1):
            yield block

    streamed = await mem.http.post(
        "/xapi/statements",
        content=chunks(),
        headers={**mem.headers(), "Content-Type": "application/json"},
    )

    assert declared.status_code == 413 and streamed.status_code == 413
    assert declared.headers[VERSION] == V2
    assert await mem.ids() == []


# -- signed statements --------------------------------------------------------


def signed(statement: dict[str, Any], token: bytes, **extra: Any) -> dict[str, Any]:
    """``statement`` with the signature attachment of ``token``."""
    signature = {
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": len(token),
        "sha2": hashlib.sha256(token).hexdigest(),
        **extra,
    }
    return {**statement, "attachments": [signature]}


async def post_signed(
    lrs: Lrs, statement: dict[str, Any], token: bytes
) -> httpx.Response:
    return await post_multipart(
        lrs, statement, [part(token, "application/octet-stream")]
    )


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256"},
        {"alg": "RS512"},
        {"alg": "RS256", "x5c": ["CERT"]},
        {"alg": "RS384", "x5c": ["CERT"]},
    ],
    ids=["rs256", "rs512", "rs256-x5c", "rs384-x5c"],
)
async def test_a_signed_statement_is_accepted(mem, header):
    plain = stmt(ANSWERED, result={"success": True, "duration": "PT1.234S"})
    cert = certificate(rsa_key(1))
    header = {k: [cert] if k == "x5c" else v for k, v in header.items()}
    token = jws(header, plain)

    r = await post_signed(mem, signed(plain, token), token)

    assert r.status_code == 200, r.text
    multi = await mem.get(statementId=plain["id"], attachments="true")
    assert parse_multipart(multi)[1][1] == token


@pytest.mark.parametrize(
    "case",
    [
        "hs256",
        "payload-differs",
        "other-id",
        "other-certificate",
        "not-a-jws",
        "header-not-json",
        "wrong-content-type",
        "not-sent",
    ],
)
async def test_a_bad_signature_is_refused_and_stores_nothing(mem, case):
    plain = stmt(ANSWERED, result={"success": True})
    header: dict[str, Any] = {"alg": "RS256", "x5c": [certificate(rsa_key(1))]}
    payload = plain
    if case == "hs256":
        header = {"alg": "HS256"}
    elif case == "payload-differs":
        payload = {**plain, "result": {"success": False}}
    elif case == "other-id":
        payload = {**plain, "id": str(uuid.uuid4())}
    elif case == "other-certificate":
        header = {"alg": "RS256", "x5c": [certificate(rsa_key(2))]}
    token = jws(header, payload)
    if case == "not-a-jws":
        token = b"not.a-jws"
    elif case == "header-not-json":
        token = b"bm90IGpzb24." + token.split(b".", 1)[1]
    extra = {"contentType": "text/plain"} if case == "wrong-content-type" else {}
    statement = signed(plain, token, **extra)
    if case == "not-sent":
        statement["attachments"][0]["fileUrl"] = "https://school.example/sig"
        r = await mem.post(statement)
    else:
        r = await post_signed(mem, statement, token)

    assert r.status_code == 400, r.text
    assert "signature" in r.json()["detail"]
    assert await mem.ids() == []


# -- documents ----------------------------------------------------------------

STATE_PATH, ACTIVITY_PATH, AGENT_PATH = (
    "/xapi/activities/state",
    "/xapi/activities/profile",
    "/xapi/agents/profile",
)
AGENT = json.dumps(ANA)


def named(path: str, doc_id: str | None = "doc") -> dict[str, str]:
    """The parameters that name a document of ``path`` (all its ids without one)."""
    params = {
        STATE_PATH: {"activityId": Q1, "agent": AGENT},
        ACTIVITY_PATH: {"activityId": Q1},
        AGENT_PATH: {"agent": AGENT},
    }[path]
    id_param = "stateId" if path == STATE_PATH else "profileId"
    return params if doc_id is None else {**params, id_param: doc_id}


DOCUMENTS = pytest.mark.parametrize(
    "path", [STATE_PATH, ACTIVITY_PATH, AGENT_PATH], ids=["state", "activity", "agent"]
)


async def doc(
    lrs: Lrs,
    method: str,
    path: str,
    content: bytes | None = None,
    *,
    doc_id: str | None = "doc",
    version: str = V2,
    **headers: str,
) -> httpx.Response:
    return await lrs.request(
        method,
        path,
        params=named(path, doc_id),
        content=content,
        version=version,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


def etag(content: bytes) -> str:
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


@DOCUMENTS
async def test_a_document_is_stored_and_read_with_its_etag(lrs, path):
    content = b'{"page": 3}'

    put = await doc(lrs, "PUT", path, content, Content_Type="application/json")
    got = await doc(lrs, "GET", path)
    head = await doc(lrs, "HEAD", path)

    assert put.status_code == 204
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/json"
    assert got.headers["ETag"] == etag(content)
    assert parsedate_to_datetime(got.headers["Last-Modified"]).year == 2027
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == etag(content)


@DOCUMENTS
async def test_if_match_guards_a_document(lrs, path):
    old, new = b'{"v": 1}', b'{"v": 2}'
    assert (await doc(lrs, "PUT", path, old)).status_code == 204

    wrong = await doc(lrs, "PUT", path, new, If_Match=etag(b"something else"))
    exists = await doc(lrs, "PUT", path, new, If_None_Match="*")
    unchanged = await doc(lrs, "GET", path)
    right = await doc(lrs, "PUT", path, new, If_Match=etag(old))
    changed = await doc(lrs, "GET", path)
    any_etag = await doc(lrs, "PUT", path, old, If_Match="*")

    assert wrong.status_code == 412 and exists.status_code == 412
    assert unchanged.content == old
    assert right.status_code == 204 and changed.content == new
    assert changed.headers["ETag"] == etag(new)
    assert any_etag.status_code == 204
    assert (await doc(lrs, "GET", path)).content == old


@DOCUMENTS
async def test_a_put_over_a_document_without_a_condition_conflicts_in_2_0(lrs, path):
    assert (await doc(lrs, "PUT", path, b'{"v": 1}')).status_code == 204

    r = await doc(lrs, "PUT", path, b'{"v": 2}')

    assert r.status_code == 409
    assert (await doc(lrs, "GET", path)).content == b'{"v": 1}'


async def test_a_state_put_without_a_condition_overwrites_in_1_0_3(lrs):
    assert (
        await doc(lrs, "PUT", STATE_PATH, b'{"v": 1}', version=V1)
    ).status_code == 204

    r = await doc(lrs, "PUT", STATE_PATH, b'{"v": 2}', version=V1)

    assert r.status_code == 204
    assert (await doc(lrs, "GET", STATE_PATH, version=V1)).content == b'{"v": 2}'


@pytest.mark.parametrize("path", [ACTIVITY_PATH, AGENT_PATH], ids=["activity", "agent"])
async def test_a_1_0_3_profile_put_needs_a_condition(lrs, path):
    new = await doc(lrs, "PUT", path, b'{"v": 1}', version=V1)
    absent = await doc(lrs, "GET", path, version=V1)
    created = await doc(lrs, "PUT", path, b'{"v": 1}', version=V1, If_None_Match="*")
    replaced = await doc(lrs, "PUT", path, b'{"v": 2}', version=V1)

    assert new.status_code == 400
    assert absent.status_code == 404
    assert created.status_code == 204
    assert replaced.status_code == 409
    assert (await doc(lrs, "GET", path, version=V1)).content == b'{"v": 1}'


@DOCUMENTS
async def test_post_merges_json_objects(lrs, path):
    json_type = {"Content_Type": "application/json"}

    first = await doc(lrs, "POST", path, b'{"a": 1, "b": {"x": 1}}', **json_type)
    second = await doc(lrs, "POST", path, b'{"b": {"y": 2}, "c": 3}', **json_type)

    assert first.status_code == 204 and second.status_code == 204
    got = await doc(lrs, "GET", path)
    assert got.json() == {"a": 1, "b": {"y": 2}, "c": 3}  # top-level merge
    assert got.headers["ETag"] == etag(got.content)


@DOCUMENTS
async def test_a_merge_that_is_not_of_json_objects_is_refused(lrs, path):
    assert (
        await doc(lrs, "PUT", path, b'{"a": 1}', Content_Type="application/json")
    ).status_code == 204
    text = await doc(lrs, "POST", path, b"plain words", Content_Type="text/plain")
    array = await doc(lrs, "POST", path, b"[1, 2]", Content_Type="application/json")
    broken = await doc(lrs, "POST", path, b"{nope", Content_Type="application/json")
    assert (await doc(lrs, "GET", path)).json() == {"a": 1}
    other = await doc(
        lrs, "PUT", path, b"plain", If_Match="*", Content_Type="text/plain"
    )
    onto_text = await doc(
        lrs, "POST", path, b'{"b": 2}', Content_Type="application/json"
    )

    assert (text.status_code, array.status_code, broken.status_code) == (400,) * 3
    assert other.status_code == 204
    assert onto_text.status_code == 400
    assert (await doc(lrs, "GET", path)).content == b"plain"


@DOCUMENTS
async def test_a_document_is_deleted_guarded_by_if_match(lrs, path):
    content = b'{"a": 1}'
    assert (await doc(lrs, "PUT", path, content)).status_code == 204

    wrong = await doc(lrs, "DELETE", path, If_Match=etag(b"other"))
    kept = await doc(lrs, "GET", path)
    deleted = await doc(lrs, "DELETE", path, If_Match=etag(content))

    assert wrong.status_code == 412 and kept.status_code == 200
    assert deleted.status_code == 204
    assert (await doc(lrs, "GET", path)).status_code == 404


async def test_every_state_of_an_activity_and_agent_is_deleted_at_once(lrs):
    registration = str(uuid.uuid4())
    for state_id in ("a", "b"):
        assert (
            await doc(lrs, "PUT", STATE_PATH, b"1", doc_id=state_id)
        ).status_code == 204
    in_registration = {**named(STATE_PATH, "c"), "registration": registration}
    r = await lrs.request("PUT", STATE_PATH, params=in_registration, content=b"2")
    assert r.status_code == 204

    deleted = await doc(lrs, "DELETE", STATE_PATH, doc_id=None)

    assert deleted.status_code == 204
    assert (await doc(lrs, "GET", STATE_PATH, doc_id=None)).json() == []
    # Another registration's states are other states.
    assert (
        await lrs.request("GET", STATE_PATH, params=in_registration)
    ).content == b"2"


@DOCUMENTS
async def test_document_ids_are_listed_since_a_moment(lrs, path):
    assert (await doc(lrs, "PUT", path, b"1", doc_id="first")).status_code == 204
    assert (await doc(lrs, "PUT", path, b"2", doc_id="second")).status_code == 204
    first_at = parsedate_to_datetime(
        (await doc(lrs, "GET", path, doc_id="first")).headers["Last-Modified"]
    )

    every = await doc(lrs, "GET", path, doc_id=None)
    since = await lrs.request(
        "GET", path, params={**named(path, None), "since": first_at.isoformat()}
    )

    assert sorted(every.json()) == ["first", "second"]
    assert since.status_code == 200 and since.json() == ["second"]


MOMENT = "2027-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("method", "path", "params", "message"),
    [
        ("GET", STATE_PATH, {"activityId": Q1}, "send the agent parameter"),
        ("GET", STATE_PATH, {"agent": AGENT}, "send the activityId parameter"),
        (
            "GET",
            STATE_PATH,
            {"activityId": "no iri", "agent": AGENT},
            "activityId: must be an IRI",
        ),
        ("GET", STATE_PATH, {"activityId": Q1, "agent": "{}"}, "agent"),
        ("GET", STATE_PATH, {"activityId": Q1, "agent": "[1"}, "agent: not JSON"),
        (
            "GET",
            STATE_PATH,
            {**named(STATE_PATH), "registration": "nope"},
            "registration: must be a UUID",
        ),
        (
            "GET",
            STATE_PATH,
            {**named(STATE_PATH), "since": MOMENT},
            "since lists documents: send it without an id",
        ),
        (
            "GET",
            STATE_PATH,
            {**named(STATE_PATH, None), "since": "soon"},
            "since: must be an ISO 8601 timestamp",
        ),
        (
            "GET",
            ACTIVITY_PATH,
            {**named(ACTIVITY_PATH), "agent": AGENT},
            "unknown parameter 'agent'",
        ),
        ("PUT", ACTIVITY_PATH, named(ACTIVITY_PATH, None), "send the profileId"),
        (
            "PUT",
            STATE_PATH,
            {**named(STATE_PATH), "since": MOMENT},
            "since is a parameter of GET only",
        ),
        ("DELETE", AGENT_PATH, named(AGENT_PATH, None), "send the profileId"),
    ],
    ids=[
        "no-agent",
        "no-activity",
        "activity-not-iri",
        "agent-invalid",
        "agent-not-json",
        "registration",
        "since-with-id",
        "since-bad",
        "unknown-param",
        "put-without-id",
        "since-on-put",
        "delete-profiles-without-id",
    ],
)
async def test_a_malformed_document_request_is_refused(
    mem, method, path, params, message
):
    r = await mem.request(method, path, params=params, content=b"{}")

    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]
    assert (await doc(mem, "GET", path, doc_id=None)).json() == []


# -- activities and agents ----------------------------------------------------


async def test_an_activity_merges_the_definitions_statements_gave_it(lrs):
    english = {
        "name": {"en-US": "Question one"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "extensions": {"https://school.example/ext/level": 1},
    }
    french = {
        "name": {"fr-FR": "Question un"},
        "description": {"fr-FR": "La 1"},
        "extensions": {"https://school.example/ext/topic": "kana"},
    }
    a = stmt(object={"objectType": "Activity", "id": Q1, "definition": english})
    b = stmt(
        COMPLETED,
        COURSE,
        context={"contextActivities": {"parent": [{"id": Q1, "definition": french}]}},
    )
    assert (await lrs.post([a, b])).status_code == 200

    r = await lrs.request("GET", "/xapi/activities", params={"activityId": Q1})
    unknown = await lrs.request("GET", "/xapi/activities", params={"activityId": Q2})

    assert r.status_code == 200
    assert r.json() == {
        "objectType": "Activity",
        "id": Q1,
        "definition": {
            "name": {"en-US": "Question one", "fr-FR": "Question un"},
            "type": english["type"],
            "description": {"fr-FR": "La 1"},
            "extensions": {
                "https://school.example/ext/level": 1,
                "https://school.example/ext/topic": "kana",
            },
        },
    }
    assert unknown.json() == {"objectType": "Activity", "id": Q2}


@pytest.mark.parametrize(
    "params",
    [{}, {"activityId": "no iri"}, {"activityId": Q1, "agent": AGENT}],
    ids=["missing", "not-iri", "unknown-param"],
)
async def test_a_bad_activities_request_is_refused(mem, params):
    r = await mem.request("GET", "/xapi/activities", params=params)

    assert r.status_code == 400


async def test_an_agent_is_served_as_a_person(mem):
    r = await mem.request("GET", "/xapi/agents", params={"agent": AGENT})
    bob = await mem.request("GET", "/xapi/agents", params={"agent": json.dumps(BOB)})
    bad = await mem.request("GET", "/xapi/agents", params={"agent": "{}"})
    extra = await mem.request(
        "GET", "/xapi/agents", params={"agent": AGENT, "activityId": Q1}
    )

    assert r.status_code == 200
    assert r.json() == {"objectType": "Person", "name": ["Ana"], "mbox": [ANA["mbox"]]}
    assert bob.json() == {"objectType": "Person", "account": [BOB["account"]]}
    assert bad.status_code == 400 and extra.status_code == 400


async def test_a_method_a_resource_does_not_take_is_405(mem):
    # POST is routed (1.0.3's alternate syntax); without ?method= it is a POST.
    post = await mem.request(
        "POST", "/xapi/agents", params={"agent": AGENT}, content=b"{}"
    )
    delete = await mem.request("DELETE", "/xapi/statements")

    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"
    assert post.headers[VERSION] == V2
    assert delete.status_code == 405
    assert "GET" in delete.headers["Allow"]
    assert "DELETE" not in delete.headers["Allow"]


# -- 1.0.3's alternate request syntax -----------------------------------------


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


async def alternate(
    lrs: Lrs, path: str, method: str, body: bytes, **query: str
) -> httpx.Response:
    """A form POST with ``?method=``: no header but the Content-Type."""
    return await lrs.http.post(
        path,
        params={"method": method, **query},
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


async def test_the_alternate_syntax_carries_headers_and_parameters_in_1_0_3(mem):
    sent = stmt(ANSWERED)
    auth = basic(mem.key, mem.secret)

    put = await alternate(
        mem,
        "/xapi/statements",
        "PUT",
        form(
            Authorization=auth,
            **{VERSION: V1},
            statementId=sent["id"],
            content=json.dumps(sent),
        ),
    )
    got = await alternate(
        mem,
        "/xapi/statements",
        "GET",
        form(Authorization=auth, **{VERSION: V1}, statementId=sent["id"]),
    )
    state = await alternate(
        mem,
        STATE_PATH,
        "PUT",
        form(
            Authorization=auth,
            **{VERSION: V1},
            **named(STATE_PATH),
            content='{"page": 1}',
        ),
    )
    activity = await alternate(
        mem,
        "/xapi/activities",
        "GET",
        form(Authorization=auth, **{VERSION: V1}, activityId=Q1),
    )

    assert put.status_code == 204, put.text
    assert got.status_code == 200 and got.json()["id"] == sent["id"]
    assert got.headers[VERSION] == V1
    assert state.status_code == 204
    assert (await doc(mem, "GET", STATE_PATH)).json() == {"page": 1}
    assert activity.json() == {"objectType": "Activity", "id": Q1}


@pytest.mark.parametrize(
    "case",
    ["2.0.0", "query-param", "not-a-method", "not-a-form", "put-without-content"],
)
async def test_a_bad_alternate_request_is_refused_and_stores_nothing(mem, case):
    sent = stmt()
    fields = {
        "Authorization": basic(mem.key, mem.secret),
        VERSION: V2 if case == "2.0.0" else V1,
        "statementId": sent["id"],
        "content": json.dumps(sent),
    }
    query = {"statementId": sent["id"]} if case == "query-param" else {}
    method = "FETCH" if case == "not-a-method" else "PUT"
    if case == "put-without-content":
        del fields["content"]
    body = form(**fields)
    if case == "not-a-form":
        r = await mem.http.post(
            "/xapi/statements",
            params={"method": "PUT"},
            content=body,
            headers={"Content-Type": "text/plain", **mem.headers(V1)},
        )
    else:
        r = await alternate(mem, "/xapi/statements", method, body, **query)

    assert r.status_code == 400, r.text
    assert await mem.ids() == []


async def test_an_alternate_form_that_is_not_utf_8_is_refused(mem):
    r = await alternate(mem, "/xapi/statements", "GET", b"statementId=\xff\xfe")

    assert r.status_code == 400
    assert "UTF-8" in r.json()["detail"]


async def test_the_alternate_syntax_must_be_a_post(mem):
    r = await mem.request(
        "GET", "/xapi/statements", params={"method": "GET"}, version=V1
    )

    assert r.status_code == 400


async def test_a_server_without_a_record_store_answers_404():
    engine = Levelwise(InMemoryEventLog(), FixedClock())  # no xAPI store
    transport = httpx.ASGITransport(app=create_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as http:
        r = await http.get(
            "/xapi/statements",
            headers={"Authorization": basic("lrs_x", "secret"), VERSION: V2},
        )

    assert r.status_code == 404
    assert r.headers[VERSION] == V2
    assert THROUGH not in r.headers  # no store to be consistent through
