"""Lexis: tokens, MTLD and MATTR against worked and reference values, CEFR, Zipf."""

from __future__ import annotations

import functools
import importlib
import math
import sys
import types
import warnings
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from levelwise.app.practice.scoring import LearnerTurn, lexis, mattr, mtld, tokenize


@functools.cache
def _lex_div() -> types.ModuleType:
    """Kyle's ``lexical_diversity.lex_div``, the reference implementation.

    Version 0.1.1 imports ``pkg_resources`` (setuptools), which this
    environment does not install, only to find its own lemma file; a stand-in
    that answers that one call is put in ``sys.modules`` for the import and
    taken out again. Its source also has an invalid escape sequence and leaves
    a file open at import, which warn.
    """
    stand_in = types.ModuleType("pkg_resources")
    stand_in.resource_filename = lambda package, name: str(  # type: ignore[attr-defined]
        files(package).joinpath(name)
    )
    missing = "pkg_resources" not in sys.modules
    if missing:
        sys.modules["pkg_resources"] = stand_in
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="invalid escape sequence")
            warnings.filterwarnings("ignore", category=ResourceWarning)
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            lex_div = importlib.import_module("lexical_diversity.lex_div")
    finally:
        if missing:
            del sys.modules["pkg_resources"]
    return lex_div


@pytest.fixture
def reference() -> types.ModuleType:
    return _lex_div()


# Written for these tests: a learner's account of a weekend, an answer about
# a job, and a description of a city. Each is over 50 tokens.
TEXTS = [
    "On Saturday I went to the market with my sister. We bought some apples, "
    "some bread and a big cake for my mother, because it was her birthday. "
    "After that we walked to the park and we sat near the river for a long "
    "time. My sister told me about her new job and I told her about my "
    "English class. In the evening we cooked dinner together and watched a "
    "film, but the film was boring so we talked again.",
    "I think the most important part of my job is talking to customers. Every "
    "day I answer questions on the phone and I write emails, and sometimes I "
    "have to solve a difficult problem quickly. I like it when a customer is "
    "happy at the end of the call. Next year I would like to lead a small "
    "team, so I am learning how to plan projects and how to give feedback.",
    "The city where I live is not very big, but it has a beautiful old "
    "centre with narrow streets, small shops and cafes. In summer many "
    "tourists come to see the castle on the hill and the bridge over the "
    "river. Public transport is cheap and quite fast, although the buses are "
    "often full in the morning. If you visit, try the local cheese and walk "
    "along the river at night.",
]


# Tokens ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Case is dropped; apostrophes inside words stay.
        ("I'm sure we don't", ["i'm", "sure", "we", "don't"]),
        # Typographic apostrophes become "'".
        ("it\u2019s fine", ["it's", "fine"]),
        # Hyphens, dashes and punctuation split; quotes do not stay attached.
        ("well-known -- 'yes', he said.", ["well", "known", "yes", "he", "said"]),
        # Digits are tokens; letters from any script are letters.
        ("3rd caf\u00e9 in 2019", ["3rd", "caf\u00e9", "in", "2019"]),
        ("  ...  ", []),
    ],
    ids=["apostrophes", "curly", "splits", "digits", "empty"],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected


# MTLD -----------------------------------------------------------------------


def test_mtld_of_a_hand_worked_example():
    # Forward: of the people by the(TTR 4/5) people(4/6 = .667 < .72): one
    # factor of 6 tokens; "for the people" is left with TTR 1, a partial
    # factor of (1 - 1) / (1 - .72) = 0. 9 tokens / 1 factor = 9. Backward
    # the same: people the for by people(.8) the(.667), then "people the of".
    tokens = tokenize("of the people, by the people, for the people")

    assert mtld(tokens) == pytest.approx(9.0)


def test_mtld_counts_the_partial_factor_in_both_directions():
    # Forward: a a (TTR .5): one factor; b c d e left with TTR 1 adds 0.
    # 6 / 1 = 6. Backward: e d c b a a never falls below .72 (ends at 5/6),
    # a partial factor of (1 - 5/6) / .28. Mean of the two directions.
    tokens = ["a", "a", "b", "c", "d", "e"]
    backward = 6 / ((1 - 5 / 6) / (1 - 0.72))

    assert mtld(tokens) == pytest.approx((6 + backward) / 2)  # 8.04


