"""Scoring a practice session: fluency, lexis and CEFR measures of the learner's turns.

Pure functions over the learner's turns (their text, and for voice turns the
recognised words with timestamps). :func:`score_session` gives the typed
metrics of :data:`levelwise.domain.practice.PRACTICE_METRICS` that a
``practice.completed`` event carries. The definitions and their sources are
in ``docs/practice.md``; nothing here reads a clock, the network or any file
but the CEFR word list shipped in this package.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from levelwise.app.practice.scoring._fluency import DEFAULT_PAUSE_THRESHOLD, fluency
from levelwise.app.practice.scoring._lexis import lexis, mattr, mtld
from levelwise.app.practice.scoring._turns import LearnerTurn, tokenize
from levelwise.domain.practice import PRACTICE_METRICS, MetricSpec

__all__ = [
    "DEFAULT_PAUSE_THRESHOLD",
    "LearnerTurn",
    "fluency",
    "lexis",
    "mattr",
    "mtld",
    "score_session",
    "tokenize",
]


def score_session(
    turns: Sequence[LearnerTurn],
    *,
    target_words: Sequence[str] = (),
    pause_threshold: float = DEFAULT_PAUSE_THRESHOLD,
    interrupted_turns: int = 0,
) -> dict[str, float]:
    """The practice metrics of one session.

    Fluency (:func:`fluency`) and lexis (:func:`lexis`) of the learner's
    turns, with ``learner_turns`` (how many turns were given) and
    ``interrupted_turns``. A metric that cannot be computed (no timed words,
    too few tokens, no pause) is left out, and so is a value outside its
    :class:`~levelwise.domain.practice.MetricSpec` bounds (timestamps no
    speaker could produce, such as ten words in ten milliseconds): it is
    never clipped into range.

    Args:
        turns: The learner's turns, in order.
        target_words: The scenario's target words or phrases.
        pause_threshold: Shortest silent pause, in seconds.
        interrupted_turns: How many of the partner's turns the learner
            interrupted (barge-in).

    Returns:
        Metric name to value, names from ``PRACTICE_METRICS`` only, in its
        order; counts are whole numbers.

    Raises:
        ValueError: ``interrupted_turns`` is negative or ``pause_threshold``
            is not positive.
    """
    if interrupted_turns < 0:
        raise ValueError(f"interrupted_turns must be >= 0, not {interrupted_turns}")
    measures = {
        **fluency(turns, pause_threshold=pause_threshold),
        **lexis(turns, target_words=target_words),
        "learner_turns": float(len(turns)),
        "interrupted_turns": float(interrupted_turns),
    }
    return {
        name: measures[name]
        for name, spec in PRACTICE_METRICS.items()
        if name in measures and _within(spec, measures[name])
    }


def _within(spec: MetricSpec, value: float) -> bool:
    return (
        math.isfinite(value)
        and spec.low <= value
        and (spec.high is None or value <= spec.high)
    )
