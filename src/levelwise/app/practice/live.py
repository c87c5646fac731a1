"""A live practice conversation: turns in, streamed replies out, barge-in.

The learner types a turn or speaks (16 kHz PCM in any frame size). Voice runs
through the VAD frame by frame: speech starts after ``barge_in_frames``
voiced frames in a row and ends after ``end_silence_ms`` of silence; the turn's
audio then goes to speech to text. The partner's reply streams from the model
as text deltas; for voice, each sentence is synthesised as soon as it is
complete and its audio sent in chunks paced at real time (a little ahead, so the
client never starves), which is what makes a barge-in meaningful: when the
learner starts speaking or sends text while the partner is still generating or
speaking, the reply task is cancelled (the model stream closed, queued audio
dropped) and the partner's turn keeps only what was delivered: the text deltas
sent (text), or the sentences played plus the share of the current sentence's
words whose audio went out (voice).

Every stage of a turn is timed on the server's monotonic clock from the
learner's speech end (the last voiced frame) or the text's arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from levelwise.app.practice._script import ScriptedPartner
from levelwise.app.practice.ports import (
    FRAME_BYTES,
    FRAME_MS,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    ChatMessage,
    LanguageModel,
    SpeechStream,
    SpeechToText,
    StreamingSpeechToText,
    TextToSpeech,
    Transcript,
    TurnRecord,
    VoiceActivity,
)
from levelwise.errors import ModelUnavailableError, PracticeError, SpeechError

FEED_BYTES = FRAME_BYTES * 6
"""Audio handed to a streaming recogniser at a time (180 ms)."""
_SENTENCE = re.compile(r"(.+?[.!?…]+[\"')\]]*)(\s+|$)", re.S)
BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_WIDTH


class Sender(Protocol):
    """How a conversation talks back to its client (the WebSocket, a test)."""

    async def json(self, message: dict[str, Any]) -> None:
        """Send one typed JSON message."""
        ...

    async def audio(self, pcm: bytes) -> None:
        """Send one chunk of the partner's audio."""
        ...


@dataclass(frozen=True)
class LiveSettings:
    """How a live conversation listens and speaks.

    Attributes:
        end_silence_ms: Silence that ends a spoken turn.
        speculate_ms: Silence after which a language model starts on the
            turn heard so far, its reply held back until the turn's end is
            decided and dropped if the learner speaks on (0: never, the
            default while speech to text decodes in the server's process).
            The scripted partner answers at once and never speculates.
        stream_speech: Feed a streaming speech-to-text while the learner
            speaks. Off by default: pocketsphinx holds the interpreter lock
            while it decodes, so decoding beside the event loop would stall
            every session's audio on the server (benchmarks/practice.py);
            an adapter that releases it (a remote service) gains from it.
        barge_in_frames: Voiced 30 ms frames in a row that start speech (and
            interrupt the partner).
        chunk_ms: Milliseconds of audio per chunk sent.
        lead_ms: How far ahead of real time the partner's audio is sent.
        first_token_timeout: Seconds to wait for the model's first token
            before the scripted partner takes over.
        max_message_bytes: The largest audio message accepted.
        max_turn_seconds: The longest spoken turn; longer ones end there.
    """

    end_silence_ms: int = 500
    speculate_ms: int = 0
    stream_speech: bool = False
    barge_in_frames: int = 3
    chunk_ms: int = 100
    lead_ms: int = 200
    first_token_timeout: float = 3.0
    max_message_bytes: int = BYTES_PER_SECOND
    max_turn_seconds: float = 30.0


@dataclass
class _Speech:
    """What the speaker task has sent of the partner's reply."""

    done: list[str] = field(default_factory=list)
    current: str = ""
    total: int = 0
    sent: int = 0
    first_audio: float | None = None

    def delivered(self) -> str:
        words = self.current.split()
        if words and self.total:
            heard = math.floor(len(words) * self.sent / self.total)
            return " ".join([*self.done, " ".join(words[:heard])]).strip()
        return " ".join(self.done).strip()


@dataclass
class _Speculation:
    """A reply started before the turn's end was decided, held at its gate."""

    task: asyncio.Task[None]
    gate: asyncio.Event
    heard: asyncio.Future[Transcript]
    stages: dict[str, float]


