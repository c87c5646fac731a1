"""The offline speech back ends on real audio: espeak-ng, pocketsphinx, webrtcvad."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import threading
import time
import wave
from difflib import SequenceMatcher
from itertools import pairwise

import numpy as np
import pytest

from levelwise.adapters.speech.espeak import EspeakTextToSpeech
from levelwise.adapters.speech.sphinx import (
    HOLD_SECONDS,
    SphinxDecoderPool,
    SphinxSpeechToText,
)
from levelwise.adapters.speech.webrtc import WebRtcVoiceActivity
from levelwise.app.practice.ports import (
    FRAME_BYTES,
    FRAME_MS,
    SAMPLE_RATE,
    StreamingSpeechToText,
)
from levelwise.errors import SpeechError

COFFEE = "I would like a cup of coffee please"
HINTS = (
    COFFEE,
    "Where is the train station?",
    "Can you help me find my keys?",
    "Could you speak more slowly, please?",
)


def silence(seconds: float) -> bytes:
    return bytes(2 * round(seconds * SAMPLE_RATE))


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def voiced_span(pcm: bytes) -> tuple[float, float]:
    """First and last sample above a small amplitude, in seconds."""
    loud = np.flatnonzero(np.abs(samples(pcm)) > 200)
    return loud[0] / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE


def words_of(text: str) -> list[str]:
    return text.lower().replace(",", "").replace("?", "").split()


@pytest.fixture
def tts() -> EspeakTextToSpeech:
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing: `make pytest` installs it with apt-get")
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    return EspeakTextToSpeech()


@pytest.fixture(scope="module")
def stt() -> SphinxSpeechToText:
    # Loading the general model and dictionary takes a few tenths of a second:
    # one decoder serves the module, as one serves a session.
    return SphinxSpeechToText()


# --- text to speech -----------------------------------------------------------


def test_synthesize_gives_16khz_speech_of_espeaks_own_duration(tts, tmp_path):
    pcm = tts.synthesize(COFFEE)

    assert len(pcm) % 2 == 0
    duration = len(pcm) / 2 / SAMPLE_RATE
    # 8 words at 150 words a minute: 3.2 s give or take espeak's own pacing.
    assert 1.6 < duration < 4.8
    # The same text written by espeak-ng at its own rate lasts as long: the
    # resampling kept the time base (so the rate really is 16 kHz).
    wav_path = tmp_path / "coffee.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav_path), COFFEE],
        check=True,
    )
    with wave.open(str(wav_path)) as wav:
        own = wav.getnframes() / wav.getframerate()
    assert duration == pytest.approx(own, abs=0.002)
    start, end = voiced_span(pcm)
    voiced = samples(pcm)[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]
    assert np.sqrt(np.mean(voiced**2)) > 1000
    assert end - start > 0.6 * duration


def test_speaking_rate_sets_the_duration():
    if shutil.which("espeak-ng") is None and not os.environ.get("CI"):
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    slow = EspeakTextToSpeech(words_per_minute=100).synthesize(COFFEE)
    fast = EspeakTextToSpeech(words_per_minute=200).synthesize(COFFEE)

    assert 1.5 < len(slow) / len(fast) < 2.5


def test_blank_text_gives_no_audio(tts):
    assert tts.synthesize("  \n") == b""


def test_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(tts, tmp_path):
    written = tmp_path / "taken.wav"

    pcm = tts.synthesize(f"-w {written} --version")

    assert not written.exists()
    start, end = voiced_span(pcm)
    assert end - start > 1.0  # the words, path and all, are read out


def test_unknown_voice_is_a_speech_error(tts):
    with pytest.raises(SpeechError, match="espeak-ng failed"):
        EspeakTextToSpeech(voice="xx-no-such-voice").synthesize("hello")


def test_missing_program_is_a_speech_error():
    tts = EspeakTextToSpeech(executable="levelwise-no-such-espeak")

    with pytest.raises(SpeechError, match="not installed"):
        tts.synthesize("hello")


def test_slow_synthesis_times_out(tts):
    slow = EspeakTextToSpeech(timeout=0.001)

    with pytest.raises(SpeechError, match="took more than"):
        slow.synthesize(COFFEE * 20)


# --- speech to text -----------------------------------------------------------


def test_hinted_speech_gives_the_words_with_ordered_times(tts, stt):
    pcm = tts.synthesize(COFFEE)

    heard = stt.transcribe(pcm, HINTS)

    assert [w.text for w in heard.words] == words_of(COFFEE)
    assert heard.text == " ".join(words_of(COFFEE))
    assert heard.duration == len(pcm) / 2 / SAMPLE_RATE
    start, end = voiced_span(pcm)
    for before, after in pairwise(heard.words):
        assert before.start < before.end <= after.start
    assert heard.words[0].start == pytest.approx(start, abs=0.1)
    assert heard.words[-1].end == pytest.approx(end, abs=0.1)
    assert heard.words[-1].end <= heard.duration


def test_speech_outside_the_hints_still_gets_a_transcript(tts, stt):
    said = "do you have any brothers or sisters"

    heard = stt.transcribe(tts.synthesize(said), HINTS)

    assert {"brothers", "sisters"} <= {w.text for w in heard.words}


def test_speech_without_hints_gets_a_best_effort_transcript(tts, stt):
    said = words_of(HINTS[3])

    heard = [w.text for w in stt.transcribe(tts.synthesize(HINTS[3])).words]

    matched = SequenceMatcher(a=said, b=heard).get_matching_blocks()
    assert sum(block.size for block in matched) >= 4  # of 6 words, in order


def test_a_pause_shows_in_the_word_times(tts, stt):
    first, second = tts.synthesize(HINTS[1]), tts.synthesize(HINTS[2])
    pcm = first + silence(0.8) + second
    # The silence the listener hears: 0.8 s plus espeak's own trailing and
    # leading quiet around it.
    gap = (len(first) / 2 / SAMPLE_RATE - voiced_span(first)[1]) + 0.8
    gap += voiced_span(second)[0]

    heard = stt.transcribe(pcm, HINTS)

    texts = [w.text for w in heard.words]
    assert texts == words_of(HINTS[1]) + words_of(HINTS[2])
    last, next_ = heard.words[len(words_of(HINTS[1])) - 1], heard.words[5]
    assert next_.start - last.end >= 0.7
    assert next_.start - last.end == pytest.approx(gap, abs=0.15)


def test_silence_gives_an_empty_transcript(stt):
    heard = stt.transcribe(silence(1.0), HINTS)

    assert heard.words == ()
    assert heard.text == ""
    assert heard.duration == 1.0


def test_one_decoder_serves_threads_one_at_a_time(tts, stt):
    pcm = tts.synthesize(HINTS[2])
    alone = stt.transcribe(pcm)
    results = []

    def work() -> None:
        results.append(stt.transcribe(pcm))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [alone] * 3


@pytest.mark.parametrize("size", [1, 3, 961], ids=["one-byte", "three", "odd-frame"])
def test_odd_byte_counts_are_a_speech_error(stt, size):
    with pytest.raises(SpeechError, match="16-bit samples"):
        stt.transcribe(bytes(size))


# --- streaming speech to text -------------------------------------------------

FEED_BYTES = 6 * FRAME_BYTES
"""180 ms: how much audio the conversation hands a stream at a time."""
BROTHERS = "do you have any brothers or sisters"


def chunks(pcm: bytes, size: int = FEED_BYTES) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def edits(a: list[str], b: list[str]) -> int:
    """Word-level edit distance."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = (
                row[j],
                min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y)),
            )
    return row[-1]


