"""The program file's ``placement:`` section: checks with ``file:line`` and compile."""

from __future__ import annotations

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import PlacementIn, ProgramIn
from levelwise.app.programs.yaml_lines import Path
from levelwise.domain.program import (
    Level,
    Placement,
    PlacementItem,
    PlacementLevel,
    Program,
)


def compile_placement(
    check: Checker, spec: ProgramIn, program: Program, ladder: tuple[Level, ...]
) -> Placement | None:
    """Check the ``placement:`` section against ``program`` and compile it.

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
        program: The program compiled so far (dimensions, knowledge points).
        ladder: The compiled levels.

    Returns:
        The placement test, or None when the file has none.
    """
    p = spec.placement
    if p is None:
        return None
    root: Path = ("placement",)
    if p.se_target <= 0:
        check.issue(
            (*root, "se_target"),
            f"se_target {p.se_target:g} must be above 0",
            "a typical target is 0.3",
        )
    if p.min_items > p.max_items:
        check.issue(
            (*root, "min_items"),
            f"min_items {p.min_items} is above max_items {p.max_items}",
            "the test stops after max_items; lower min_items",
        )
    items = _items(check, p, program)
    measured = {item.dimension for item in items}
    return Placement(
        items=items,
        levels=_levels(check, p, program, ladder, measured),
        se_target=p.se_target,
        max_items=p.max_items,
        min_items=p.min_items,
        max_exposure=p.max_exposure,
    )


def _items(
    check: Checker, p: PlacementIn, program: Program
) -> tuple[PlacementItem, ...]:
    dims = {d.id: d for d in program.dimensions}
    kps = program.kp_by_id
    first: dict[str, int] = {}
    items: list[PlacementItem] = []
    for i, it in enumerate(p.items):
        path: Path = ("placement", "items", i)
        if it.id in first:
            check.issue(
                (*path, "id"),
                f"duplicate placement item id '{it.id}'",
                f"ids must be unique; first used as item #{first[it.id] + 1}",
            )
        first.setdefault(it.id, i)
        kp_ok = check.known(
            (*path, "knowledge_point"), "knowledge_point", it.knowledge_point, kps
        )
        dim_ok = check.known((*path, "dimension"), "dimension", it.dimension, dims)
        if (
            kp_ok
            and dim_ok
            and it.dimension not in dict(kps[it.knowledge_point].dimensions)
        ):
            check.issue(
                (*path, "dimension"),
                f"knowledge point '{it.knowledge_point}' does not feed "
                f"dimension '{it.dimension}'",
                "use one of its dimensions: "
                + ", ".join(d for d, _ in kps[it.knowledge_point].dimensions),
            )
        if it.a <= 0:
            check.issue(
                (*path, "a"),
                f"item '{it.id}' has discrimination a = {it.a:g}",
                "a must be above 0 (typically 0.5 to 2.5)",
            )
        if not 0 <= it.c < 0.5:
            check.issue(
                (*path, "c"),
                f"item '{it.id}' has guessing c = {it.c:g}",
                "c must be in [0, 0.5): 0 for open answers, 1/choices for MCQ",
            )
        items.append(
            PlacementItem(it.id, it.knowledge_point, it.dimension, it.a, it.b, it.c)
        )
    return tuple(items)


def _levels(
    check: Checker,
    p: PlacementIn,
    program: Program,
    ladder_levels: tuple[Level, ...],
    measured: set[str],
) -> tuple[PlacementLevel, ...]:
    ladder = {lvl.id: i for i, lvl in enumerate(ladder_levels)}
    dims = {d.id: d for d in program.dimensions}
    levels: list[PlacementLevel] = []
    last_index = -1
    below: dict[str, tuple[float, str]] = {}
    for i, lvl in enumerate(p.levels):
        path: Path = ("placement", "levels", i)
        if check.known((*path, "level"), "level", lvl.level, ladder):
            index = ladder[lvl.level]
            if index <= last_index:
                check.issue(
                    (*path, "level"),
                    f"placement level '{lvl.level}' is out of ladder order",
                    "list each starting level once, lowest first, as in levels:",
                )
            last_index = max(last_index, index)
        for dim, cut in lvl.cuts.items():
            if not check.known((*path, "cuts", dim), "dimension", dim, dims):
                continue
            if dim not in measured:
                check.issue(
                    (*path, "cuts", dim),
                    f"no placement item measures dimension '{dim}'",
                    "add items for it or remove the cut",
                )
            lower = below.get(dim)
            if lower is not None and cut <= lower[0]:
                check.issue(
                    (*path, "cuts", dim),
                    f"cut {dim}: {cut:g} of '{lvl.level}' is not above "
                    f"{lower[0]:g} of '{lower[1]}'",
                    "cuts must increase level over level",
                )
            below[dim] = (cut, lvl.level)
        levels.append(PlacementLevel(lvl.level, tuple(sorted(lvl.cuts.items()))))
    return tuple(levels)
