"""Practice metrics: the named, typed measures a practice session reports.

A ``practice.completed`` event carries some of these (schema version 2), each a
number in its unit. They are what XP rules, badges and gates read by name, and
what a program's measurements turn into ability evidence. The definitions (and
their sources) are in ``docs/practice.md``.

It also holds :func:`forms`, the plain inflection rule by which the scripted
partner matches a learner's words to a scenario's keywords (and the program
loader checks a scenario's example answers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """One practice metric.

    Attributes:
        name: The metric's name, as events, rules and gates spell it.
        unit: The unit it is counted in (``wpm``, ``share``, ``words``, ...).
        label: A short human label used in receipts (``speech rate``).
        low: The smallest value it may take.
        high: The largest value it may take (None: unbounded but for the
            edge's general limit).
        integral: Whether it counts whole things.
        better: +1 when a higher value is better (speech rate), -1 when a
            lower one is (pauses), 0 when neither (a count, a share of easy
            words): how a trend is read as progress.
    """

    name: str
    unit: str
    label: str
    low: float = 0.0
    high: float | None = None
    integral: bool = False
    better: int = 1


_SPECS = (
    # Fluency, from word timestamps (de Jong et al.; see docs/practice.md).
    MetricSpec("speech_rate", "wpm", "speech rate", 0.0, 600.0),
    MetricSpec("articulation_rate", "wpm", "articulation rate", 0.0, 900.0),
    MetricSpec("phonation_time_ratio", "share", "phonation-time ratio", 0.0, 1.0),
    MetricSpec("mean_length_of_run", "words", "MLR", 0.0, 1000.0),
    MetricSpec(
        "mid_clause_pause_rate",
        "per minute",
        "mid-clause pauses",
        0.0,
        600.0,
        better=-1,
    ),
    MetricSpec(
        "end_clause_pause_rate", "per minute", "end-clause pauses", 0.0, 600.0, better=0
    ),
    MetricSpec("mean_pause_duration", "s", "mean pause", 0.0, 600.0, better=-1),
    # Vocabulary and lexis.
    MetricSpec(
        "tokens", "words", "words spoken", 0.0, 1_000_000.0, integral=True, better=0
    ),
    MetricSpec("mtld", "words", "MTLD", 0.0, 1_000_000.0),
    MetricSpec("mattr", "share", "MATTR", 0.0, 1.0),
    MetricSpec("cefr_a1", "share", "A1 words", 0.0, 1.0, better=0),
    MetricSpec("cefr_a2", "share", "A2 words", 0.0, 1.0, better=0),
    MetricSpec("cefr_b1", "share", "B1 words", 0.0, 1.0),
    MetricSpec("cefr_b2", "share", "B2 words", 0.0, 1.0),
    MetricSpec("cefr_beyond", "share", "words beyond B2", 0.0, 1.0, better=0),
    MetricSpec("zipf_mean", "zipf", "mean word frequency", 0.0, 8.0, better=-1),
    MetricSpec(
        "target_words", "words", "target words", 0.0, 1000.0, integral=True, better=0
    ),
    MetricSpec(
        "target_words_used", "words", "target words used", 0.0, 1000.0, integral=True
    ),
    # The conversation.
    MetricSpec(
        "learner_turns",
        "turns",
        "learner turns",
        0.0,
        10_000.0,
        integral=True,
        better=0,
    ),
    MetricSpec(
        "interrupted_turns",
        "turns",
        "interruptions",
        0.0,
        10_000.0,
        integral=True,
        better=0,
    ),
)

PRACTICE_METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}
"""Every practice metric by name, in the order events write them."""


def metric_text(name: str, value: float) -> str:
    """``speech rate 112 wpm``, ``MLR 6.2``: a metric as a receipt shows it."""
    spec = PRACTICE_METRICS[name]
    # Two significant digits below 10 (MLR 6.2, 0.43 s), whole numbers above
    # (112 wpm): never an exponent such as "1e+02".
    shown = f"{value:.0f}" if spec.integral or abs(value) >= 10 else f"{value:.2g}"
    if spec.unit == "share":
        return f"{spec.label} {value:.0%}"
    if spec.unit in ("wpm", "s", "per minute"):
        return f"{spec.label} {shown} {spec.unit}"
    if spec.unit == "words" and not spec.integral:
        return f"{spec.label} {value:.1f}"
    return f"{spec.label} {shown}"


def forms(word: str) -> frozenset[str]:
    """The word and its possible bases without a plain inflection.

    Two words match when their forms meet, so ``coffees`` matches ``coffee``
    and ``ordered`` matches ``order``; no dictionary is needed.

    Args:
        word: One lower-case word.

    Returns:
        The word itself and each base left by an ``s``, ``es``, ``ed`` or
        ``ing`` suffix (at least three letters long), also with an ``e``.

    Examples:
        >>> sorted(forms("coffees"))
        ['coffe', 'coffee', 'coffees']
        >>> bool(forms("ordering") & forms("ordered"))
        True
        >>> bool(forms("tea") & forms("team"))
        False
    """
    found = {word}
    for suffix, keep in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            found.add(word[: -len(suffix)] + keep)
    found |= {w + "e" for w in list(found) if w != word and not w.endswith("e")}
    return frozenset(found)
