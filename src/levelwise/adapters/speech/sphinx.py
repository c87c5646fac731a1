"""Speech to text with pocketsphinx: words with timestamps, biased by the scenario.

pocketsphinx's wheel carries its US English acoustic model, dictionary and
language model, so nothing is downloaded. Three things make it usable here:

* **A noise floor.** Audio with digital silence (exact zeros: synthesised
  speech, padded or gated recordings) breaks its features: the log filter-bank
  energies of a zero frame fall to the floor, and the utterance's cepstral
  mean (batch CMN) is dragged off by them. On espeak-ng speech this alone took
  the word error rate from about 75 % to about 30 %. So a faint white noise is
  added, enough to bring the quietest frames up to 36 dB below the speech
  level, and nothing when the recording's own noise is already above that
  (a real microphone's usually is). Its generator has a fixed seed, so the
  same audio gives the same words. The turn is also padded with 250 ms of
  that floor on each side, so the decoder starts and ends in silence; word
  times are given back on the turn's own clock.
* **Hints.** Phrases the learner is likely to say become a second, small
  decoder: a trigram model of just those phrases (built with pocketsphinx's
  ``ArpaBoLM``) over a dictionary of just their words, which loads in
  milliseconds (a search over the full dictionary takes seconds to build).
  Its hypothesis is taken only when it is (nearly) one of the phrases, a
  stretch of one, or a few of them in a row: at least two words, and at most
  one edit in four words (word-level edit distance, where moving on to
  another phrase counts as an edit). Otherwise the learner said something
  else, that decoder can only have produced a string of hinted words, and the
  general model decodes the turn. Single-word hints (keywords) never decide
  alone: a lone word from a small vocabulary matches too easily to be trusted,
  and keyword spotting (pocketsphinx's ``kws``, thresholds 1e-10 to 1e-30)
  raised false alarms in most sentences of espeak-ng speech.
* **Word times.** pocketsphinx's frames are 10 ms; a word runs from its first
  frame to the end of its last. Silence, sentence marks and fillers
  (``<sil>``, ``<s>``, ``[NOISE]``) are dropped, and an alternate
  pronunciation's suffix (``read(2)``) is stripped.

**Streaming** (:meth:`SphinxSpeechToText.open`) decodes a turn while it is
spoken, so that when it ends only its last few frames are left: the same three
things, adapted to audio seen a chunk at a time.

* The noise floor uses the audio so far: the speech level is that of the
  frames heard until now, and the recording's own floor is its quietest 10 ms
  frame so far (a minimum-statistics estimate: the 10th percentile of the
  whole turn is not known yet, and early on it would be a speech frame).
  Until a frame is clearly below the speech (20 dB), the floor is taken as
  digital silence: a turn may start mid-word, and padding made at a speech
  frame's level wrecked the first words. Nothing is decoded until a frame
  is louder than :data:`SILENT_RMS`, so silence costs nothing and the speech
  level is known when the leading padding is made. The trailing padding only
  makes up what the turn's own quiet end lacks (a turn ended by the VAD
  already ends in silence, so it usually needs none).
* Cepstral mean normalisation is what makes the batch path accurate and what
  a stream cannot do: pocketsphinx subtracts the utterance's mean cepstrum
  (batch CMN), known only at its end, and a decoder fed in blocks switches for
  good to live CMN, which starts from a fixed prior and moves after 3 s.
  Streamed so, espeak-ng speech went from 26 % to 59 % word errors. So
  before each chunk the stream's mean is set to the batch mean of the audio
  it has decoded so far (with that chunk; the last
  :data:`CMN_WINDOW_SECONDS` at most), measured by a decoder kept in batch
  mode whose search is all but switched off (under 1 ms a second of audio,
  nearly all of it the front end). Setting the whole turn's mean from the
  start instead did no better. The first words are the weak point: a mean
  of the padding, the VAD's preroll and a word onset is mostly silence's. So
  decoding starts only :data:`HOLD_SECONDS` after the first sound, in one go
  (about 0.1 s of decoding): with 0.3 s of silent preroll that took the word
  error rate on espeak-ng speech from 39 % to 27 % (batch: 32 %), and
  without preroll from 26 % to 23 % (batch: 27 %). A turn the VAD ends has
  at least that much silence after its speech, so its decoding has started
  when it ends; a shorter one is decoded whole when it is finished.
* The second pass (``fwdflat``) is off: it runs over the whole utterance in
  ``end_utt`` (100-130 ms for a 3 s turn), and without it the word error rate
  on espeak-ng speech was no worse. The lattice rescoring (``bestpath``) stays
  on: it is worth about 10 points of WER, but its time grows with the lattice,
  up to 60 ms for a badly recognised turn; at most 20 words may end in a
  frame (``maxwpf``), which bounds it (p90 17 ms instead of 36) for about one
  word in 100 more errors on espeak-ng speech (26 % to 27 %).
* Hints work as in batch: the hint decoder and the general one hear every
  chunk, and at the end the same rule picks one.

Streaming decoders come from a :class:`SphinxDecoderPool`, by default one
shared by the process: a general decoder (about 80 MB, 0.25 s to build) is
needed per turn being spoken at once, not per session, and a turn's
normalisation state is reset when it starts, so a decoder that served
another learner gives the same words.

pocketsphinx holds the interpreter lock (GIL) for the whole of each call. A
stream decodes in 100 ms slices, so another thread (an event loop) waits at
most some 30 ms; a batch :meth:`SphinxSpeechToText.transcribe` of a 3 s turn
makes it wait some 400 ms. Either way all of a process's decoding shares one
core: a stream costs 0.12-0.15 s of it per second of speech.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt
from pocketsphinx import Decoder  # type: ignore[import-untyped]
from pocketsphinx.lm import ArpaBoLM  # type: ignore[import-untyped]

from levelwise.app.practice.ports import SAMPLE_RATE, Transcript, Word
from levelwise.errors import SpeechError

FRAME_SECONDS = 0.01
"""pocketsphinx's frame shift: every timestamp is a multiple of it."""
PAD_SECONDS = 0.25
"""Noise-floor padding put before and after a turn."""
NOISE_FLOOR_DB = -36.0
"""The quietest frames are brought up to this level relative to the speech."""
SILENT_RMS = 16.0
"""A turn whose loudest 10 ms frame is below this RMS (about -66 dBFS) is silence."""
MAX_HINT_ERROR = 0.25
"""Share of a hinted hypothesis's words that may differ from the phrase it matches."""
MIN_HINT_WORDS = 2
"""A hinted hypothesis shorter than this is not trusted."""
MAX_HINT_PHRASES = 200
"""Hints beyond this many phrases are ignored."""
HINT_DECODERS = 4
"""Hint decoders kept per instance, for the last distinct sets of hints."""
POOL_IDLE = 16
"""General streaming decoders (about 80 MB each) a pool keeps while unused."""
POOL_IDLE_HINTED = 16
"""Hint decoders (about 7 MB each) a pool keeps while no stream uses them."""
CMN_WINDOW_SECONDS = 10.0
"""A stream's cepstral mean is measured over at most this much of its last audio."""
HOLD_SECONDS = 0.5
"""A stream starts decoding this long after its first sound (see the notes)."""

