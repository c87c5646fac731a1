"""The growth tree: a learner's state drawn as an inline SVG.

The tree is a pure function of what it is given, so the same learner always
gets the same picture: a trunk that grows taller and thicker with every level
reached, one branch per ability dimension (longer and thicker as the ability
grows, a bare stub until the learner has answered on it) with its name written
beside it, one leaf per completed unit on the branch of the unit's first
dimension (units without a dimension sit on the trunk), a blossom for every
:data:`FLOWER_UNITS` completed units and, drawn as an open bud, the next one.
Text (title, description, labels) arrives translated; this module only
escapes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH = 360
HEIGHT = 340
GROUND = 322.0
CENTRE = WIDTH / 2
FLOWER_UNITS = 3
"""Completed units per blossom."""
LABEL_SIZE = 13.0
"""Branch names' font size (viewBox units: about 11 px on a 390 px phone)."""
LEAF_COLOURS = ("#5b9a68", "#7aa95c", "#4d8a7d", "#93b05a", "#6c9c4a", "#3f7f5f")
"""Leaf greens, one per branch in turn (the shapes carry the meaning)."""


@dataclass(frozen=True)
class Branch:
    """One ability dimension.

    Attributes:
        id: The dimension's id.
        label: Its title as the school wrote it.
        value: The learner's ability on it, read on a 0..1 scale (clamped).
    """

    id: str
    label: str
    value: float


@dataclass(frozen=True)
class Leaf:
    """One completed unit.

    Attributes:
        unit: The unit's id.
        label: Its title as the school wrote it.
        dimension: The branch it grows on; None: on the trunk.
    """

    unit: str
    label: str
    dimension: str | None


@dataclass(frozen=True)
class TreeShape:
    """Everything the tree is drawn from.

    Attributes:
        branches: The program's dimensions with the learner's values.
        leaves: The learner's completed units.
        blossoms: Blossoms open (one per :data:`FLOWER_UNITS` units).
        level: Levels reached above the first (the tree's size).
        bud: Draw the next blossom as a bud (False: none is coming).
    """

    branches: tuple[Branch, ...]
    leaves: tuple[Leaf, ...]
    blossoms: int
    level: int = 0
    bud: bool = False


def flowers(units: int) -> tuple[int, int]:
    """Blossoms for ``units`` completed units, and units to the next one."""
    done = max(units, 0)
    return done // FLOWER_UNITS, FLOWER_UNITS - done % FLOWER_UNITS


@dataclass(frozen=True)
class _Stem:
    start: tuple[float, float]
    control: tuple[float, float]
    end: tuple[float, float]
    angle: float

    def at(self, t: float) -> tuple[float, float]:
        """The point at ``t`` (0..1) along the quadratic curve."""
        u = 1 - t
        x = u * u * self.start[0] + 2 * u * t * self.control[0] + t * t * self.end[0]
        y = u * u * self.start[1] + 2 * u * t * self.control[1] + t * t * self.end[1]
        return x, y


def _f(value: float) -> str:
    return f"{value:.1f}"


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def trunk_height(level: int) -> float:
    """How tall the trunk is after ``level`` levels (it stops at six)."""
    return 70.0 + 22.0 * min(max(level, 0), 6)


def _reach(level: int) -> float:
    """How far branches reach at ``level``: a sapling's are short."""
    return 0.6 + 0.1 * min(max(level, 0), 5)


def _stems(shape: TreeShape, height: float) -> list[_Stem]:
    count = len(shape.branches)
    stems = []
    for index, branch in enumerate(shape.branches):
        spread = 0.0 if count == 1 else -62 + 124 * index / (count - 1)
        # Outer branches leave the trunk lower, as on a real crown.
        rise = 0.5 + 0.42 * (1 - abs(spread) / 62)
        start = (CENTRE, GROUND - height * rise)
        length = (34 + 86 * _clamp(branch.value)) * _reach(shape.level)
        # Room above the branch for its name.
        length = min(
            length, (start[1] - 2.4 * LABEL_SIZE) / math.cos(math.radians(spread))
        )
        rad = math.radians(spread)
        end = (start[0] + length * math.sin(rad), start[1] - length * math.cos(rad))
        bend = math.radians(spread * 0.6)
        control = (
            start[0] + 0.5 * length * math.sin(bend),
            start[1] - 0.55 * length * math.cos(bend),
        )
        stems.append(_Stem(start, control, end, spread))
    return stems


