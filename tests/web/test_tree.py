"""The growth tree: deterministic, growing with units and levels, accessible."""

from __future__ import annotations

import re

import pytest

from levelwise.web.tree import (
    FLOWER_UNITS,
    Branch,
    Leaf,
    TreeShape,
    flowers,
    tree_svg,
    trunk_height,
)

BRANCHES = (Branch("vocabulary", "Vocabulary", 0.4), Branch("grammar", "Grammar", 0.2))


def draw(
    leaves: int = 0, blossoms: int = 0, branches=BRANCHES, level: int = 0, bud=False
) -> str:
    units = tuple(
        Leaf(f"u{i}", f"Unit {i}", ("vocabulary", "grammar", None)[i % 3])
        for i in range(leaves)
    )
    shape = TreeShape(branches, units, blossoms, level, bud)
    return tree_svg(shape, title="Growth tree", desc="A tree.", label="2 branches")


def count(svg: str, cls: str) -> int:
    return len(re.findall(f'class="{cls}"', svg))


def test_the_same_state_draws_the_same_tree():
    assert draw(5, 2) == draw(5, 2)


@pytest.mark.parametrize(("fewer", "more"), [(0, 1), (1, 4), (4, 12)])
def test_more_completed_units_grow_more_leaves(fewer, more):
    small, big = draw(leaves=fewer), draw(leaves=more)

    assert count(small, "tree-leaf") == fewer
    assert count(big, "tree-leaf") == more
    assert f'data-leaves="{more}"' in big


@pytest.mark.parametrize(("lower", "higher"), [(0, 1), (1, 3), (3, 9)])
def test_more_blossoms_are_drawn_as_asked(lower, higher):
    low, high = draw(blossoms=lower), draw(blossoms=higher)

    assert count(low, "tree-blossom") == lower
    assert count(high, "tree-blossom") == higher


@pytest.mark.parametrize(("lower", "higher"), [(0, 1), (1, 3), (3, 6)])
def test_a_higher_level_has_a_taller_trunk(lower, higher):
    low, high = draw(level=lower), draw(level=higher)

    assert trunk_height(higher) > trunk_height(lower)
    assert f'data-height="{trunk_height(higher):.1f}"' in high
    assert f'data-height="{trunk_height(lower):.1f}"' in low


@pytest.mark.parametrize(
    ("units", "blossoms", "to_go"),
    [
        # No unit yet: no blossom, the first after FLOWER_UNITS units.
        (0, 0, FLOWER_UNITS),
        (1, 0, FLOWER_UNITS - 1),
        # A full set opens a blossom and starts the next.
        (FLOWER_UNITS, 1, FLOWER_UNITS),
        (2 * FLOWER_UNITS + 1, 2, FLOWER_UNITS - 1),
    ],
    ids=["none", "one", "full", "two-and-one"],
)
def test_blossoms_come_with_completed_units(units, blossoms, to_go):
    assert flowers(units) == (blossoms, to_go)


def test_a_beginner_and_an_advanced_learner_look_different():
    weak = tuple(Branch(b.id, b.label, 0.0) for b in BRANCHES)
    strong = tuple(Branch(b.id, b.label, 0.8) for b in BRANCHES)
    beginner = draw(leaves=1, blossoms=flowers(1)[0], branches=weak, level=0)
    advanced = draw(leaves=40, blossoms=flowers(40)[0], branches=strong, level=4)

    assert count(beginner, "tree-blossom") == 0
    assert count(advanced, "tree-blossom") == 40 // FLOWER_UNITS
    height = re.compile(r'data-height="([\d.]+)"')
    tall = float(height.search(advanced).group(1))  # type: ignore[union-attr]
    short = float(height.search(beginner).group(1))  # type: ignore[union-attr]
    assert tall > 1.8 * short


def test_branches_carry_visible_names_and_the_next_blossom_is_a_bud():
    svg = draw(leaves=2, bud=True)

    labels = re.findall(
        r'<text class="tree-label" data-dimension="(\w+)"[^>]*>([^<]+)<', svg
    )
    assert labels == [("vocabulary", "Vocabulary"), ("grammar", "Grammar")]
    assert count(svg, "tree-bud") == 1
    assert count(draw(leaves=2), "tree-bud") == 0


def test_branch_names_stay_inside_the_picture():
    long = (
        Branch("a", "A very long ability name", 1.0),
        Branch("b", "语音语调很长的名字", 1.0),
    )
    svg = draw(branches=long, level=6)

    for x in re.findall(r'<text class="tree-label"[^>]* x="([\d.]+)"', svg):
        assert 0 < float(x) < 360


def branch_end(svg: str, dimension: str) -> tuple[float, float, float, float]:
    d = re.search(f'data-dimension="{dimension}" d="([^"]+)"', svg)
    assert d is not None
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+", d.group(1))]
    return numbers[0], numbers[1], numbers[-2], numbers[-1]


def test_a_stronger_ability_draws_a_longer_thicker_branch():
    weak = draw(branches=(Branch("v", "V", 0.1),))
    strong = draw(branches=(Branch("v", "V", 0.9),))

    def length(svg: str) -> float:
        x0, y0, x1, y1 = branch_end(svg, "v")
        return ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5

    def width(svg: str) -> float:
        found = re.search(r'stroke-width="([\d.]+)"', svg)
        assert found is not None
        return float(found.group(1))

    assert length(strong) > length(weak)
    assert width(strong) > width(weak)


def test_leaves_grow_on_their_dimension_or_the_trunk():
    svg = draw(leaves=3)
    # u0 is on vocabulary, u1 on grammar, u2 has no dimension (the trunk).
    assert 'data-unit="u2"' in svg
    assert count(svg, "tree-leaf") == 3


def test_an_unknown_dimension_puts_the_leaf_on_the_trunk():
    shape = TreeShape(BRANCHES, (Leaf("x", "X", "nowhere"),), 0)

    assert count(tree_svg(shape, title="t", desc="d", label="l"), "tree-leaf") == 1


def test_a_program_without_dimensions_still_draws_blossoms():
    svg = draw(blossoms=3, branches=())

    assert count(svg, "tree-blossom") == 3
    assert 'data-branches="0"' in svg


def test_odd_values_are_clamped():
    svg = draw(branches=(Branch("a", "A", float("nan")), Branch("b", "B", 7.0)))

    assert 'data-branches="2"' in svg


def test_the_tree_is_accessible_and_escaped():
    shape = TreeShape((Branch("v", "<b>", 0.5),), (Leaf("u", "a & b", "v"),), 1)
    assert "&lt;b&gt;</text>" in tree_svg(shape, title="t", desc="d", label="l")
    svg = tree_svg(shape, title="Tree <1>", desc="d & e", label='1 "leaf"')

    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-label="1 &quot;leaf&quot;"' in svg
    assert "<title>Tree &lt;1&gt;</title>" in svg
    assert "<desc>d &amp; e</desc>" in svg
    assert "<title>a &amp; b</title>" in svg
    assert "<b>" not in svg
