"""A voice practice session end to end, offline, over a real WebSocket.

espeak-ng speaks the learner, pocketsphinx hears them (words with timestamps),
WebRTC's VAD finds their turns, the scripted partner answers in espeak-ng
audio, the learner cuts the partner off in the middle, and finishing the
session ingests a ``practice.completed`` whose metrics move the learner's
speaking ability, with a receipt that names them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from importlib import resources
from typing import Any

import pytest
import websockets

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.adapters.speech.espeak import EspeakTextToSpeech
from levelwise.api import create_app
from levelwise.app.engine import Levelwise
from levelwise.bootstrap import partner_backends
from levelwise.config import Settings
from tests.api.conftest import FixedClock
from tests.support.live_server import serve

if shutil.which("espeak-ng") is None and not os.environ.get("CI"):
    pytest.skip(
        "espeak-ng is not installed (make test installs it)", allow_module_level=True
    )

pytestmark = pytest.mark.anyio
ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
UNIT = "st_practice_meet_partner"  # trains greetings and introductions: speaking
FRAME = 960  # 30 ms
# The learner's voice: espeak-ng's Klatt voice, which pocketsphinx hears best.
LEARNER = EspeakTextToSpeech(voice="en-us+klatt", words_per_minute=140)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> Levelwise:
    backends = partner_backends(Settings(practice_end_silence_ms=400))
    assert backends.stt is not None and backends.tts is not None
    engine = Levelwise(
        InMemoryEventLog(),
        FixedClock(),
        practice=InMemoryPracticeStore(),
        partner=backends,
    )
    engine.put_program("s", ENGLISH)
    return engine


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seq = 0
        self.audio: list[bytes] = []
        self.seen: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.seq += 1
        await self.ws.send(json.dumps({**message, "seq": self.seq}))

    async def speak(self, pcm: bytes, silence_ms: int = 600) -> None:
        """The learner's words then silence, a little faster than real time."""
        data = pcm + b"\x00\x00" * (16 * silence_ms)
        for at in range(0, len(data), FRAME):
            self.seq += 1
            await self.ws.send(self.seq.to_bytes(4, "big") + data[at : at + FRAME])
            await asyncio.sleep(0.005)

    async def until(self, *kinds: str, audio: bool = False) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), 30)
            if isinstance(raw, bytes):
                self.audio.append(raw[4:])
                if audio:
                    return {"type": "audio"}
                continue
            message: dict[str, Any] = json.loads(raw)
            self.seen.append(message)
            if message["type"] in kinds:
                return message


async def test_a_voice_session_from_speech_to_a_receipt(engine: Levelwise) -> None:
    opened = engine.practice.start("s", "ana", UNIT)
    app = create_app(engine)
    with serve(app, ws="websockets-sansio") as base:
        session = opened.record.session
        url = f"ws{base[4:]}/v1/practice/{session}/ws?token={opened.token}&mode=voice"
        async with websockets.connect(url, max_size=None) as ws:
            c = Client(ws)
            await c.until("ready")
            opening = await c.until("partner.done")
            # The partner spoke its opening: 16 kHz PCM of about its length.
            spoken = sum(len(a) for a in c.audio) / 32000
            assert opening["text"] == "Hi! I'm Sam. What's your name?"
            assert 1.0 < spoken < 6.0
            # Turn 1: the learner gives their name, by voice.
            await c.speak(LEARNER.synthesize("Hello my name is Anna"))
            heard = await c.until("learner.transcript")
            words = heard["words"]
            assert "name" in heard["text"].split()
            starts = [w["start"] for w in words]
            assert starts == sorted(starts) and all(
                w["end"] > w["start"] for w in words
            )
            reply = await c.until("partner.done")
            assert reply["text"] == "Nice to meet you! Where are you from?"
            # Turn 2: where from; the partner starts answering...
            await c.speak(LEARNER.synthesize("I am from China and I live in Shanghai"))
            await c.until("learner.transcript")
            c.audio.clear()
            await c.until("partner.done", audio=True)
            await asyncio.sleep(0.3)
            # ... and the learner cuts in.
            await c.speak(LEARNER.synthesize("Sorry, I like music and football"))
            cut = await c.until("partner.interrupted")
            await c.until("partner.done")  # the partner's next line
            await c.send({"type": "finish"})
            report = (await c.until("finished"))["report"]
    interrupted = next(t for t in report["turns"] if t["interrupted"])
    assert cut["text"] == interrupted["text"]
    assert len(interrupted["text"].split()) < len(interrupted["generated"].split())
    assert interrupted["latency"]["barge_in_stop"] < 300
    assert report["latency"]["first_audio"]["n"] >= 2
    learner_turns = [t for t in report["turns"] if t["role"] == "learner"]
    assert len(learner_turns) == 3 and all(t["mode"] == "voice" for t in learner_turns)
    metrics = report["metrics"]
    for name in ("speech_rate", "articulation_rate", "mean_length_of_run", "tokens"):
        assert metrics[name] > 0, name
    assert report["event_status"] == "accepted"
    # The event's metrics moved speaking fluency, and the receipt says how.
    receipts = engine.receipts("s", "ana", kinds=["ability_measured"])
    fluency = next(r for r in receipts if r["dimension"] == "speaking_fluency")
    assert fluency["after"] != fluency["before"]
    assert "speech rate" in fluency["text"] and "MLR" in fluency["text"]
