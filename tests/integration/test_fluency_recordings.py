"""Fluency measures on recordings with known pauses, against hand-computed values.

The recording is built, not recorded: espeak-ng speaks five phrases one by one,
each is cut to its own voiced span (espeak-ng's leading and trailing silence
removed), and the phrases are joined with silences of known length. So the
words, the pauses and the speaking time are known by construction, and
pocketsphinx's transcript of the whole (words with timestamps) must give the
same fluency measures through ``levelwise.app.practice.scoring.fluency``.

Tolerance. A timestamp is a 10 ms frame boundary, and pocketsphinx puts a word
edge up to a few frames into the neighbouring silence: its 25.6 ms analysis
window and the delta and double-delta features (two to three frames either
side) carry a word's energy past its end, so the word's model keeps those
frames. We allow EDGE = 50 ms per word edge (four frames of spread plus one of
rounding). A pause has two edges, so it is measured within 2 * EDGE of the
silence inserted (in practice 50 to 70 ms shorter); the speaking time (first
word start to last word end) is within 2 * EDGE; the phonation time (speaking
time less the pauses) within 2 * EDGE * (pauses + 1). The rates are checked
through the times they imply (60 * words / rate), against those bounds.
"""

from __future__ import annotations

import os
import shutil
from itertools import pairwise

import numpy as np
import pytest

from levelwise.adapters.speech.espeak import EspeakTextToSpeech
from levelwise.adapters.speech.sphinx import SphinxSpeechToText
from levelwise.app.practice.ports import SAMPLE_RATE, Transcript
from levelwise.app.practice.scoring import LearnerTurn, fluency

EDGE = 0.05
"""Seconds a recognised word edge may stray from the true one (see above)."""

# Each phrase, then the silence inserted after it (None: the end).
PHRASES: tuple[tuple[str, float | None], ...] = (
    ("I would like a cup of coffee", 0.5),
    ("and a piece of", 0.9),  # a pause inside a clause: "... of | chocolate"
    ("chocolate cake", 0.1),  # shorter than any threshold: not a pause
    ("for my friend", 1.4),
    ("because she is very hungry", None),
)
SENTENCE = " ".join(text for text, _ in PHRASES).lower()
WORDS = len(SENTENCE.split())


class Recording:
    """The built recording, what was put into it, and what was heard."""

    def __init__(self, spans: list[tuple[float, float]], heard: Transcript) -> None:
        self.spans = spans
        self.heard = heard

    @property
    def speaking_time(self) -> float:
        return self.spans[-1][1] - self.spans[0][0]

    def pauses(self, threshold: float) -> list[float]:
        return [gap for _, gap in PHRASES if gap is not None and gap >= threshold]


