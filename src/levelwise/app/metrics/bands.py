"""Does latency drive drop-out? Outcomes by call-quality band, measured.

A school's own version of the question: of learners' participations in live
classes (one learner in one class, with the learner's band in that class, as
the call-quality service grades it), how many were completed and how many
ended in a drop-out, per band; and of learners, grouped by their typical band
(the band of most of their participations; on a tie, the worse), how many
renewed. Each rate has its 95 % Wilson score interval and sample size, and
each band is compared with the good band by the difference of proportions and
Newcombe's interval: the statistics of the A/B comparisons
(:mod:`levelwise.app.metrics.stats`). A band with fewer than
:data:`MIN_SAMPLE` participations (or due learners) is shown without a
difference interval.

Pure: the participations come in from the call-quality service through the
caller (the two capabilities do not import each other); anything with the
attributes of :class:`Participation` will do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from levelwise.app.metrics.ports import LearnerFacts
from levelwise.app.metrics.report import comparison, renewal_counts, thin
from levelwise.app.metrics.stats import newcombe, wilson
from levelwise.app.metrics.views import (
    BandAnalysis,
    BandRow,
    Comparison,
    Figure,
    Rate,
)

QUALITY_BANDS = ("good", "acceptable", "degraded", "broken")
"""The call-quality bands, best first (``levelwise.app.quality.ports.BANDS``)."""

REFERENCE = "good"
"""The band every other band is compared with."""

MIN_SAMPLE = 10
"""Participations (or due learners) each band needs for a difference interval.

Wilson and Newcombe intervals keep their coverage at small samples (that is
why the A/B comparisons use them for proportions), so a band needs fewer than
the 20 learners an A/B mean comparison does."""


class Participation(Protocol):
    """One learner in one live class, as the call-quality service reports it."""

    @property
    def learner(self) -> str:
        """The learner."""
        ...

    @property
    def band(self) -> str | None:
        """Their band in the class; None without graded audio."""
        ...

    @property
    def dropped(self) -> bool:
        """They left before the class's end and never came back."""
        ...

    @property
    def completed(self) -> bool:
        """They were connected for most of the class."""
        ...


ParticipationSource = Callable[
    [datetime | None, datetime | None], Sequence[Participation]
]
"""``source(since, until)``: participations in classes that started in ``[since,
until)`` (None: unbounded)."""


def rate(successes: int, n: int) -> Rate:
    """``successes / n`` with its Wilson interval (no value when ``n`` is 0).

    Args:
        successes: Successes.
        n: Trials.

    Returns:
        The rate.
    """
    if n == 0:
        return Rate(None, 0.0, 0.0, 0)
    low, high = wilson(successes, n)
    return Rate(successes / n, successes, n, n, low, high)


def _rate(figure: Figure) -> Rate:
    """A ratio figure (successes over trials) as a rate."""
    return rate(round(figure.numerator), figure.n)


def typical_band(bands: Sequence[str]) -> str:
    """The band of most of a learner's participations; on a tie, the worse.

    Args:
        bands: The bands of their participations (not empty).

    Returns:
        The band.
    """
    counts = Counter(bands)
    return max(counts, key=lambda b: (counts[b], QUALITY_BANDS.index(b)))


def _versus(
    metric: str, ref: Rate, other: Rate, names: tuple[str, str], what: str
) -> Comparison:
    """``other`` against ``ref``: the difference with Newcombe's interval."""
    short = thin((ref.n, other.n), names, MIN_SAMPLE, what)
    interval = None
    if short is None:
        interval = newcombe(
            round(ref.numerator), ref.n, round(other.numerator), other.n
        )
    return comparison(metric, ref, other, short, interval)


def band_analysis(
    participations: Sequence[Participation],
    learners: Sequence[LearnerFacts],
    as_of: date,
    term_weeks: int,
) -> BandAnalysis:
    """Completion, drop-out and renewal by band, with intervals.

    Args:
        participations: The participations to count (those of learners not
            in ``learners`` are left out).
        learners: The filtered learners (their renewal facts).
        as_of: The range's last day (who is due to renew).
        term_weeks: Weeks after enrolment at which a learner is due to renew.

    Returns:
        The analysis, one row per band.
    """
    facts = {x.learner: x for x in learners}
    mine = [p for p in participations if p.learner in facts]
    graded = [p for p in mine if p.band in QUALITY_BANDS]
    by_band: dict[str, list[Participation]] = defaultdict(list)
    bands_of: dict[str, list[str]] = defaultdict(list)
    for p in graded:
        band = str(p.band)
        by_band[band].append(p)
        bands_of[p.learner].append(band)
    typical: dict[str, list[LearnerFacts]] = defaultdict(list)
    for learner, bands in bands_of.items():
        typical[typical_band(bands)].append(facts[learner])
    rates = {
        band: (
            rate(sum(p.completed for p in by_band[band]), len(by_band[band])),
            rate(sum(p.dropped for p in by_band[band]), len(by_band[band])),
            _rate(renewal_counts(typical[band], as_of, term_weeks)),
        )
        for band in QUALITY_BANDS
    }
    ref = rates[REFERENCE]
    rows = []
    for band in QUALITY_BANDS:
        completion, dropout, renewal = rates[band]
        names = (REFERENCE, band)
        comparisons: tuple[Comparison, ...] = ()
        if band != REFERENCE:
            comparisons = (
                _versus("completion", ref[0], completion, names, "participations"),
                _versus("dropout", ref[1], dropout, names, "participations"),
                _versus("renewal", ref[2], renewal, names, "due learners"),
            )
        rows.append(
            BandRow(
                band=band,
                participations=len(by_band[band]),
                learners=len(typical[band]),
                completion=completion,
                dropout=dropout,
                renewal=renewal,
                comparisons=comparisons,
            )
        )
    return BandAnalysis(
        reference=REFERENCE,
        participations=len(graded),
        ungraded=len(mine) - len(graded),
        learners=len(bands_of),
        rows=tuple(rows),
    )
