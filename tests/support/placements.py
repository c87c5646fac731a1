"""A placement item bank for tests, and programs that carry it."""

from __future__ import annotations

import numpy as np

from levelwise.domain.program import Placement, PlacementItem, PlacementLevel
from tests.support.factories import SMALL_PROGRAM

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


def placement_yaml(placement: Placement = PLACEMENT) -> str:
    """The program file's ``placement:`` section for ``placement``."""
    exposure = "null" if placement.max_exposure is None else placement.max_exposure
    lines = [
        "placement:",
        f"  se_target: {placement.se_target!r}",
        f"  max_items: {placement.max_items}",
        f"  min_items: {placement.min_items}",
        f"  max_exposure: {exposure}",
        "  levels:",
    ]
    for level in placement.levels:
        cuts = ", ".join(f"{dim}: {theta!r}" for dim, theta in level.cuts)
        lines.append(f"    - {{level: {level.level}, cuts: {{{cuts}}}}}")
    lines.append("  items:")
    for item in placement.items:
        lines.append(
            f"    - {{id: {item.id}, knowledge_point: {item.knowledge_point}, "
            f"dimension: {item.dimension}, "
            f"a: {item.a!r}, b: {item.b!r}, c: {item.c!r}}}"
        )
    return "\n".join(lines) + "\n"


def with_placement(
    placement: Placement = PLACEMENT, source: str = SMALL_PROGRAM
) -> str:
    """``source`` (the small test program) with a placement test."""
    return source + placement_yaml(placement)


def p_correct(item: PlacementItem, theta: float) -> float:
    """The 3PL probability that an examinee at ``theta`` answers ``item`` right."""
    return item.c + (1 - item.c) / (1 + float(np.exp(-item.a * (theta - item.b))))


SMALL_PLACEMENT = """\
placement:
  levels:
    - {level: a1, cuts: {vocabulary: -0.5, speaking: -0.7}}
    - {level: a2, cuts: {vocabulary: 0.3, speaking: 0.2}}
  items:
    - {id: v1, knowledge_point: greetings, dimension: vocabulary, a: 1.2, b: -1, c: 0.2}
    - {id: v2, knowledge_point: numbers, dimension: vocabulary, a: 0.9, b: 0.5}
    - {id: s1, knowledge_point: greetings, dimension: speaking, a: 1.0, b: 0.0}
"""
"""A three-item placement section for the small program (default settings)."""