def _leaf(x: float, y: float, angle: float, colour: str, leaf: Leaf) -> str:
    return (
        f'<path class="tree-leaf" data-unit="{escape(leaf.unit)}" '
        f'd="M0 0 Q6 -6 13 0 Q6 6 0 0Z" fill="{colour}" '
        f'transform="translate({_f(x)} {_f(y)}) rotate({_f(angle)})">'
        f"<title>{escape(leaf.label)}</title></path>"
    )


def _branch_leaves(stem: _Stem, group: list[Leaf], colour: str) -> list[str]:
    """Leaves along a branch: in rows beside it once one row is full."""
    (sx, sy), (ex, ey) = stem.start, stem.end
    length = math.hypot(ex - sx, ey - sy)
    per_row = max(4, int(length / 11))
    normal = math.radians(stem.angle)
    nx, ny = math.cos(normal), math.sin(normal)
    parts = []
    for j, leaf in enumerate(group):
        row, place = divmod(j, per_row)
        in_row = min(per_row, len(group) - row * per_row)
        x, y = stem.at(0.25 + 0.75 * (place + 1) / (in_row + 1))
        # Rows alternate sides of the branch and move outwards: 0, +9, -9, +18...
        shift = 9.0 * ((row + 1) // 2) * (1 if row % 2 else -1)
        side = 55 if (j + row) % 2 else -55
        parts.append(
            _leaf(x + shift * nx, y + shift * ny, stem.angle - 90 + side, colour, leaf)
        )
    return parts


def _leaves(shape: TreeShape, stems: list[_Stem], height: float) -> list[str]:
    by_branch: dict[str | None, list[Leaf]] = {}
    known = {b.id for b in shape.branches}
    for leaf in shape.leaves:
        key = leaf.dimension if leaf.dimension in known else None
        by_branch.setdefault(key, []).append(leaf)
    parts = []
    for index, (branch, stem) in enumerate(zip(shape.branches, stems, strict=True)):
        group = by_branch.get(branch.id, [])
        colour = LEAF_COLOURS[index % len(LEAF_COLOURS)]
        parts.extend(_branch_leaves(stem, group, colour))
    trunk = by_branch.get(None, [])
    for j, leaf in enumerate(trunk):
        y = GROUND - height * (0.12 + 0.7 * (j + 1) / (len(trunk) + 1))
        left = j % 2 == 0
        x = CENTRE - 5 if left else CENTRE + 5
        parts.append(_leaf(x, y, 200 if left else -20, "#6f9a55", leaf))
    return parts


def _blossom_points(
    stems: list[_Stem], count: int, height: float
) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    ring = 0
    while len(points) < count:
        if stems:
            for stem in stems:
                points.append(stem.at(max(0.35, 1.0 - 0.22 * ring)))
        else:
            angle = math.radians(40 * ring)
            points.append(
                (CENTRE + 16 * math.sin(angle), GROUND - height - 8 * math.cos(angle))
            )
        ring += 1
    return points[:count]


def _blossom(x: float, y: float, number: int) -> str:
    petals = "".join(
        f'<circle cx="{_f(x + 4.2 * math.cos(math.radians(72 * k - 90)))}" '
        f'cy="{_f(y + 4.2 * math.sin(math.radians(72 * k - 90)))}" r="3.4"/>'
        for k in range(5)
    )
    return (
        f'<g class="tree-blossom" data-number="{number}" fill="#e8a0b4">{petals}'
        f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2.4" fill="#f4d06f"/></g>'
    )


def _bud(x: float, y: float) -> str:
    """The next blossom: an open outline that the next units fill in."""
    return (
        f'<circle class="tree-bud" cx="{_f(x)}" cy="{_f(y)}" r="6.5" fill="#fff" '
        'stroke="#d9718f" stroke-width="1.6" stroke-dasharray="3 2"/>'
    )


def _label(stem: _Stem, text: str, dimension: str) -> str:
    """A branch's name beside its tip, kept inside the picture."""
    (sx, _), (ex, ey) = stem.start, stem.end
    # CJK characters are about a square wide, Latin ones a little over half.
    wide = sum(1.0 if ord(c) > 0x2E80 else 0.58 for c in text) * LABEL_SIZE
    side = 0.0 if abs(ex - sx) < 8 else math.copysign(1.0, ex - sx)
    x = ex + side * (wide / 2 - 6)
    x = min(max(x, wide / 2 + 2), WIDTH - wide / 2 - 2)
    y = ey - 9
    return (
        f'<text class="tree-label" data-dimension="{escape(dimension)}" '
        f'x="{_f(x)}" y="{_f(y)}" text-anchor="middle" font-size="{LABEL_SIZE:g}" '
        'font-family="system-ui, sans-serif" fill="#34472f" stroke="#fff" '
        'stroke-width="3" paint-order="stroke" stroke-linejoin="round">'
        f"{escape(text)}</text>"
    )


def _trunk(height: float, level: int) -> str:
    base = 12 + 3 * min(max(level, 0), 6)
    top = GROUND - height
    x = CENTRE
    d = (
        f"M{_f(x - base / 2)} {_f(GROUND)} "
        f"C{_f(x - base / 4)} {_f(GROUND - height * 0.5)} {_f(x - 3)} "
        f"{_f(GROUND - height * 0.75)} {_f(x - 3)} {_f(top)} "
        f"L{_f(x + 3)} {_f(top)} "
        f"C{_f(x + 3)} {_f(GROUND - height * 0.75)} {_f(x + base / 4)} "
        f"{_f(GROUND - height * 0.5)} {_f(x + base / 2)} {_f(GROUND)}Z"
    )
    return f'<path class="tree-trunk" d="{d}" fill="#8a6a4f"/>'


def tree_svg(shape: TreeShape, *, title: str, desc: str, label: str) -> str:
    """The growth tree as an inline, accessible SVG element.

    Args:
        shape: What to draw.
        title: The picture's short name (``<title>``).
        desc: A sentence describing it (``<desc>``).
        label: The accessible name with the counts (``aria-label``).

    Returns:
        The ``<svg>`` markup; every text in it is escaped.
    """
    height = trunk_height(shape.level)
    stems = _stems(shape, height)
    branches = []
    for branch, stem in zip(shape.branches, stems, strict=True):
        width = 3 + 6 * _clamp(branch.value)
        (sx, sy), (cx, cy), (ex, ey) = stem.start, stem.control, stem.end
        branches.append(
            f'<path class="tree-branch" data-dimension="{escape(branch.id)}" '
            f'd="M{_f(sx)} {_f(sy)} Q{_f(cx)} {_f(cy)} {_f(ex)} {_f(ey)}" '
            f'stroke="#8a6a4f" stroke-width="{_f(width)}" stroke-linecap="round" '
            f'fill="none"><title>{escape(branch.label)}</title></path>'
        )
    leaves = _leaves(shape, stems, height)
    points = _blossom_points(stems, shape.blossoms + 1, height)
    blossoms = [_blossom(x, y, n + 1) for n, (x, y) in enumerate(points[:-1])]
    bud = _bud(*points[-1]) if shape.bud else ""
    names = [
        _label(stem, branch.label, branch.id)
        for branch, stem in zip(shape.branches, stems, strict=True)
    ]
    return (
        f'<svg class="growth-tree" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        f'data-branches="{len(branches)}" data-leaves="{len(leaves)}" '
        f'data-blossoms="{len(blossoms)}" data-level="{shape.level}" '
        f'data-height="{_f(height)}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        f'<ellipse cx="{CENTRE}" cy="{GROUND + 4}" rx="120" ry="10" fill="#e3ecd9"/>'
        + _trunk(height, shape.level)
        + "".join(branches)
        + "".join(leaves)
        + "".join(blossoms)
        + bud
        + "".join(names)
        + "</svg>"
    )
