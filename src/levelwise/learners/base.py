"""The learner-model contract: response data, the estimator protocol, errors.

Models follow the scikit-learn conventions (``../STYLE.md`` §4): ``__init__``
takes keyword-only hyperparameters and stores them unchanged; ``fit`` validates,
resets and returns ``self``; fitted attributes end in ``_``; predicting before
fitting raises :class:`NotFittedError`; ``get_params``/``set_params`` allow
cloning; parameters persist as JSON (``to_json``/``from_json``), never pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from levelwise.errors import InvalidResponsesError, NotFittedError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Responses:
    """Scored answers of many learners, as parallel arrays.

    Rows are grouped by learner (all rows of a learner are contiguous) and in
    time order within a learner.

    Attributes:
        learner: Learner index per row (0..n_learners-1).
        skill: Knowledge-point (skill) index per row (0..n_skills-1).
        correct: 1 if the answer was right, else 0.
        item: Item (question) index per row, or -1 when items are unknown.
        attempt: Attempt index per row: rows that expand one multi-skill
            problem attempt into several skills share it (each row its own
            attempt when there is no expansion). Non-decreasing per learner.
        seconds: Seconds since the learner's first row (0 when unknown).
        n_skills: Number of skills (at least ``skill.max() + 1``).
        n_items: Number of items (0 when items are unknown).
        skill_names: Optional names of skills, by index.
    """

    learner: IntArray
    skill: IntArray
    correct: IntArray
    item: IntArray
    attempt: IntArray
    seconds: FloatArray
    n_skills: int
    n_items: int = 0
    skill_names: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        """Number of rows."""
        return int(self.correct.shape[0])

    @classmethod
    def from_arrays(
        cls,
        learner: Any,
        skill: Any,
        correct: Any,
        *,
        item: Any = None,
        attempt: Any = None,
        seconds: Any = None,
        n_skills: int | None = None,
        n_items: int | None = None,
        skill_names: tuple[str, ...] = (),
    ) -> Responses:
        """Build and validate responses from array-likes.

        Raises:
            InvalidResponsesError: Lengths differ, values are out of range, or a
                learner's rows are not contiguous.
        """
        lrn = np.asarray(learner, dtype=np.int64)
        n = lrn.shape[0]
        skl = np.asarray(skill, dtype=np.int64)
        cor = np.asarray(correct, dtype=np.int64)
        itm = np.full(n, -1, np.int64) if item is None else np.asarray(item, np.int64)
        att = (
            np.arange(n, dtype=np.int64)
            if attempt is None
            else np.asarray(attempt, np.int64)
        )
        sec = np.zeros(n) if seconds is None else np.asarray(seconds, np.float64)
        columns: dict[str, npt.NDArray[Any]] = {
            "skill": skl,
            "correct": cor,
            "item": itm,
            "attempt": att,
            "seconds": sec,
        }
        for name, arr in columns.items():
            if arr.shape != (n,):
                msg = f"{name} has {arr.shape[0]} rows, learner has {n}"
                raise InvalidResponsesError(msg)
        if n and (skl.min() < 0 or lrn.min() < 0):
            raise InvalidResponsesError("learner and skill indexes must be >= 0")
        if n and not np.isin(cor, (0, 1)).all():
            raise InvalidResponsesError("correct must be 0 or 1")
        if n and np.any(np.diff(lrn) != 0):
            starts = np.flatnonzero(np.diff(lrn)) + 1
            if np.unique(lrn[np.r_[0, starts]]).shape[0] != starts.shape[0] + 1:
                raise InvalidResponsesError("each learner's rows must be contiguous")
        k = int(skl.max()) + 1 if n else 0
        if n_skills is not None and n_skills < k:
            raise InvalidResponsesError(
                f"n_skills={n_skills} but a skill index is {k - 1}"
            )
        m = int(itm.max()) + 1 if n and itm.max() >= 0 else 0
        return cls(
            learner=lrn,
            skill=skl,
            correct=cor,
            item=itm,
            attempt=att,
            seconds=sec,
            n_skills=n_skills if n_skills is not None else k,
            n_items=max(n_items or 0, m),
            skill_names=skill_names,
        )

    def subset(self, rows: npt.NDArray[np.bool_]) -> Responses:
        """The rows where ``rows`` is true (whole learners keep their order)."""
        return Responses(
            learner=self.learner[rows],
            skill=self.skill[rows],
            correct=self.correct[rows],
            item=self.item[rows],
            attempt=self.attempt[rows],
            seconds=self.seconds[rows],
            n_skills=self.n_skills,
            n_items=self.n_items,
            skill_names=self.skill_names,
        )


class LearnerModel(Protocol):
    """What every knowledge-tracing model offers.

    ``predict_proba`` is *online*: the prediction for a row uses only the same
    learner's earlier rows in ``data`` (and the fitted parameters), never the
    row itself. With ``per_attempt=True`` every row of an attempt is predicted
    from the state before the attempt's first row, and the learner's state is
    updated with the attempt's rows only afterwards (so a multi-skill problem
    expanded into several rows cannot leak its own label).
    """

    def fit(self, data: Responses) -> Self:
        """Estimate the parameters from ``data`` and return ``self``."""
        ...

    def predict_proba(
        self, data: Responses, *, per_attempt: bool = False
    ) -> FloatArray:
        """P(correct) for every row of ``data``, each before its own update."""
        ...

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__``."""
        ...

    def set_params(self, **params: Any) -> Self:
        """Change hyperparameters; returns ``self``."""
        ...

    def to_json(self) -> dict[str, Any]:
        """Hyperparameters and fitted parameters as JSON-ready data."""
        ...


class BaseLearnerModel:
    """``get_params``/``set_params``/``clone`` and JSON persistence.

    Subclasses list their hyperparameters in ``_PARAMS`` (the keyword-only
    arguments of ``__init__``) and their fitted attributes in ``_FITTED`` as
    ``(name, dtype)``, with ``dtype`` None for a plain number; attributes that
    follow from those are rebuilt by ``_restore``.
    """

    _PARAMS: tuple[str, ...] = ()
    _FITTED: tuple[tuple[str, type | None], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Hyperparameters and, when fitted, the fitted attributes, as JSON data."""
        data: dict[str, Any] = {"model": type(self).__name__}
        data["params"] = self.get_params()
        if self._FITTED and hasattr(self, self._FITTED[0][0]):
            for name, dtype in self._FITTED:
                value = getattr(self, name)
                data[name] = value.tolist() if dtype is not None else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The model :meth:`to_json` saved (fitted when it was)."""
        model = cls(**data["params"])
        if cls._FITTED and cls._FITTED[0][0] in data:
            for name, dtype in cls._FITTED:
                value = data[name]
                setattr(model, name, np.asarray(value, dtype) if dtype else value)
            model._restore()
        return model

    def _restore(self) -> None:
        """Rebuild attributes derived from the fitted ones (after ``from_json``)."""

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__``."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> Self:
        """Change hyperparameters (unknown names raise ``ValueError``)."""
        for name, value in params.items():
            if name not in self._PARAMS:
                msg = f"{type(self).__name__} has no hyperparameter {name!r}"
                raise ValueError(msg)
            setattr(self, name, value)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            msg = f"{type(self).__name__} is not fitted yet; call fit() first"
            raise NotFittedError(msg)


def learner_bounds(learner: IntArray) -> IntArray:
    """Start offsets of each learner's contiguous block, plus the end."""
    if learner.shape[0] == 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(np.diff(learner)) + 1
    bounds: IntArray = np.concatenate(([0], starts, [learner.shape[0]])).astype(
        np.int64
    )
    return bounds
