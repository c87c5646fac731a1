"""A/B experiments: variants of learners or classes, and who falls in which.

A variant lists learners, classes, or takes a ``share`` of the learners by a
deterministic hash split. A learner's variant is decided in this order: a
variant that lists the learner; else one that lists their class; else the
hash ``sha256("<experiment id>/<learner>")`` read as a number in [0, 1),
which falls in the shares laid end to end in the variants' order. A learner
matched by none of these is out of the experiment.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from levelwise.app.metrics.ports import StoredExperiment
from levelwise.errors import MetricError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_VARIANTS = 20
"""Most variants of one experiment."""


@dataclass(frozen=True)
class Variant:
    """One group of an experiment.

    Attributes:
        name: The variant's name (unique in the experiment).
        learners: Learners it holds explicitly.
        classes: Classes (profile cohorts) whose learners it holds.
        share: Share of the remaining learners it takes by hash, in (0, 1].
    """

    name: str
    learners: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    share: float | None = None


@dataclass(frozen=True)
class Experiment:
    """An experiment: its id, what it tests, its control and its variants."""

    id: str
    description: str
    control: str
    variants: tuple[Variant, ...]


def check_experiment(experiment: Experiment) -> Experiment:
    """Validate an experiment.

    Returns:
        The same experiment.

    Raises:
        MetricError: Bad id, no or too many variants, duplicate names, an
            unknown control, a share outside (0, 1] or shares above 1 in
            total, or a learner or class listed by two variants.
    """
    problems: list[str] = []
    if not _ID.match(experiment.id):
        problems.append(f"id {experiment.id!r}: use letters, digits, . _ - (≤ 100)")
    names = [v.name for v in experiment.variants]
    if not 2 <= len(names) <= MAX_VARIANTS:
        problems.append(f"an experiment has 2 to {MAX_VARIANTS} variants")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate variants: {', '.join(dupes)}")
    if any(not n for n in names):
        problems.append("a variant has an empty name")
    if experiment.control not in names:
        problems.append(f"control {experiment.control!r} is not one of the variants")
    total = 0.0
    for v in experiment.variants:
        if v.share is not None:
            if not 0 < v.share <= 1:
                problems.append(f"variant {v.name}: share {v.share:g} is not in (0, 1]")
            total += v.share
        if v.share is None and not v.learners and not v.classes:
            problems.append(f"variant {v.name}: give learners, classes or a share")
    if total > 1 + 1e-9:
        problems.append(f"shares add up to {total:g}, more than 1")
    for what in ("learners", "classes"):
        seen: dict[str, str] = {}
        for v in experiment.variants:
            for member in getattr(v, what):
                if member in seen and seen[member] != v.name:
                    problems.append(
                        f"{what[:-1] if what == 'learners' else 'class'} "
                        f"{member!r} is in {seen[member]} and {v.name}"
                    )
                seen[member] = v.name
    if problems:
        raise MetricError("; ".join(problems))
    return experiment


def experiment_from_dict(experiment_id: str, data: Mapping[str, Any]) -> Experiment:
    """Build and validate an experiment from plain data (JSON or YAML).

    Args:
        experiment_id: The experiment's id.
        data: ``description``, ``control`` and ``variants``: a list of
            ``{name, learners?, classes?, share?}``.

    Raises:
        MetricError: The data is malformed or the experiment is invalid.
    """
    try:
        variants = tuple(
            Variant(
                name=str(v["name"]),
                learners=tuple(str(x) for x in v.get("learners") or ()),
                classes=tuple(str(x) for x in v.get("classes") or ()),
                share=None if v.get("share") is None else float(v["share"]),
            )
            for v in data.get("variants") or ()
        )
        experiment = Experiment(
            id=experiment_id,
            description=str(data.get("description") or ""),
            control=str(data.get("control") or ""),
            variants=variants,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        msg = f"experiment {experiment_id!r} is malformed: {exc}"
        raise MetricError(msg) from exc
    return check_experiment(experiment)


def experiment_to_dict(experiment: Experiment) -> dict[str, Any]:
    """Plain data of an experiment (what ``experiment_from_dict`` reads)."""
    return {
        "id": experiment.id,
        "description": experiment.description,
        "control": experiment.control,
        "variants": [
            {
                "name": v.name,
                "learners": list(v.learners),
                "classes": list(v.classes),
                "share": v.share,
            }
            for v in experiment.variants
        ],
    }


def stored(experiment: Experiment) -> StoredExperiment:
    """The stored form of an experiment (JSON)."""
    body = json.dumps(experiment_to_dict(experiment), sort_keys=True)
    return StoredExperiment(experiment.id, body)


def loaded(row: StoredExperiment) -> Experiment:
    """An experiment from its stored form."""
    return experiment_from_dict(row.id, json.loads(row.body))


def hash_point(experiment_id: str, learner: str) -> float:
    """The learner's place in [0, 1) for the experiment's hash split."""
    digest = hashlib.sha256(f"{experiment_id}/{learner}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


class Assigner:
    """Decides learners' variants in one experiment (lookups built once)."""

    def __init__(self, experiment: Experiment) -> None:
        """Index the experiment's learners, classes and shares."""
        self.experiment = experiment
        self._learners = {x: v.name for v in experiment.variants for x in v.learners}
        self._classes = {c: v.name for v in experiment.variants for c in v.classes}
        self._shares: list[tuple[float, str]] = []
        edge = 0.0
        for v in experiment.variants:
            if v.share is not None:
                edge += v.share
                self._shares.append((edge, v.name))

    def variant(self, learner: str, klass: str = "") -> str | None:
        """The learner's variant, or None when they are out of the experiment."""
        found = self._learners.get(learner)
        if found is None and klass:
            found = self._classes.get(klass)
        if found is None and self._shares:
            point = hash_point(self.experiment.id, learner)
            found = next((n for edge, n in self._shares if point < edge), None)
        return found