def test_mtld_does_not_count_a_completed_last_factor_as_partial(reference):
    # a b c a(.75) b(.6): the last token completes a factor in each direction,
    # leaving nothing over: 5 tokens / 1 factor = 5 both ways. lex_div scores
    # the last stretch as partial whatever its TTR ((1 - .6) / .28 = 1.43
    # factors, 3.5); McCarthy & Jarvis (2010) and koRpus count it as a factor.
    tokens = ["a", "b", "c", "a", "b"]

    assert mtld(tokens) == pytest.approx(5.0)
    assert reference.mtld(tokens, min=1) == pytest.approx(3.5)


@pytest.mark.parametrize("text", TEXTS, ids=["weekend", "job", "city"])
def test_mtld_matches_the_reference_implementation(reference, text):
    # min=1: lex_div's default also refuses factors shorter than 10 tokens, a
    # rule McCarthy & Jarvis (2010) do not have.
    tokens = tokenize(text)

    assert len(tokens) >= 50
    assert mtld(tokens) == pytest.approx(reference.mtld(tokens, min=1), rel=1e-12)
    assert mtld(tokens) != pytest.approx(reference.mtld(tokens[:-1], min=1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcdefghijklmnopqrst"), min_size=1, max_size=300))
def test_mtld_matches_the_reference_on_random_texts(text):
    # A token used nowhere else at each end means the last stretch of either
    # direction cannot complete a factor (a new type never lowers the TTR),
    # the one case where lex_div reads the definition differently (above).
    # text[0] twice: some token repeats (with none, lex_div gives 0, we inf).
    reference = _lex_div()
    tokens = ["first", *text, text[0], "last"]

    assert mtld(tokens) == pytest.approx(reference.mtld(tokens, min=1), rel=1e-12)


def test_mtld_threshold_and_edge_cases():
    tokens = tokenize(TEXTS[0])

    assert mtld(tokens, threshold=0.5) > mtld(tokens)
    assert mtld(["every", "word", "is", "new"]) == math.inf
    with pytest.raises(ValueError, match="at least one token"):
        mtld([])
    for threshold in (0.0, 1.0):
        with pytest.raises(ValueError, match="threshold"):
            mtld(tokens, threshold=threshold)


# MATTR ----------------------------------------------------------------------


def test_mattr_by_hand():
    # Windows of 2 over a a b b a: aa .5, ab 1, bb .5, ba 1: mean .75.
    assert mattr(["a", "a", "b", "b", "a"], window=2) == pytest.approx(0.75)
    # Windows of 3 over a b a c: aba 2/3, bac 1: mean 5/6.
    assert mattr(["a", "b", "a", "c"], window=3) == pytest.approx(5 / 6)
    # One window: the plain TTR.
    assert mattr(["a", "b", "a", "c"], window=4) == pytest.approx(3 / 4)


@pytest.mark.parametrize("text", TEXTS, ids=["weekend", "job", "city"])
def test_mattr_matches_the_reference_implementation(reference, text):
    tokens = tokenize(text)

    assert mattr(tokens) == pytest.approx(reference.mattr(tokens), rel=1e-12)
    assert mattr(tokens, window=10) == pytest.approx(
        reference.mattr(tokens, window_length=10), rel=1e-12
    )


def test_mattr_refuses_a_window_it_cannot_fill():
    with pytest.raises(ValueError, match="at least 3 tokens"):
        mattr(["a", "b"], window=3)
    with pytest.raises(ValueError, match="at least 1"):
        mattr(["a", "b"], window=0)


# lexis() --------------------------------------------------------------------


def test_diversity_needs_fifty_tokens():
    tokens = tokenize(" ".join(TEXTS))
    short = [LearnerTurn(" ".join(tokens[:49]))]
    enough = [LearnerTurn(" ".join(tokens[:25])), LearnerTurn(" ".join(tokens[25:50]))]

    assert {"mtld", "mattr"}.isdisjoint(lexis(short))
    got = lexis(enough)
    # The turns are read as one text.
    assert got["tokens"] == 50
    assert got["mtld"] == pytest.approx(mtld(tokens[:50]))
    assert got["mattr"] == pytest.approx(mattr(tokens[:50]))


def test_a_text_without_repetition_has_no_mtld():
    words = [f"w{index}" for index in range(60)]

    got = lexis([LearnerTurn(" ".join(words))])

    assert "mtld" not in got
    assert got["mattr"] == 1.0


def test_cefr_shares_of_a_sentence_with_known_levels():
    # Levels from the CEFR-J Wordlist 1.5: A1 my, brother, went (go), in, to,
    # his, life, with, and; A2 abroad; B1 abandon, ordinary; B2 abruptly;
    # not listed: zyxomorphically. Not levelled: "Um" (a filler), 2019 (a
    # number) and Anna (a capitalised unknown word inside a sentence: a name).
    text = (
        "Um, my brother went abroad in 2019 to abandon his ordinary life "
        "with Anna, abruptly, and zyxomorphically."
    )

    got = lexis([LearnerTurn(text)])

    assert got["tokens"] == 17
    assert got["cefr_a1"] == pytest.approx(9 / 14)
    assert got["cefr_a2"] == pytest.approx(1 / 14)
    assert got["cefr_b1"] == pytest.approx(2 / 14)
    assert got["cefr_b2"] == pytest.approx(1 / 14)
    assert got["cefr_beyond"] == pytest.approx(1 / 14)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Regular and irregular inflections take their base's level.
        ("studies", "a1"),
        ("children", "a1"),
        ("stopped", "a1"),
        ("don't", "a1"),
        # "found" is listed at B2 (to found), but is the past of find (A1).
        ("found", "a1"),
        # A capitalised unknown word opening a sentence is not taken for a
        # name; in lower-case text (a transcript) nothing is.
        ("Zyx is here", "beyond"),
        ("i met zyx", "beyond"),
    ],
)
def test_cefr_levels_of_inflected_and_unknown_words(text, level):
    assert lexis([LearnerTurn(text)])[f"cefr_{level}"] > 0.0


