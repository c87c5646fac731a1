"""The offline speech back ends on real audio: espeak-ng, pocketsphinx, webrtcvad."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import wave
from difflib import SequenceMatcher
from itertools import pairwise

import numpy as np
import pytest

from levelwise.adapters.speech.espeak import EspeakTextToSpeech
from levelwise.adapters.speech.sphinx import SphinxSpeechToText
from levelwise.adapters.speech.webrtc import WebRtcVoiceActivity
from levelwise.app.practice.ports import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
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
