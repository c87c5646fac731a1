"""Statements sent to ``/xapi/`` move learners, end to end, on every store.

A school runs ``tests/data/programs/xapi_school.yaml`` (Kana Online): its LMS
posts statements with HTTP Basic credentials, and the school reads where the
learner stands with its API key (``/v1/learners/...``), as a platform would.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import Stores, engine_over, memory_stores, open_stores
from tests.api.conftest import FixedClock
from tests.support.factories import SMALL_PROGRAM, new_tenant
from tests.support.postgres import postgres_engine, postgres_url
from tests.support.xapi_statements import (
    ADL,
    ANSWERED,
    COMPLETED,
    HIRAGANA_Q,
    HIRAGANA_VIDEO,
    statement,
    xapi_school_source,
)

pytestmark = pytest.mark.anyio

VERSION = "X-Experience-API-Version"
ATTEMPTED = ADL + "attempted"
VOIDED = ADL + "voided"
STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Apps:
    """One engine and app per store for the module; each test is a new school.

    (An app builds its routes at its first request, a few tenths of a second.)
    """

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._made: dict[str, tuple[Levelwise, FastAPI]] = {}
        self._open = ExitStack()

    def __call__(self, kind: str) -> tuple[Levelwise, FastAPI]:
        if kind not in self._made:
            stores = self._stores(kind)
            engine = engine_over(stores, FixedClock())
            self._made[kind] = (engine, create_app(engine))
        return self._made[kind]

    def _stores(self, kind: str) -> Stores:
        if kind == "memory":
            return memory_stores()
        if kind == "postgres":
            postgres_engine().dispose()  # skip, or fail in CI, when it is down
            stores = open_stores(postgres_url())
        else:
            stores = open_stores(f"sqlite:///{self._tmp_path / 'kana.db'}")
        self._open.callback(stores.log.engine.dispose)  # type: ignore[attr-defined]
        return stores

    def close(self) -> None:
        self._open.close()


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    made = Apps(tmp_path_factory.mktemp("kana"))
    yield made
    made.close()


@dataclass
class School:
    """A Kana Online school: its LMS's Basic credentials and its API key."""

    engine: Levelwise
    http: httpx.AsyncClient
    tenant: str
    lms: dict[str, str]
    api: dict[str, str]

    async def send(self, body: Any) -> httpx.Response:
        return await self.http.post("/xapi/statements", json=body, headers=self.lms)

    async def learner(self, learner: str = "ana") -> dict[str, Any]:
        r = await self.http.get(f"/v1/learners/{learner}", headers=self.api)
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    async def receipts(self, learner: str = "ana") -> list[dict[str, Any]]:
        r = await self.http.get(
            f"/v1/learners/{learner}/receipts",
            params={"limit": "1000"},
            headers=self.api,
        )
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["receipts"]
        return found


@pytest.fixture(params=STORES)
async def kana(request: pytest.FixtureRequest, apps: Apps) -> AsyncIterator[School]:
    engine, app = apps(request.param)
    tenant = new_tenant()
    engine.put_program(tenant, xapi_school_source(), "xapi_school.yaml")
    assert engine.xapi is not None
    made = engine.xapi.add_client(tenant, "lms")
    pair = base64.b64encode(f"{made.client.key}:{made.secret}".encode()).decode()
    lms = {"Authorization": f"Basic {pair}", VERSION: "2.0.0"}
    api = {"X-API-Key": engine.create_key(tenant, "platform")}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as http:
        yield School(engine, http, tenant, lms, api)


def answer(item: str, correct: bool, minutes: float = 0) -> dict[str, Any]:
    return statement(
        ANSWERED, HIRAGANA_Q + item, result={"success": correct}, minutes=minutes
    )


def voiding(target: str, minutes: float = 60) -> dict[str, Any]:
    made = statement(VOIDED, HIRAGANA_Q + "x", minutes=minutes)
    made["object"] = {"objectType": "StatementRef", "id": target}
    return made


def xp_receipts(receipts: list[dict[str, Any]]) -> dict[str, int]:
    return {r["event_id"]: r["xp"] for r in receipts if r["kind"] == "xp"}


async def test_statements_move_xp_and_mastery_with_receipts_naming_them(kana):
    first = await kana.http.get("/v1/learners/ana", headers=kana.api)
    sent = [
        answer("q1", True, minutes=0),
        answer("q2", True, minutes=1),
        answer("q3", False, minutes=2),
        statement(COMPLETED, HIRAGANA_VIDEO, result={"duration": "PT4M"}, minutes=3),
    ]

    r = await kana.send(sent)

    assert first.status_code == 404  # no learner before the statements
    assert r.status_code == 200 and r.json() == [s["id"] for s in sent]
    ana = await kana.learner()
    # answer: if(correct, 10, 2); watching: seconds / 30 (240 s of video).
    assert ana["xp"] == 10 + 10 + 2 + 8
    assert ana["mastery"]["hiragana"]["attempts"] == 3
    assert ana["counters"]["questions_answered"] == 3
    assert ana["counters"]["questions_correct"] == 2
    receipts = await kana.receipts()
    assert xp_receipts(receipts) == {
        sent[0]["id"]: 10,
        sent[1]["id"]: 10,
        sent[2]["id"]: 2,
        sent[3]["id"]: 8,
    }
    for r in receipts:
        assert f"from xAPI statement {r['event_id']}" in r["receipt"]["text"]


