"""The record store's administration with an API key: clients and unmapped counts.

``/v1/xapi/clients`` makes, lists and revokes a school's LRS clients (the
HTTP Basic credentials of ``/xapi/``); ``/v1/xapi/unmapped`` counts the verbs
and activity types that arrive without a mapping to learning events.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import engine_over, memory_stores, open_stores
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import SMALL_PROGRAM, new_tenant
from tests.support.xapi_statements import (
    ADL,
    ANSWERED,
    EXPERIENCED,
    HIRAGANA_Q,
    HIRAGANA_VIDEO,
    statement,
    xapi_school_source,
)

pytestmark = pytest.mark.anyio

VERSION = {"X-Experience-API-Version": "2.0.0"}
ATTEMPTED = ADL + "attempted"
LESSON = "http://adlnet.gov/expapi/activities/lesson"


Apps = dict[str, tuple[Levelwise, FastAPI]]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    """An engine and app on memory and on SQLite, for the module's schools.

    (An app builds its routes at its first request, a few tenths of a second.)
    """
    with ExitStack() as stack:
        sqlite = open_stores(f"sqlite:///{tmp_path_factory.mktemp('lrs') / 'a.db'}")
        stack.callback(sqlite.log.engine.dispose)  # type: ignore[attr-defined]
        made = {}
        for kind, stores in (("memory", memory_stores()), ("sqlite", sqlite)):
            engine = engine_over(stores, FixedClock())
            made[kind] = (engine, create_app(engine))
        yield made


@dataclass
class Admin:
    """A school seen through its API key."""

    engine: Levelwise
    http: httpx.AsyncClient
    tenant: str
    key: dict[str, str]

    def school(self, program: str | None = None) -> tuple[str, dict[str, str]]:
        """Another school (with ``program``) and its API key header."""
        tenant = new_tenant()
        if program is not None:
            self.engine.put_program(tenant, program, "program.yaml")
        return tenant, {"X-API-Key": self.engine.create_key(tenant, "admin")}

    async def new_client(self, label: str = "lms") -> dict[str, Any]:
        r = await self.http.post(
            "/v1/xapi/clients", json={"label": label}, headers=self.key
        )
        assert r.status_code == 201, r.text
        made: dict[str, Any] = r.json()
        return made


async def admin_of(engine: Levelwise, app: FastAPI) -> AsyncIterator[Admin]:
    tenant = new_tenant()
    key = {"X-API-Key": engine.create_key(tenant, "admin")}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as http:
        yield Admin(engine, http, tenant, key)


@pytest.fixture(params=["memory", "sqlite"])
async def admin(request: pytest.FixtureRequest, apps: Apps) -> AsyncIterator[Admin]:
    """A new school with an API key, on each store in turn."""
    async for made in admin_of(*apps[request.param]):
        yield made


@pytest.fixture
async def mem_admin(apps: Apps) -> AsyncIterator[Admin]:
    """A new school with an API key, on the in-memory stores."""
    async for made in admin_of(*apps["memory"]):
        yield made


def basic(client: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    pair = f"{client['key']}:{secret if secret is not None else client['secret']}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


async def statements(admin: Admin, client: dict[str, Any]) -> httpx.Response:
    return await admin.http.get(
        "/xapi/statements", headers={**basic(client), **VERSION}
    )


# -- clients ------------------------------------------------------------------


async def test_a_new_clients_secret_works_as_its_basic_password_at_once(admin):
    made = await admin.new_client("moodle")

    assert made["key"].startswith("lrs_") and made["label"] == "moodle"
    assert len(made["secret"]) >= 24
    assert made["created"] == "2027-01-01T00:00:00.000000Z"  # the engine's clock
    assert (await statements(admin, made)).status_code == 200
    wrong = await admin.http.get(
        "/xapi/statements", headers={**basic(made, made["secret"] + "x"), **VERSION}
    )
    assert wrong.status_code == 401


async def test_clients_are_listed_without_their_secrets(admin):
    first, second = await admin.new_client("moodle"), await admin.new_client("")
    _, other_key = admin.school()
    theirs = await admin.http.post(
        "/v1/xapi/clients", json={"label": "theirs"}, headers=other_key
    )

    r = await admin.http.get("/v1/xapi/clients", headers=admin.key)

    assert theirs.status_code == 201
    assert r.status_code == 200
    listed = r.json()["clients"]
    assert sorted(listed, key=lambda c: c["key"]) == sorted(
        ({k: c[k] for k in ("key", "label", "created")} for c in (first, second)),
        key=lambda c: c["key"],
    )
    assert "secret" not in r.text and first["secret"] not in r.text


async def test_a_deleted_client_is_refused_at_once_and_only_once(admin):
    made, kept = await admin.new_client("tablet"), await admin.new_client("lms")

    r = await admin.http.delete(f"/v1/xapi/clients/{made['key']}", headers=admin.key)
    again = await admin.http.delete(
        f"/v1/xapi/clients/{made['key']}", headers=admin.key
    )

    assert r.status_code == 204 and r.content == b""
    assert (await statements(admin, made)).status_code == 401
    assert (await statements(admin, kept)).status_code == 200
    assert_problem(again, 404, "xapi-not-found")
    listed = (await admin.http.get("/v1/xapi/clients", headers=admin.key)).json()
    assert [c["key"] for c in listed["clients"]] == [kept["key"]]


async def test_a_school_cannot_delete_another_schools_client(admin):
    _, other_key = admin.school()
    theirs = (
        await admin.http.post("/v1/xapi/clients", json={}, headers=other_key)
    ).json()

    r = await admin.http.delete(f"/v1/xapi/clients/{theirs['key']}", headers=admin.key)

    assert_problem(r, 404, "xapi-not-found")
    assert (await statements(admin, theirs)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/xapi/clients"),
        ("POST", "/v1/xapi/clients"),
        ("DELETE", "/v1/xapi/clients/lrs_x"),
        ("GET", "/v1/xapi/unmapped"),
    ],
)
async def test_administration_needs_an_api_key_not_lrs_credentials(admin, method, path):
    made = await admin.new_client()

    none = await admin.http.request(method, path, json={})
    lrs = await admin.http.request(method, path, json={}, headers=basic(made))

    assert_problem(none, 401, "unauthenticated")
    assert_problem(lrs, 401, "unauthenticated")
    listed = (await admin.http.get("/v1/xapi/clients", headers=admin.key)).json()
    assert [c["key"] for c in listed["clients"]] == [made["key"]]


async def test_a_label_over_200_characters_is_refused(admin):
    r = await admin.http.post(
        "/v1/xapi/clients", json={"label": "x" * 201}, headers=admin.key
    )

    assert_problem(r, 422, "invalid-request")
    assert (await admin.http.get("/v1/xapi/clients", headers=admin.key)).json() == {
        "clients": []
    }


# -- unmapped statements ------------------------------------------------------


async def send(admin: Admin, key: dict[str, str], body: Any) -> None:
    made = await admin.http.post("/v1/xapi/clients", json={}, headers=key)
    r = await admin.http.post(
        "/xapi/statements", json=body, headers={**basic(made.json()), **VERSION}
    )
    assert r.status_code == 200, r.text


def arrivals() -> list[dict[str, Any]]:
    """A mapped answer, then what Kana Online's mapping does not read."""
    stranger = statement(ANSWERED, HIRAGANA_Q + "q9", result={"success": True})
    stranger["actor"] = {"objectType": "Agent", "mbox": "mailto:teacher@kana.example"}
    return [
        statement(ANSWERED, HIRAGANA_Q + "q1", result={"success": True}),
        statement(ATTEMPTED, HIRAGANA_Q + "q2", minutes=1),
        statement(ATTEMPTED, HIRAGANA_Q + "q3", minutes=2),
        statement(EXPERIENCED, HIRAGANA_VIDEO, activity_type=LESSON, minutes=3),
        stranger,
    ]


