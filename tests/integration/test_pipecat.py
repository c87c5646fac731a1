"""Pipecat: the LevelwiseProcessor in a pipeline run by Pipecat's own test utilities.

``pipecat.tests.utils.run_test`` runs the processor and its partner tap over a
scripted conversation (the bot's greeting, the learner's timed answer, a reply
the learner cuts off, their second answer) against a real Levelwise app over
an ASGI transport. Pipecat is the ``levelwise[pipecat]`` extra: without it the
module is skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from types import SimpleNamespace

import httpx
import pytest

with warnings.catch_warnings():
    # Pipecat imports the standard library's audioop, deprecated on 3.11.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    if not os.environ.get("CI"):
        pytest.importorskip("pipecat")
    from pipecat.frames.frames import (
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        Frame,
        InterruptionFrame,
        LLMTextFrame,
        LLMUpdateSettingsFrame,
        MetricsFrame,
        TranscriptionFrame,
        TTSTextFrame,
        UserStoppedSpeakingFrame,
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    )
    from pipecat.metrics.metrics import TTFBMetricsData
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.tests.utils import SleepFrame, run_test

from levelwise.adapters.clock import SystemClock
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.adapters.pipecat import LevelwiseProcessor, timed_words
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from tests.support.factories import answered

pytestmark = pytest.mark.anyio
ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
BASE = "http://levelwise.test"
# Stream times, as Deepgram gives them: "My name is Ana." in one run, then
# "I am from Brazil." and, after a 0.5 s pause, "I like music.".
FIRST = [("My", 1.0, 1.2), ("name", 1.25, 1.5), ("is", 1.55, 1.7), ("Ana.", 1.75, 2.2)]
SECOND = [
    ("I", 9.0, 9.1),
    ("am", 9.15, 9.3),
    ("from", 9.35, 9.6),
    ("Brazil.", 9.65, 10.2),
    ("I", 10.7, 10.8),
    ("like", 10.85, 11.1),
    ("music.", 11.15, 11.6),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(
        InMemoryEventLog(), SystemClock(), practice=InMemoryPracticeStore()
    )
    engine.put_program("school-a", ENGLISH)
    # ana has practised greetings: her weakest point is introductions.
    strong = [answered(True, kp="greetings", learner="ana") for _ in range(12)]
    engine.ingest("school-a", strong)
    return engine


@pytest.fixture
async def levelwise(engine: Levelwise) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def _heard(text: str, words: list[tuple[str, float, float]]) -> TranscriptionFrame:
    timed = [{"word": w, "start": s, "end": e} for w, s, e in words]
    now = datetime.now(UTC).isoformat()
    return TranscriptionFrame(text, "ana", now, result={"words": timed})


def _pause(seconds: float = 0.05) -> SleepFrame:
    # System frames (speaking, interruptions) overtake data frames (text):
    # a pause between them keeps the script's order.
    return SleepFrame(sleep=seconds)


async def test_the_processor_injects_instructions_and_records_the_talk(
    engine: Levelwise, levelwise: httpx.AsyncClient
) -> None:
    key = engine.create_key("school-a", "pipecat")
    auth = {"Authorization": f"Bearer {key}"}
    asked = await levelwise.post(
        "/v1/practice/instructions", json={"learner": "ana"}, headers=auth
    )
    assert asked.status_code == 200, asked.text
    processor = LevelwiseProcessor(
        url=BASE, api_key=key, learner="ana", session="room-1", client=levelwise
    )
    script: list[Frame] = [
        BotStartedSpeakingFrame(),
        _pause(),
        TTSTextFrame("Hi! I'm Sam.", text_type="sentence"),
        TTSTextFrame("What's your name?", text_type="sentence"),
        _pause(),
        BotStoppedSpeakingFrame(),
        VADUserStartedSpeakingFrame(),
        _pause(),
        VADUserStoppedSpeakingFrame(),
        _pause(),
        _heard("My name is Ana.", FIRST),
        _pause(),
        UserStoppedSpeakingFrame(),
        MetricsFrame(data=[TTFBMetricsData(processor="OpenAILLMService#0", value=0.2)]),
        _pause(0.3),
        LLMTextFrame("Nice to meet you, Ana! "),
        LLMTextFrame("Where are you from?"),
        _pause(),
        BotStartedSpeakingFrame(),
        _pause(),
        TTSTextFrame("Nice to meet you, Ana!", text_type="sentence"),
        _pause(),
        VADUserStartedSpeakingFrame(start_secs=0.0),
        InterruptionFrame(),
        _pause(0.1),
        BotStoppedSpeakingFrame(),
        VADUserStoppedSpeakingFrame(),
        _pause(),
        _heard("I am from Brazil.", SECOND[:4]),
        _heard("I like music.", SECOND[4:]),
        _pause(),
        UserStoppedSpeakingFrame(),
    ]

    down, up = await run_test(
        Pipeline([processor, processor.partner_tap()]),
        frames_to_send=script,
        start_timeout=5.0,
    )

    # The LLM is told the learner's instructions first; every frame passes on.
    settings, *passed = down
    assert isinstance(settings, LLMUpdateSettingsFrame)
    assert settings.delta is not None
    instructions = settings.delta.system_instruction
    assert instructions == asked.json()["instructions"]
    assert isinstance(instructions, str) and "Starter (pre-A1)" in instructions
    weak = next(line for line in instructions.splitlines() if "weakest" in line)
    assert weak.index("Introducing yourself") < weak.index("Hello, goodbye")
    assert "ana" not in instructions.split()
    sent = [f for f in script if not isinstance(f, SleepFrame)]
    assert len(passed) == len(sent)
    assert all(got is frame for got, frame in zip(passed, sent, strict=True))
    assert up == []

    assert processor.recorded is not None
    assert processor.recorded["event_status"] == "accepted"
    r = await levelwise.get("/v1/practice/room-1", headers=auth)
    assert r.status_code == 200, r.text
    session = r.json()
    assert session["learner"] == "ana" and session["backends"] == {"engine": "pipecat"}
    turns = session["turns"]
    assert [t["role"] for t in turns] == ["partner", "learner", "partner", "learner"]
    greeting, answer, cut, second = turns
    assert greeting["text"] == "Hi! I'm Sam. What's your name?"
    assert not greeting["interrupted"] and greeting["latency"] == {}
    assert answer["text"] == "My name is Ana."
    assert [(w["text"], w["start"], w["end"]) for w in answer["words"]] == FIRST
    # The learner cut the reply off: only the words spoken were delivered.
    assert cut["interrupted"]
    assert cut["text"] == "Nice to meet you, Ana!"
    assert cut["generated"] == "Nice to meet you, Ana! Where are you from?"
    latency = cut["latency"]
    assert latency["first_audio"] >= 300  # the 0.3 s before the bot spoke
    assert (
        0 <= latency["transcript"] <= latency["first_token"] <= latency["first_audio"]
    )
    assert latency["barge_in_stop"] >= 100  # it spoke on for 0.1 s
    assert second["text"] == "I am from Brazil. I like music."
    assert len(second["words"]) == len(SECOND)
    metrics = session["metrics"]
    assert metrics["learner_turns"] == 2 and metrics["interrupted_turns"] == 1
    # Fluency from the words: a pause of 0.5 s in 11 words over 3.8 s of runs.
    assert metrics["mean_length_of_run"] == pytest.approx(11 / 3)
    assert metrics["speech_rate"] > 0
    learner = await levelwise.get("/v1/learners/ana", headers=auth)
    assert learner.json()["counters"]["practice_minutes"] > 0


async def test_a_levelwise_outage_leaves_the_pipeline_alone() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    calls: list[str] = []

    def counted(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return refuse(request)

    down_client = httpx.AsyncClient(transport=httpx.MockTransport(counted))
    processor = LevelwiseProcessor(
        url=BASE, api_key="lw_key", learner="ana", client=down_client
    )
    script: list[Frame] = [
        VADUserStoppedSpeakingFrame(),
        _pause(),
        _heard("My name is Ana.", FIRST),
        _pause(),
        BotStartedSpeakingFrame(),
        _pause(),
        TTSTextFrame("Nice to meet you!", text_type="sentence"),
        _pause(),
        BotStoppedSpeakingFrame(),
    ]

    async with down_client:
        down, _ = await run_test(processor, frames_to_send=script)

    # Nothing injected, nothing recorded, every frame passed on: the
    # conversation went on without Levelwise, which was asked both times.
    sent = [f for f in script if not isinstance(f, SleepFrame)]
    assert all(got is frame for got, frame in zip(down, sent, strict=True))
    assert processor.instructions is None and processor.recorded is None
    assert calls == ["/v1/practice/instructions", "/v1/practice/external"]


def _deepgram(*words: tuple[str, float, float]) -> SimpleNamespace:
    """A Deepgram result as Pipecat's DeepgramSTTService passes it."""
    items = [
        SimpleNamespace(word=w.lower().strip(".,"), punctuated_word=w, start=s, end=e)
        for w, s, e in words
    ]
    alternative = SimpleNamespace(transcript="", words=items)
    return SimpleNamespace(channel=SimpleNamespace(alternatives=[alternative]))


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        # Deepgram's result: punctuated words, stream times in seconds.
        (_deepgram(*FIRST), FIRST),
        # A mapping with a words list ("word" or "text").
        ({"words": [{"text": "Hi", "start": 0, "end": 0.4}]}, [("Hi", 0.0, 0.4)]),
        # No result, no words; times that cannot be: no words at all.
        (None, []),
        ({"words": [{"word": "Hi", "start": 0.5, "end": 0.2}]}, []),
        (
            {
                "words": [
                    {"word": "a", "start": 2, "end": 3},
                    {"word": "b", "start": 1, "end": 4},
                ]
            },
            [],
        ),
        ({"words": [{"word": "Hi", "start": float("nan"), "end": 1}]}, []),
        ({"words": [{"word": "Hi", "start": True, "end": 1}]}, []),
        ({"words": "Hi"}, []),
    ],
    ids=[
        "deepgram",
        "mapping",
        "none",
        "backwards",
        "unordered",
        "nan",
        "bool",
        "text",
    ],
)
def test_timed_words_are_read_from_the_result(
    result: object, expected: list[tuple[str, float, float]]
) -> None:
    frame = TranscriptionFrame("text", "ana", "2026-12-07T10:00:00Z", result=result)

    assert timed_words(frame) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"learner": "ana/../bo"},
        {"session": "s" * 192},
        {"unit": ""},
        {"source": "Pipe Cat"},
    ],
    ids=["learner", "session", "unit", "source"],
)
def test_ids_levelwise_would_refuse_are_refused_at_once(
    changes: dict[str, str],
) -> None:
    settings = {"url": BASE, "api_key": "lw_key", "learner": "ana", **changes}

    with pytest.raises(ValueError, match="not an id Levelwise accepts"):
        LevelwiseProcessor(**settings)
