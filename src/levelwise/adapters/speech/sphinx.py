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
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

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

_FRAME = int(SAMPLE_RATE * FRAME_SECONDS)
_SENTENCE_END = re.compile(r"[.!?;:\n]+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


class SphinxSpeechToText:
    """Recognises English speech offline with pocketsphinx's bundled model.

    A decoder is stateful: calls on one instance are serialised by a lock, so
    sharing an instance between threads is safe but makes them wait; for
    parallel sessions give each session its own instance (about 0.6 s to build
    and some 50 MB of memory, for the general language model and dictionary).

    Raises:
        SpeechError: pocketsphinx could not load its model.
    """

    name = "pocketsphinx"

    def __init__(self) -> None:
        """Load the general model, dictionary and acoustic model."""
        self._lock = threading.Lock()
        self._general = _decoder()
        self._hinted: OrderedDict[tuple[tuple[str, ...], ...], Any] = OrderedDict()

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
        if len(pcm) % 2:
            msg = f"PCM audio is 16-bit samples: {len(pcm)} bytes is not a whole number"
            raise SpeechError(msg)
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

    def _hint_decoder(self, phrases: tuple[tuple[str, ...], ...]) -> Any:
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


def _decoder(**options: str) -> Any:
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


def _phrase_decoder(phrases: tuple[tuple[str, ...], ...], general: Any) -> Any:
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
        return _decoder(lm=lm_path, dict=dict_path)


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