async def test_unmapped_counts_what_the_mapping_does_not_read(admin):
    _, key = admin.school(xapi_school_source())
    sent = arrivals()
    await send(admin, key, sent)

    r = await admin.http.get("/v1/xapi/unmapped", headers=key)

    assert r.status_code == 200
    report = r.json()
    assert (report["read"], report["unmapped"]) == (5, 4)
    kinds = [(k["verb"], k["activity_type"], k["count"]) for k in report["kinds"]]
    assert kinds == [
        (ATTEMPTED, "", 2),  # most frequent first
        (ANSWERED, "", 1),
        (EXPERIENCED, LESSON, 1),
    ]
    attempted, stranger, experienced = report["kinds"]
    assert attempted["example"] == sent[2]["id"]  # the latest of them
    assert ATTEMPTED in attempted["reason"]
    assert stranger["example"] == sent[4]["id"]
    assert "learner" in stranger["reason"]
    assert LESSON in experienced["reason"]


async def test_unmapped_leaves_voided_statements_and_voidings_out(admin):
    _, key = admin.school(xapi_school_source())
    sent = arrivals()
    void = statement(ADL + "voided", HIRAGANA_Q + "x", minutes=9)
    void["object"] = {"objectType": "StatementRef", "id": sent[1]["id"]}
    await send(admin, key, [*sent, void])

    report = (await admin.http.get("/v1/xapi/unmapped", headers=key)).json()

    assert (report["read"], report["unmapped"]) == (4, 3)
    assert report["kinds"][0]["verb"] == ANSWERED  # ties: by verb, then type
    assert [k["count"] for k in report["kinds"]] == [1, 1, 1]


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        (SMALL_PROGRAM, "the program has no xapi: mapping"),
        (None, "the school has no program"),
    ],
    ids=["no-mapping", "no-program"],
)
async def test_without_a_mapping_every_statement_is_unmapped(admin, program, reason):
    _, key = admin.school(program)
    sent = arrivals()
    await send(admin, key, sent)

    report = (await admin.http.get("/v1/xapi/unmapped", headers=key)).json()

    assert (report["read"], report["unmapped"]) == (5, 5)
    assert {k["reason"] for k in report["kinds"]} == {reason}
    assert sum(k["count"] for k in report["kinds"]) == 5


async def test_unmapped_reads_past_one_page_of_statements(mem_admin):
    _, key = mem_admin.school(xapi_school_source())
    sent = [statement(ATTEMPTED, HIRAGANA_Q + f"q{i}") for i in range(501)]
    await send(mem_admin, key, sent)

    report = (await mem_admin.http.get("/v1/xapi/unmapped", headers=key)).json()

    assert (report["read"], report["unmapped"]) == (501, 501)
    [kind] = report["kinds"]
    assert kind["count"] == 501 and kind["example"] == sent[-1]["id"]


async def test_unmapped_of_a_school_without_statements_is_empty(admin):
    r = await admin.http.get("/v1/xapi/unmapped", headers=admin.key)

    assert r.status_code == 200
    assert r.json() == {"read": 0, "unmapped": 0, "kinds": []}


async def test_a_server_without_a_record_store_answers_404(client, school_a):
    listed = await client.get("/v1/xapi/clients", headers=school_a)
    made = await client.post("/v1/xapi/clients", json={}, headers=school_a)
    unmapped = await client.get("/v1/xapi/unmapped", headers=school_a)

    for r in (listed, made, unmapped):
        assert_problem(r, 404, "xapi-not-found")
