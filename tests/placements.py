"""A placement item bank for tests, and a way to give programs that test."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from levelwise.app import services
from levelwise.domain.program import Placement, PlacementItem, PlacementLevel

DIMENSIONS = ("vocabulary", "speaking")


def bank(per_dimension: int = 30) -> tuple[PlacementItem, ...]:
    """Items on both dimensions of the small program, easy to hard."""
    return tuple(
        PlacementItem(
            id=f"{dim[:3]}-{k:02d}",
            knowledge_point="greetings",
            dimension=dim,
            a=1.2 + 0.8 * (k % 3) / 2,
            b=float(b),
        )
        for dim in DIMENSIONS
        for k, b in enumerate(np.linspace(-2.5, 2.5, per_dimension))
    )


PLACEMENT = Placement(
    items=bank(),
    levels=(
        PlacementLevel("a1", (("vocabulary", -0.5), ("speaking", -0.5))),
        PlacementLevel("a2", (("vocabulary", 0.5), ("speaking", 0.5))),
    ),
    se_target=0.45,
    max_items=30,
    min_items=4,
    max_exposure=None,
)


def give_placement(
    monkeypatch: pytest.MonkeyPatch, placement: Placement = PLACEMENT
) -> None:
    """Make every program the engine loads carry ``placement``.

    The program file's ``placement:`` section is parsed elsewhere; these tests
    set the compiled program's field directly.
    """
    load = services.load_program

    def with_placement(*args: str) -> services.Program:
        return replace(load(*args), placement=placement)

    monkeypatch.setattr(services, "load_program", with_placement)


def p_correct(item: PlacementItem, theta: float) -> float:
    """The 3PL probability that an examinee at ``theta`` answers ``item`` right."""
    return item.c + (1 - item.c) / (1 + float(np.exp(-item.a * (theta - item.b))))
