"""A learner's turn and the word tokens of its text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from levelwise.app.practice.ports import Word

# A token is a run of letters or digits; an apostrophe between two such runs
# stays inside it (don't, I'm, o'clock). Hyphens, dots and all other marks
# split tokens, so "well-known" is two words, as a recogniser would hear it.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Marks that end a clause in written or punctuated text (comma included: it
# mostly marks clause or phrase boundaries in transcribed speech).
_CLAUSE_MARKS = frozenset(".,;:!?\u2026\u2013\u2014")
_SENTENCE_MARKS = frozenset(".!?\u2026")


@dataclass(frozen=True)
class LearnerTurn:
    """One turn of the learner in a practice session.

    Attributes:
        text: What the learner said (the transcript) or typed.
        words: The recognised words with their timestamps, in order; empty
            for a typed turn.
        duration: Seconds of the turn's audio; None for a typed turn.
    """

    text: str
    words: tuple[Word, ...] = ()
    duration: float | None = None


@dataclass(frozen=True)
class Token:
    """A word token of a text with what surrounds it.

    Attributes:
        text: The token as written (case kept).
        clause_end: Whether a clause mark (``. , ; : ! ?``, dash, ellipsis)
            follows it before the next token.
        sentence_start: Whether it opens the text or follows a sentence mark.
    """

    text: str
    clause_end: bool
    sentence_start: bool


def tokenize(text: str) -> list[str]:
    """Split a text into lower-case word tokens.

    Apostrophes inside words are kept (``don't``, ``i'm``); typographic
    apostrophes become ``'``. Everything else that is not a letter or a digit
    separates tokens.

    Args:
        text: Any text.

    Returns:
        The tokens in order, lower-cased.

    Examples:
        >>> tokenize("I\u2019m fine, don't worry - it's well-known!")
        ["i'm", 'fine', "don't", 'worry', "it's", 'well', 'known']
    """
    return [token.text.lower() for token in scan(text)]


def scan(text: str) -> list[Token]:
    """The tokens of ``text`` with their case and the punctuation around them."""
    text = text.translate(_APOSTROPHES)
    matches = list(_TOKEN.finditer(text))
    tokens = []
    for index, match in enumerate(matches):
        before = text[matches[index - 1].end() : match.start()] if index else ""
        after_end = matches[index + 1].start() if index + 1 < len(matches) else None
        after = text[match.end() : after_end]
        tokens.append(
            Token(
                text=match.group(),
                clause_end=any(mark in _CLAUSE_MARKS for mark in after),
                sentence_start=index == 0
                or any(mark in _SENTENCE_MARKS for mark in before),
            )
        )
    return tokens
