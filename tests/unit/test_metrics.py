"""AUC (rank formula against a brute-force pair count) and RMSE."""

from __future__ import annotations

import math

import numpy as np
import pytest

from levelwise.errors import InvalidResponsesError
from levelwise.learners.metrics import auc, rmse


def brute_force_auc(y, p):
    """Share of (positive, negative) pairs ordered right, ties counting 1/2."""
    pos = [s for s, label in zip(p, y, strict=True) if label == 1]
    neg = [s for s, label in zip(p, y, strict=True) if label == 0]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(20))
def test_auc_matches_the_pair_count_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present
    # Few distinct scores, so many ties.
    p = rng.integers(0, 6, n) / 5
    assert auc(y, p) == pytest.approx(brute_force_auc(y, p), abs=1e-12)


@pytest.mark.parametrize(
    ("y", "p", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1.0),  # perfect
        ([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 0.0),  # inverse
        ([0, 1, 0, 1, 1], [0.5] * 5, 0.5),  # constant
        ([1, 0], [0.7, 0.7], 0.5),  # one tied pair
    ],
    ids=["perfect", "inverse", "constant", "tie"],
)
def test_auc_edge_cases(y, p, expected):
    assert auc(y, p) == expected


def test_auc_is_undefined_with_one_class():
    assert math.isnan(auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(auc([], []))


def test_rmse():
    assert rmse([0, 1, 1], [0.0, 1.0, 1.0]) == 0.0
    assert rmse([1, 0], [0.0, 1.0]) == 1.0
    assert rmse([1, 0, 1, 0], [0.5] * 4) == pytest.approx(0.5)
    assert math.isnan(rmse([], []))


@pytest.mark.parametrize("metric", [auc, rmse])
def test_metrics_reject_bad_input(metric):
    with pytest.raises(InvalidResponsesError, match="y has 2 values, p has 3"):
        metric([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidResponsesError, match="labels must be 0 or 1"):
        metric([0, 2], [0.1, 0.2])
