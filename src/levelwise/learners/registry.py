"""Model names for the evaluation harness, resolved lazily, plus a baseline.

A name maps to ``"module:Class"`` and fixed hyperparameters. The module is
imported only when the model is asked for, so the registry lists models
whose modules may not exist yet (they are reported as not available).

>>> create("skill-mean").get_params()
{'smoothing': 1.0}
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

from levelwise.errors import (
    InvalidResponsesError,
    ModelNotAvailableError,
)
from levelwise.learners.base import (
    BaseLearnerModel,
    FloatArray,
    LearnerModel,
    Responses,
)

__all__ = [
    "MODELS",
    "ModelNotAvailableError",
    "ModelSpec",
    "SkillMean",
    "create",
    "factory",
    "is_available",
]


@dataclass(frozen=True)
class ModelSpec:
    """Where a model class lives and the hyperparameters the name fixes.

    Attributes:
        path: ``"package.module:Class"``.
        params: Keyword arguments passed to the class (before any overrides).
    """

    path: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The module part of ``path``."""
        return self.path.partition(":")[0]


MODELS: Mapping[str, ModelSpec] = {
    "skill-mean": ModelSpec("levelwise.learners.registry:SkillMean"),
    "bkt": ModelSpec("levelwise.learners.bkt:BKT"),
    "bkt-forget": ModelSpec("levelwise.learners.bkt:BKT", {"forgetting": True}),
    "elo": ModelSpec("levelwise.learners.elo:Elo"),
    "logistic": ModelSpec("levelwise.learners.logistic:LogisticKT"),
}


def is_available(name: str, *, models: Mapping[str, ModelSpec] = MODELS) -> bool:
    """Whether ``name`` is registered and its module exists (nothing is imported).

    Args:
        name: A model name.
        models: The registry to look in.

    Returns:
        True when the model's module can be found.
    """
    spec = models.get(name)
    if spec is None:
        return False
    try:
        return importlib.util.find_spec(spec.module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def factory(
    name: str, *, models: Mapping[str, ModelSpec] = MODELS, **params: Any
) -> Callable[[], LearnerModel]:
    """A zero-argument callable making fresh, unfitted models named ``name``.

    Args:
        name: A key of ``models``.
        models: The registry to look in (:data:`MODELS` by default).
        **params: Hyperparameters overriding the registered ones.

    Returns:
        The factory (the class is resolved now, so errors surface early).

    Raises:
        ModelNotAvailableError: The name is unknown or its module is missing.
    """
    known = ", ".join(models)
    spec = models.get(name)
    if spec is None or not is_available(name, models=models):
        msg = f"model {name!r} is not available; known: {known}"
        if spec is not None:
            msg += f" (module {spec.module} does not exist yet)"
        raise ModelNotAvailableError(msg)
    module, _, attribute = spec.path.partition(":")
    cls = getattr(importlib.import_module(module), attribute, None)
    if cls is None:
        msg = f"model {name!r} is not available: {spec.path} not found; known: {known}"
        raise ModelNotAvailableError(msg)
    arguments = {**spec.params, **params}

    def make() -> LearnerModel:
        model: LearnerModel = cls(**arguments)
        return model

    return make


def create(
    name: str, *, models: Mapping[str, ModelSpec] = MODELS, **params: Any
) -> LearnerModel:
    """A fresh, unfitted model named ``name`` (see :func:`factory`)."""
    return factory(name, models=models, **params)()


class SkillMean(BaseLearnerModel):
    """Baseline: P(correct) is the skill's accuracy in the training data.

    It ignores each learner's history, so it is trivially online; any real
    model should beat it.

    Args:
        smoothing: Pseudo-count pulling each skill's accuracy toward the
            overall accuracy (``0`` for the raw proportion).

    Attributes:
        p_skill_: Smoothed training accuracy per skill.
        p_global_: Overall training accuracy (used for unseen skills).

    Examples:
        >>> data = Responses.from_arrays([0, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1])
        >>> SkillMean(smoothing=0.0).fit(data).predict_proba(data).tolist()
        [1.0, 0.5, 1.0, 0.5]
    """

    _PARAMS = ("smoothing",)

    def __init__(self, *, smoothing: float = 1.0) -> None:
        """Store the hyperparameters unchanged."""
        self.smoothing = smoothing

    def fit(self, data: Responses) -> Self:
        """Count each skill's correct answers and return ``self``.

        Raises:
            InvalidResponsesError: ``smoothing`` is negative or there are no rows.
        """
        if self.smoothing < 0:
            raise InvalidResponsesError("smoothing must be >= 0")
        if len(data) == 0:
            raise InvalidResponsesError("cannot fit on no rows")
        p_global = float(data.correct.mean())
        right = np.bincount(data.skill, weights=data.correct, minlength=data.n_skills)
        seen = np.bincount(data.skill, minlength=data.n_skills)
        smoothing = float(self.smoothing)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = (right + smoothing * p_global) / (seen + smoothing)
        self.p_skill_: FloatArray = np.where(seen > 0, p, p_global)
        self.p_global_ = p_global
        return self

    def predict_proba(
        self, data: Responses, *, per_attempt: bool = False
    ) -> FloatArray:
        """P(correct) for every row: its skill's training accuracy.

        ``per_attempt`` changes nothing: no prediction depends on history.
        """
        self._check_fitted("p_skill_")
        del per_attempt
        known = data.skill < self.p_skill_.shape[0]
        p: FloatArray = np.full(len(data), self.p_global_)
        p[known] = self.p_skill_[data.skill[known]]
        return p

    def to_json(self) -> dict[str, Any]:
        """Hyperparameters and fitted parameters as JSON-ready data."""
        self._check_fitted("p_skill_")
        return {
            "model": "skill-mean",
            "params": self.get_params(),
            "p_skill": self.p_skill_.tolist(),
            "p_global": self.p_global_,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkillMean:
        """Rebuild a fitted model from :meth:`to_json` output."""
        model = cls(**data["params"])
        model.p_skill_ = np.asarray(data["p_skill"], dtype=np.float64)
        model.p_global_ = float(data["p_global"])
        return model
