"""Class completion, drop-out during class and renewal by call-quality band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.metrics.bands import (
    MIN_SAMPLE,
    QUALITY_BANDS,
    band_analysis,
    rate,
    typical_band,
)
from levelwise.app.metrics.ports import LearnerFacts
from levelwise.app.metrics.service import MetricFilter
from levelwise.app.metrics.views import Shortfall
from levelwise.app.quality.ports import BANDS
from levelwise.errors import MetricError
from tests.support.metrics_support import metrics_engine, scenario

AS_OF = date(2026, 3, 31)


@dataclass(frozen=True)
class Part:
    learner: str
    band: str | None
    dropped: bool = False
    completed: bool = True


def due(learner: str, renewed: bool = False) -> LearnerFacts:
    """A learner enrolled long enough ago to be due to renew by AS_OF."""
    return LearnerFacts(
        learner,
        enrolled_at="2026-01-05T09:00:00.000000Z",
        renewed_at="2026-03-02T09:00:00.000000Z" if renewed else "",
        first_at="2026-01-05T09:00:00.000000Z",
    )


def row(analysis, band):
    return next(r for r in analysis.rows if r.band == band)


def test_the_bands_are_the_quality_services():
    assert QUALITY_BANDS == BANDS


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Wilson score intervals, 95 % (Newcombe 1998, table I; Agresti-Coull).
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
    ids=["5-of-10", "0-of-10", "10-of-10", "81-of-263"],
)
def test_each_rate_carries_its_wilson_interval(successes, n, low, high):
    r = rate(successes, n)

    assert r.value == successes / n and r.n == n and r.numerator == successes
    assert r.low == pytest.approx(low, abs=1e-4)
    assert r.high == pytest.approx(high, abs=1e-4)


def test_a_rate_of_nothing_has_no_value_or_interval():
    r = rate(0, 0)

    assert (r.value, r.low, r.high, r.n) == (None, None, None, 0)


@pytest.mark.parametrize(
    ("bands", "typical"),
    [
        (["good", "good", "broken"], "good"),
        (["good", "broken"], "broken"),  # a tie goes to the worse band
        (["acceptable", "degraded", "degraded", "good"], "degraded"),
        (["acceptable"], "acceptable"),
    ],
    ids=["most", "tie", "mode", "one"],
)
def test_a_learners_typical_band_is_the_band_of_most_classes(bands, typical):
    assert typical_band(bands) == typical


def test_completion_differences_use_newcombes_interval():
    # Newcombe (1998), example (a): 56/70 - 48/80 = 0.2000, method 10 gives
    # 0.0524 to 0.3339. Here the good band completes 48 of 80 classes and the
    # degraded band 56 of 70.
    parts = [Part(f"g{i}", "good", completed=i < 48) for i in range(80)]
    parts += [Part(f"d{i}", "degraded", completed=i < 56) for i in range(70)]
    learners = [due(p.learner) for p in parts]

    analysis = band_analysis(parts, learners, AS_OF, 8)

    degraded = row(analysis, "degraded")
    completion = degraded.comparisons[0]
    assert completion.metric == "completion" and completion.enough
    assert completion.difference == pytest.approx(0.2)
    assert completion.low == pytest.approx(0.0524, abs=1e-4)
    assert completion.high == pytest.approx(0.3339, abs=1e-4)
    assert completion.control.n == 80 and completion.variant.n == 70
    assert row(analysis, "good").comparisons == ()


def test_dropout_and_renewal_by_band_with_sample_sizes():
    parts = [Part(f"g{i}", "good", dropped=i < 1) for i in range(20)]
    # Broken classes: 12 of them, 6 ended in a drop-out, 4 not completed.
    parts += [
        Part(f"b{i}", "broken", dropped=i < 6, completed=i >= 4) for i in range(12)
    ]
    # g0 also had a broken class: one good, one broken, so broken is typical.
    parts.append(Part("g0", "broken"))
    renewed = {"g1", "g2", "g3", "g4", "g5", "b0"}
    learners = [due(x, x in renewed) for x in {p.learner for p in parts}]

    analysis = band_analysis(parts, learners, AS_OF, 8)

    good, broken = row(analysis, "good"), row(analysis, "broken")
    assert (good.participations, broken.participations) == (20, 13)
    assert good.dropout.value == pytest.approx(1 / 20)
    assert broken.dropout.value == pytest.approx(6 / 13)
    assert broken.completion.value == pytest.approx(9 / 13)
    # 19 learners are typically good (g0 moved to broken), 13 broken.
    assert (good.learners, broken.learners) == (19, 13)
    assert good.renewal.value == pytest.approx(5 / 19) and good.renewal.n == 19
    assert broken.renewal.value == pytest.approx(1 / 13) and broken.renewal.n == 13
    dropout = broken.comparisons[1]
    assert dropout.metric == "dropout" and dropout.enough
    assert dropout.difference == pytest.approx(6 / 13 - 1 / 20)
    assert dropout.low is not None and dropout.low > 0  # clearly more drop-out
    assert analysis.participations == 33 and analysis.learners == 32


def test_a_thin_band_has_no_difference_interval():
    parts = [Part(f"g{i}", "good") for i in range(30)]
    parts += [Part(f"d{i}", "degraded", dropped=True) for i in range(MIN_SAMPLE - 1)]
    learners = [due(p.learner) for p in parts]

    analysis = band_analysis(parts, learners, AS_OF, 8)

    degraded = row(analysis, "degraded")
    completion, dropout, renewal = degraded.comparisons
    assert not dropout.enough and dropout.low is None
    assert dropout.difference == pytest.approx(1.0)
    assert dropout.shortfall == Shortfall("participations", "degraded", MIN_SAMPLE)
    assert renewal.shortfall == Shortfall("due learners", "degraded", MIN_SAMPLE)
    # An empty band: none at all.
    acceptable = row(analysis, "acceptable")
    assert acceptable.completion.value is None
    assert acceptable.comparisons[0].shortfall == Shortfall(
        "participations", "acceptable"
    )
    # The band's own rate still has its interval.
    assert degraded.dropout.low is not None and degraded.dropout.high == 1.0


def test_only_the_filtered_learners_count_and_ungraded_ones_are_left_out():
    parts = [
        Part("ana", "good"),
        Part("ana", None),  # no graded audio
        Part("stranger", "broken"),  # not among the learners
    ]

    analysis = band_analysis(parts, [due("ana")], AS_OF, 8)

    assert analysis.participations == 1 and analysis.ungraded == 1
    assert row(analysis, "broken").participations == 0
    assert analysis.learners == 1


def test_renewal_counts_only_learners_due_by_the_range_end():
    recent = LearnerFacts(
        "new",
        enrolled_at="2026-03-20T09:00:00.000000Z",
        first_at="2026-03-20T09:00:00.000000Z",
    )
    parts = [Part("old", "good"), Part("new", "good")]

    analysis = band_analysis(parts, [due("old", True), recent], AS_OF, 8)

    good = row(analysis, "good")
    assert good.learners == 2
    assert (good.renewal.numerator, good.renewal.n) == (1, 1)


class Source:
    """Participations of the call-quality service, recording what was asked."""

    def __init__(self, parts):
        self.parts = parts
        self.asked: list[tuple[datetime | None, datetime | None]] = []

    def __call__(self, since, until):
        self.asked.append((since, until))
        return self.parts


def test_the_service_asks_for_the_dashboards_range_and_keeps_its_learners():
    engine = metrics_engine(InMemoryEventLog(), "s")
    engine.ingest("s", scenario())
    engine.metrics.catch_up("s")
    source = Source([Part("ana", "good"), Part("bo", "broken"), Part("cy", "good")])

    everyone = engine.metrics.quality_bands("s", MetricFilter(), source)
    red = engine.metrics.quality_bands(
        "s", MetricFilter(klass="red", start=date(2026, 1, 1)), source
    )

    # The log's last event is on 03-09: the range ends with that day.
    assert source.asked == [
        (None, datetime(2026, 3, 10, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)),
    ]
    assert everyone.participations == 3
    # bo is in class blue: left out of red's.
    assert red.participations == 2
    assert row(red, "broken").participations == 0


def test_the_service_refuses_a_bad_filter():
    engine = metrics_engine(InMemoryEventLog(), "s")
    engine.ingest("s", scenario())

    with pytest.raises(MetricError):
        engine.metrics.quality_bands("s", MetricFilter(term_weeks=0), Source([]))