def streamed(stt, pcm: bytes, hints=()):
    stream = stt.open(hints)
    for chunk in chunks(pcm):
        stream.feed(chunk)
    return stream.finish()


@pytest.fixture(scope="module")
def pool() -> SphinxDecoderPool:
    # A pool of the module's own, so its counts are this module's doing.
    return SphinxDecoderPool()


@pytest.fixture(scope="module")
def pooled(pool) -> SphinxSpeechToText:
    return SphinxSpeechToText(pool=pool)


@pytest.mark.parametrize(
    ("said", "hints", "end"),
    [
        (COFFEE, HINTS, 0.5),
        (BROTHERS, HINTS, 0.5),
        (HINTS[2], (), 0.5),
        (COFFEE, HINTS, None),
    ],
    ids=["hinted", "outside-the-hints", "no-hints", "cut-off"],
)
def test_a_stream_hears_what_transcribe_hears(tts, stt, said, hints, end):
    speech = tts.synthesize(said)
    start, stop = voiced_span(speech)
    # As the conversation hands a turn over: the VAD's preroll, the speech,
    # the silence that ended the turn (or none: cut off at the last sound).
    tail = silence(end) if end is not None else b""
    speech = speech if end is not None else speech[: 2 * round(stop * SAMPLE_RATE)]
    pcm = silence(0.3) + speech + tail

    batch = stt.transcribe(pcm, hints)
    heard = streamed(stt, pcm, hints)

    assert isinstance(stt, StreamingSpeechToText)
    got, expected = [w.text for w in heard.words], [w.text for w in batch.words]
    assert edits(got, expected) <= 1, (got, expected)
    assert heard.duration == batch.duration == len(pcm) / 2 / SAMPLE_RATE
    # The times are on the stream's clock, preroll included, like batch's.
    assert heard.words[0].start == pytest.approx(0.3 + start, abs=0.1)
    assert heard.words[-1].end == pytest.approx(0.3 + stop, abs=0.1)
    assert heard.words[-1].end <= heard.duration
    for before, after in pairwise(heard.words):
        assert before.start < before.end <= after.start
    # Word for word, the same clock as batch's: mostly the same frames, a word
    # edge now and then a few frames off (as far as 2 * 50 ms, the fluency
    # tests' tolerance).
    shifts = []
    for block in SequenceMatcher(a=got, b=expected).get_matching_blocks():
        for k in range(block.size):
            ours, theirs = heard.words[block.a + k], batch.words[block.b + k]
            shifts += [ours.start - theirs.start, ours.end - theirs.end]
    assert abs(statistics.median(shifts)) <= 0.01
    assert max(map(abs, shifts)) <= 0.1


