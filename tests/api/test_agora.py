"""Agora's Conversational AI Engine: the custom LLM endpoint and the notifications.

The requests are the recorded examples in ``tests/data/agora`` (shaped as
Agora's documentation shows them); the school runs the example English
program, whose unit ``st_practice_meet_partner`` has the "meet a classmate"
scenario.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.api import create_app
from levelwise.api.routes import agora as agora_routes
from levelwise.app.engine import Levelwise
from levelwise.app.practice import agora
from levelwise.app.practice.ports import ChatMessage
from levelwise.app.practice.service import Backends
from levelwise.errors import ModelUnavailableError
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import answered

pytestmark = pytest.mark.anyio
DATA = Path(__file__).resolve().parent.parent / "data" / "agora"
ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
UNIT = "st_practice_meet_partner"
SECRET = "ncs-secret-of-school-a"
GREET = "Hi! I'm Sam. What's your name?"
ASK_FROM = "Nice to meet you! Where are you from?"
ASK_LIKE = "Cool! What do you like to do?"
BYE = "That sounds fun. It was nice to meet you. See you in class. Goodbye!"


class RecordingModel:
    """A language model that keeps what it was sent and streams a fixed reply."""

    name = "local-llm"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[list[ChatMessage]] = []

    async def stream(
        self, messages: Sequence[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        self.seen.append(list(messages))
        if self.fail:
            raise ModelUnavailableError("connection refused")
        for part in ("Nice ", "to ", "meet ", "you!"):
            yield part


def _engine(model: RecordingModel | None = None) -> Levelwise:
    backends = Backends(
        model=(lambda: model) if model is not None else None,
        agora_secrets={"school-a": SECRET},
    )
    engine = Levelwise(
        InMemoryEventLog(),
        FixedClock(),
        practice=InMemoryPracticeStore(),
        partner=backends,
    )
    engine.put_program("school-a", ENGLISH)
    return engine


def _client(engine: Levelwise) -> httpx.AsyncClient:
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://levelwise.test")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> Levelwise:
    return _engine()


@pytest.fixture
async def client(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(engine) as c:
        yield c


@pytest.fixture
def key(engine: Levelwise) -> str:
    return engine.create_key("school-a", "agora")


def _request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "chat_request.json").read_text())
    body.update(changes)
    return body


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _sse(text: str) -> list[str]:
    """The ``data:`` values of a server-sent event stream, in order."""
    return [
        line.removeprefix("data: ")
        for line in text.split("\n")
        if line.startswith("data: ")
    ]


def _signed(raw: bytes, secret: str = SECRET, *, v1: bool = False) -> dict[str, str]:
    if v1:
        digest = hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
        return {"Content-Type": "application/json", "Agora-Signature": digest}
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Agora-Signature-V2": digest}


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _partner(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


# -- the custom LLM endpoint ---------------------------------------------------


async def test_the_stream_is_openai_chunks_ending_with_done(
    client: httpx.AsyncClient, key: str
) -> None:
    r = await client.post(
        "/v1/agora/chat/completions", json=_request(), headers=_auth(key)
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    data = _sse(r.text)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    # The learner gave their name: the scenario moves on to "where from".
    assert text == ASK_FROM
    assert chunks[0]["model"] == "scripted"


async def test_the_openai_client_reads_the_stream_and_the_whole_reply(
    engine: Levelwise, key: str
) -> None:
    app = create_app(engine)
    app.include_router(agora_routes.router)
    # The openai client speaks through httpx2 (its own fork of httpx).
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app))
    llm = openai.AsyncOpenAI(
        api_key=key,
        base_url="http://levelwise.test/v1/agora",
        http_client=http,
        max_retries=0,
    )
    messages: Any = [
        {"role": "system", "content": "You are a helpful assistant."},
        _partner(GREET),
        _user("I am Li."),
        _partner(ASK_FROM),
        _user("I live in Madrid, a city in Spain."),
    ]
    who = {"levelwise": {"learner": "ana", "unit": UNIT}}
    async with http:
        stream = await llm.chat.completions.create(
            model="partner", messages=messages, stream=True, extra_body=who
        )
        streamed = "".join(
            [c.choices[0].delta.content or "" async for c in stream if c.choices]
        )
        whole = await llm.chat.completions.create(
            model="partner", messages=messages, user="ana"
        )
    assert streamed == ASK_LIKE
    assert whole.object == "chat.completion"
    assert whole.choices[0].message.content == ASK_LIKE
    assert whole.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        # The learner spoke first: the scenario's first line was the opening.
        ([_user("My name is Li.")], ASK_FROM),
        # The partner's last line anchors the script, even after a long history
        # Agora cut (max_history) so that replaying would start elsewhere.
        ([_partner(ASK_LIKE), _user("I love football.")], BYE),
        # No partner line matches (a model or greeting said it): replay the
        # learner's turns from the first line.
        (
            [
                _partner("Welcome!"),
                _user("I'm Li."),
                _user("From Lima, in Peru."),
                _user("I play games."),
            ],
            BYE,
        ),
        # An answer no branch matches: the line's default next line.
        (
            [_partner(GREET), _user("Yes.")],
            "Sorry, I didn't hear you. My name is Sam. What is your name?",
        ),
        # After the last line (no branch, no default): it is said again.
        (
            [_partner(BYE), _user("Okay.")],
            f"Sorry, let's keep to our conversation. {BYE}",
        ),
        # Nothing said yet: the opening line.
        ([], GREET),
    ],
    ids=["learner-first", "anchored", "replayed", "default", "ended", "opening"],
)
async def test_the_scripted_partner_continues_the_scenario(
    client: httpx.AsyncClient, key: str, messages: list[Any], expected: str
) -> None:
    body = _request(messages=messages, stream=False)
    r = await client.post("/v1/agora/chat/completions", json=body, headers=_auth(key))
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == expected


async def test_the_instructions_carry_the_level_and_weak_points_only() -> None:
    model = RecordingModel()
    engine = _engine(model)
    key = engine.create_key("school-a", "agora")
    # The learner is strong on greetings; another learner has events too.
    strong = [answered(True, kp="greetings", learner="ana") for _ in range(12)]
    engine.ingest(
        "school-a", [*strong, answered(False, kp="greetings", learner="rival-bo")]
    )
    async with _client(engine) as client:
        r = await client.post(
            "/v1/agora/chat/completions",
            json=_request(stream=False),
            headers=_auth(key),
        )
        fresh = await client.post(
            "/v1/agora/chat/completions",
            json=_request(stream=False, levelwise={"learner": "newcomer"}),
            headers=_auth(key),
        )
    assert r.status_code == 200 and fresh.status_code == 200, r.text + fresh.text
    assert r.json()["model"] == "local-llm"
    assert r.json()["choices"][0]["message"]["content"] == "Nice to meet you!"
    sent = model.seen[0]
    assert [m.role for m in sent] == ["system", "assistant", "user"]
    system = sent[0].content
    assert "Starter (pre-A1)" in system  # the first level's title
    weak = next(line for line in system.splitlines() if "weakest" in line)
    # Least mastered first: introductions before the greetings ana practised.
    assert weak.index("Introducing yourself") < weak.index("Hello, goodbye")
    assert "Meeting a new classmate" in system
    assert "You are a helpful assistant" not in system  # Agora's system message
    for message in sent:
        assert "rival-bo" not in message.content
    assert "ana" not in system.split()
    # A learner Levelwise has never seen starts from the program's priors.
    assert "Starter (pre-A1)" in model.seen[1][0].content
    assert "newcomer" not in model.seen[1][0].content


async def test_a_model_that_is_down_leaves_the_reply_to_the_script() -> None:
    model = RecordingModel(fail=True)
    engine = _engine(model)
    key = engine.create_key("school-a", "agora")
    async with _client(engine) as client:
        r = await client.post(
            "/v1/agora/chat/completions", json=_request(), headers=_auth(key)
        )
    assert r.status_code == 200, r.text
    chunks = [json.loads(d) for d in _sse(r.text)[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == (
        ASK_FROM
    )
    assert {c["model"] for c in chunks} == {"scripted"}
    assert len(model.seen) == 1  # it was asked first


async def test_the_endpoint_needs_the_school_key(
    client: httpx.AsyncClient, key: str
) -> None:
    none = await client.post("/v1/agora/chat/completions", json=_request())
    wrong = await client.post(
        "/v1/agora/chat/completions", json=_request(), headers=_auth("lw_nope")
    )
    assert_problem(none, 401, "unauthenticated")
    assert_problem(wrong, 401, "unauthenticated")


async def test_the_learner_must_be_named(client: httpx.AsyncClient, key: str) -> None:
    body = _request()
    del body["levelwise"]
    r = await client.post("/v1/agora/chat/completions", json=body, headers=_auth(key))
    problem = assert_problem(r, 422, "invalid-request")
    assert "levelwise" in json.dumps(problem)
    bad_unit = _request(levelwise={"learner": "ana", "unit": "st_homework_about_me"})
    r = await client.post(
        "/v1/agora/chat/completions", json=bad_unit, headers=_auth(key)
    )
    assert_problem(r, 422, "practice-invalid")


# -- the notifications ---------------------------------------------------------


async def test_a_finished_conversation_becomes_one_practice_completed(
    client: httpx.AsyncClient, key: str
) -> None:
    raw = (DATA / "agent_history_103.json").read_bytes()
    first = await client.post(
        "/v1/agora/notifications", content=raw, headers=_signed(raw)
    )
    again = await client.post(
        "/v1/agora/notifications", content=raw, headers=_signed(raw)
    )
    assert first.status_code == 200, first.text
    done = first.json()
    assert done["status"] == "accepted"
    assert done["event_id"] == "practice-agora-1NT29X10YH3K8WJOXLYHNYB"
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["event_id"] == done["event_id"]
    session = (
        await client.get(f"/v1/practice/{done['session']}", headers=_auth(key))
    ).json()
    assert session["learner"] == "ana" and session["unit"] == UNIT
    assert session["status"] == "finished"
    roles = [t["role"] for t in session["turns"]]
    assert roles == ["partner", "learner"] * 3 + ["partner"]  # the empty one left
    assert session["metrics"]["learner_turns"] == 3
    assert session["metrics"]["target_words_used"] >= 4  # name, meet, from, like
    # "Cool! What do you like to do?" was still playing when ana spoke.
    interrupted = [t["text"] for t in session["turns"] if t["interrupted"]]
    assert interrupted == [ASK_LIKE]
    assert session["metrics"]["interrupted_turns"] == 1
    # Partner playback start minus the learner's speech end, per partner turn.
    audio = [t["latency"].get("first_audio") for t in session["turns"][2::2]]
    assert audio == [800.0, 900.0, 800.0]
    learner = await client.get("/v1/learners/ana", headers=_auth(key))
    assert learner.status_code == 200


async def test_the_v1_signature_is_read_when_v2_is_not_sent(
    client: httpx.AsyncClient, key: str
) -> None:
    raw = (DATA / "agent_history_103.json").read_bytes()
    r = await client.post(
        "/v1/agora/notifications", content=raw, headers=_signed(raw, v1=True)
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Agora-Signature-V2": "0" * 64},
        _signed(b"another body"),
        _signed((DATA / "agent_history_103.json").read_bytes(), "another secret"),
        # A good V1 does not rescue a bad V2.
        {
            **_signed((DATA / "agent_history_103.json").read_bytes(), v1=True),
            "Agora-Signature-V2": "0" * 64,
        },
    ],
    ids=["missing", "garbage", "other-body", "other-secret", "bad-v2-good-v1"],
)
async def test_a_bad_signature_is_401_and_nothing_is_recorded(
    client: httpx.AsyncClient, key: str, headers: dict[str, str]
) -> None:
    raw = (DATA / "agent_history_103.json").read_bytes()
    r = await client.post("/v1/agora/notifications", content=raw, headers=headers)
    assert_problem(r, 401, "unauthenticated")
    learner = await client.get("/v1/learners/ana", headers=_auth(key))
    assert_problem(learner, 404, "learner-not-found")


async def test_a_school_without_a_secret_cannot_be_notified(
    client: httpx.AsyncClient,
) -> None:
    body = json.loads((DATA / "agent_history_103.json").read_text())
    body["payload"]["labels"]["levelwise_school"] = "school-b"
    raw = json.dumps(body).encode()
    r = await client.post("/v1/agora/notifications", content=raw, headers=_signed(raw))
    assert_problem(r, 401, "unauthenticated")


@pytest.mark.parametrize("name", ["agent_metrics_111.json", "agent_joined_101.json"])
async def test_other_events_are_acknowledged_and_ignored(
    client: httpx.AsyncClient, key: str, name: str
) -> None:
    raw = (DATA / name).read_bytes()
    r = await client.post("/v1/agora/notifications", content=raw, headers=_signed(raw))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ignored"
    assert r.json()["event_type"] == json.loads(raw)["eventType"]
    learner = await client.get("/v1/learners/ana", headers=_auth(key))
    assert_problem(learner, 404, "learner-not-found")


async def test_an_agent_without_the_school_label_is_not_ours(
    client: httpx.AsyncClient,
) -> None:
    body = json.loads((DATA / "agent_history_103.json").read_text())
    del body["payload"]["labels"]
    r = await client.post("/v1/agora/notifications", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ignored"


async def test_a_history_without_a_learner_label_is_refused(
    client: httpx.AsyncClient,
) -> None:
    body = json.loads((DATA / "agent_history_103.json").read_text())
    del body["payload"]["labels"]["levelwise_learner"]
    raw = json.dumps(body).encode()
    r = await client.post("/v1/agora/notifications", content=raw, headers=_signed(raw))
    problem = assert_problem(r, 422, "practice-invalid")
    assert "levelwise_learner" in problem["detail"]


async def test_a_history_where_the_learner_said_nothing_is_ignored(
    client: httpx.AsyncClient, key: str
) -> None:
    body = json.loads((DATA / "agent_history_103.json").read_text())
    contents = body["payload"]["contents"]
    body["payload"]["contents"] = [c for c in contents if c["role"] == "assistant"]
    raw = json.dumps(body).encode()
    r = await client.post("/v1/agora/notifications", content=raw, headers=_signed(raw))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ignored"


# -- the mapping ---------------------------------------------------------------


def test_signatures_are_hmacs_of_the_raw_body() -> None:
    # RFC 4231 test case 2 (HMAC-SHA256) and RFC 2202 test case 2 (HMAC-SHA1).
    body = b"what do ya want for nothing?"
    v2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    v1 = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    assert agora.verify_signature(body, "Jefe", signature_v2=v2)
    assert agora.verify_signature(body, "Jefe", signature_v2=v2.upper())
    assert agora.verify_signature(body, "Jefe", signature_v1=v1)
    assert not agora.verify_signature(body + b" ", "Jefe", signature_v2=v2)
    assert not agora.verify_signature(body, "jefe", signature_v1=v1)
    assert not agora.verify_signature(body, "Jefe")


def test_history_times_are_read_in_seconds_or_milliseconds() -> None:
    body = json.loads((DATA / "agent_history_103.json").read_text())
    in_seconds = agora.conversation(agora.notification(body))
    in_ms = copy.deepcopy(body)
    in_ms["payload"]["start_ts"] *= 1000
    in_ms["payload"]["stop_ts"] *= 1000
    assert agora.conversation(agora.notification(in_ms)) == in_seconds
    assert in_seconds.started_at == "2024-05-06T12:53:20.000Z"
    assert in_seconds.finished_at == "2024-05-06T12:54:20.000Z"
    durations = [t.duration for t in in_seconds.turns if t.role == "learner"]
    assert durations == [3.6, 3.0, 3.4]