def sentences(buffer: str) -> tuple[list[str], str]:
    """Split complete sentences off ``buffer``; return them and the rest.

    Examples:
        >>> sentences("Hi there! How are")
        (['Hi there!'], 'How are')
        >>> sentences("Mr. Li")
        (['Mr.'], 'Li')
    """
    found: list[str] = []
    end = 0
    for match in _SENTENCE.finditer(buffer):
        if match.group(2) == "" and match.end() == len(buffer):
            # A final stop with nothing after it may be an abbreviation or a
            # number still streaming ("3." of "3.5"): wait for what follows.
            break
        found.append(match.group(1).strip())
        end = match.end()
    return found, buffer[end:]


class Conversation:
    """One connected practice session.

    Args:
        system: The partner's instructions (see ``_prompt.instructions``).
        model: The language model (the scripted partner by default).
        script: The scripted partner, which takes over when the model fails.
        send: Where messages and audio go.
        stt: Speech to text (None: text only).
        tts: Text to speech (None: text replies only).
        vad: Voice activity (None: text only).
        hints: Phrases the learner is likely to say (for speech to text).
        settings: Listening and speaking settings.
        turns: The conversation so far (a reconnected session).
        on_turn: Awaited after each recorded turn (to persist the session).
        now: The monotonic clock, in seconds.
        listen: Makes the speech to text and the VAD when the learner's
            first audio arrives (instead of ``stt`` and ``vad``): a decoder
            costs time and memory that a typed session never needs.
    """

    def __init__(
        self,
        *,
        system: str,
        model: LanguageModel,
        script: ScriptedPartner,
        send: Sender,
        stt: SpeechToText | None = None,
        tts: TextToSpeech | None = None,
        vad: VoiceActivity | None = None,
        hints: Sequence[str] = (),
        settings: LiveSettings | None = None,
        turns: Sequence[TurnRecord] = (),
        on_turn: Callable[[TurnRecord], Awaitable[None]] | None = None,
        now: Callable[[], float] = time.monotonic,
        listen: Callable[[], tuple[SpeechToText, VoiceActivity]] | None = None,
    ) -> None:
        """Wait for the client; nothing is sent until :meth:`begin`."""
        self.system = system
        self.model = model
        self.script = script
        self.send = send
        self.stt, self.tts, self.vad = stt, tts, vad
        self._listen = listen
        self.hints = tuple(hints)
        self.settings = settings or LiveSettings()
        self.turns: list[TurnRecord] = list(turns)
        self.notices: list[str] = []
        self.on_turn = on_turn
        self.now = now
        self.voice = False
        self._reply: asyncio.Task[None] | None = None
        self._pending = b""
        self._preroll: deque[bytes] = deque(maxlen=10)
        self._run = 0
        self._run_start = 0.0
        self._speaking = False
        self._utterance = bytearray()
        self._silence = 0
        self._last_voiced = 0.0
        self._barge_start: float | None = None
        self._stream: SpeechStream | None = None
        self._unfed = b""
        self._feeding: asyncio.Task[None] | None = None
        self._spec: _Speculation | None = None

    # -- the client's messages ------------------------------------------------

    async def begin(self) -> None:
        """The partner opens the conversation (unless it is a resumed one)."""
        if not self.turns:
            self._start_reply(self.now(), {})

    async def text(self, text: str) -> None:
        """A typed learner turn: interrupts the partner, then gets a reply."""
        at = self.now()
        await self._barge_in(at)
        await self._record(TurnRecord(len(self.turns), "learner", text.strip()))
        self._start_reply(at, {"turn_end": 0.0, "transcript": 0.0})

    async def audio(self, pcm: bytes) -> None:
        """Some of the learner's audio: any number of whole 16-bit samples.

        Raises:
            PracticeError: The audio is not 16-bit samples, or too large, or
                the server has no speech back ends.
        """
        if (self.vad is None or self.stt is None) and self._listen is not None:
            listen, self._listen = self._listen, None
            self.stt, self.vad = await asyncio.to_thread(listen)
        if self.vad is None or self.stt is None:
            msg = "this server takes text turns only (no speech back ends)"
            raise PracticeError(msg)
        if len(pcm) % SAMPLE_WIDTH:
            msg = (
                f"audio must be 16-bit PCM samples (an even number of bytes); got "
                f"{len(pcm)} bytes"
            )
            raise PracticeError(msg)
        if len(pcm) > self.settings.max_message_bytes:
            msg = (
                f"an audio message holds at most {self.settings.max_message_bytes} "
                f"bytes (1 s of 16 kHz 16-bit mono); got {len(pcm)}"
            )
            raise PracticeError(msg)
        self.voice = True
        data = self._pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        for start in range(0, whole, FRAME_BYTES):
            await self._frame(data[start : start + FRAME_BYTES])

    async def audio_end(self) -> None:
        """The client says the learner stopped talking (push to talk)."""
        if self._speaking:
            await self._end_turn(self.now())

    async def close(self) -> None:
        """Stop whatever the partner is doing (the client left or finished)."""
        await self._drop_speculation()
        task = self._reply
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until the partner's current reply is complete."""
        task = self._reply
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- listening ------------------------------------------------------------

    async def _frame(self, frame: bytes) -> None:
        assert self.vad is not None  # noqa: S101 - checked by audio()
        at = self.now()
        voiced = self.vad.is_speech(frame)
        if not self._speaking:
            self._preroll.append(frame)
            if not voiced:
                self._run = 0
                return
            self._run += 1
            if self._run == 1:
                self._run_start = at
            if self._run < self.settings.barge_in_frames:
                return
            self._speaking = True
            self._utterance = bytearray(b"".join(self._preroll))
            self._preroll.clear()
            if self.settings.stream_speech and isinstance(
                self.stt, StreamingSpeechToText
            ):
                self._stream = self.stt.open(self.hints)
                self._feed(bytes(self._utterance))
            self._silence = 0
            self._last_voiced = at
            await self.send.json({"type": "speech.started"})
            await self._barge_in(self._run_start)
            return
        self._utterance += frame
        if self._stream is not None:
            self._feed(frame)
        if voiced:
            self._silence = 0
            self._last_voiced = at
            await self._drop_speculation()  # the learner goes on
        else:
            self._silence += 1
            speculate = self.settings.speculate_ms
            if (
                0 < speculate <= self._silence * FRAME_MS
                and self._spec is None
                and self.model is not self.script
            ):
                self._speculate()
        too_long = len(self._utterance) >= self.settings.max_turn_seconds * (
            BYTES_PER_SECOND
        )
        if self._silence * FRAME_MS >= self.settings.end_silence_ms or too_long:
            await self._end_turn(at)

    async def _end_turn(self, at: float) -> None:
        assert self.stt is not None  # noqa: S101 - checked by audio()
        pcm = bytes(self._utterance)
        ended = self._last_voiced
        self._speaking, self._utterance, self._run = False, bytearray(), 0
        stream, self._stream = self._stream, None
        stages = {"turn_end": _ms(at - ended)}
        spec, self._spec = self._spec, None
        if spec is not None:
            await self._settle(spec, stream, stages, ended)
            return
        try:
            heard = await self._transcript(stream, pcm)
        except SpeechError as exc:
            await self.send.json(
                {"type": "error", "code": "speech", "detail": str(exc)}
            )
            return
        stages["transcript"] = _ms(self.now() - ended)
        if not await self._heard(heard):
            return  # nothing was understood: no turn, no reply
        self._start_reply(ended, stages)

    async def _heard(self, heard: Transcript) -> bool:
        """Show the learner what was heard; record it as their turn if any."""
        words = tuple((w.text, w.start, w.end) for w in heard.words)
        turn = TurnRecord(
            len(self.turns),
            "learner",
            heard.text,
            mode="voice",
            words=words,
            duration=round(heard.duration, 3),
        )
        await self.send.json(
            {
                "type": "learner.transcript",
                "turn": turn.index,
                "text": heard.text,
                "words": [{"text": w, "start": s, "end": e} for w, s, e in words],
            }
        )
        if heard.text:
            await self._record(turn)
        return bool(heard.text)

    def _speculate(self) -> None:
        """Start the reply on the turn so far, held until the turn ends."""
        assert self.stt is not None  # noqa: S101 - only while listening
        stt, pcm, origin = self.stt, bytes(self._utterance), self._last_voiced
        gate = asyncio.Event()
        heard: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        stages: dict[str, float] = {}

        async def reply() -> None:
            try:
                transcript = await asyncio.to_thread(stt.transcribe, pcm, self.hints)
            except SpeechError as exc:
                heard.set_exception(exc)
                return
            heard.set_result(transcript)
            if transcript.text:
                await self._respond(origin, stages, gate, transcript.text)

        self._spec = _Speculation(asyncio.create_task(reply()), gate, heard, stages)

    async def _drop_speculation(self) -> None:
        spec, self._spec = self._spec, None
        if spec is None:
            return
        spec.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await spec.task
        if spec.heard.done() and not spec.heard.cancelled():
            spec.heard.exception()  # retrieved: a dropped guess fails no one

    async def _settle(
        self,
        spec: _Speculation,
        stream: SpeechStream | None,
        stages: dict[str, float],
        ended: float,
    ) -> None:
        """The turn ended as the speculation heard it: let its reply out."""
        if stream is not None:
            # The stream's words are not needed: the reply already answers
            # the speculation's. Finish it, after what is being fed, off the
            # loop, to free its decoder.
            self._unfed = b""
            feeding, self._feeding = self._feeding, None

            async def close() -> Transcript:
                if feeding is not None:
                    await feeding
                return await asyncio.to_thread(stream.finish)

            closing = asyncio.create_task(close())
            closing.add_done_callback(_quiet)
        try:
            heard = await spec.heard
        except SpeechError as exc:
            problem = {"type": "error", "code": "speech", "detail": str(exc)}
            await self.send.json(problem)
            return
        stages["transcript"] = _ms(max(self.now() - ended, 0.0))
        if not await self._heard(heard):
            spec.task.cancel()
            return
        spec.stages.update(stages)
        self._reply = spec.task
        spec.gate.set()

    def _feed(self, pcm: bytes) -> None:
        """Queue audio for the streaming recogniser, in order, off the loop."""
        self._unfed += pcm
        if len(self._unfed) >= FEED_BYTES and self._stream is not None:
            self._push(self._stream)

    def _push(self, stream: SpeechStream) -> None:
        chunk, before = self._unfed, self._feeding
        self._unfed = b""

        async def feed() -> None:
            if before is not None:
                await before
            await asyncio.to_thread(stream.feed, chunk)

        self._feeding = asyncio.create_task(feed())

    async def _transcript(self, stream: SpeechStream | None, pcm: bytes) -> Transcript:
        """The turn's transcript: the stream's, finished, or a whole decode."""
        assert self.stt is not None  # noqa: S101 - checked by audio()
        if stream is None:
            return await asyncio.to_thread(self.stt.transcribe, pcm, self.hints)
        if self._unfed:
            self._push(stream)
        feeding, self._feeding = self._feeding, None
        if feeding is not None:
            await feeding
        return await asyncio.to_thread(stream.finish)

    # -- speaking -------------------------------------------------------------

    def _start_reply(self, origin: float, stages: dict[str, float]) -> None:
        self._reply = asyncio.create_task(self._respond(origin, stages))

    async def _barge_in(self, speech_start: float) -> None:
        task = self._reply
        if task is None or task.done():
            return
        self._barge_start = speech_start
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._barge_start = None

    def _messages(self) -> list[ChatMessage]:
        messages = [ChatMessage("system", self.system)]
        for turn in self.turns:
            role: Literal["user", "assistant"] = (
                "user" if turn.role == "learner" else "assistant"
            )
            if turn.text:
                messages.append(ChatMessage(role, turn.text))
        return messages

    async def _respond(
        self,
        origin: float,
        stages: dict[str, float],
        gate: asyncio.Event | None = None,
        heard: str = "",
    ) -> None:
        """Generate, show and speak a reply (behind ``gate``, when speculative).

        Args:
            origin: The learner's speech end (or text arrival), for timings.
            stages: Where the turn's timings go.
            gate: Set when the reply may be shown and heard; until then it is
                generated and synthesised but nothing is sent.
            heard: The learner's turn a speculative reply answers (not yet
                in the conversation's turns).
        """
        voice = self.voice and self.tts is not None
        generated: list[str] = []
        sent: list[str] = []
        held: list[str] = []
        speech = _Speech()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        speaker = (
            asyncio.create_task(self._speak(queue, speech, origin, stages, gate))
            if voice
            else None
        )
        buffer = ""
        interrupted = False
        source = self.model.name
        try:
            async for delta, name in self._deltas(origin, stages, heard):
                source = name
                generated.append(delta)
                held.append(delta)
                if gate is None or gate.is_set():
                    await self._show(held, sent)
                done, buffer = sentences(buffer + delta)
                for sentence in done:
                    stages.setdefault("first_sentence", _ms(self.now() - origin))
                    queue.put_nowait(sentence)
            if buffer.strip():
                stages.setdefault("first_sentence", _ms(self.now() - origin))
                queue.put_nowait(buffer.strip())
            queue.put_nowait(None)
            if gate is not None:
                await gate.wait()
            await self._show(held, sent)
            if speaker is not None:
                await speaker
        except asyncio.CancelledError:
            interrupted = True
            raise
        finally:
            if speaker is not None and not speaker.done():
                speaker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await speaker
            # A dropped speculation said nothing: no turn to record.
            if gate is None or gate.is_set():
                if interrupted and self._barge_start is not None:
                    stages["barge_in_stop"] = _ms(
                        max(self.now() - self._barge_start, 0)
                    )
                delivered = speech.delivered() if voice else "".join(sent).strip()
                turn = TurnRecord(
                    len(self.turns),
                    "partner",
                    delivered,
                    mode="voice" if voice else "text",
                    interrupted=interrupted,
                    generated="".join(generated).strip(),
                    latency=tuple(sorted(stages.items())),
                    source=source,
                )
                await self._finish_reply(turn)

    async def _show(self, held: list[str], sent: list[str]) -> None:
        """Send the held deltas of the reply (the partner's next turn)."""
        for delta in held:
            message = {"type": "partner.delta", "turn": len(self.turns), "text": delta}
            await self.send.json(message)
            sent.append(delta)
        held.clear()

    async def _finish_reply(self, turn: TurnRecord) -> None:
        message: dict[str, Any] = {
            "type": "partner.interrupted" if turn.interrupted else "partner.done",
            "turn": turn.index,
            "text": turn.text,
        }
        if turn.source == ScriptedPartner.name:
            message["end"] = self.script.ended
        await self.send.json(message)
        await self._record(turn)

    async def _deltas(
        self, origin: float, stages: dict[str, float], heard: str = ""
    ) -> AsyncGenerator[tuple[str, str], None]:
        """The reply's deltas with the name of who produced them."""
        messages = self._messages()
        if heard:
            messages.append(ChatMessage("user", heard))
        model = self.model
        stream = model.stream(messages)
        try:
            if model is not self.script:
                try:
                    first = await asyncio.wait_for(
                        anext(stream), self.settings.first_token_timeout
                    )
                except (ModelUnavailableError, TimeoutError, StopAsyncIteration) as exc:
                    await self._fall_back(exc)
                    model, stream = self.script, self.script.stream(messages)
                else:
                    stages.setdefault("first_token", _ms(self.now() - origin))
                    yield first, model.name
            async for delta in stream:
                stages.setdefault("first_token", _ms(self.now() - origin))
                yield delta, model.name
        except ModelUnavailableError as exc:
            await self._fall_back(exc)  # mid-reply: the turn ends with what came
        finally:
            await stream.aclose()

    async def _fall_back(self, exc: BaseException) -> None:
        why = str(exc) or (
            "no first token in time"
            if isinstance(exc, TimeoutError)
            else "an empty reply"
        )
        text = (
            f"The language model ({self.model.name}) is unavailable ({why}); the "
            "scripted partner continues this session."
        )
        self.notices.append(text)
        self.model = self.script
        await self.send.json({"type": "notice", "code": "model-fallback", "text": text})

    async def _speak(
        self,
        queue: asyncio.Queue[str | None],
        speech: _Speech,
        origin: float,
        stages: dict[str, float],
        gate: asyncio.Event | None,
    ) -> None:
        assert self.tts is not None  # noqa: S101 - only started with one
        chunk = BYTES_PER_SECOND * self.settings.chunk_ms // 1000
        lead = self.settings.lead_ms / 1000
        started: float | None = None
        played = 0.0
        while (sentence := await queue.get()) is not None:
            pcm = await asyncio.to_thread(self.tts.synthesize, sentence)
            speech.current, speech.total, speech.sent = sentence, len(pcm), 0
            for at in range(0, len(pcm), chunk):
                part = pcm[at : at + chunk]
                if started is None:
                    if gate is not None:
                        await gate.wait()  # synthesised ahead, heard on time
                    started = self.now()
                    stages["first_audio"] = _ms(started - origin)
                wait = started + played - lead - self.now()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.send.audio(part)
                speech.sent += len(part)
                played += len(part) / BYTES_PER_SECOND
            speech.done.append(sentence)
            speech.current, speech.total, speech.sent = "", 0, 0

    async def _record(self, turn: TurnRecord) -> None:
        self.turns.append(turn)
        if self.on_turn is not None:
            await self.on_turn(turn)


def _quiet(task: asyncio.Task[Transcript]) -> None:
    """Retrieve a background task's outcome so a failure is not reported."""
    if not task.cancelled():
        task.exception()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