def test_a_turn_shorter_than_the_hold_is_decoded_when_it_ends(tts, stt):
    speech = tts.synthesize("yes")
    start, stop = voiced_span(speech)
    pcm = silence(0.15) + speech[: 2 * round(stop * SAMPLE_RATE)]
    assert stop - start < HOLD_SECONDS  # the stream is still holding it back

    heard = streamed(stt, pcm)

    assert [w.text for w in heard.words] == ["yes"]
    batch = stt.transcribe(pcm)
    assert (heard.text, heard.duration) == (batch.text, batch.duration)
    assert heard.words[0].start == pytest.approx(0.15 + start, abs=0.1)


def test_finishing_a_stream_is_a_small_part_of_a_whole_decode(tts, stt):
    pcm = silence(0.3) + tts.synthesize(HINTS[3]) + silence(0.5)
    began = time.perf_counter()
    batch = stt.transcribe(pcm)
    whole = time.perf_counter() - began
    stream = stt.open()
    for chunk in chunks(pcm):
        stream.feed(chunk)

    began = time.perf_counter()
    heard = stream.finish()
    last = time.perf_counter() - began

    assert edits([w.text for w in heard.words], [w.text for w in batch.words]) <= 1
    # Typically 10-20 ms against 400-600 ms: the turn was decoded as it came.
    assert last < 0.2 * whole, (last, whole)


