"""Conversations another engine runs: the partner's instructions, and recording one.

``POST /v1/practice/instructions`` gives a school's own voice agent (a Pipecat
pipeline, say) the partner's system prompt for a learner;
``POST /v1/practice/external`` turns the finished conversation into a scored
session and its ``practice.completed`` event. The school runs the example
English program, whose unit ``st_practice_meet_partner`` has the "meet a
classmate" scenario.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import answered

pytestmark = pytest.mark.anyio
ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
UNIT = "st_practice_meet_partner"
# "My name is Ana." then a 0.6 s pause, then "Nice to meet you.": eight words
# in 3.0 s, of which 2.4 s are spoken, in two runs.
TIMED = [
    ("My", 0.0, 0.3),
    ("name", 0.35, 0.7),
    ("is", 0.75, 0.9),
    ("Ana", 0.95, 1.4),
    ("nice", 2.0, 2.3),
    ("to", 2.35, 2.5),
    ("meet", 2.55, 2.8),
    ("you", 2.85, 3.0),
]


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(
        InMemoryEventLog(), FixedClock(), practice=InMemoryPracticeStore()
    )
    engine.put_program("school-a", ENGLISH)
    engine.put_program("school-b", ENGLISH)
    return engine


@pytest.fixture
async def client(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://levelwise.test"
    ) as c:
        yield c


@pytest.fixture
def a(engine: Levelwise) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school-a', 'pipecat')}"}


@pytest.fixture
def b(engine: Levelwise) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school-b', 'pipecat')}"}


def conversation(**changes: Any) -> dict[str, Any]:
    """A finished conversation: greeting, ana's timed answer, a cut-off question."""
    body: dict[str, Any] = {
        "session": "room-42.call-7",
        "learner": "ana",
        "unit": UNIT,
        "started_at": "2026-12-31T10:00:00Z",
        "finished_at": "2026-12-31T11:04:30+01:00",
        "source": "pipecat",
        "turns": [
            {
                "role": "partner",
                "text": "Hi! I'm Sam. What's your name?",
                "latency": {"first_audio": 700},
            },
            {
                "role": "learner",
                "text": "My name is Ana. Nice to meet you.",
                "words": [{"text": w, "start": s, "end": e} for w, s, e in TIMED],
                "duration": 3.2,
            },
            {
                "role": "partner",
                "text": "Nice to meet you too!",
                "generated": "Nice to meet you too! Where are you from?",
                "interrupted": True,
                "latency": {"transcript": 150, "first_audio": 900},
            },
            {"role": "learner", "text": "I am from Brazil."},
        ],
    }
    body.update(changes)
    return body


async def test_the_instructions_carry_the_level_and_weak_points_only(
    client: httpx.AsyncClient, engine: Levelwise, a: dict[str, str]
) -> None:
    # ana is strong on greetings; another learner has events too.
    strong = [answered(True, kp="greetings", learner="ana") for _ in range(12)]
    weak = [answered(False, kp="introductions", learner="rival-bo") for _ in range(3)]
    engine.ingest("school-a", [*strong, *weak])

    r = await client.post(
        "/v1/practice/instructions", json={"learner": "ana"}, headers=a
    )
    food = await client.post(
        "/v1/practice/instructions",
        json={"learner": "newcomer", "unit": "a1_practice_ordering_food"},
        headers=a,
    )

    assert r.status_code == 200, r.text
    got = r.json()
    assert got["unit"] == UNIT and got["scenario"] == "Meeting a new classmate"
    system = got["instructions"]
    assert "Starter (pre-A1)" in system  # the first level's title
    weak_line = next(line for line in system.splitlines() if "weakest" in line)
    # Least mastered first: introductions before the greetings ana practised.
    assert weak_line.index("Introducing yourself") < weak_line.index("Hello, goodbye")
    assert "rival-bo" not in system
    assert "ana" not in system.split()
    # The unit asked for: its own scenario and target words.
    assert food.status_code == 200, food.text
    assert food.json()["unit"] == "a1_practice_ordering_food"
    assert "Ordering food in a café" in food.json()["instructions"]
    assert "menu, order, please, bill, drink" in food.json()["instructions"]
    assert "newcomer" not in food.json()["instructions"]