def test_no_levelled_token_means_no_cefr_shares():
    got = lexis([LearnerTurn("Um, 42 ... hmm"), LearnerTurn("")])

    assert got == {"tokens": 3.0, "zipf_mean": pytest.approx(got["zipf_mean"])}
    assert lexis([]) == {"tokens": 0.0}


def test_zipf_mean_is_higher_for_common_words():
    common = lexis([LearnerTurn("I think it is a good day")])["zipf_mean"]
    rare = lexis([LearnerTurn("quixotic perspicacity obfuscates")])["zipf_mean"]
    unknown = lexis([LearnerTurn("zyxq qxzv")])["zipf_mean"]

    assert common > rare > unknown
    # "the" is among the most frequent English words (Zipf above 7).
    assert lexis([LearnerTurn("the")])["zipf_mean"] > 7.0
    assert unknown == 0.0


def test_target_words_count_in_their_inflected_forms():
    turns = [
        LearnerTurn("We went to a museum and I bought two tickets."),
        LearnerTurn("I love travelling, and the ice cream was great."),
    ]
    targets = [
        "go",  # went
        "Ticket",  # tickets; case does not matter
        "travel",  # travelling
        "ice cream",  # a phrase, its words in a row
        "buy",  # bought
        "museum",
        "menu",  # not used
        "great cream",  # not in a row
        "museum",  # counted once
    ]

    got = lexis(turns, target_words=targets)

    assert got["target_words"] == 8
    assert got["target_words_used"] == 6


def test_a_target_phrase_must_be_said_within_one_turn():
    turns = [LearnerTurn("I want an ice"), LearnerTurn("cream please")]

    assert lexis(turns, target_words=["ice cream"])["target_words_used"] == 0


def test_no_target_words_means_no_target_metrics():
    got = lexis([LearnerTurn("hello")], target_words=["", "  ", "!"])

    assert "target_words" not in got
    assert "target_words_used" not in got
