"""Fluency from word timestamps and a session's metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import levelwise.app.practice.scoring as scoring
from levelwise.app.practice.ports import Word
from levelwise.app.practice.scoring import (
    DEFAULT_PAUSE_THRESHOLD,
    LearnerTurn,
    fluency,
    score_session,
)
from levelwise.domain.practice import PRACTICE_METRICS


def spoken(*timed: tuple[str, float, float], text: str | None = None) -> LearnerTurn:
    """A voice turn from (word, start, end) triples; its text is the words."""
    words = tuple(Word(word, start, end) for word, start, end in timed)
    return LearnerTurn(
        text=" ".join(word for word, _, _ in timed) if text is None else text,
        words=words,
        duration=timed[-1][2] + 0.5,
    )


# "i like to swim ... and run": gaps 0.05 (i|like), 0 (like|to), 0.50
# (to|swim: mid-clause, "swim" opens no clause), 0.80 (swim|and: end-clause,
# "and" opens one), 0.10 (and|run).
SWIM = spoken(
    ("i", 0.00, 0.20),
    ("like", 0.25, 0.60),
    ("to", 0.60, 0.70),
    ("swim", 1.20, 1.60),
    ("and", 2.40, 2.60),
    ("run", 2.70, 3.00),
)


def test_measures_of_one_turn_match_the_hand_computation():
    words = 6
    total = 3.00 - 0.00  # first word start to last word end
    pauses = [1.20 - 0.70, 2.40 - 1.60]  # the gaps of 250 ms or more
    phonation = total - sum(pauses)  # 1.7 s

    got = fluency([SWIM])

    assert got == pytest.approx(
        {
            "speech_rate": 60 * words / total,  # 120 wpm
            "articulation_rate": 60 * words / phonation,  # 211.8 wpm
            "phonation_time_ratio": phonation / total,  # 0.567
            "mean_length_of_run": words / (len(pauses) + 1),  # 3 runs of 2
            "mid_clause_pause_rate": 60 * 1 / phonation,  # before "swim"
            "end_clause_pause_rate": 60 * 1 / phonation,  # before "and"
            "mean_pause_duration": sum(pauses) / len(pauses),  # 0.65 s
        }
    )


def test_the_default_threshold_is_250_ms():
    assert DEFAULT_PAUSE_THRESHOLD == 0.25
    assert fluency([SWIM]) == fluency([SWIM], pause_threshold=0.25)


@pytest.mark.parametrize(
    ("threshold", "pauses", "end_clause"),
    [
        # Only the 0.80 s gap before "and" is long enough.
        (0.6, [0.80], 1),
        # Every gap but the zero one (like|to): 0.05, 0.50, 0.80, 0.10.
        (0.04, [0.05, 0.50, 0.80, 0.10], 1),
    ],
    ids=["600ms", "40ms"],
)
def test_the_pause_threshold_decides_what_is_a_pause(threshold, pauses, end_clause):
    phonation = 3.0 - sum(pauses)

    got = fluency([SWIM], pause_threshold=threshold)

    assert got != fluency([SWIM])
    assert got["mean_length_of_run"] == pytest.approx(6 / (len(pauses) + 1))
    assert got["articulation_rate"] == pytest.approx(60 * 6 / phonation)
    assert got["mean_pause_duration"] == pytest.approx(sum(pauses) / len(pauses))
    assert got["end_clause_pause_rate"] == pytest.approx(60 * end_clause / phonation)
    assert got["mid_clause_pause_rate"] == pytest.approx(
        60 * (len(pauses) - end_clause) / phonation
    )
    # Speech rate counts pauses as time: it does not depend on the threshold.
    assert got["speech_rate"] == pytest.approx(120.0)


def test_a_gap_of_exactly_the_threshold_is_a_pause():
    # 0.6 - 0.35 is 0.24999999999999994 in floating point: still 250 ms.
    turn = spoken(("yes", 0.10, 0.35), ("please", 0.60, 1.00))

    got = fluency([turn])

    assert got["mean_pause_duration"] == pytest.approx(0.25)
    assert got["mean_length_of_run"] == 1.0


@pytest.mark.parametrize("threshold", [0.0, -0.25, math.nan])
def test_a_threshold_that_is_not_positive_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        fluency([SWIM], pause_threshold=threshold)


def test_time_between_turns_does_not_count():
    # Each turn's timestamps start at its own audio; 0.5 s of silence lead in
    # to the second. Turn 1: 2 words over 1.0 s, no pause. Turn 2: 3 words
    # over 1.5 s (0.5 to 2.0) with one pause of 0.5 s (1.0 to 1.5).
    first = spoken(("hello", 0.0, 0.4), ("there", 0.5, 1.0))
    second = spoken(("we", 0.5, 0.7), ("went", 0.8, 1.0), ("home", 1.5, 2.0))
    total = 1.0 + 1.5
    phonation = total - 0.5

    got = fluency([first, second])

    assert got["speech_rate"] == pytest.approx(60 * 5 / total)
    assert got["articulation_rate"] == pytest.approx(60 * 5 / phonation)
    assert got["phonation_time_ratio"] == pytest.approx(phonation / total)
    # Runs: turn 1 is one run, turn 2 two: 5 words in 3 runs.
    assert got["mean_length_of_run"] == pytest.approx(5 / 3)
    assert got["mean_pause_duration"] == pytest.approx(0.5)


def test_typed_turns_and_recogniser_markup_are_not_timed_speech():
    typed = LearnerTurn("I typed this, it has no timing.")
    markup = spoken(
        ("<sil>", 0.0, 0.5),
        ("good", 0.5, 0.9),
        ("[noise]", 0.9, 2.0),
        ("idea", 2.0, 2.5),
    )

    assert fluency([typed]) == {}
    assert fluency([]) == {}
    # Without the markup: "good" 0.5-0.9, a 1.1 s pause, "idea" 2.0-2.5.
    got = fluency([typed, markup])
    assert got["speech_rate"] == pytest.approx(60 * 2 / 2.0)
    assert got["mean_pause_duration"] == pytest.approx(1.1)


def test_overlapping_words_make_no_silence():
    # "really" ends after "so" starts and "so" lies inside it: the only gap
    # is from the latest end (1.2) to "good" (1.7).
    turn = spoken(("really", 0.0, 1.2), ("so", 0.5, 0.8), ("good", 1.7, 2.0))

    got = fluency([turn])

    assert got["mean_pause_duration"] == pytest.approx(0.5)
    assert got["phonation_time_ratio"] == pytest.approx(1.5 / 2.0)


def test_words_out_of_order_are_read_in_time_order():
    ordered = spoken(("so", 0.0, 0.3), ("i", 0.9, 1.0), ("left", 1.0, 1.4))
    shuffled = LearnerTurn(ordered.text, words=ordered.words[::-1])

    assert fluency([shuffled]) == fluency([ordered])


def test_a_word_that_ends_before_it_starts_is_read_as_a_point():
    turn = spoken(("oh", 0.0, 0.2), ("no", 1.0, 0.5), ("way", 1.0, 1.3))

    got = fluency([turn])

    # Gaps: 0.8 (0.2 to 1.0, a pause), 0 (1.0 to 1.0).
    assert got["mean_pause_duration"] == pytest.approx(0.8)
    assert got["phonation_time_ratio"] == pytest.approx((1.3 - 0.8) / 1.3)


def test_a_measure_with_a_zero_denominator_is_left_out():
    point = spoken(("hi", 1.0, 1.0))
    silent_points = spoken(("hi", 0.0, 0.0), ("there", 1.0, 1.0))
    fluent = spoken(("thank", 0.0, 0.3), ("you", 0.35, 0.6))

    # No time at all: only the run length is defined.
    assert fluency([point]) == {"mean_length_of_run": 1.0}
    # One second that is all pause: no phonation time.
    got = fluency([silent_points])
    assert got.keys() == {
        "mean_length_of_run",
        "speech_rate",
        "phonation_time_ratio",
        "mean_pause_duration",
    }
    assert got["phonation_time_ratio"] == 0.0
    # No pause: no mean pause duration, and pause rates of zero.
    got = fluency([fluent])
    assert "mean_pause_duration" not in got
    assert got["mid_clause_pause_rate"] == got["end_clause_pause_rate"] == 0.0


def test_punctuation_decides_where_a_clause_ends_when_the_text_has_it():
    timed = (("yesterday", 0.0, 0.6), ("i", 1.0, 1.1), ("left", 1.1, 1.5))
    # A 0.4 s pause before "i". Without punctuation, "i" opens a clause.
    bare = spoken(*timed)
    # The text says the clause goes on: "Yesterday I left."
    written = spoken(*timed, text="Yesterday I left.")
    # The text says a clause ended: "Yesterday; I left."
    broken = spoken(*timed, text="Yesterday; I left.")

    assert fluency([bare])["end_clause_pause_rate"] > 0.0
    assert fluency([written])["end_clause_pause_rate"] == 0.0
    assert fluency([written])["mid_clause_pause_rate"] > 0.0
    assert fluency([broken]) == fluency([bare])


def test_text_that_does_not_match_the_words_falls_back_to_the_heuristic():
    timed = (("i", 0.0, 0.1), ("have", 0.1, 0.4), ("two", 1.0, 1.3))
    # "2" is not "two": the punctuation cannot be placed on the words, so the
    # next word decides ("two" opens no clause).
    turn = spoken(*timed, text="I have, 2.")

    got = fluency([turn])

    assert got["end_clause_pause_rate"] == 0.0
    assert got["mid_clause_pause_rate"] > 0.0


def test_contractions_align_with_their_words():
    timed = (("it's", 0.0, 0.3), ("late", 0.3, 0.6), ("so", 1.2, 1.4))
    turn = spoken(*timed, text="It's late. So")

    # The period after "late" marks the pause before "so" end-clause.
    assert fluency([turn])["end_clause_pause_rate"] > 0.0
    assert fluency([spoken(*timed, text="It's late so")]) == fluency([turn])


# A session's metrics ---------------------------------------------------------


def test_the_package_exports_exactly_its_public_api():
    assert sorted(scoring.__all__) == [
        "DEFAULT_PAUSE_THRESHOLD",
        "LearnerTurn",
        "fluency",
        "lexis",
        "mattr",
        "mtld",
        "score_session",
        "tokenize",
    ]
    for name in scoring.__all__:
        assert getattr(scoring, name) is not None


def test_a_session_reports_fluency_lexis_and_the_conversation():
    typed = LearnerTurn("I would like to book a table for two, please.")

    got = score_session(
        [SWIM, typed], target_words=["book", "menu"], interrupted_turns=2
    )

    assert list(got) == [name for name in PRACTICE_METRICS if name in got]
    assert got["speech_rate"] == pytest.approx(120.0)
    assert got["tokens"] == 6 + 10
    assert got["target_words"] == 2
    assert got["target_words_used"] == 1
    assert got["learner_turns"] == 2
    assert got["interrupted_turns"] == 2
    # 16 tokens: too few for MTLD and MATTR, which are left out.
    assert "mtld" not in got
    assert "mattr" not in got


def test_a_session_passes_the_threshold_on():
    assert score_session([SWIM], pause_threshold=0.6)["mean_length_of_run"] == 3.0


def test_a_value_outside_its_bounds_is_left_out_not_clipped():
    # Ten words in 10 ms: 60 000 words a minute, beyond any speaker.
    burst = spoken(*((f"w{i}", i * 0.001, (i + 1) * 0.001) for i in range(10)))

    got = score_session([burst], interrupted_turns=20_000)

    assert "speech_rate" not in got
    assert "articulation_rate" not in got
    assert "interrupted_turns" not in got
    assert got["phonation_time_ratio"] == 1.0
    assert got["mean_length_of_run"] == 10.0


def test_negative_interruptions_are_refused():
    with pytest.raises(ValueError, match="interrupted_turns"):
        score_session([], interrupted_turns=-1)


_VOCABULARY = ["i", "went", "to", "the", "Market", "and", "bought", "3", "um", "zyx"]


@st.composite
def turns(draw: st.DrawFn) -> LearnerTurn:
    times = st.floats(min_value=-5.0, max_value=600.0, allow_nan=False)
    timed = draw(
        st.lists(st.tuples(st.sampled_from(_VOCABULARY), times, times), max_size=30)
    )
    punctuation = draw(st.sampled_from(["", ",", ".", "?"]))
    text = draw(
        st.one_of(
            st.just(f"{punctuation} ".join(word for word, _, _ in timed)),
            st.text(max_size=200),
        )
    )
    return LearnerTurn(
        text=text,
        words=tuple(Word(word, start, end) for word, start, end in timed),
        duration=None,
    )


@settings(max_examples=150, deadline=None)
@given(
    session=st.lists(turns(), max_size=8),
    threshold=st.floats(min_value=0.01, max_value=3.0),
    targets=st.lists(st.sampled_from(_VOCABULARY + ["ice cream"]), max_size=4),
    interrupted=st.integers(min_value=0, max_value=20_000),
)
def test_session_metrics_are_named_and_within_bounds(
    session, threshold, targets, interrupted
):
    got = score_session(
        session,
        target_words=targets,
        pause_threshold=threshold,
        interrupted_turns=interrupted,
    )

    for name, value in got.items():
        spec = PRACTICE_METRICS[name]
        assert math.isfinite(value)
        assert spec.low <= value
        assert spec.high is None or value <= spec.high
        if spec.integral:
            assert value == int(value)
    assert got["learner_turns"] == len(session)
    assert ("tokens" in got) and got["tokens"] >= 0