def test_two_sessions_streaming_at_once_keep_their_own_words(tts):
    pool = SphinxDecoderPool()
    # Two sessions, each with its own speech to text, sharing one pool.
    sessions = [SphinxSpeechToText(pool=pool), SphinxSpeechToText(pool=pool)]
    ready = pool.counts()
    first, second = tts.synthesize(HINTS[1]), tts.synthesize(BROTHERS)
    length = max(len(first), len(second)) + SAMPLE_RATE  # then 0.5 s of silence
    turns = [
        (first + bytes(length - len(first)), HINTS),
        (second + bytes(length - len(second)), ()),
    ]
    alone = [
        streamed(stt, pcm, hints)
        for stt, (pcm, hints) in zip(sessions, turns, strict=True)
    ]
    step = threading.Barrier(2, timeout=30)
    together: dict[int, object] = {}

    def speak(k: int) -> None:
        pcm, hints = turns[k]
        stream = sessions[k].open(hints)
        for chunk in chunks(pcm):
            step.wait()  # both streams take each chunk in turn, interleaved
            stream.feed(chunk)
        step.wait()
        together[k] = stream.finish()

    threads = [threading.Thread(target=speak, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [together.get(0), together.get(1)] == alone
    assert alone[0].text == " ".join(words_of(HINTS[1]))
    assert alone[1].text != alone[0].text
    # A general decoder was ready for each session when it was built; the
    # two streams used those (no more were built) and gave them back, with
    # the hint decoder of the first.
    assert ready == (2, 0)
    assert pool.counts() == (2, 1)


def test_a_stream_borrows_its_decoders_and_gives_them_back(tts, pooled, pool):
    idle, hinted = pool.counts()
    assert idle >= 1  # made ready when the speech to text was built
    stream = pooled.open()
    pcm = tts.synthesize(HINTS[2])

    half = len(pcm) // 2  # about 0.9 s: decoding has started
    stream.feed(pcm[:half])
    during = pool.counts()
    stream.feed(pcm[half:])
    stream.finish()

    assert during == (idle - 1, hinted)
    assert pool.counts() == (idle, hinted)


def test_a_silent_stream_is_empty_and_takes_no_decoder(pooled, pool):
    before = pool.counts()
    stream = pooled.open(HINTS)
    for chunk in chunks(silence(1.0)):
        stream.feed(chunk)
    during = pool.counts()

    heard = stream.finish()

    assert during == before
    assert heard.words == ()
    assert heard.text == ""
    assert heard.duration == 1.0


def test_a_finished_stream_takes_no_more_audio(pooled):
    stream = pooled.open()
    stream.feed(silence(0.1))
    stream.finish()

    with pytest.raises(SpeechError, match="finished"):
        stream.feed(silence(0.1))
    with pytest.raises(SpeechError, match="finished"):
        stream.finish()


def test_odd_byte_counts_are_a_speech_error_in_a_stream_too(pooled):
    stream = pooled.open()

    with pytest.raises(SpeechError, match="16-bit samples"):
        stream.feed(bytes(961))


# --- voice activity -----------------------------------------------------------


def frames(pcm: bytes) -> list[bytes]:
    return [
        pcm[i : i + FRAME_BYTES]
        for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)
    ]


def test_silence_frames_are_not_speech():
    vad = WebRtcVoiceActivity()

    assert not any(vad.is_speech(frame) for frame in frames(silence(0.6)))


def test_speech_frames_are_mostly_speech(tts):
    pcm = tts.synthesize(COFFEE)
    start, end = voiced_span(pcm)
    vad = WebRtcVoiceActivity()

    voiced = [vad.is_speech(f) for f in frames(pcm)]

    inside = voiced[int(start * 1000) // FRAME_MS : int(end * 1000) // FRAME_MS]
    assert sum(inside) / len(inside) > 0.8


def test_the_first_voiced_frame_is_where_speech_starts(tts):
    speech = tts.synthesize(COFFEE)
    pcm = silence(0.6) + speech
    vad = WebRtcVoiceActivity()

    voiced = [vad.is_speech(f) for f in frames(pcm)]

    onset = voiced.index(True) * FRAME_MS / 1000
    assert onset == pytest.approx(0.6 + voiced_span(speech)[0], abs=0.06)


@pytest.mark.parametrize("size", [0, 480, FRAME_BYTES - 2, FRAME_BYTES + 2, 1920])
def test_a_frame_of_another_size_is_a_speech_error(size):
    with pytest.raises(SpeechError, match=f"not {size}"):
        WebRtcVoiceActivity().is_speech(bytes(size))


def test_aggressiveness_is_webrtcs_scale():
    with pytest.raises(ValueError, match="0, 1, 2 or 3"):
        WebRtcVoiceActivity(aggressiveness=4)
