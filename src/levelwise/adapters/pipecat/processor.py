"""A Pipecat frame processor that practises with Levelwise and records the talk.

Placed in a school's own Pipecat pipeline, :class:`LevelwiseProcessor` asks
Levelwise for the partner's instructions (``POST /v1/practice/instructions``:
the learner's level, weak points and the unit's scenario) when the pipeline
starts and hands them to the LLM service as its ``system_instruction`` (an
``LLMUpdateSettingsFrame``, Pipecat 1.x's way to set the system prompt). While
the pipeline runs it records the conversation from the frames passing by:

* the learner's final ``TranscriptionFrame`` text, with word timestamps when
  the speech-to-text result carries them (see :func:`timed_words`);
* the bot's text: ``TTSTextFrame`` (the words as spoken) when there are any,
  else ``LLMTextFrame`` / ``TextFrame`` text, in turns bounded by
  ``BotStartedSpeakingFrame`` and ``BotStoppedSpeakingFrame``;
* interruptions: an ``InterruptionFrame`` while the bot speaks marks its turn
  interrupted;
* timings, in milliseconds from the learner's speech end (VAD): the turn end
  (``UserStoppedSpeakingFrame``), the transcript, the LLM's first token (its
  TTFB ``MetricsFrame``, sent when the pipeline has ``enable_metrics``), the
  first audio (``BotStartedSpeakingFrame``) and, for an interrupted turn, how
  long the bot went on after the learner started (``barge_in_stop``).

When the pipeline ends (``EndFrame``) or is cancelled (``CancelFrame``, as
when the caller hangs up) it posts the conversation to
``POST /v1/practice/external``, which scores it and records the learner's
``practice.completed`` event. Every frame is passed on unchanged.

A pipeline's user aggregator consumes the transcriptions, and the bot's words
exist only after the text-to-speech service, so no single place sees both:
put the processor right after speech to text and its :meth:`partner_tap`
right after the output transport::

    levelwise = LevelwiseProcessor(
        url="https://levelwise.school.example",
        api_key=os.environ["LEVELWISE_API_KEY"],
        learner="ana",
        session=room_id,
    )
    pipeline = Pipeline([
        transport.input(), stt,
        levelwise,
        user_aggregator, llm, tts,
        transport.output(),
        levelwise.partner_tap(),
        assistant_aggregator,
    ])

The processor talks to Levelwise over HTTP only, so a Pipecat app needs the
Levelwise server's URL and a school API key, nothing else of Levelwise.
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

with warnings.catch_warnings():
    # Pipecat imports the standard library's audioop, which Python 3.11 and
    # 3.12 warn is deprecated (on 3.13 Pipecat uses audioop-lts instead).
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from pipecat.frames.frames import (
        AggregatedTextFrame,
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        CancelFrame,
        EndFrame,
        Frame,
        InterruptionFrame,
        LLMTextFrame,
        LLMUpdateSettingsFrame,
        MetricsFrame,
        StartFrame,
        TextFrame,
        TranscriptionFrame,
        TTSTextFrame,
        UserStartedSpeakingFrame,
        UserStoppedSpeakingFrame,
        VADUserStartedSpeakingFrame,
        VADUserStoppedSpeakingFrame,
    )
    from pipecat.metrics.metrics import TTFBMetricsData
    from pipecat.processors.frame_processor import (
        FrameDirection,
        FrameProcessor,
        FrameProcessorSetup,
    )
    from pipecat.services.settings import LLMSettings

__all__ = ["LevelwiseProcessor", "WordReader", "timed_words"]

logger = logging.getLogger(__name__)

# What POST /v1/practice/external accepts (levelwise.api.schemas.practice).
MAX_TURNS = 500
MAX_TEXT = 4000
MAX_TURN_WORDS = 2000
MAX_WORDS = 20_000
MAX_WORD = 100
MAX_SECONDS = 86_400.0
MAX_MS = 3_600_000.0
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$")
SESSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,190}$")
"""A session id: its event id, ``practice-<session>``, is an id too."""
SOURCE = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F], " ")

Word = tuple[str, float, float]
"""A recognised word and its start and end, in seconds."""
WordReader = Callable[[TranscriptionFrame], Sequence[Word]]
"""Reads the timed words of a transcription (empty when it has none)."""


def timed_words(frame: TranscriptionFrame) -> list[Word]:
    """The words of a transcription with their times, read from its ``result``.

    Two shapes are read: Deepgram's (``result.channel.alternatives[0].words``,
    each with ``word`` or ``punctuated_word`` and ``start``/``end`` in seconds,
    as Pipecat's ``DeepgramSTTService`` passes it) and a mapping or object with
    a ``words`` list of items with ``word`` or ``text`` and ``start``/``end``
    in seconds (what a school's own speech-to-text service can set). Anything
    else, or any word whose times are not plausible, gives no words: the turn
    then counts for vocabulary but not for fluency.

    Args:
        frame: A final transcription.

    Returns:
        ``(word, start, end)`` in order, or an empty list.
    """
    result = frame.result
    channel = _get(result, "channel")
    if channel is not None:
        alternatives = _get(channel, "alternatives")
        first = (
            alternatives[0]
            if isinstance(alternatives, Sequence) and alternatives
            else None
        )
        items = _get(first, "words") if first is not None else None
    else:
        items = _get(result, "words")
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    words: list[Word] = []
    for item in items:
        text = _get(item, "punctuated_word") or _get(item, "word") or _get(item, "text")
        start, end = _get(item, "start"), _get(item, "end")
        if not (isinstance(text, str) and _seconds(start) and _seconds(end)):
            return []
        if end < start or (words and start < words[-1][1]):
            return []
        word = _clip(text, MAX_WORD)
        if word:
            words.append((word, float(start), float(end)))
    return words


def _get(thing: object, name: str) -> Any:
    if isinstance(thing, Mapping):
        return thing.get(name)
    return getattr(thing, name, None)


def _seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= MAX_SECONDS
    )


def _utc_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Turn:
    """A turn as it is heard; the partner's text comes in parts."""

    role: Literal["learner", "partner"]
    heard: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)
    aloud: bool = False
    interrupted: bool = False
    cut_at: float | None = None
    closed: bool = False

    def body(self) -> dict[str, Any]:
        """The turn as ``POST /v1/practice/external`` reads it."""
        if self.role == "learner":
            text = _clip(" ".join(self.heard))
            return {"role": "learner", "text": text, "words": _words(self.words)}
        written = _clip("".join(self.heard))
        said = _clip("".join(self.spoken)) if self.spoken else written
        latency = {k: round(min(v, MAX_MS), 1) for k, v in self.latency.items()}
        return {
            "role": "partner",
            "text": said,
            "generated": written if written != said else "",
            "interrupted": self.interrupted,
            "latency": latency,
        }


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """The text on one line, without control characters, cut at ``limit``."""
    return " ".join(text.translate(_CONTROLS).split())[:limit]


