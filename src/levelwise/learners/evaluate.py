"""Cross-validation of knowledge-tracing models over learner folds.

For each held-out fold a fresh model is fitted on the other folds' learners
(or on the ``train`` split) and then predicts the held-out learners *online*:
each prediction uses only that learner's earlier rows. Two protocols:

* ``row``: one prediction per row, each before the row's own update. This is
  what most papers report; on data where a multi-skill problem is expanded
  into several rows, the later rows see the label of the earlier ones.
* ``question``: one prediction per problem attempt. The model predicts with
  ``per_attempt=True`` (every row of an attempt from the state before it);
  the attempt's prediction is the mean over its rows and its label is the
  label of its first row (the expanded rows are copies of one answer).

The overall figures are given both as the mean over folds and *pooled* (one
AUC/RMSE over the predictions of all evaluated folds together).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from levelwise.learners.base import FloatArray, IntArray, LearnerModel, Responses
from levelwise.learners.datasets import Dataset
from levelwise.learners.metrics import auc, rmse

__all__ = [
    "PROTOCOLS",
    "Evaluation",
    "FoldResult",
    "Protocol",
    "attempt_starts",
    "cross_validate",
    "evaluate_protocols",
]

Protocol = Literal["row", "question"]
PROTOCOLS: tuple[Protocol, ...] = ("row", "question")


@dataclass(frozen=True)
class FoldResult:
    """The figures of one held-out fold.

    Attributes:
        fold: Name of the held-out fold.
        n_train_learners: Learners the model was fitted on.
        n_test_learners: Held-out learners predicted.
        n_predictions: Predictions scored (rows, or attempts).
        auc: ROC AUC of the predictions.
        rmse: Root mean squared error of the predictions.
        fit_seconds: Wall time of ``fit``.
        predict_seconds: Wall time of ``predict_proba`` on the held-out fold.
    """

    fold: str
    n_train_learners: int
    n_test_learners: int
    n_predictions: int
    auc: float
    rmse: float
    fit_seconds: float
    predict_seconds: float


@dataclass(frozen=True)
class Evaluation:
    """Per-fold and overall figures of one protocol.

    Attributes:
        protocol: ``row`` or ``question``.
        folds: One result per evaluated fold.
        mean_auc: Mean of the folds' AUCs.
        mean_rmse: Mean of the folds' RMSEs.
        pooled_auc: AUC over all folds' predictions together.
        pooled_rmse: RMSE over all folds' predictions together.
        n_predictions: Predictions scored over all folds.
        fit_seconds: Total fit time.
        predict_seconds: Total predict time.
    """

    protocol: Protocol
    folds: tuple[FoldResult, ...]
    mean_auc: float
    mean_rmse: float
    pooled_auc: float
    pooled_rmse: float
    n_predictions: int
    fit_seconds: float
    predict_seconds: float


def cross_validate(
    model_factory: Callable[[], LearnerModel],
    dataset: Dataset,
    *,
    protocol: Protocol = "row",
    max_folds: int | None = None,
) -> Evaluation:
    """Fit on the other folds, predict each held-out fold online, and score.

    Args:
        model_factory: Makes a fresh, unfitted model (called once per fold).
        dataset: The data with its folds (see :mod:`levelwise.learners.datasets`).
        protocol: ``row`` (every row) or ``question`` (one per attempt).
        max_folds: Evaluate only the first this many held-out folds.

    Returns:
        The per-fold and overall figures.
    """
    return evaluate_protocols(
        model_factory, dataset, protocols=(protocol,), max_folds=max_folds
    )[protocol]


def evaluate_protocols(
    model_factory: Callable[[], LearnerModel],
    dataset: Dataset,
    *,
    protocols: Sequence[Protocol] = PROTOCOLS,
    max_folds: int | None = None,
) -> dict[Protocol, Evaluation]:
    """Like :func:`cross_validate` for several protocols, fitting once per fold.

    Args:
        model_factory: Makes a fresh, unfitted model (called once per fold).
        dataset: The data with its folds.
        protocols: The protocols to score.
        max_folds: Evaluate only the first this many held-out folds.

    Returns:
        One :class:`Evaluation` per protocol, in the order asked.

    Raises:
        ValueError: A protocol is unknown, ``max_folds`` is below 1, or the
            dataset has no folds.
    """
    for protocol in protocols:
        if protocol not in PROTOCOLS:
            msg = f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}"
            raise ValueError(msg)
    if max_folds is not None and max_folds < 1:
        raise ValueError("max_folds must be >= 1")
    folds = dataset.test_folds[:max_folds]
    if not folds:
        raise ValueError("the dataset has no folds to hold out")
    results: dict[Protocol, list[FoldResult]] = {p: [] for p in protocols}
    pooled: dict[Protocol, list[tuple[FloatArray, FloatArray]]] = {
        p: [] for p in protocols
    }
    for fold in folds:
        train, test = dataset.split(fold)
        started = time.perf_counter()
        model = model_factory().fit(train)
        fit_seconds = time.perf_counter() - started
        for protocol in protocols:
            started = time.perf_counter()
            y, p = _predict(model, test, protocol)
            predict_seconds = time.perf_counter() - started
            pooled[protocol].append((y, p))
            results[protocol].append(
                FoldResult(
                    fold=dataset.fold_names[fold],
                    n_train_learners=_count_learners(train.learner),
                    n_test_learners=_count_learners(test.learner),
                    n_predictions=int(y.shape[0]),
                    auc=auc(y, p),
                    rmse=rmse(y, p),
                    fit_seconds=fit_seconds,
                    predict_seconds=predict_seconds,
                )
            )
    return {p: _overall(p, results[p], pooled[p]) for p in protocols}


def attempt_starts(data: Responses) -> IntArray:
    """Index of the first row of each attempt (a learner or attempt change)."""
    new = np.ones(len(data), dtype=bool)
    new[1:] = (data.learner[1:] != data.learner[:-1]) | (
        data.attempt[1:] != data.attempt[:-1]
    )
    starts: IntArray = np.flatnonzero(new).astype(np.int64)
    return starts


def _predict(
    model: LearnerModel, test: Responses, protocol: Protocol
) -> tuple[FloatArray, FloatArray]:
    """Labels and predictions scored under ``protocol``."""
    y = test.correct.astype(np.float64)
    if protocol == "row":
        return y, model.predict_proba(test)
    p = model.predict_proba(test, per_attempt=True)
    starts = attempt_starts(test)
    sizes = np.diff(np.append(starts, len(test)))
    mean: FloatArray = np.add.reduceat(p, starts) / sizes
    return y[starts], mean


def _count_learners(learner: IntArray) -> int:
    return int(np.unique(learner).shape[0])


def _overall(
    protocol: Protocol,
    folds: list[FoldResult],
    pooled: list[tuple[FloatArray, FloatArray]],
) -> Evaluation:
    y = np.concatenate([pair[0] for pair in pooled])
    p = np.concatenate([pair[1] for pair in pooled])
    return Evaluation(
        protocol=protocol,
        folds=tuple(folds),
        mean_auc=float(np.mean([f.auc for f in folds])),
        mean_rmse=float(np.mean([f.rmse for f in folds])),
        pooled_auc=auc(y, p),
        pooled_rmse=rmse(y, p),
        n_predictions=int(y.shape[0]),
        fit_seconds=sum(f.fit_seconds for f in folds),
        predict_seconds=sum(f.predict_seconds for f in folds),
    )
