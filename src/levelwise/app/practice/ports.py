"""Ports of the speaking partner: language model, speech to text, text to speech, VAD.

Each back end sits behind one narrow Protocol, chosen by settings in
``bootstrap``; each has an offline default (the scripted partner, pocketsphinx,
espeak-ng, WebRTC's VAD), so the demo and the tests need no network and no
downloaded weights.

Audio everywhere is 16 kHz mono signed 16-bit little-endian PCM
(:data:`SAMPLE_RATE`), in frames of :data:`FRAME_MS` milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, runtime_checkable

SAMPLE_RATE = 16_000
"""Samples per second of every PCM stream (in and out)."""
SAMPLE_WIDTH = 2
"""Bytes per sample: signed 16-bit little-endian."""
FRAME_MS = 30
"""Milliseconds of one VAD frame (10, 20 or 30 for WebRTC's VAD)."""
FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH * FRAME_MS // 1000
"""Bytes of one VAD frame: 960."""


@dataclass(frozen=True)
class Word:
    """A recognised word with its time in the learner's turn.

    Attributes:
        text: The word, lower case, without punctuation.
        start: Seconds from the start of the turn's audio.
        end: Seconds from the start of the turn's audio (``end >= start``).
    """

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What speech to text heard in one turn.

    Attributes:
        text: The words joined by spaces.
        words: Each word with its timestamps, in order.
        duration: Seconds of audio the turn held.
    """

    text: str
    words: tuple[Word, ...]
    duration: float


class SpeechToText(Protocol):
    """Turns one turn's PCM audio into words with timestamps."""

    name: str
    """The adapter's name, recorded with each session (``pocketsphinx``)."""

    def transcribe(self, pcm: bytes, hints: Sequence[str] = ()) -> Transcript:
        """Recognise the words of ``pcm`` (16 kHz mono s16le).

        Args:
            pcm: The whole turn's audio.
            hints: Phrases the learner is likely to say in this scenario (the
                partner's lines, target words); an adapter may bias towards
                them and may ignore them.

        Returns:
            The transcript; an empty one for silence.
        """
        ...


class SpeechStream(Protocol):
    """One turn being recognised while the learner speaks."""

    def feed(self, pcm: bytes) -> None:
        """Recognise more of the turn's audio (any number of whole samples)."""
        ...

    def finish(self) -> Transcript:
        """End the turn and return its transcript (timestamps from its start)."""
        ...


@runtime_checkable
class StreamingSpeechToText(Protocol):
    """A speech to text that can listen while the learner speaks.

    The session feeds the turn's audio as it arrives, so when the turn ends
    only the last frames are left to decode: the transcript is final within
    milliseconds instead of a whole decoding pass later.
    """

    name: str

    def transcribe(self, pcm: bytes, hints: Sequence[str] = ()) -> Transcript:
        """Recognise a whole turn (see :class:`SpeechToText`)."""
        ...

    def open(self, hints: Sequence[str] = ()) -> SpeechStream:
        """Start recognising a turn, biased towards ``hints`` like transcribe."""
        ...


class TextToSpeech(Protocol):
    """Turns text into PCM audio."""

    name: str

    def synthesize(self, text: str) -> bytes:
        """Speak ``text`` as 16 kHz mono s16le PCM.

        Raises:
            SpeechError: The synthesiser failed.
        """
        ...


class VoiceActivity(Protocol):
    """Tells speech from silence, one frame at a time."""

    name: str

    def is_speech(self, frame: bytes) -> bool:
        """Whether one :data:`FRAME_BYTES` frame holds speech."""
        ...


@dataclass(frozen=True)
class ChatMessage:
    """One message of the conversation as a chat model sees it.

    Attributes:
        role: ``system`` (the partner's instructions), ``user`` (the learner)
            or ``assistant`` (the partner).
        content: Its text.
    """

    role: Literal["system", "user", "assistant"]
    content: str


class LanguageModel(Protocol):
    """A streaming chat model (an OpenAI-compatible endpoint, or the script)."""

    name: str

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncGenerator[str, None]:
        """Stream the partner's reply as text deltas.

        Closing the generator (``aclose``, as a barge-in does) stops the
        generation.

        Raises:
            ModelUnavailableError: The endpoint is down, refused or too slow.
        """
        ...


@dataclass(frozen=True)
class TurnRecord:
    """One turn of a practice conversation, as the session keeps it.

    Attributes:
        index: The turn's place in the conversation, from 0.
        role: ``learner`` or ``partner``.
        text: What was said: the learner's transcript or typed text; for the
            partner, only the words actually delivered.
        mode: ``text`` or ``voice``.
        words: The learner's words with timestamps (voice turns), as
            ``(word, start, end)``.
        duration: Seconds of the learner's audio (voice turns).
        interrupted: The partner was cut off by the learner (barge-in).
        generated: The partner's whole reply as generated (when interrupted,
            more than ``text``).
        latency: Milliseconds from the learner's speech end (or text arrival)
            to each stage: ``turn_end``, ``transcript``, ``first_token``,
            ``first_sentence``, ``first_audio``; ``barge_in_stop`` for an
            interrupted partner turn.
        source: Who produced a partner turn (``scripted``, the model's name).
    """

    index: int
    role: Literal["learner", "partner"]
    text: str
    mode: Literal["text", "voice"] = "text"
    words: tuple[tuple[str, float, float], ...] = ()
    duration: float | None = None
    interrupted: bool = False
    generated: str = ""
    latency: tuple[tuple[str, float], ...] = ()
    source: str = ""


@dataclass(frozen=True)
class SessionRecord:
    """A practice session as stored.

    Attributes:
        session: Its id.
        learner: The learner practising.
        unit: The practice unit.
        scenario: The scenario's title (empty when the unit declares none).
        status: ``open`` or ``finished``.
        started_at: When it was opened (server clock, UTC ISO).
        token_digest: SHA-256 of the session's WebSocket token.
        brief: The learner's state the session started from (level, weak
            points, abilities), as shown in its instructions.
        instructions: The partner's instructions (the model's system prompt),
            built from the brief and the scenario when the session opened.
        backends: The back ends in use, as ``(role, name)``.
        turns: The conversation so far.
        notices: What the session told the learner about itself (a model
            that was down and the scripted partner that took over).
        finished_at: When it finished.
        event_id: The ``practice.completed`` event's id, once finished.
        metrics: The session's scores, once finished, as ``(name, value)``.
    """

    session: str
    learner: str
    unit: str
    scenario: str
    status: Literal["open", "finished"]
    started_at: str
    token_digest: str
    brief: tuple[tuple[str, str], ...] = ()
    instructions: str = ""
    backends: tuple[tuple[str, str], ...] = ()
    turns: tuple[TurnRecord, ...] = ()
    notices: tuple[str, ...] = ()
    finished_at: str | None = None
    event_id: str | None = None
    metrics: tuple[tuple[str, float], ...] = ()


class PracticeStore(Protocol):
    """Where practice sessions live, durably, per school."""

    def create(self, tenant: str, record: SessionRecord) -> None:
        """Store a new session (its id is new)."""
        ...

    def get(self, tenant: str, session: str) -> SessionRecord | None:
        """The session, or None (also for another school's session)."""
        ...

    def save(self, tenant: str, record: SessionRecord) -> None:
        """Replace the stored session with ``record``.

        Raises:
            PracticeNotFoundError: The session does not exist in this school.
        """
        ...


def record_json(record: SessionRecord) -> str:
    """A session as compact JSON (how the SQL store keeps it)."""
    return json.dumps(asdict(record), separators=(",", ":"), ensure_ascii=False)


def record_from_json(text: str) -> SessionRecord:
    """The session :func:`record_json` wrote."""
    data: dict[str, Any] = json.loads(text)
    turns = tuple(
        TurnRecord(
            **{
                **t,
                "words": tuple(tuple(w) for w in t["words"]),
                "latency": tuple(tuple(x) for x in t["latency"]),
            }
        )
        for t in data.pop("turns")
    )
    pairs = ("brief", "backends", "metrics")
    fixed: dict[str, Any] = {k: tuple(tuple(x) for x in data.pop(k)) for k in pairs}
    notices = tuple(data.pop("notices"))
    return SessionRecord(**data, **fixed, turns=turns, notices=notices)