def _words(words: list[Word]) -> list[dict[str, Any]]:
    return [{"text": w, "start": s, "end": e} for w, s, e in words]


def _piece(frame: TextFrame) -> str:
    """A text frame's text, spaced so that the pieces join into a text."""
    return frame.text if frame.includes_inter_frame_spaces else f" {frame.text} "


_HEARD = (
    VADUserStartedSpeakingFrame,
    UserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
    UserStoppedSpeakingFrame,
    TranscriptionFrame,
    LLMTextFrame,
    AggregatedTextFrame,
    TextFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    InterruptionFrame,
    MetricsFrame,
)
"""The frames that tell something of the conversation."""


class _Recorder:
    """The conversation so far, from the frames seen (each frame once).

    Timings are measured from the learner's speech end and belong to the
    first partner turn after it (the answer); a stage is timed once.
    """

    def __init__(self, words_of: WordReader) -> None:
        self.words_of = words_of
        self.turns: list[_Turn] = []
        self.seen: deque[int] = deque(maxlen=256)
        self.started_at = _utc_now()
        self.speaking = False
        self.talk_started: float | None = None
        self.talk_stopped: float | None = None
        self.pending: dict[str, float] = {}
        self.answer: _Turn | None = None
        self.full = False

    def observe(self, frame: Frame) -> None:
        """Take what ``frame`` says of the conversation."""
        if not isinstance(frame, _HEARD):
            return
        if frame.id in self.seen or frame.broadcast_sibling_id in self.seen:
            return  # the other copy of a broadcast, or met at another place
        self.seen.append(frame.id)
        now = time.time()
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self.talk_started = frame.timestamp - frame.start_secs
        elif isinstance(frame, UserStartedSpeakingFrame):
            if not self._talking():
                self.talk_started = now
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._learner_stopped(frame.timestamp - frame.stop_secs)
        elif isinstance(frame, UserStoppedSpeakingFrame):
            if self._talking():
                self._learner_stopped(now)
            else:
                self._time("turn_end", now)
        elif isinstance(frame, TranscriptionFrame):
            self._transcription(frame, now)
        elif isinstance(frame, TTSTextFrame):
            self._partner().spoken.append(_piece(frame))
        elif isinstance(frame, LLMTextFrame | AggregatedTextFrame) or (
            type(frame) is TextFrame
        ):
            self._partner().heard.append(_piece(frame))
        elif isinstance(frame, BotStartedSpeakingFrame):
            self.speaking = True
            self._partner().aloud = True
            self._time("first_audio", now)
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self.speaking = False
            self._bot_stopped(now)
        elif isinstance(frame, InterruptionFrame):
            self._interrupted(now)
        elif isinstance(frame, MetricsFrame):
            for data in frame.data:
                # Pipecat names a processor after its class: OpenAILLMService#0.
                if (
                    isinstance(data, TTFBMetricsData)
                    and data.value > 0
                    and "LLM" in data.processor
                ):
                    self._time("first_token", now)

    def _talking(self) -> bool:
        """Whether the learner is speaking (started after they last stopped)."""
        return self.talk_started is not None and (
            self.talk_stopped is None or self.talk_started > self.talk_stopped
        )

    def _learner_stopped(self, at: float) -> None:
        self.talk_stopped = at
        self.pending = {}
        self.answer = None

    def _time(self, stage: str, now: float) -> None:
        """Time ``stage`` of the answer to the learner's last words."""
        if self.talk_stopped is None or self._talking():
            return
        if self.answer is None:
            into = self.pending  # the answer has not begun yet
        elif not self.answer.closed:
            into = self.answer.latency
        else:
            return  # answered already: later turns are not its answer
        into.setdefault(stage, max(0.0, now - self.talk_stopped) * 1000)

    def _current(self) -> _Turn | None:
        """The partner turn still going on (not closed), if any."""
        for turn in reversed(self.turns):
            if turn.role == "partner":
                return None if turn.closed else turn
        return None

    def _open(self, role: Literal["learner", "partner"]) -> _Turn:
        turn = _Turn(role)
        if len(self.turns) < MAX_TURNS:
            self.turns.append(turn)
        elif not self.full:
            self.full = True
            logger.warning("Levelwise keeps the first %d turns only", MAX_TURNS)
        return turn

    def _partner(self) -> _Turn:
        turn = self._current()
        if turn is None:
            turn = self._open("partner")
            if self.answer is None and self.talk_stopped is not None:
                # The first partner turn after the learner spoke answers them.
                turn.latency, self.pending, self.answer = self.pending, {}, turn
        return turn

    def _bot_stopped(self, now: float) -> None:
        turn = self._current()
        if turn is None:
            return
        if turn.cut_at is not None:
            turn.latency["barge_in_stop"] = max(0.0, now - turn.cut_at) * 1000
        turn.closed = True

    def _interrupted(self, now: float) -> None:
        turn = self._current()
        if not self.speaking or turn is None or turn.interrupted:
            return  # an interruption with nothing being said cuts nothing
        turn.interrupted = True
        started = self.talk_started
        turn.cut_at = started if self._talking() and started is not None else now

    def _transcription(self, frame: TranscriptionFrame, now: float) -> None:
        if not frame.text.strip():
            return
        self._time("transcript", now)
        if not self.speaking:
            current = self._current()
            if current is not None:
                current.closed = True  # a reply that was not spoken aloud
        last = self.turns[-1] if self.turns else None
        turn = last if last is not None and last.role == "learner" else None
        turn = turn or self._open("learner")
        turn.heard.append(frame.text.strip())
        words = list(self.words_of(frame))
        if words and turn.words and words[0][1] < turn.words[-1][2]:
            # Times restart with each transcription: put these after the last.
            shift = turn.words[-1][2] - words[0][1]
            words = [(w, s + shift, e + shift) for w, s, e in words]
        room = min(
            MAX_TURN_WORDS - len(turn.words),
            MAX_WORDS - sum(len(t.words) for t in self.turns),
        )
        if words and len(words) <= room and words[-1][2] <= MAX_SECONDS:
            turn.words.extend(words)

    def conversation(self) -> list[dict[str, Any]]:
        """The turns worth recording, as the API reads them.

        In a spoken conversation a reply the bot never started to say (the
        learner spoke first and it was dropped) is left out; empty turns too.
        """
        aloud = any(t.aloud for t in self.turns)
        kept = []
        for turn in self.turns:
            if turn.role == "partner" and aloud and not turn.aloud:
                continue
            body = turn.body()
            if body["text"] or body.get("interrupted"):
                kept.append(body)
        return kept


