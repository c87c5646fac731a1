"""Ports of the speaking partner: language model, speech to text, text to speech, VAD.

Each back end sits behind one narrow Protocol, chosen by settings in
``bootstrap``; each has an offline default (the scripted partner, pocketsphinx,
espeak-ng, WebRTC's VAD), so the demo and the tests need no network and no
downloaded weights.

Audio everywhere is 16 kHz mono signed 16-bit little-endian PCM
(:data:`SAMPLE_RATE`), in frames of :data:`FRAME_MS` milliseconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

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

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """Stream the partner's reply as text deltas.

        Cancelling the iteration (``aclose`` or task cancellation) stops the
        generation: a barge-in does exactly that.

        Raises:
            ModelUnavailableError: The endpoint is down, refused or too slow.
        """
        ...
