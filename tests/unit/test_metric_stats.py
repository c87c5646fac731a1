"""Confidence intervals against textbook values and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from levelwise.app.metrics.stats import (
    bootstrap_median_difference,
    newcombe,
    resampled_medians,
    welch,
    wilson,
)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
    ids=["81/263", "15/148", "0/20", "1/29"],
)
def test_wilson_matches_newcombe_table(successes, n, low, high):
    got = wilson(successes, n)

    assert got == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(
    ("control", "variant", "expected"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10:
        # 56/70 - 48/80 = 0.2, 95 % CI 0.0524 to 0.3339. Our difference is
        # variant - control, so the paper's first group is the variant.
        ((48, 80), (56, 70), (0.2, 0.0524, 0.3339)),
        # Example (c): 5/56 - 0/29 = 0.0893, 95 % CI -0.0381 to 0.1926.
        ((0, 29), (5, 56), (0.0893, -0.0381, 0.1926)),
        # Example (g): 0/10 - 0/20 = 0, 95 % CI -0.1611 to 0.2775.
        ((0, 20), (0, 10), (0.0, -0.1611, 0.2775)),
    ],
    ids=["a", "c", "g"],
)
def test_newcombe_matches_the_paper(control, variant, expected):
    got = newcombe(*control, *variant)

    assert got == pytest.approx(expected, abs=1e-4)


def test_welch_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(1.0, 0.5, 30).tolist()
    b = rng.normal(1.3, 1.5, 45).tolist()

    d, low, high = welch(a, b)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)

    assert d == pytest.approx(np.mean(b) - np.mean(a))
    assert (low, high) == pytest.approx((ci.low, ci.high))


def test_welch_of_constant_samples_is_a_point():
    assert welch([1.0, 1.0], [2.0, 2.0, 2.0]) == (1.0, 1.0, 1.0)


def test_bootstrap_is_reproducible_and_close_to_scipy():
    rng = np.random.default_rng(5)
    a = rng.exponential(3.0, 60).tolist()
    b = (rng.exponential(3.0, 80) + 1.0).tolist()

    first = bootstrap_median_difference(a, b)
    again = bootstrap_median_difference(a, b)
    ref = stats.bootstrap(
        (b, a),
        lambda x, y, axis: np.median(x, axis=axis) - np.median(y, axis=axis),
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(1),
    ).confidence_interval

    assert first == again
    assert first[0] == pytest.approx(np.median(b) - np.median(a))
    assert first[1] < first[0] < first[2]
    assert first[1] == pytest.approx(ref.low, abs=0.35)
    assert first[2] == pytest.approx(ref.high, abs=0.35)


@pytest.mark.parametrize("n", [7, 8, 51], ids=["odd", "even", "larger"])
def test_resampled_medians_match_resampling_in_distribution(n):
    rng = np.random.default_rng(11)
    values = rng.exponential(2.0, n)
    draws = 20_000

    fast = resampled_medians(values, draws, np.random.default_rng(1))
    naive = np.median(np.random.default_rng(2).choice(values, size=(draws, n)), axis=1)

    for q in (5, 25, 50, 75, 95):
        assert np.percentile(fast, q) == pytest.approx(
            np.percentile(naive, q), rel=0.05, abs=0.05
        )
    assert fast.mean() == pytest.approx(naive.mean(), rel=0.02)
