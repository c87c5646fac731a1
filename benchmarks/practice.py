"""Speaking-partner benchmark: time to first audio, barge-in, and load.

Run: ``python benchmarks/practice.py`` (about two minutes). Three processes, as
in production: a local stand-in for an OpenAI-compatible model server
(streaming SSE with a configurable time to first token and token rate), the
Levelwise API (uvicorn, in-memory store, the example English program), and
this client. It measures, in one run:

* references: the stand-in's own time to first token (a raw streaming request),
  espeak-ng synthesising a first sentence, pocketsphinx decoding one turn;
* time to first audio (TTFA) of voice turns with the model stand-in, and with
  the offline pipeline (pocketsphinx + scripted partner + espeak-ng), from the
  learner's speech end: the server's own stage timings, and the client's view
  (last voiced frame sent -> first audio chunk received);
* barge-in: the learner speaks over the partner; stop = first voiced frame sent
  -> last partner audio chunk received (client) and ``barge_in_stop`` (server);
* load: 50 concurrent text sessions with the scripted partner (turn latency),
  and 10 concurrent voice sessions with the offline pipeline (TTFA, barge-in).

Each figure is printed with its ratio to a reference measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "src/levelwise/examples/programs/english.yaml"
UNIT = "a1_practice_ordering_food"
FRAME = 960  # 30 ms of 16 kHz 16-bit mono
REPLY = (
    "That sounds good. Would you like something to drink with it? "
    "We have fresh orange juice and green tea today."
)
LEARNER = [
    "I would like a sandwich and a salad please.",
    "Yes please, I would like a cup of tea.",
    "How much is it? Can I have the bill please?",
    "Thank you very much, goodbye.",
]


# -- the stand-in model server (its own process) -------------------------------


def serve_model(port: int, ttft: float, rate: float) -> None:
    """An OpenAI-compatible streaming chat endpoint: wait ``ttft``, then tokens."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def completions(request: Request) -> StreamingResponse:
        await request.json()

        async def chunks() -> Any:
            await asyncio.sleep(ttft)
            words = REPLY.split(" ")
            for i, word in enumerate(words):
                piece = word + (" " if i < len(words) - 1 else "")
                body = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "stand-in",
                    "choices": [
                        {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                    ],
                }
                yield f"data: {json.dumps(body)}\n\n"
                await asyncio.sleep(1 / rate)
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    app = Starlette(
        routes=[Route("/v1/chat/completions", completions, methods=["POST"])]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- the Levelwise server (its own process) ------------------------------------


def serve_levelwise(port: int, model_url: str | None) -> None:
    """The API over memory with the example program; prints its key."""
    import uvicorn

    from levelwise.bootstrap import build, create_api
    from levelwise.config import Settings

    settings = Settings(db="memory", practice_model_url=model_url)
    engine = build(settings=settings)
    engine.put_program("bench", PROGRAM.read_text(encoding="utf-8"))
    print(engine.create_key("bench", "bench"), flush=True)
    uvicorn.run(
        create_api(engine, settings), host="127.0.0.1", port=port, log_level="warning"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait(port: int) -> None:
    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


# -- the client ----------------------------------------------------------------


class Session:
    """One practice session's socket: a reader times what arrives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seq = 0
        self.first_audio: float | None = None
        self.last_audio = 0.0
        self.audio_chunks = 0
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            if isinstance(raw, bytes):
                now = time.perf_counter()
                if self.first_audio is None:
                    self.first_audio = now
                self.last_audio = now
                self.audio_chunks += 1
                self.inbox.put_nowait({"type": "audio"})
            else:
                self.inbox.put_nowait(json.loads(raw))

    async def send(self, message: dict[str, Any]) -> None:
        self.seq += 1
        await self.ws.send(json.dumps({**message, "seq": self.seq}))

    async def send_audio(self, pcm: bytes) -> None:
        self.seq += 1
        await self.ws.send(self.seq.to_bytes(4, "big") + pcm)

    async def until(self, *kinds: str, audio: bool = False) -> dict[str, Any]:
        """Read until a message of ``kinds`` (or, with ``audio``, a chunk)."""
        while True:
            message = await asyncio.wait_for(self.inbox.get(), 60)
            if message["type"] in kinds or (audio and message["type"] == "audio"):
                return message


async def _open(http: httpx.AsyncClient, key: str, learner: str) -> tuple[str, str]:
    r = await http.post(
        "/v1/practice",
        json={"learner": learner, "unit": UNIT},
        headers={"Authorization": f"Bearer {key}"},
    )
    r.raise_for_status()
    body = r.json()
    return body["session"], f"{body['ws_path']}?token={body['token']}"


async def _speak(s: Session, pcm: bytes, silence_ms: int = 600) -> float:
    """Stream ``pcm`` then silence in real time; return when speech ended."""
    tail = b"\x00\x00" * (16 * silence_ms)
    samples = memoryview(pcm).cast("h")
    # The speech ends at its last loud sample (espeak-ng ends in silence).
    last = 2 * max((i for i, x in enumerate(samples) if abs(x) > 1000), default=0)
    start = time.perf_counter()
    sent = 0.0
    speech_end = 0.0
    for at in range(0, len(pcm) + len(tail), FRAME):
        frame = (pcm + tail)[at : at + FRAME]
        await s.send_audio(frame)
        if at <= last:
            speech_end = time.perf_counter()
        sent += len(frame) / 32000
        wait = start + sent - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
    return speech_end


async def voice_session(
    base: str, key: str, learner: str, utterances: list[bytes], barge: bytes
) -> dict[str, list[float]]:
    """Talk by voice; barge in on the partner's second reply; time it all."""
    found: dict[str, list[float]] = {"ttfa": [], "barge_client": []}
    async with httpx.AsyncClient(base_url=base) as http:
        session, path = await _open(http, key, learner)
        async with websockets.connect(f"ws{base[4:]}{path}", max_size=None) as ws:
            s = Session(ws)
            await s.until("ready")
            await s.until("partner.done")
            for turn, pcm in enumerate(utterances):
                s.first_audio = None
                speech_end = await _speak(s, pcm)
                if turn == 1:
                    # Barge in 400 ms into the partner's voice.
                    await s.until("partner.done", audio=True)
                    await asyncio.sleep(0.4)
                    # The learner talks over the partner, in real time.
                    started = time.perf_counter()
                    talking = asyncio.create_task(_speak(s, barge))
                    cut = await s.until("partner.interrupted", "partner.done")
                    if cut["type"] == "partner.interrupted":
                        found["barge_client"].append(
                            max(s.last_audio - started, 0) * 1000
                        )
                    await talking
                    await s.until("partner.done", "partner.interrupted")
                    continue
                await s.until("partner.done", "partner.interrupted")
                if s.first_audio is not None:
                    found["ttfa"].append((s.first_audio - speech_end) * 1000)
        r = await http.get(
            f"/v1/practice/{session}", headers={"Authorization": f"Bearer {key}"}
        )
    for turn in r.json()["turns"]:
        for stage, ms in turn["latency"].items():
            found.setdefault(stage, []).append(ms)
    return found


async def text_session(base: str, key: str, learner: str) -> dict[str, list[float]]:
    """Eight typed turns with the scripted partner; time each reply."""
    found: dict[str, list[float]] = {"first_delta": [], "reply": []}
    async with httpx.AsyncClient(base_url=base) as http:
        _, path = await _open(http, key, learner)
    async with websockets.connect(f"ws{base[4:]}{path}") as ws:
        s = Session(ws)
        await s.until("ready")
        await s.until("partner.done")
        for turn in range(8):
            started = time.perf_counter()
            await s.send({"type": "text", "text": LEARNER[turn % len(LEARNER)]})
            await s.until("partner.delta")
            found["first_delta"].append((time.perf_counter() - started) * 1000)
            await s.until("partner.done")
            found["reply"].append((time.perf_counter() - started) * 1000)
    return found


def _voiced(pcm: bytes) -> bytes:
    """``pcm`` from its first loud sample (espeak-ng starts with silence)."""
    samples = memoryview(pcm).cast("h")
    start = next((i for i, x in enumerate(samples) if abs(x) > 1000), 0)
    return pcm[start * 2 :]


def _merge(results: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    merged: dict[str, list[float]] = {}
    for found in results:
        for k, v in found.items():
            merged.setdefault(k, []).extend(v)
    return merged


def _q(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _line(name: str, values: list[float], ref: float | None = None) -> str:
    text = (
        f"  {name:<34} n={len(values):<4} p50 {_q(values, 0.5):7.0f} ms  "
        f"p90 {_q(values, 0.9):7.0f} ms  p99 {_q(values, 0.99):7.0f} ms"
    )
    if ref:
        text += f"  (p50 = {_q(values, 0.5) / ref:.1f} x reference)"
    return text


def references(model_url: str) -> dict[str, float]:
    """Raw component times: model TTFT, espeak-ng first sentence, pocketsphinx."""
    from levelwise.adapters.speech.espeak import EspeakTextToSpeech
    from levelwise.adapters.speech.sphinx import SphinxSpeechToText

    ttft = []
    for _ in range(5):
        started = time.perf_counter()
        with httpx.stream(
            "POST",
            f"{model_url}/chat/completions",
            json={"model": "stand-in", "messages": [], "stream": True},
        ) as r:
            for _line_ in r.iter_lines():
                if _line_.startswith("data: {"):
                    ttft.append((time.perf_counter() - started) * 1000)
                    break
    tts = EspeakTextToSpeech()
    synth = []
    for _ in range(5):
        started = time.perf_counter()
        pcm = tts.synthesize("That sounds good.")
        synth.append((time.perf_counter() - started) * 1000)
    stt = SphinxSpeechToText()
    speech = tts.synthesize(LEARNER[0])
    decode = []
    for _ in range(3):
        started = time.perf_counter()
        stt.transcribe(speech)
        decode.append((time.perf_counter() - started) * 1000)
    del pcm
    return {
        "model_ttft": statistics.median(ttft),
        "tts_sentence": statistics.median(synth),
        "stt_turn": statistics.median(decode),
    }


async def run(args: argparse.Namespace) -> None:
    from levelwise.adapters.speech.espeak import EspeakTextToSpeech

    model_port, lw_model_port, lw_port = _free_port(), _free_port(), _free_port()
    model = _spawn("--serve-model", str(model_port), str(args.ttft), str(args.rate))
    model_url = f"http://127.0.0.1:{model_port}/v1"
    with_model = _spawn("--serve-levelwise", str(lw_model_port), model_url)
    offline = _spawn("--serve-levelwise", str(lw_port), "")
    try:
        assert with_model.stdout and offline.stdout
        key_model = with_model.stdout.readline().strip()
        key = offline.stdout.readline().strip()
        for port in (model_port, lw_model_port, lw_port):
            _wait(port)
        refs = references(model_url)
        print(
            f"references: model stand-in TTFT {refs['model_ttft']:.0f} ms "
            f"(set {args.ttft * 1000:.0f} ms, {args.rate:.0f} tokens/s); espeak-ng "
            f"first sentence {refs['tts_sentence']:.0f} ms; pocketsphinx one turn "
            f"{refs['stt_turn']:.0f} ms"
        )
        tts = EspeakTextToSpeech()
        utterances = [tts.synthesize(t) for t in LEARNER[:3]]
        barge = _voiced(tts.synthesize("Sorry, wait, I want coffee instead."))
        pipeline = refs["model_ttft"] + refs["stt_turn"] + refs["tts_sentence"]

        base = f"http://127.0.0.1:{lw_model_port}"
        runs = [
            await voice_session(base, key_model, f"m{i}", utterances, barge)
            for i in range(args.turns)
        ]
        found = _merge(runs)
        print("\nvoice, local model stand-in, one session at a time:")
        print(_line("TTFA (client)", found["ttfa"], pipeline))
        for stage in ("turn_end", "transcript", "first_token", "first_audio"):
            print(_line(f"{stage} (server)", found.get(stage, [])))
        print(_line("barge-in stop (client)", found["barge_client"]))
        print(_line("barge-in stop (server)", found.get("barge_in_stop", [])))
        print(
            f"  reference: end silence {500} ms + STT + model TTFT + TTS = "
            f"{500 + pipeline:.0f} ms"
        )

        base = f"http://127.0.0.1:{lw_port}"
        found = _merge(
            [
                await voice_session(base, key, f"o{i}", utterances, barge)
                for i in range(2)
            ]
        )
        print("\nvoice, offline pipeline (pocketsphinx + scripted + espeak-ng):")
        print(
            _line(
                "TTFA (client)", found["ttfa"], refs["stt_turn"] + refs["tts_sentence"]
            )
        )
        for stage in ("turn_end", "transcript", "first_audio"):
            print(_line(f"{stage} (server)", found.get(stage, [])))

        texts = await asyncio.gather(
            *(text_session(base, key, f"t{i}") for i in range(args.text_sessions))
        )
        found = _merge(list(texts))
        print(f"\nload: {args.text_sessions} concurrent text sessions (scripted):")
        print(_line("first delta", found["first_delta"]))
        print(_line("whole reply", found["reply"]))

        voices = await asyncio.gather(
            *(
                voice_session(base, key, f"v{i}", utterances, barge)
                for i in range(args.voice_sessions)
            )
        )
        found = _merge(list(voices))
        print(f"\nload: {args.voice_sessions} concurrent voice sessions (offline):")
        print(
            _line(
                "TTFA (client)", found["ttfa"], refs["stt_turn"] + refs["tts_sentence"]
            )
        )
        print(_line("transcript (server)", found.get("transcript", [])))
        print(_line("first_audio (server)", found.get("first_audio", [])))
        print(_line("barge-in stop (client)", found["barge_client"]))
        print(_line("barge-in stop (server)", found.get("barge_in_stop", [])))
    finally:
        for p in (model, with_model, offline):
            p.terminate()
            p.wait()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-model":
        serve_model(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-levelwise":
        serve_levelwise(int(sys.argv[2]), sys.argv[3] or None)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttft", type=float, default=0.25, help="stand-in TTFT, s")
    parser.add_argument("--rate", type=float, default=30.0, help="tokens per second")
    parser.add_argument("--turns", type=int, default=6, help="voice sessions, model")
    parser.add_argument("--text-sessions", type=int, default=50)
    parser.add_argument("--voice-sessions", type=int, default=10)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