async def test_a_statement_sent_twice_counts_once(kana):
    sent = answer("q1", True)
    assert (await kana.send(sent)).status_code == 200
    before = await kana.learner()

    again = await kana.send([sent])
    put = await kana.http.put(
        "/xapi/statements",
        params={"statementId": sent["id"]},
        json=sent,
        headers=kana.lms,
    )
    changed = await kana.send({**sent, "result": {"success": False}})

    assert again.status_code == 200 and put.status_code == 204
    assert changed.status_code == 409
    after = await kana.learner()
    assert (after["xp"], after["events"]) == (before["xp"], before["events"]) == (10, 1)
    assert list(xp_receipts(await kana.receipts())) == [sent["id"]]


async def test_a_voided_statement_loses_its_xp_with_a_voided_receipt(kana):
    kept, voided = answer("q1", True, minutes=0), answer("q2", True, minutes=1)
    assert (await kana.send([kept, voided])).status_code == 200
    assert (await kana.learner())["xp"] == 20
    void = voiding(voided["id"])

    r = await kana.send(void)

    assert r.status_code == 200
    ana = await kana.learner()
    assert ana["xp"] == 10
    assert ana["mastery"]["hiragana"]["attempts"] == 1
    [receipt] = [x for x in await kana.receipts() if x["kind"] == "voided"]
    assert receipt["event_id"] == void["id"]
    assert receipt["target"] == voided["id"]
    assert voided["id"] in receipt["text"] and "10 XP" in receipt["text"]
    gone = await kana.http.get(
        "/xapi/statements", params={"statementId": voided["id"]}, headers=kana.lms
    )
    assert gone.status_code == 404


async def test_an_unmapped_statement_is_stored_and_changes_nothing(kana):
    mapped = answer("q1", True)
    assert (await kana.send(mapped)).status_code == 200
    before = await kana.learner()
    unmapped = statement(ATTEMPTED, HIRAGANA_Q + "q2", minutes=5)
    stranger = answer("q3", True, minutes=6)
    stranger["actor"] = {"objectType": "Agent", "mbox": "mailto:teacher@kana.example"}

    r = await kana.send([unmapped, stranger])

    assert r.status_code == 200
    for s in (unmapped, stranger):
        stored = await kana.http.get(
            "/xapi/statements", params={"statementId": s["id"]}, headers=kana.lms
        )
        assert stored.status_code == 200 and stored.json()["verb"] == s["verb"]
    assert await kana.learner() == before
    assert [x["event_id"] for x in await kana.receipts()] == [mapped["id"]]


async def test_a_voiding_of_nothing_a_learner_did_changes_nothing(kana):
    mapped = answer("q1", True)
    stranger = answer("q2", True, minutes=1)
    stranger["actor"] = {"objectType": "Agent", "mbox": "mailto:teacher@kana.example"}
    assert (await kana.send([mapped, stranger])).status_code == 200
    before = await kana.learner()
    unknown, of_stranger = voiding(str(uuid.uuid4())), voiding(stranger["id"])

    r = await kana.send([unknown, of_stranger])

    assert r.status_code == 200
    assert await kana.learner() == before
    assert [x["kind"] for x in await kana.receipts()] == ["xp"]
    voided = await kana.http.get(
        "/xapi/statements",
        params={"voidedStatementId": stranger["id"]},
        headers=kana.lms,
    )
    assert voided.status_code == 200  # voided in the record store all the same


async def test_a_school_without_a_mapping_only_records(kana):
    other = new_tenant()
    kana.engine.put_program(other, SMALL_PROGRAM)  # no xapi: mapping
    assert kana.engine.xapi is not None
    made = kana.engine.xapi.add_client(other, "lms")
    pair = base64.b64encode(f"{made.client.key}:{made.secret}".encode()).decode()
    lms = {"Authorization": f"Basic {pair}", VERSION: "2.0.0"}
    api = {"X-API-Key": kana.engine.create_key(other, "platform")}
    sent = answer("q1", True)

    r = await kana.http.post("/xapi/statements", json=sent, headers=lms)

    assert r.status_code == 200
    learner = await kana.http.get("/v1/learners/ana", headers=api)
    assert learner.status_code == 404
    stored = await kana.http.get(
        "/xapi/statements", params={"statementId": sent["id"]}, headers=lms
    )
    assert stored.status_code == 200
