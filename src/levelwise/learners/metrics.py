"""Prediction metrics: ROC AUC (exact, ties averaged) and RMSE."""

from __future__ import annotations

from typing import Any

import numpy as np

from levelwise.errors import InvalidResponsesError
from levelwise.learners.base import FloatArray

__all__ = ["auc", "rmse"]


def auc(y: Any, p: Any) -> float:
    """Area under the ROC curve by the rank (Mann-Whitney U) formula.

    AUC is the probability that a random positive row scores higher than a
    random negative one, counting ties as one half. With ``R`` the sum of the
    positives' ranks (tied scores share their average rank),
    ``AUC = (R - n1 (n1 + 1) / 2) / (n1 n0)``. Ranks are integers or
    half-integers, so the result is exact up to the final division.

    Args:
        y: Labels, 0 or 1.
        p: Scores (higher means more likely 1), same length as ``y``.

    Returns:
        The AUC, or ``nan`` when ``y`` holds only one class.

    Raises:
        InvalidResponsesError: The lengths differ or a label is not 0/1.

    Examples:
        >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    labels, scores = _check(y, p)
    n1 = int(labels.sum())
    n0 = labels.shape[0] - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # The tied group ending at 1-based rank e with c members has mean rank
    # e - (c - 1) / 2.
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    rank_sum = float(mean_rank[inverse.reshape(-1)][labels == 1].sum())
    return float((rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def rmse(y: Any, p: Any) -> float:
    """Root mean squared error of probabilities against 0/1 labels.

    Args:
        y: Labels, 0 or 1.
        p: Predicted probabilities, same length as ``y``.

    Returns:
        The RMSE, or ``nan`` for empty input.

    Raises:
        InvalidResponsesError: The lengths differ or a label is not 0/1.

    Examples:
        >>> rmse([0, 1], [0.0, 0.5])
        0.3535533905932738
    """
    labels, scores = _check(y, p)
    if labels.shape[0] == 0:
        return float("nan")
    return float(np.sqrt(np.mean((labels - scores) ** 2)))


def _check(y: Any, p: Any) -> tuple[FloatArray, FloatArray]:
    labels = np.asarray(y, dtype=np.float64).reshape(-1)
    scores = np.asarray(p, dtype=np.float64).reshape(-1)
    if labels.shape != scores.shape:
        msg = f"y has {labels.shape[0]} values, p has {scores.shape[0]}"
        raise InvalidResponsesError(msg)
    if not np.isin(labels, (0.0, 1.0)).all():
        raise InvalidResponsesError("labels must be 0 or 1")
    return labels, scores
