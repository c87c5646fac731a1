"""Confidence intervals for experiment comparisons (95 %, two-sided).

- Difference of two proportions: Newcombe's hybrid score interval (method 10
  of Newcombe 1998, *Statistics in Medicine* 17:873-890), built from Wilson
  score intervals of each proportion.
- Difference of two means: Welch's t interval (unequal variances, the
  Welch-Satterthwaite degrees of freedom).
- Difference of two medians: a percentile bootstrap with a fixed seed, so the
  same data always gives the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95 % interval."""

BOOTSTRAP_RESAMPLES = 2000
"""Resamples of the median bootstrap."""

BOOTSTRAP_SEED = 20261125
"""The bootstrap's seed: intervals are reproducible."""

Interval = tuple[float, float]


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """The Wilson score interval of a proportion.

    Args:
        successes: Successes.
        n: Trials (> 0).
        z: The normal quantile.

    Returns:
        ``(low, high)``.
    """
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float, float]:
    """The difference ``p2 - p1`` of two proportions with Newcombe's interval.

    Args:
        s1: Successes in the first group (the control).
        n1: Its size (> 0).
        s2: Successes in the second group (the variant).
        n2: Its size (> 0).

    Returns:
        ``(difference, low, high)``.
    """
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson(s1, n1)
    l2, u2 = wilson(s2, n2)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return d, low, high


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """The difference ``mean(b) - mean(a)`` with Welch's 95 % t interval.

    Args:
        a: The first sample (the control), at least 2 values.
        b: The second sample (the variant), at least 2 values.

    Returns:
        ``(difference, low, high)``; a zero-width interval when both samples
        are constant.
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n1, n2 = xa.size, xb.size
    v1, v2 = float(xa.var(ddof=1)) / n1, float(xb.var(ddof=1)) / n2
    d = float(xb.mean() - xa.mean())
    se2 = v1 + v2
    if se2 == 0:
        return d, d, d
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = float(stats.t.ppf(0.975, df)) * math.sqrt(se2)
    return d, d - half, d + half


def resampled_medians(
    values: Sequence[float], resamples: int, rng: np.random.Generator
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """Medians of ``resamples`` bootstrap resamples of ``values``.

    A resample draws ``n`` values with replacement; drawing a value is
    drawing a uniform ``u`` and taking the sorted values' ``floor(u * n)``-th,
    so the resample's k-th smallest value is the sorted values' entry at the
    k-th smallest of ``n`` uniforms, which is Beta(k, n - k + 1). Sampling
    that order statistic (and, for even ``n``, the next one) gives the
    resample medians exactly in distribution, in O(resamples) instead of
    O(resamples * n).

    Args:
        values: The sample, not empty.
        resamples: How many resample medians.
        rng: The random generator.

    Returns:
        The medians (``numpy.median``'s convention: the mean of the two middle
        values of an even sample).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    k = (n + 1) // 2
    u = rng.beta(k, n - k + 1, resamples)
    low = x[np.minimum((u * n).astype(np.int64), n - 1)]
    if n % 2:
        return low
    # The next order statistic: the smallest of the n - k uniforms above u.
    nxt = u + (1 - u) * rng.beta(1, n - k, resamples)
    high = x[np.minimum((nxt * n).astype(np.int64), n - 1)]
    result: np.ndarray[tuple[int], np.dtype[np.float64]] = (low + high) / 2
    return result


def bootstrap_median_difference(
    a: Sequence[float],
    b: Sequence[float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float, float]:
    """The difference ``median(b) - median(a)`` with a percentile bootstrap.

    Each resample draws both samples with replacement at their own sizes
    (``resampled_medians``); the interval is the 2.5th and 97.5th
    percentiles of the resampled differences.

    Args:
        a: The first sample (the control), not empty.
        b: The second sample (the variant), not empty.
        resamples: How many resamples.
        seed: The random generator's seed.

    Returns:
        ``(difference, low, high)``.
    """
    rng = np.random.default_rng(seed)
    ma = resampled_medians(a, resamples, rng)
    mb = resampled_medians(b, resamples, rng)
    low, high = np.percentile(mb - ma, [2.5, 97.5])
    d = float(
        np.median(np.asarray(b, dtype=float)) - np.median(np.asarray(a, dtype=float))
    )
    return d, float(low), float(high)
