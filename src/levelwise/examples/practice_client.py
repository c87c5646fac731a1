"""A runnable example client of the practice WebSocket protocol (docs/practice.md).

Text turns from the terminal::

    python -m levelwise.examples.practice_client --key lw_... --learner l1

Or a voice turn from a 16 kHz mono 16-bit WAV file, streamed in real time as
20 ms frames (``--wav hello.wav``); the partner's audio is written to
``--out reply.wav``. ``/finish`` (or the end of input) finishes the session and
prints its scores; ``/quit`` leaves it open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import wave
from typing import Any

import httpx
import websockets

FRAME = 640  # 20 ms of 16 kHz 16-bit mono


class Client:
    """One session's socket: numbers what it sends, prints what it gets."""

    def __init__(self, ws: Any) -> None:
        """Start at sequence number 1."""
        self.ws = ws
        self.seq = 0
        self.audio = bytearray()

    async def send(self, message: dict[str, Any]) -> None:
        """Send a typed JSON message with the next sequence number."""
        self.seq += 1
        await self.ws.send(json.dumps({**message, "seq": self.seq}))

    async def send_audio(self, pcm: bytes) -> None:
        """Send a binary audio frame: 4-byte sequence number, then PCM."""
        self.seq += 1
        await self.ws.send(self.seq.to_bytes(4, "big") + pcm)

    async def until(self, *kinds: str) -> dict[str, Any]:
        """Print messages until one of ``kinds`` arrives; return it."""
        while True:
            raw = await self.ws.recv()
            if isinstance(raw, bytes):
                self.audio += raw[4:]  # the partner's voice
                continue
            message: dict[str, Any] = json.loads(raw)
            kind = message["type"]
            if kind == "partner.delta":
                print(message["text"], end="", flush=True)
            elif kind in ("partner.done", "partner.interrupted"):
                print("" if kind == "partner.done" else " (interrupted)")
            elif kind in ("notice", "error"):
                print(f"[{kind}] {message.get('text') or message.get('detail')}")
            elif kind == "learner.transcript":
                print(f"(heard) {message['text']}")
            if kind in kinds:
                return message


async def main(argv: list[str] | None = None) -> None:
    """Open a session, talk, finish."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="The school's API key")
    parser.add_argument("--learner", required=True)
    parser.add_argument("--unit", default=None)
    parser.add_argument("--wav", default=None, help="Speak this 16 kHz mono WAV")
    parser.add_argument("--out", default=None, help="Write the partner's audio")
    args = parser.parse_args(argv)
    body = {"learner": args.learner, "unit": args.unit}
    async with httpx.AsyncClient(base_url=args.url) as http:
        r = await http.post(
            "/v1/practice",
            json={k: v for k, v in body.items() if v},
            headers={"Authorization": f"Bearer {args.key}"},
        )
        r.raise_for_status()
        opened = r.json()
    ws_url = f"ws{args.url.removeprefix('http')}{opened['ws_path']}"
    async with websockets.connect(f"{ws_url}?token={opened['token']}") as ws:
        client = Client(ws)
        await client.until("ready")
        await client.until("partner.done")
        if args.wav:
            with wave.open(args.wav) as w:
                pcm = w.readframes(w.getnframes())
            for start in range(0, len(pcm), FRAME):
                await client.send_audio(pcm[start : start + FRAME])
                await asyncio.sleep(0.02)  # real time
            await client.send({"type": "audio.end"})
            await client.until("partner.done", "partner.interrupted")
        else:
            for line in sys.stdin:
                text = line.strip()
                if text == "/quit":
                    return
                if text == "/finish":
                    break
                if text:
                    await client.send({"type": "text", "text": text})
                    await client.until("partner.done")
        await client.send({"type": "finish"})
        report = (await client.until("finished", "error")).get("report", {})
    print(json.dumps(report.get("metrics", {}), indent=2))
    if args.out and client.audio:
        with wave.open(args.out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(bytes(client.audio))


if __name__ == "__main__":  # pragma: no cover
    asyncio.run(main())
