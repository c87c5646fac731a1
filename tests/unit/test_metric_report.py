"""Dashboard figures from projection rows, experiments with enough data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.app.engine import Levelwise
from levelwise.app.metrics.analytics import level_summary
from levelwise.app.metrics.experiments import Experiment, Variant
from levelwise.app.metrics.ports import LearnerFacts, LevelUp, Sums
from levelwise.app.metrics.report import Population, experiment_view, week_rows
from levelwise.app.metrics.service import Figure, MetricFilter
from levelwise.app.metrics.stats import bootstrap_median_difference, newcombe, welch
from levelwise.app.programs.loader import load_program
from levelwise.domain.state import LearnerState, LevelStamp
from levelwise.errors import ConcurrencyError, StoreError
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import FixedClock, metrics_engine, scenario

AS_OF = date(2026, 6, 30)


def population() -> Population:
    """30 learners in A and 30 in B with made-up but known samples."""
    learners, sums, ups = [], {}, []
    for group, offset in (("a", 0), ("b", 1)):
        for i in range(30):
            name = f"{group}{i:02d}"
            renewed = "2026-05-01T00" if (i + offset) % 3 else ""
            learners.append(
                LearnerFacts(name, "2026-01-05T00", renewed, "2026-01-05T00")
            )
            sums[name] = Sums(name, 4, (i + offset) % 5, i % 7 + offset, 60.0, 1)
            for seq in range(i % 2 + 1):
                ups.append(
                    LevelUp(name, seq, "a1", "2026-03-01T00", 2.0 + i % 4 + offset)
                )
    return Population(learners, sums, set(), ups, AS_OF, 8)


EXPERIMENT = Experiment(
    "e",
    "",
    "A",
    (
        Variant("A", learners=tuple(f"a{i:02d}" for i in range(30))),
        Variant("B", learners=tuple(f"b{i:02d}" for i in range(30))),
    ),
)


def test_comparisons_with_enough_data_use_the_intervals():
    pop = population()
    view = experiment_view(pop, EXPERIMENT)
    ((name, comparisons),) = view.comparisons
    by = {c.metric: c for c in comparisons}

    a_ratio = [(i % 5) / 4 for i in range(30)]
    b_ratio = [((i + 1) % 5) / 4 for i in range(30)]
    assert name == "B"
    assert view.sizes == (("A", 30), ("B", 30))
    assert all(c.enough and c.reason == "" for c in comparisons)
    assert (by["completion"].difference, by["completion"].low) == pytest.approx(
        welch(a_ratio, b_ratio)[:2]
    )
    a_renewed = sum(1 for i in range(30) if i % 3)
    b_renewed = sum(1 for i in range(30) if (i + 1) % 3)
    assert by["renewal"].control == Figure(a_renewed / 30, a_renewed, 30, 30)
    assert (
        by["renewal"].difference,
        by["renewal"].low,
        by["renewal"].high,
    ) == pytest.approx(newcombe(a_renewed, 30, b_renewed, 30))
    a_inter = [(i % 7) / 4 for i in range(30)]
    b_inter = [(i % 7 + 1) / 4 for i in range(30)]
    assert by["interactions_per_class"].high == pytest.approx(
        welch(a_inter, b_inter)[2]
    )
    a_weeks = [2.0 + i % 4 for i in range(30) for _ in range(i % 2 + 1)]
    b_weeks = [3.0 + i % 4 for i in range(30) for _ in range(i % 2 + 1)]
    assert (by["level_up_weeks"].low, by["level_up_weeks"].high) == pytest.approx(
        bootstrap_median_difference(a_weeks, b_weeks)[1:]
    )
    assert by["level_up_weeks"].variant.n == 45


def test_no_learners_and_no_start_give_no_weeks():
    empty = Population([], {}, set(), [], AS_OF, 8)

    assert week_rows(empty, [], None) == ()


def test_an_empty_school_is_dated_by_the_clock():
    lw = metrics_engine(InMemoryEventLog(), "s")

    board = lw.metrics.dashboard("s", MetricFilter())

    assert board.as_of == date(2026, 3, 31)
    assert board.overall.learners == 0
    assert board.overall.completion.value is None
    assert board.by_week == ()


def test_a_dashboard_reads_what_is_committed_when_another_catch_up_wins():
    class Busy(InMemoryMetricStore):
        def apply(self, tenant, change):
            raise ConcurrencyError("moved")

    log = InMemoryEventLog()
    lw = Levelwise(log, FixedClock(), metrics=Busy(log))
    lw.put_program("s", SMALL_PROGRAM)
    lw.ingest("s", scenario())

    board = lw.metrics.dashboard("s", MetricFilter())

    assert board.overall.learners == 0


def test_level_summary_uses_the_same_cycles():
    program = load_program(SMALL_PROGRAM, "tiny.yaml")
    state = LearnerState(
        learner="a",
        level=1,
        enrolled_at="2026-01-05T00:00:00.000000Z",
        history=(LevelStamp("a1", "2026-01-19T00:00:00.000000Z", "e"),),
    )
    summary = level_summary([state], program, datetime(2026, 1, 20, tzinfo=UTC))

    assert summary.median_weeks_per_level_up == 2.0
    assert (summary.level_ups, summary.levelled_up_this_week) == (1, 1)


def test_an_engine_without_a_metric_store_keeps_metrics_unavailable():
    engine = Levelwise(InMemoryEventLog(), FixedClock())
    engine.put_program("s", SMALL_PROGRAM)

    assert engine.metrics.store is None
    with pytest.raises(StoreError, match="metrics are not set up"):
        engine.metrics.dashboard("s", MetricFilter())
