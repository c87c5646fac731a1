"""Practice sessions over HTTP and a real WebSocket (uvicorn on loopback)."""

from __future__ import annotations

import asyncio
import io
import json
from importlib import resources
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from tests.api.conftest import FixedClock
from tests.support.live_server import serve

pytestmark = pytest.mark.anyio
ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
UNIT = "st_practice_meet_partner"


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(InMemoryEventLog(), FixedClock(), practice=InMemoryPracticeStore())


@pytest.fixture
def keys(engine: Levelwise) -> dict[str, str]:
    engine.put_program("school-a", ENGLISH)
    engine.put_program("school-b", ENGLISH)
    return {
        "a": engine.create_key("school-a", "test"),
        "b": engine.create_key("school-b", "test"),
    }


@pytest.fixture
def base(engine: Levelwise) -> Any:
    with serve(create_app(engine), ws="websockets-sansio") as url:
        yield url


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _open(base: str, key: str, **body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/v1/practice", json=body, headers=_auth(key))
    assert r.status_code == 201, r.text
    opened: dict[str, Any] = r.json()
    return opened


def _ws_url(base: str, opened: dict[str, Any]) -> str:
    return f"ws{base[4:]}{opened['ws_path']}?token={opened['token']}"


async def _until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    """Every message up to and including the first of ``kind``."""
    seen = []
    while True:
        raw = await asyncio.wait_for(ws.recv(), 10)
        if isinstance(raw, bytes):
            continue
        message = json.loads(raw)
        seen.append(message)
        if message["type"] == kind:
            return seen


async def test_a_text_session_from_open_to_finish(base: str, keys: Any) -> None:
    opened = await _open(base, keys["a"], learner="l1", unit=UNIT)
    assert opened["status"] == "open"
    assert opened["brief"]["level"] and "weak_points" in opened["brief"]
    async with websockets.connect(_ws_url(base, opened)) as ws:
        ready = await _until(ws, "ready")
        assert ready[0]["audio"]["sample_rate"] == 16000
        greeting = await _until(ws, "partner.done")
        assert greeting[-1]["text"] == "Hi! I'm Sam. What's your name?"
        seqs = [m["seq"] for m in ready + greeting]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        answers = [
            "Hello, my name is Li and I am happy to meet you.",
            "I am from Shanghai, a big city in China.",
            "I like music and I play football with my friends.",
        ]
        for seq, text in enumerate(answers, start=1):
            await ws.send(json.dumps({"type": "text", "seq": seq, "text": text}))
            await _until(ws, "partner.done")
        await ws.send(json.dumps({"type": "finish", "seq": len(answers) + 1}))
        report = (await _until(ws, "finished"))[-1]["report"]
    assert report["event_status"] == "accepted"
    assert report["metrics"]["learner_turns"] == 3
    assert report["metrics"]["target_words_used"] >= 4  # name, meet, from, like
    async with httpx.AsyncClient(base_url=base) as http:
        got = (
            await http.get(
                f"/v1/practice/{opened['session']}", headers=_auth(keys["a"])
            )
        ).json()
        other = await http.get(
            f"/v1/practice/{opened['session']}", headers=_auth(keys["b"])
        )
        learner = await http.get("/v1/learners/l1", headers=_auth(keys["a"]))
    assert got["status"] == "finished"
    assert [t["role"] for t in got["turns"]] == ["partner", "learner"] * 3 + ["partner"]
    assert got["latency"]["first_token"]["n"] == 4
    assert other.status_code == 404  # another school's session
    assert learner.status_code == 200


async def test_a_finished_session_refuses_a_socket(base: str, keys: Any) -> None:
    opened = await _open(base, keys["a"], learner="l2", unit=UNIT)
    async with websockets.connect(_ws_url(base, opened)) as ws:
        await _until(ws, "partner.done")
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "I am Li."}))
        await _until(ws, "partner.done")
        await ws.send(json.dumps({"type": "finish", "seq": 2}))
        await _until(ws, "finished")
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(_ws_url(base, opened)) as ws:
            await ws.recv()
    async with httpx.AsyncClient(base_url=base) as http:
        again = await http.post(
            f"/v1/practice/{opened['session']}/finish", headers=_auth(keys["a"])
        )
    assert again.json()["event_status"] == "duplicate"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "text", "seq": 5, "text": "hi"}, "out of sequence"),
        ({"type": "shout", "seq": 1}, "unknown message type"),
        ({"type": "text", "seq": 1, "text": ""}, "1 to 2000 characters"),
        ({"type": "text", "text": "hi"}, "'seq'"),
        ([1, 2], "JSON object"),
    ],
    ids=["out-of-sequence", "unknown-type", "empty-text", "no-seq", "not-object"],
)
async def test_bad_messages_get_an_error_and_change_nothing(
    base: str, keys: Any, message: Any, reason: str
) -> None:
    opened = await _open(base, keys["a"], learner="l3", unit=UNIT)
    async with websockets.connect(_ws_url(base, opened)) as ws:
        await _until(ws, "partner.done")
        await ws.send(json.dumps(message))
        error = (await _until(ws, "error"))[-1]
        assert reason in error["detail"]
        # The session goes on: the next message in sequence is answered.
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "I am Li"}))
        done = (await _until(ws, "partner.done"))[-1]
    assert done["text"] == "Nice to meet you! Where are you from?"


async def test_audio_frames_that_are_not_pcm_are_refused(base: str, keys: Any) -> None:
    opened = await _open(base, keys["a"], learner="l4", unit=UNIT)
    async with websockets.connect(_ws_url(base, opened)) as ws:
        await _until(ws, "partner.done")
        await ws.send((1).to_bytes(4, "big") + b"\x00\x01\x02")  # odd bytes
        error = (await _until(ws, "error"))[-1]
        await ws.send((2).to_bytes(4, "big") + b"\x00" * 64_000)  # 2 s at once
        error2 = (await _until(ws, "error"))[-1]
    assert "even number of bytes" in error["detail"] or "text turns" in error["detail"]
    assert "at most" in error2["detail"] or "text turns" in error2["detail"]


async def test_no_socket_without_the_token_or_of_another_school(
    base: str, keys: Any
) -> None:
    opened = await _open(base, keys["a"], learner="l5", unit=UNIT)
    wrong = dict(opened, token=opened["token"][:-4] + "AAAA")
    for url, headers in [
        (_ws_url(base, wrong), {}),
        (f"ws{base[4:]}{opened['ws_path']}", _auth(keys["b"])),
        (f"ws{base[4:]}{opened['ws_path']}", {}),
    ]:
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(url, additional_headers=headers) as ws:
                await ws.recv()
    # The school's own API key opens it.
    url = f"ws{base[4:]}{opened['ws_path']}"
    async with websockets.connect(url, additional_headers=_auth(keys["a"])) as ws:
        assert (await _until(ws, "ready"))[0]["session"] == opened["session"]


async def test_a_unit_that_is_not_practice_is_refused(base: str, keys: Any) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post(
            "/v1/practice",
            json={"learner": "l6", "unit": "st_quiz_starter_check"},
            headers=_auth(keys["a"]),
        )
    assert r.status_code == 422
    assert r.json()["type"].endswith("practice-invalid")


async def test_the_example_client_holds_a_session(
    base: str, keys: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from levelwise.examples import practice_client

    lines = "My name is Li.\nI am from Shanghai.\n/finish\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    args = ["--url", base, "--key", keys["a"], "--learner", "l7", "--unit", UNIT]
    await practice_client.main(args)
    printed = capsys.readouterr().out
    assert "Nice to meet you! Where are you from?" in printed
    assert '"learner_turns": 2' in printed