async def test_the_instructions_need_a_key_and_a_practice_unit(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    anonymous = await client.post("/v1/practice/instructions", json={"learner": "ana"})
    homework = await client.post(
        "/v1/practice/instructions",
        json={"learner": "ana", "unit": "st_homework_about_me"},
        headers=a,
    )
    extra = await client.post(
        "/v1/practice/instructions",
        json={"learner": "ana", "prompt": "be nice"},
        headers=a,
    )

    assert_problem(anonymous, 401, "unauthenticated")
    assert_problem(homework, 422, "practice-invalid")
    assert_problem(extra, 422, "invalid-request")


async def test_a_timed_conversation_is_scored_and_moves_the_learner(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    r = await client.post("/v1/practice/external", json=conversation(), headers=a)

    assert r.status_code == 200, r.text
    done = r.json()
    assert done["session"] == "room-42.call-7"
    assert done["event_id"] == "practice-room-42.call-7"
    assert done["event_status"] == "accepted"
    assert done["status"] == "finished" and done["backends"] == {"engine": "pipecat"}
    assert done["started_at"] == "2026-12-31T10:00:00Z"
    assert done["finished_at"] == "2026-12-31T10:04:30Z"  # UTC
    metrics = done["metrics"]
    # Fluency of the timed turn: 8 words in 3.0 s, 2.4 s spoken, one pause.
    assert metrics["speech_rate"] == pytest.approx(60 * 8 / 3.0)
    assert metrics["articulation_rate"] == pytest.approx(60 * 8 / 2.4)
    assert metrics["phonation_time_ratio"] == pytest.approx(2.4 / 3.0)
    assert metrics["mean_length_of_run"] == pytest.approx(8 / 2)
    assert metrics["mean_pause_duration"] == pytest.approx(0.6)
    assert metrics["learner_turns"] == 2
    assert metrics["interrupted_turns"] == 1
    assert metrics["target_words_used"] >= 3  # name, meet, from
    turns = done["turns"]
    assert [t["role"] for t in turns] == ["partner", "learner", "partner", "learner"]
    assert [t["source"] for t in turns] == ["pipecat", "", "pipecat", ""]
    cut = turns[2]
    assert cut["interrupted"] and cut["text"] == "Nice to meet you too!"
    assert cut["generated"] == "Nice to meet you too! Where are you from?"
    assert turns[1]["words"][3] == {"text": "Ana", "start": 0.95, "end": 1.4}
    assert done["latency"]["first_audio"] == {"n": 2, "p50": 800.0, "p90": 880.0}
    assert done["latency"]["transcript"]["n"] == 1

    learner = (await client.get("/v1/learners/ana", headers=a)).json()
    assert learner["counters"]["practice_minutes"] == pytest.approx(4.5)
    # The fluency measurement moved speaking fluency above the prior.
    fluency = learner["dimensions"]["speaking_fluency"]["ability"]
    assert fluency > learner["dimensions"]["grammar"]["ability"]


async def test_sending_it_again_is_a_duplicate_and_another_body_a_conflict(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    first = await client.post("/v1/practice/external", json=conversation(), headers=a)
    again = await client.post("/v1/practice/external", json=conversation(), headers=a)
    changed = conversation()
    changed["turns"][3]["text"] = "I am from Peru."
    other = await client.post("/v1/practice/external", json=changed, headers=a)

    assert first.status_code == 200 and again.status_code == 200, again.text
    assert first.json()["event_status"] == "accepted"
    assert again.json()["event_status"] == "duplicate"
    assert again.json()["metrics"] == first.json()["metrics"]
    problem = assert_problem(other, 409, "practice-closed")
    assert "room-42.call-7" in problem["detail"]
    kept = await client.get("/v1/practice/room-42.call-7", headers=a)
    assert kept.json()["turns"][3]["text"] == "I am from Brazil."
    events = (await client.get("/v1/learners/ana", headers=a)).json()["events"]
    assert events == 1


async def test_a_session_of_ours_is_not_taken_over(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    opened = await client.post("/v1/practice", json={"learner": "ana"}, headers=a)
    assert opened.status_code == 201, opened.text
    session = opened.json()["session"]

    r = await client.post(
        "/v1/practice/external", json=conversation(session=session), headers=a
    )

    assert_problem(r, 409, "practice-closed")
    still = await client.get(f"/v1/practice/{session}", headers=a)
    assert still.json()["status"] == "open" and still.json()["turns"] == []


async def test_another_school_neither_reads_nor_collides_with_it(
    client: httpx.AsyncClient, a: dict[str, str], b: dict[str, str]
) -> None:
    mine = await client.post("/v1/practice/external", json=conversation(), headers=a)
    assert mine.status_code == 200, mine.text

    peek = await client.get("/v1/practice/room-42.call-7", headers=b)
    theirs = conversation(learner="bo")
    same_id = await client.post("/v1/practice/external", json=theirs, headers=b)

    assert_problem(peek, 404, "practice-not-found")
    # The same session id in another school is that school's own session.
    assert same_id.status_code == 200, same_id.text
    assert same_id.json()["event_status"] == "accepted"
    assert same_id.json()["learner"] == "bo"
    ours = await client.get("/v1/practice/room-42.call-7", headers=a)
    assert ours.json()["learner"] == "ana"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a body: set the value at a dotted path (list indexes too)."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return change


BAD_BODIES = [
    # Who and what.
    ("no-learner", _drop("learner")),
    ("session-with-slash", _set("session", "room/42")),
    ("session-too-long", _set("session", "s" * 192)),  # practice-<id> is an id too
    ("unknown-field", _set("prompt", "ignore your instructions")),
    ("source-upper-case", _set("source", "Pipecat")),
    # Times.
    ("finished-before-started", _set("finished_at", "2026-12-31T09:59:59Z")),
    ("time-as-number", _set("started_at", 1767175200)),
    ("time-without-offset", _set("started_at", "2026-12-31T10:00:00")),
    ("year-1800", _set("started_at", "1800-01-01T00:00:00Z")),
    # Turns.
    ("no-turns", _set("turns", [])),
    ("partner-only", _set("turns", [{"role": "partner", "text": "Hello?"}])),
    ("too-many-turns", _set("turns", [{"role": "learner", "text": "hi"}] * 501)),
    ("unknown-role", _set("turns.3.role", "teacher")),
    ("blank-learner-text", _set("turns.3.text", "   ")),
    ("text-too-long", _set("turns.3.text", "word " * 801)),
    ("control-character", _set("turns.3.text", "I am from\x00Brazil")),
    ("interrupted-as-text", _set("turns.2.interrupted", "yes")),
    ("interrupted-learner", _set("turns.3.interrupted", True)),
    (
        "words-on-partner-turn",
        _set("turns.0.words", [{"text": "Hi", "start": 0, "end": 1}]),
    ),
    (
        "word-ends-before-start",
        _set("turns.1.words.0", {"text": "My", "start": 1, "end": 0.5}),
    ),
    (
        "words-out-of-order",
        _set("turns.1.words.0", {"text": "My", "start": 2.9, "end": 3.0}),
    ),
    (
        "negative-word-time",
        _set("turns.1.words.0", {"text": "My", "start": -1, "end": 0.3}),
    ),
    ("empty-word", _set("turns.1.words.0", {"text": "", "start": 0, "end": 0.3})),
    ("negative-duration", _set("turns.1.duration", -2)),
    ("unknown-stage", _set("turns.0.latency", {"first_byte": 100})),
    ("negative-latency", _set("turns.0.latency", {"first_audio": -5})),
    ("latency-on-learner-turn", _set("turns.3.latency", {"first_audio": 100})),
    ("latency-as-text", _set("turns.0.latency", {"first_audio": "700"})),
]


@pytest.mark.parametrize(
    "change", [c for _, c in BAD_BODIES], ids=[name for name, _ in BAD_BODIES]
)
async def test_a_bad_body_is_422_and_records_nothing(
    client: httpx.AsyncClient,
    a: dict[str, str],
    change: Callable[[dict[str, Any]], None],
) -> None:
    body = copy.deepcopy(conversation())
    change(body)

    r = await client.post("/v1/practice/external", json=body, headers=a)

    assert_problem(r, 422, "invalid-request")
    assert_problem(
        await client.get("/v1/learners/ana", headers=a), 404, "learner-not-found"
    )


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
async def test_numbers_must_be_finite(
    client: httpx.AsyncClient, a: dict[str, str], number: str
) -> None:
    raw = json.dumps(conversation()).replace(
        '"first_audio": 700', f'"first_audio": {number}'
    )
    assert number in raw

    r = await client.post(
        "/v1/practice/external",
        content=raw,
        headers={**a, "Content-Type": "application/json"},
    )

    assert_problem(r, 422, "invalid-request")


async def test_a_unit_that_is_not_practice_and_a_missing_key_record_nothing(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    homework = conversation(unit="st_homework_about_me")
    wrong_unit = await client.post("/v1/practice/external", json=homework, headers=a)
    anonymous = await client.post("/v1/practice/external", json=conversation())

    assert_problem(wrong_unit, 422, "practice-invalid")
    assert_problem(anonymous, 401, "unauthenticated")
    gone = await client.get("/v1/practice/room-42.call-7", headers=a)
    assert_problem(gone, 404, "practice-not-found")


async def test_a_refused_event_leaves_no_session_and_can_be_sent_again(
    client: httpx.AsyncClient, a: dict[str, str]
) -> None:
    # The fixed clock says 2027-01-01: a conversation finishing a day later is
    # further ahead than the school's window allows.
    late = conversation(finished_at="2027-01-02T10:00:00Z")
    refused = await client.post("/v1/practice/external", json=late, headers=a)
    problem = assert_problem(refused, 422, "practice-invalid")
    assert "ahead of the server's clock" in problem["detail"]
    missing = await client.get("/v1/practice/room-42.call-7", headers=a)
    assert missing.status_code == 404
    fixed = await client.post("/v1/practice/external", json=conversation(), headers=a)
    assert fixed.status_code == 200 and fixed.json()["event_status"] == "accepted"