def voiced(pcm: bytes) -> np.ndarray:
    """The samples from the first to the last above -40 dB of the peak."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 0.01 * np.abs(samples).max())
    return samples[loud[0] : loud[-1] + 1]


@pytest.fixture(scope="module")
def recording() -> Recording:
    # Built once: five syntheses and one decoding of nine seconds of speech.
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing: `make pytest` installs it with apt-get")
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    tts = EspeakTextToSpeech()
    lead = 0.3  # the learner's turn starts before the first word
    parts = [np.zeros(round(lead * SAMPLE_RATE), dtype="<i2")]
    spans = []
    clock = lead
    for text, gap in PHRASES:
        phrase = voiced(tts.synthesize(text))
        spans.append((clock, clock + phrase.size / SAMPLE_RATE))
        parts.append(phrase)
        clock += phrase.size / SAMPLE_RATE
        if gap is not None:
            parts.append(np.zeros(round(gap * SAMPLE_RATE), dtype="<i2"))
            clock += gap
    parts.append(np.zeros(round(lead * SAMPLE_RATE), dtype="<i2"))
    pcm = np.concatenate(parts).astype("<i2").tobytes()
    heard = SphinxSpeechToText().transcribe(pcm, hints=[SENTENCE])
    return Recording(spans, heard)


def measures(recording: Recording, threshold: float) -> dict[str, float]:
    heard = recording.heard
    turn = LearnerTurn(text=heard.text, words=heard.words, duration=heard.duration)
    return fluency([turn], pause_threshold=threshold)


def test_the_recording_is_heard_word_for_word(recording):
    # The precondition of every check below: the words are the known ones.
    assert recording.heard.text == SENTENCE
    first, last = recording.heard.words[0], recording.heard.words[-1]
    assert first.start == pytest.approx(recording.spans[0][0], abs=EDGE)
    assert last.end == pytest.approx(recording.spans[-1][1], abs=EDGE)


def test_fluency_matches_the_hand_computed_values(recording):
    got = measures(recording, 0.25)

    pauses = recording.pauses(0.25)
    assert pauses == [0.5, 0.9, 1.4]  # the 0.1 s silence is no pause
    # Runs: the stretches between pauses, so words / (pauses + 1), exactly.
    assert got["mean_length_of_run"] == WORDS / (len(pauses) + 1)
    assert got["mean_pause_duration"] == pytest.approx(
        sum(pauses) / len(pauses), abs=2 * EDGE
    )
    total = recording.speaking_time
    phonation = total - sum(pauses)
    assert 60 * WORDS / got["speech_rate"] == pytest.approx(total, abs=2 * EDGE)
    assert 60 * WORDS / got["articulation_rate"] == pytest.approx(
        phonation, abs=2 * EDGE * (len(pauses) + 1)
    )
    ratio_bound = 2 * EDGE * (len(pauses) + 2) / (total - 2 * EDGE)
    assert got["phonation_time_ratio"] == pytest.approx(
        phonation / total, abs=ratio_bound
    )
    # "and" and "because" open clauses; "chocolate" does not: two pauses at
    # clause ends and one inside a clause, as rates per minute of phonation.
    measured_phonation = 60 * WORDS / got["articulation_rate"]
    assert got["end_clause_pause_rate"] * measured_phonation / 60 == pytest.approx(2)
    assert got["mid_clause_pause_rate"] * measured_phonation / 60 == pytest.approx(1)


def test_each_pause_is_measured_as_inserted(recording):
    words = recording.heard.words
    gaps = [later.start - earlier.end for earlier, later in pairwise(words)]
    # The four largest gaps are the four inserted silences, in order.
    largest = sorted(sorted(range(len(gaps)), key=gaps.__getitem__)[-4:])
    inserted = [gap for _, gap in PHRASES if gap is not None]

    assert [gaps[i] for i in largest] == pytest.approx(inserted, abs=2 * EDGE)
    others = [gap for i, gap in enumerate(gaps) if i not in largest]
    assert max(others) < 0.25  # no pause inside a phrase


@pytest.mark.parametrize(
    ("threshold", "left"),
    [
        (0.6, [0.9, 1.4]),  # above the 0.5 s silence, below 0.9 - 2 * EDGE
        (1.0, [1.4]),
        (1.5, []),
    ],
    ids=["above-0.5", "above-0.9", "above-all"],
)
def test_raising_the_threshold_removes_the_shorter_pauses(recording, threshold, left):
    got = measures(recording, threshold)

    assert recording.pauses(threshold) == left
    assert got["mean_length_of_run"] == WORDS / (len(left) + 1)
    if left:
        assert got["mean_pause_duration"] == pytest.approx(
            sum(left) / len(left), abs=2 * EDGE
        )
    else:
        assert "mean_pause_duration" not in got
        assert got["phonation_time_ratio"] == 1.0
    # The speaking time does not depend on the threshold; phonation does.
    assert 60 * WORDS / got["speech_rate"] == pytest.approx(
        recording.speaking_time, abs=2 * EDGE
    )
    assert 60 * WORDS / got["articulation_rate"] == pytest.approx(
        recording.speaking_time - sum(left), abs=2 * EDGE * (len(left) + 1)
    )
