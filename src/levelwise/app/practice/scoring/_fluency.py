"""Utterance fluency from word timestamps (de Jong et al.; see docs/practice.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from levelwise.app.practice.ports import Word
from levelwise.app.practice.scoring._turns import LearnerTurn, scan, tokenize

DEFAULT_PAUSE_THRESHOLD = 0.25
"""Shortest silence, in seconds, that counts as a pause (de Jong & Bosker 2013)."""

# When a turn's text has no usable punctuation, a pause counts as end-clause
# when the word after it typically opens a clause: a coordinating or
# subordinating conjunction, a relative or question word, a subject pronoun,
# or a discourse marker. A heuristic, documented as one in docs/practice.md.
CLAUSE_OPENERS = frozenset(
    """
    and but or so because cause then when while if although though unless
    until since after before whereas which who where why what how
    i you he she we they well anyway actually
    """.split()
)

# Timestamps are compared to the threshold at microsecond precision, so a gap
# of exactly 250 ms is a pause whatever the float rounding of start - end.
_DIGITS = 6


@dataclass(frozen=True)
class _Timing:
    """What one turn's word timestamps say."""

    words: int
    total: float
    pauses: tuple[float, ...]
    end_clause: int


def fluency(
    turns: Sequence[LearnerTurn], *, pause_threshold: float = DEFAULT_PAUSE_THRESHOLD
) -> dict[str, float]:
    """Fluency measures of the learner's timed turns.

    Only turns with word timestamps count, and only the time from a turn's
    first word start to its last word end: silence before, after and between
    turns is not the learner's pausing. A silent pause is a gap between words
    of at least ``pause_threshold`` seconds; shorter gaps belong to speech.

    Args:
        turns: The learner's turns; typed turns (no words) are skipped.
        pause_threshold: Shortest silent pause, in seconds (> 0).

    Returns:
        ``speech_rate`` and ``articulation_rate`` (words per minute of total
        and of phonation time), ``phonation_time_ratio``,
        ``mean_length_of_run`` (words), ``mid_clause_pause_rate`` and
        ``end_clause_pause_rate`` (pauses per minute of phonation time) and
        ``mean_pause_duration`` (seconds). A measure whose denominator is
        zero is left out (no pauses: no mean pause duration); no timed words:
        an empty dict.

    Raises:
        ValueError: ``pause_threshold`` is not positive.
    """
    if not pause_threshold > 0.0:
        raise ValueError(f"the pause threshold must be positive, not {pause_threshold}")
    timings = [_timing(turn, pause_threshold) for turn in turns if _spoken(turn.words)]
    if not timings:
        return {}
    words = sum(timing.words for timing in timings)
    total = sum(timing.total for timing in timings)
    pauses = [pause for timing in timings for pause in timing.pauses]
    end_clause = sum(timing.end_clause for timing in timings)
    phonation = total - sum(pauses)
    result = {"mean_length_of_run": words / (len(timings) + len(pauses))}
    if total > 0.0:
        result["speech_rate"] = 60.0 * words / total
        result["phonation_time_ratio"] = phonation / total
    if phonation > 0.0:
        result["articulation_rate"] = 60.0 * words / phonation
        result["mid_clause_pause_rate"] = 60.0 * (len(pauses) - end_clause) / phonation
        result["end_clause_pause_rate"] = 60.0 * end_clause / phonation
    if pauses:
        result["mean_pause_duration"] = sum(pauses) / len(pauses)
    return result


def _spoken(words: Sequence[Word]) -> list[Word]:
    """The words that are words: recogniser markup (``<sil>``, ``[noise]``) is not."""
    return [
        word
        for word in words
        if tokenize(word.text) and not word.text.lstrip().startswith(("<", "[", "("))
    ]


def _timing(turn: LearnerTurn, threshold: float) -> _Timing:
    words = sorted(_spoken(turn.words), key=lambda word: (word.start, word.end))
    opens_clause = _clause_openings(turn.text, words)
    pauses = []
    end_clause = 0
    # A word that ends before it starts is read as ending where it starts.
    reached = max(words[0].start, words[0].end)
    for index, word in enumerate(words[1:], start=1):
        # The gap is measured from the latest end so far, so overlapping or
        # nested timestamps never make silence out of speech.
        gap = round(word.start - reached, _DIGITS)
        if gap >= threshold:
            pauses.append(gap)
            end_clause += opens_clause[index]
        reached = max(reached, word.start, word.end)
    return _Timing(
        words=len(words),
        total=reached - words[0].start,
        pauses=tuple(pauses),
        end_clause=end_clause,
    )


def _clause_openings(text: str, words: Sequence[Word]) -> list[bool]:
    """For each word, whether a pause before it falls at a clause boundary.

    Punctuation decides when the turn's text has clause marks and its tokens
    are exactly the words' tokens (so word ``i`` can be found in it); else
    the next word decides (:data:`CLAUSE_OPENERS`).
    """
    tokens = scan(text)
    per_word = [tokenize(word.text) for word in words]
    flat = [token for word_tokens in per_word for token in word_tokens]
    if any(token.clause_end for token in tokens) and flat == [
        token.text.lower() for token in tokens
    ]:
        openings = [False]
        seen = 0
        for word_tokens in per_word[:-1]:
            seen += len(word_tokens)
            openings.append(tokens[seen - 1].clause_end)
        return openings
    return [word_tokens[0] in CLAUSE_OPENERS for word_tokens in per_word]