_FRAME = int(SAMPLE_RATE * FRAME_SECONDS)
_SLICE = SAMPLE_RATE // 10
"""Samples decoded per call: pocketsphinx holds the GIL for each call."""
_QUIET = 2.0
"""A frame at most this many times the noise floor's RMS is quiet."""
_STREAMING: dict[str, str | int | float | bool] = {"fwdflat": False, "maxwpf": 20}
"""Options of streaming decoders (see the module's notes)."""
_Phrases = tuple[tuple[str, ...], ...]
_P = ParamSpec("_P")
_T = TypeVar("_T")
_SENTENCE_END = re.compile(r"[.!?;:\n]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


class SphinxSpeechToText:
    """Recognises English speech offline with pocketsphinx's bundled model.

    A decoder is stateful: calls to :meth:`transcribe` on one instance are
    serialised by a lock, so sharing an instance between threads is safe but
    makes them wait; for parallel sessions give each session its own instance
    (about 0.3 s to build and 90 MB of memory, mostly the general language
    model and dictionary). Streams (:meth:`open`) have decoders of their own,
    from the pool, so any number may run at once, beside ``transcribe``.

    Args:
        pool: Where streams get their decoders; by default the one the whole
            process shares (see :func:`shared_pool`).

    Raises:
        SpeechError: pocketsphinx could not load its model.
    """

    name = "pocketsphinx"

    def __init__(self, *, pool: SphinxDecoderPool | None = None) -> None:
        """Load the general model, dictionary and acoustic model."""
        self._lock = threading.Lock()
        self._general = _decoder()
        self._hinted: OrderedDict[_Phrases, Any] = OrderedDict()
        self._pool = shared_pool() if pool is None else pool
        # The first turn should not wait a quarter of a second for a decoder
        # (nor hold the GIL that long while the learner is speaking).
        self._pool.prepare()
        weakref.finalize(self, self._pool.leave)

    def transcribe(self, pcm: bytes, hints: Sequence[str] = ()) -> Transcript:
        """Recognise the words of one turn.

        Args:
            pcm: The turn's audio, 16 kHz mono s16le.
            hints: Phrases the learner is likely to say (see the module's
                notes on how they are used); speech outside them still gets
                the general model's best transcript.

        Returns:
            The words with their times in seconds from the start of ``pcm``;
            an empty transcript for silence.

        Raises:
            SpeechError: The audio is not whole 16-bit samples, or the
                decoder failed.
        """
        _check_samples(pcm)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        duration = samples.size / SAMPLE_RATE
        audio = _conditioned(samples)
        if audio is None:
            return Transcript(text="", words=(), duration=duration)
        with self._lock:
            heard: list[Word] | None = None
            phrases = _phrases(hints, self._general)
            if any(len(phrase) >= MIN_HINT_WORDS for phrase in phrases):
                heard = _words(_decode(self._hint_decoder(phrases), audio), duration)
                if not _is_hinted([w.text for w in heard], phrases):
                    heard = None
            if heard is None:
                heard = _words(_decode(self._general, audio), duration)
        return Transcript(
            text=" ".join(w.text for w in heard), words=tuple(heard), duration=duration
        )

    def open(self, hints: Sequence[str] = ()) -> SphinxSpeechStream:
        """Start recognising a turn as it is spoken.

        Nothing is decoded here (it is cheap enough for an event loop): the
        stream takes its decoders from the pool when it first hears speech.

        Args:
            hints: Phrases the learner is likely to say, as for
                :meth:`transcribe`.

        Returns:
            The stream: feed it the turn's audio, then finish it.
        """
        return SphinxSpeechStream(self._pool, tuple(hints))

    def _hint_decoder(self, phrases: _Phrases) -> Any:
        """A decoder over just the hinted phrases (kept for the next turns)."""
        decoder = self._hinted.get(phrases)
        if decoder is None:
            decoder = _phrase_decoder(phrases, self._general)
            self._hinted[phrases] = decoder
            while len(self._hinted) > HINT_DECODERS:
                self._hinted.popitem(last=False)
        else:
            self._hinted.move_to_end(phrases)
        return decoder


class SphinxSpeechStream:
    """One turn recognised while it is spoken (see the module's notes).

    Made by :meth:`SphinxSpeechToText.open`. ``feed`` and ``finish`` may be
    called from any thread, one at a time; word times are seconds from the
    start of the first audio fed. A stream that is never finished keeps its
    decoders from the pool, which builds others when it needs them.
    """

    def __init__(self, pool: SphinxDecoderPool, hints: tuple[str, ...]) -> None:
        """Remember the hints; the decoders are taken at the first speech."""
        self._pool = pool
        self._hints = hints
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(0)
        self._samples = 0
        self._rest: npt.NDArray[np.float64] = np.zeros(0)
        self._held: list[npt.NDArray[np.float64]] = []
        self._levels: list[npt.NDArray[np.float64]] = []
        self._sent = bytearray()
        self._set: _StreamDecoders | None = None
        self._heard: int | None = None
        self._done = False

    def feed(self, pcm: bytes) -> None:
        """Decode more of the turn.

        Args:
            pcm: The next audio, 16 kHz mono s16le.

        Raises:
            SpeechError: The audio is not whole 16-bit samples, the stream
                was finished, or the decoder failed.
        """
        _check_samples(pcm)
        with self._lock:
            self._check_open()
            samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
            self._samples += samples.size
            audio = np.concatenate([self._rest, samples])
            whole = audio.size - audio.size % _FRAME
            body, self._rest = audio[:whole], audio[whole:]
            if body.size == 0:
                return
            frames = body.reshape(-1, _FRAME)
            self._levels.append(np.sqrt((frames**2).mean(axis=1)))
            if self._set is None:
                self._held.append(body)
                end = self._samples - self._rest.size
                if self._heard is None:
                    loud = np.flatnonzero(self._levels[-1] >= SILENT_RMS)
                    if loud.size == 0:
                        return
                    self._heard = end - body.size + int(loud[0]) * _FRAME
                if end - self._heard < HOLD_SECONDS * SAMPLE_RATE:
                    return
                body = np.concatenate(self._held)
                self._held = []
                self._guarded(self._start, body)
                return
            self._guarded(self._decode, self._lifted(body), measure=True)

    def finish(self) -> Transcript:
        """End the turn and return its transcript.

        Returns:
            The words with their times in seconds from the start of the
            stream's audio; an empty transcript for silence.

        Raises:
            SpeechError: The stream was already finished, or the decoder
                failed.
        """
        with self._lock:
            self._check_open()
            self._done = True
            duration = self._samples / SAMPLE_RATE
            if self._set is None and self._heard is not None:
                # A turn shorter than the hold: decode it all now.
                self._guarded(self._start, np.concatenate(self._held))
                self._held = []
            chosen = self._set
            if chosen is None:
                return Transcript(text="", words=(), duration=duration)
            heard = self._guarded(self._end, chosen, duration)
            self._set = None
            self._pool.give(chosen)
        return Transcript(
            text=" ".join(w.text for w in heard), words=tuple(heard), duration=duration
        )

    def _check_open(self) -> None:
        if self._done:
            msg = "this speech stream is finished: open another for the next turn"
            raise SpeechError(msg)

    def _guarded(self, step: Callable[_P, _T], *args: _P.args, **kw: _P.kwargs) -> _T:
        """Run a decoding step; on failure, drop the decoders and the stream.

        A decoder that failed mid-utterance is not given back to the pool.
        """
        try:
            return step(*args, **kw)
        except (SpeechError, RuntimeError, ValueError) as exc:
            self._done = True
            if self._set is not None:
                self._set = None
                self._pool.discard()
            if isinstance(exc, SpeechError):
                raise
            msg = f"pocketsphinx failed to decode the audio: {exc}"
            raise SpeechError(msg) from exc

    def _start(self, body: npt.NDArray[np.float64]) -> None:
        """The first speech: take decoders, then decode the padding and audio."""
        self._set = self._pool.take(self._hints)
        for decoder in self._set.decoders:
            # A fresh front end and mean: the last stream's noise estimate and
            # cepstral mean (another learner's, maybe) must not colour this one.
            decoder.reinit_feat()
            decoder.start_utt()
        _, edge = self._noise()
        pad = self._rng.normal(0.0, edge, int(PAD_SECONDS * SAMPLE_RATE))
        self._decode(np.concatenate([pad, self._lifted(body)]), measure=True)

    def _end(self, chosen: _StreamDecoders, duration: float) -> list[Word]:
        """The last frames, the trailing padding, and the chosen words."""
        rms = np.concatenate(self._levels)
        _, edge = self._noise()
        loud = np.flatnonzero(rms > _QUIET * edge)
        quiet = rms.size - (int(loud[-1]) + 1 if loud.size else 0)
        pad = max(int(PAD_SECONDS * SAMPLE_RATE) - quiet * _FRAME, 0)
        tail = np.concatenate(
            [self._lifted(self._rest), self._rng.normal(0, edge, pad)]
        )
        self._decode(tail, measure=False)
        general, *hinted = [_finished(decoder) for decoder in chosen.decoders]
        if hinted:
            heard = _words(hinted[0], duration)
            if _is_hinted([w.text for w in heard], chosen.phrases):
                return heard
        return _words(general, duration)

    def _noise(self) -> tuple[float, float]:
        """The noise to add to the audio, and the padding's, from the audio so far."""
        rms = np.concatenate(self._levels)
        loudest = float(rms.max())
        level = float(np.sqrt((rms[rms >= 0.1 * loudest] ** 2).mean()))
        target = level * 10 ** (NOISE_FLOOR_DB / 20)
        # The quietest frame is the recording's floor once it is clearly not
        # speech; until such a frame comes (a turn may start mid-word), the
        # floor is taken as digital silence rather than as a speech frame.
        floor = float(rms.min())
        if floor > 0.1 * level:
            floor = 0.0
        return float(np.sqrt(max(target**2 - floor**2, 0.0))), max(target, floor)

    def _lifted(self, body: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        fill, _ = self._noise()
        if not fill or body.size == 0:
            return body
        lifted: npt.NDArray[np.float64] = body + self._rng.normal(0.0, fill, body.size)
        return lifted

    def _decode(self, audio: npt.NDArray[np.float64], *, measure: bool) -> None:
        """Give the decoders more conditioned audio, with the mean so far."""
        assert self._set is not None  # noqa: S101 - set by _start
        pcm = np.clip(np.rint(audio), -32768, 32767).astype("<i2").tobytes()
        self._sent += pcm
        del self._sent[: -2 * int(CMN_WINDOW_SECONDS * SAMPLE_RATE)]
        decoders = self._set.decoders
        if measure:
            mean = _cepstral_mean(self._set.meter, bytes(self._sent))
            for decoder in decoders:
                decoder.set_cmn(mean)
        for start in range(0, len(pcm), 2 * _SLICE):
            piece = pcm[start : start + 2 * _SLICE]
            for decoder in decoders:
                decoder.process_raw(piece, full_utt=False)


@dataclass(frozen=True)
class _StreamDecoders:
    """What one stream decodes with: taken from a pool, given back at the end."""

    general: Any
    meter: Any
    phrases: _Phrases = ()
    hinted: Any = None

    @property
    def decoders(self) -> tuple[Any, ...]:
        """The decoders that hear the audio."""
        if self.hinted is None:
            return (self.general,)
        return (self.general, self.hinted)


class SphinxDecoderPool:
    """Streaming decoders, reused across streams and shared between threads.

    A stream takes a general decoder (with its CMN meter) and, when it has
    hints, a hint decoder for them; it gives them back when it finishes. Each
    :class:`SphinxSpeechToText` using the pool has a general decoder made
    ready when it is built (up to ``idle``), so a session's first turn does
    not wait for one; beyond that, the pool builds one when none is idle, and
    drops those beyond ``idle`` as they come back.

    Args:
        idle: General decoders (about 80 MB each) kept while unused.
        idle_hinted: Hint decoders (about 7 MB each) kept while unused, over
            all sets of hints (the least recently used go first).
    """

    def __init__(
        self, *, idle: int = POOL_IDLE, idle_hinted: int = POOL_IDLE_HINTED
    ) -> None:
        """Start empty: decoders are built when first needed."""
        self.idle = idle
        self.idle_hinted = idle_hinted
        self._lock = threading.Lock()
        self._general: list[tuple[Any, Any]] = []
        self._hinted: OrderedDict[_Phrases, list[Any]] = OrderedDict()
        self._users = 0
        self._built = 0  # general decoders idle or lent (abandoned ones too)

    def prepare(self) -> None:
        """Count one more user, and build a general decoder for it if short.

        Raises:
            SpeechError: pocketsphinx could not load its model.
        """
        with self._lock:
            self._users += 1
            short = self._built < min(self._users, self.idle)
            self._built += short
        if short:
            try:
                pair = _general_pair()
            except SpeechError:
                self.discard()
                raise
            with self._lock:
                self._general.append(pair)

    def leave(self) -> None:
        """Count one user fewer (its decoders stay for the next)."""
        with self._lock:
            self._users -= 1

    def discard(self) -> None:
        """Forget a general decoder that will not come back (it failed)."""
        with self._lock:
            self._built -= 1

    def take(self, hints: Sequence[str] = ()) -> _StreamDecoders:
        """Decoders for one stream (idle ones, or new ones).

        Args:
            hints: The stream's hints (see :meth:`SphinxSpeechToText.transcribe`).

        Returns:
            The decoders, the stream's own until it gives them back.

        Raises:
            SpeechError: pocketsphinx could not load its model.
        """
        with self._lock:
            pair = self._general.pop() if self._general else None
            self._built += pair is None
        if pair is None:
            try:
                pair = _general_pair()
            except SpeechError:
                self.discard()
                raise
        general, meter = pair
        phrases = _phrases(hints, general)
        if not any(len(phrase) >= MIN_HINT_WORDS for phrase in phrases):
            return _StreamDecoders(general, meter)
        with self._lock:
            idle = self._hinted.get(phrases)
            hinted = idle.pop() if idle else None
        if hinted is None:
            try:
                hinted = _phrase_decoder(phrases, general, **_STREAMING)
            except SpeechError:
                with self._lock:
                    self._general.append(pair)
                raise
        return _StreamDecoders(general, meter, phrases, hinted)

    def give(self, decoders: _StreamDecoders) -> None:
        """Take back a finished stream's decoders (their utterance ended).

        Args:
            decoders: What :meth:`take` returned.
        """
        with self._lock:
            if len(self._general) < self.idle:
                self._general.append((decoders.general, decoders.meter))
            else:
                self._built -= 1
            if decoders.hinted is None or self.idle_hinted <= 0:
                return
            self._hinted.setdefault(decoders.phrases, []).append(decoders.hinted)
            self._hinted.move_to_end(decoders.phrases)
            kept = sum(len(idle) for idle in self._hinted.values())
            while kept > self.idle_hinted:
                oldest = next(iter(self._hinted))
                self._hinted[oldest].pop(0)
                if not self._hinted[oldest]:
                    del self._hinted[oldest]
                kept -= 1

    def counts(self) -> tuple[int, int]:
        """Idle general and hint decoders, as ``(general, hinted)``."""
        with self._lock:
            return len(self._general), sum(len(d) for d in self._hinted.values())


_shared: SphinxDecoderPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> SphinxDecoderPool:
    """The process's pool of streaming decoders (made on first use).

    Returns:
        The same pool on every call.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SphinxDecoderPool()
        return _shared


def _general_pair() -> tuple[Any, Any]:
    """A streaming general decoder (no second pass) and its CMN meter."""
    general = _decoder(**_STREAMING)
    # A one-word search at every 20th frame, no phone-loop lookahead and no
    # lattice: about 1 ms per second of audio, all of it the front end.
    meter = _phrase_decoder(
        (("a",),),
        general,
        ds=20,
        topn=1,
        maxhmmpf=10,
        pl_window=0,
        fwdflat=False,
        bestpath=False,
    )
    return general, meter


def _cepstral_mean(meter: Any, pcm: bytes) -> str:
    """The batch cepstral mean of ``pcm``, as pocketsphinx writes it.

    The meter's front end is reset first, so the mean depends on ``pcm``
    alone, and it stays in batch mode: it only ever sees whole utterances.
    """
    meter.reinit_feat()
    meter.start_utt()
    meter.process_raw(pcm, no_search=True, full_utt=True)
    mean: str = meter.get_cmn()
    meter.end_utt()
    return mean


def _finished(decoder: Any) -> list[tuple[str, int, int]]:
    """End a streamed utterance: its segments (word, first frame, last frame)."""
    decoder.end_utt()
    return [(s.word, s.start_frame, s.end_frame) for s in decoder.seg() or ()]


def _check_samples(pcm: bytes) -> None:
    if len(pcm) % 2:
        msg = f"PCM audio is 16-bit samples: {len(pcm)} bytes is not a whole number"
        raise SpeechError(msg)


def _decoder(**options: str | int | float | bool) -> Any:
    """A pocketsphinx decoder for 16 kHz audio with the bundled en-us model."""
    try:
        return Decoder(samprate=SAMPLE_RATE, loglevel="ERROR", **options)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"pocketsphinx could not load its model: {exc}"
        raise SpeechError(msg) from exc


def _conditioned(samples: npt.NDArray[np.float64]) -> bytes | None:
    """The turn padded and lifted to the noise floor, as PCM; None if silent."""
    frames = samples[: samples.size - samples.size % _FRAME].reshape(-1, _FRAME)
    if frames.size == 0:
        return None
    rms = np.sqrt((frames**2).mean(axis=1))
    loudest = float(rms.max())
    if loudest < SILENT_RMS:
        return None
    level = float(np.sqrt((rms[rms >= 0.1 * loudest] ** 2).mean()))
    target = level * 10 ** (NOISE_FLOOR_DB / 20)
    floor = float(np.percentile(rms, 10))
    fill = float(np.sqrt(max(target**2 - floor**2, 0.0)))
    rng = np.random.default_rng(0)
    pad = int(PAD_SECONDS * SAMPLE_RATE)
    body = samples + rng.normal(0.0, fill, samples.size) if fill else samples
    edges = rng.normal(0.0, max(target, floor), 2 * pad)
    padded = np.concatenate([edges[:pad], body, edges[pad:]])
    pcm: bytes = np.clip(np.rint(padded), -32768, 32767).astype("<i2").tobytes()
    return pcm


def _decode(decoder: Any, audio: bytes) -> list[tuple[str, int, int]]:
    """The segments (word, first frame, last frame) of one utterance."""
    try:
        decoder.start_utt()
        decoder.process_raw(audio, full_utt=True)
        decoder.end_utt()
        return [(s.word, s.start_frame, s.end_frame) for s in decoder.seg() or ()]
    except RuntimeError as exc:
        msg = f"pocketsphinx failed to decode the audio: {exc}"
        raise SpeechError(msg) from exc


def _words(segments: list[tuple[str, int, int]], duration: float) -> list[Word]:
    """Spoken words on the turn's clock: no silence, marks or fillers."""
    words = []
    for token, first, last in segments:
        if token.startswith(("<", "[", "+")):
            continue
        start = min(max(first * FRAME_SECONDS - PAD_SECONDS, 0.0), duration)
        end = min(max((last + 1) * FRAME_SECONDS - PAD_SECONDS, start), duration)
        words.append(Word(token.split("(")[0], round(start, 3), round(end, 3)))
    return words


def _phrases(hints: Sequence[str], general: Any) -> tuple[tuple[str, ...], ...]:
    """The hints as phrases of dictionary words, split at sentence ends.

    A word the dictionary lacks splits its phrase too: the decoder could not
    say it, and joining its neighbours would invent a word pair.
    """
    phrases: dict[tuple[str, ...], None] = {}
    for hint in hints:
        for sentence in _SENTENCE_END.split(hint.lower()):
            phrase: list[str] = []
            for word in [*_WORD.findall(sentence), ""]:
                if word and general.lookup_word(word) is not None:
                    phrase.append(word)
                    continue
                if phrase:
                    phrases[tuple(phrase)] = None
                phrase = []
    return tuple(phrases)[:MAX_HINT_PHRASES]


def _phrase_decoder(
    phrases: _Phrases, general: Any, **options: str | int | float | bool
) -> Any:
    """A decoder with a trigram model and dictionary of just these phrases."""
    model = ArpaBoLM(text="\n".join(" ".join(p) for p in phrases), add_start=True)
    model.compute()
    lines = []
    for word in sorted({w for p in phrases for w in p}):
        lines.append(f"{word} {general.lookup_word(word)}")
        for n in range(2, 10):
            alternate = general.lookup_word(f"{word}({n})")
            if alternate is None:
                break
            lines.append(f"{word}({n}) {alternate}")
    with tempfile.TemporaryDirectory(prefix="levelwise-hints-") as folder:
        lm_path = os.path.join(folder, "hints.arpa")
        dict_path = os.path.join(folder, "hints.dict")
        model.write_file(lm_path)
        with open(dict_path, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        return _decoder(lm=lm_path, dict=dict_path, **options)


def _is_hinted(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``words`` are (nearly) hinted phrases, or stretches of them."""
    if len(words) < MIN_HINT_WORDS:
        return False
    return _hint_distance(words, phrases) <= int(MAX_HINT_ERROR * len(words))


def _hint_distance(words: list[str], phrases: tuple[tuple[str, ...], ...]) -> int:
    """Word edits from ``words`` to the closest run of stretches of phrases.

    An edit-distance table over every position in every phrase: the first
    stretch may start anywhere and the last end anywhere for free (a
    semi-global alignment), and moving on to another stretch, as when the
    learner says two hinted sentences in one turn, costs one edit. A string
    of hinted words in no hinted order pays one edit per jump, so it is far
    from every phrase.
    """
    cost = [[0] * (len(phrase) + 1) for phrase in phrases]
    for word in words:
        jump = min(min(row) for row in cost) + 1
        after = []
        for phrase, row in zip(phrases, cost, strict=True):
            new = [min(row[0], jump) + 1]
            for k, expected in enumerate(phrase, start=1):
                inserted = min(row[k], jump) + 1
                matched = min(row[k - 1], jump) + (word != expected)
                new.append(min(inserted, matched, new[k - 1] + 1))
            after.append(new)
        cost = after
    return min(min(row) for row in cost)
