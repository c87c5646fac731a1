"""Lexis of a session: lexical diversity, CEFR shares, word frequency, targets."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from statistics import fmean

from wordfreq import zipf_frequency

from levelwise.app.practice.scoring._cefr import FILLERS, LEVELS, base_forms, level
from levelwise.app.practice.scoring._turns import LearnerTurn, scan, tokenize

MTLD_THRESHOLD = 0.72
"""The TTR a factor falls below to end (McCarthy & Jarvis 2010)."""
MTLD_MIN_TOKENS = 50
"""Fewest tokens a session needs before its MTLD is reported."""
MATTR_WINDOW = 50
"""Tokens per moving window of MATTR (the default of TAALED and lexical-diversity)."""


def mtld(tokens: Sequence[str], *, threshold: float = MTLD_THRESHOLD) -> float:
    """The Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010).

    Read the tokens in order, keeping the type-token ratio (TTR) of the
    current stretch; when it falls below ``threshold`` one factor is complete
    and a new stretch starts. The stretch left at the end counts as the
    partial factor ``(1 - TTR) / (1 - threshold)``. The text's length divided
    by its factor count is the MTLD of one direction; the result is the mean
    of the forward and the backward (reversed text) values.

    Args:
        tokens: The word tokens, in order.
        threshold: The factor threshold, strictly between 0 and 1.

    Returns:
        The MTLD in tokens per factor; ``math.inf`` when no token repeats
        (no factor, not even a partial one, is ever completed).

    Raises:
        ValueError: ``tokens`` is empty or ``threshold`` is outside (0, 1).
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"the MTLD threshold must be in (0, 1), not {threshold}")
    if not tokens:
        raise ValueError("MTLD needs at least one token")
    forward = _factors(tokens, threshold)
    backward = _factors(tokens[::-1], threshold)
    if forward == 0.0 or backward == 0.0:
        return math.inf
    return (len(tokens) / forward + len(tokens) / backward) / 2


def _factors(tokens: Sequence[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    length = 0
    for token in tokens:
        types.add(token)
        length += 1
        if len(types) / length < threshold:
            factors += 1.0
            types = set()
            length = 0
    if length:
        factors += (1.0 - len(types) / length) / (1.0 - threshold)
    return factors


def mattr(tokens: Sequence[str], *, window: int = MATTR_WINDOW) -> float:
    """The moving-average type-token ratio (Covington & McFall 2010).

    The mean TTR of every window of ``window`` consecutive tokens, the window
    moving one token at a time (``len(tokens) - window + 1`` windows).

    Args:
        tokens: The word tokens, in order.
        window: Tokens per window, at least 1.

    Returns:
        The MATTR, a share in (0, 1].

    Raises:
        ValueError: ``window`` is below 1 or longer than ``tokens``.
    """
    if window < 1:
        raise ValueError(f"the MATTR window must be at least 1, not {window}")
    if len(tokens) < window:
        raise ValueError(f"MATTR needs at least {window} tokens, not {len(tokens)}")
    counts = Counter(tokens[:window])
    total_types = len(counts)
    for leaving, entering in zip(tokens, tokens[window:], strict=False):
        counts[leaving] -= 1
        if not counts[leaving]:
            del counts[leaving]
        counts[entering] += 1
        total_types += len(counts)
    return total_types / (len(tokens) - window + 1) / window


def lexis(
    turns: Sequence[LearnerTurn], *, target_words: Sequence[str] = ()
) -> dict[str, float]:
    """Vocabulary measures of the learner's turns.

    Args:
        turns: The learner's turns; their ``text`` is what is measured.
        target_words: The scenario's target words or phrases.

    Returns:
        ``tokens`` always; ``mtld`` from :data:`MTLD_MIN_TOKENS` tokens and
        ``mattr`` from :data:`MATTR_WINDOW` tokens; ``cefr_a1`` ...
        ``cefr_b2`` and ``cefr_beyond`` when some token has a level to take
        (numbers, names and fillers do not); ``zipf_mean`` when there is a
        token; ``target_words`` and ``target_words_used`` when the scenario
        has target words.
    """
    texts = [tokenize(turn.text) for turn in turns]
    tokens = [token for text in texts for token in text]
    result: dict[str, float] = {"tokens": float(len(tokens))}
    if len(tokens) >= MTLD_MIN_TOKENS:
        diversity = mtld(tokens)
        if math.isfinite(diversity):
            result["mtld"] = diversity
    if len(tokens) >= MATTR_WINDOW:
        result["mattr"] = mattr(tokens)
    result.update(_cefr_shares(turns))
    if tokens:
        result["zipf_mean"] = fmean(zipf_frequency(token, "en") for token in tokens)
    targets = {key for key in (tuple(tokenize(word)) for word in target_words) if key}
    if targets:
        result["target_words"] = float(len(targets))
        result["target_words_used"] = float(
            sum(any(_uses(text, target) for text in texts) for target in targets)
        )
    return result


def _cefr_shares(turns: Sequence[LearnerTurn]) -> dict[str, float]:
    """Shares of the levelled tokens at each CEFR level and beyond the list.

    Not levelled: tokens with a digit (numbers, ``3rd``), fillers and
    backchannels (``um``, ``okay``), and names, recognised only in text that
    keeps capitals: a capitalised token that does not open a sentence and is
    not in the list.
    """
    counts = Counter[str]()
    for turn in turns:
        for token in scan(turn.text):
            word = token.text.lower()
            if any(char.isdigit() for char in word) or word in FILLERS:
                continue
            found = level(word)
            if found is None and token.text[0].isupper() and not token.sentence_start:
                continue
            counts[found or "beyond"] += 1
    total = sum(counts.values())
    if not total:
        return {}
    return {
        f"cefr_{name.lower()}": counts[name] / total for name in (*LEVELS, "beyond")
    }


def _uses(tokens: Sequence[str], target: tuple[str, ...]) -> bool:
    """Whether the target word or phrase occurs in ``tokens``.

    Each target token must share a base form (``base_forms``, the simple rule
    of the CEFR lookup) with the learner's token at its place, so ``went``
    uses ``go`` and ``travelling`` uses ``travel``; a phrase must occur in one
    turn, its words in a row.
    """
    wanted = [base_forms(word) for word in target]
    have = [base_forms(token) for token in tokens]
    return any(
        all(wanted[k] & have[start + k] for k in range(len(target)))
        for start in range(len(tokens) - len(target) + 1)
    )