class LevelwiseProcessor(FrameProcessor):
    """Gives the LLM the learner's partner instructions; records the conversation.

    Args:
        url: The Levelwise server's base URL.
        api_key: The school's Levelwise API key.
        learner: The learner in this conversation (the platform's id).
        session: The conversation's id, unique in the school (a repeat is
            recorded once); default: a new random id.
        unit: The practice unit; default: the one Levelwise picks for the
            learner (their level's, on their weakest points).
        inject: Whether to set the LLM's ``system_instruction`` to the
            partner's instructions when the pipeline starts.
        source: The engine's name in the recorded session.
        words: Reads the timed words of a transcription (default:
            :func:`timed_words`).
        client: The HTTP client to use (default: one of the processor's own,
            closed with it).
        timeout: Seconds an HTTP call to Levelwise may take.
        **kwargs: Passed to :class:`~pipecat.processors.frame_processor.FrameProcessor`.

    Raises:
        ValueError: ``learner``, ``unit``, ``session`` or ``source`` is not
            an id Levelwise accepts.

    Attributes:
        instructions: The instructions Levelwise gave (None before the
            pipeline starts, or when Levelwise could not be asked).
        recorded: The finished session Levelwise answered with (its metrics,
            turns and the event's status), once the conversation is recorded.

    Events:
        ``on_recorded(processor, session)``: the conversation was recorded;
        ``session`` is Levelwise's answer (a JSON object).
    """

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        learner: str,
        session: str | None = None,
        unit: str | None = None,
        inject: bool = True,
        source: str = "pipecat",
        words: WordReader = timed_words,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        """Keep the settings; nothing is fetched until the pipeline sets it up."""
        checks = ((learner, ID), (unit, ID), (session, SESSION), (source, SOURCE))
        for value, rule in checks:
            if value is not None and not rule.match(value):
                msg = f"{value!r} is not an id Levelwise accepts ({rule.pattern})"
                raise ValueError(msg)
        super().__init__(**kwargs)
        self.url = url.rstrip("/")
        self.learner = learner
        self.session = session or f"pipecat-{uuid.uuid4().hex}"
        self.unit = unit
        self.inject = inject
        self.source = source
        self.instructions: str | None = None
        self.recorded: dict[str, Any] | None = None
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._client = client
        self._own_client = client is None
        self._timeout = timeout
        self._recorder = _Recorder(words)
        self._places: set[int] = set()
        self._ended: set[int] = set()
        self._sent = False
        self._register_event_handler("on_recorded", sync=True)

    def partner_tap(self) -> FrameProcessor:
        """A processor to put after the output transport: it sees the bot speak.

        It feeds what passes it (the bot's words as spoken, its speaking and
        interruptions, the services' metrics) to this processor's recording,
        and passes every frame on unchanged. The conversation is posted once
        both have seen the pipeline end.

        Returns:
            The tap, one per call; place each in the same pipeline.
        """
        return _PartnerTap(self)

    # FrameProcessor.setup narrows BaseObject.setup's argument; so does this.
    async def setup(self, setup: FrameProcessorSetup) -> None:  # type: ignore[override]
        """Ask Levelwise for the partner's instructions (before the pipeline starts).

        Args:
            setup: Pipecat's setup of the processor.
        """
        await super().setup(setup)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        if not self.inject:
            return
        asked = {"learner": self.learner, "unit": self.unit}
        answer = await self._post("/v1/practice/instructions", asked)
        if answer is not None:
            self.instructions = str(answer["instructions"])
            self.unit = self.unit or str(answer["unit"])

    async def cleanup(self) -> None:
        """Close the HTTP client the processor opened."""
        await super().cleanup()  # type: ignore[no-untyped-call]
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Record what the frame says of the conversation and pass it on.

        Args:
            frame: The frame.
            direction: Where it goes.
        """
        await super().process_frame(frame, direction)
        await self._observe(frame, self)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame) and self.instructions is not None:
            # Right behind the StartFrame, so the LLM has the instructions
            # before the first frame that could make it answer.
            delta = LLMSettings(system_instruction=self.instructions)
            await self.push_frame(LLMUpdateSettingsFrame(delta=delta))

    async def _observe(self, frame: Frame, place: FrameProcessor) -> None:
        """Record ``frame``, seen at ``place`` (this processor or a tap)."""
        if isinstance(frame, StartFrame):
            self._places.add(id(place))
            return
        if isinstance(frame, EndFrame | CancelFrame):
            self._ended.add(id(place))
            if self._ended >= self._places and not self._sent:
                self._sent = True
                # The last place the pipeline's end reaches sends the record,
                # before passing the end on: nothing can be seen any more.
                await self._send()
            return
        self._recorder.observe(frame)

    async def _send(self) -> None:
        turns = self._recorder.conversation()
        if not any(t["role"] == "learner" for t in turns):
            logger.info("the learner said nothing: Levelwise records nothing")
            return
        body = {
            "session": self.session,
            "learner": self.learner,
            "unit": self.unit,
            "started_at": self._recorder.started_at,
            "finished_at": _utc_now(),
            "source": self.source,
            "turns": turns,
        }
        recorded = await self._post("/v1/practice/external", body)
        if recorded is not None:
            self.recorded = recorded
            await self._call_event_handler("on_recorded", recorded)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Levelwise's JSON answer, or None (logged) when it could not be had."""
        client = self._client
        if client is None:
            return None
        try:
            response = await client.post(
                self.url + path, json=body, headers=self._headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            logger.warning("Levelwise %s failed: %s", path, exc)
            return None
        if response.is_error:
            detail = response.text[:500]
            logger.warning(
                "Levelwise %s answered %d: %s", path, response.status_code, detail
            )
            return None
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            logger.warning("Levelwise %s answered with no JSON", path)
            return None
        return answer


class _PartnerTap(FrameProcessor):
    """Feeds the frames after the output transport to a LevelwiseProcessor."""

    def __init__(self, owner: LevelwiseProcessor) -> None:
        super().__init__(name=f"{owner.name}::partner")
        self._owner = owner

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self._owner._observe(frame, self)
        await self.push_frame(frame, direction)
