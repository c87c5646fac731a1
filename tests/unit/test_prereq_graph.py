"""Prerequisite graph repair: self-loops, cycles, order independence, orders."""

from __future__ import annotations

import random

import pytest

from levelwise.app.modelling.prereq_graph import (
    RemovedEdge,
    break_cycles,
    longest_chain,
    strongly_connected,
    topological_order,
)
from levelwise.errors import GraphCycleError, LevelwiseError

# The Junyi radicals knot: simplifying_radicals also lists three other points,
# so its incoming cycle edge is the one cut.
KNOT = [
    ("add_radicals", "mul_radicals"),
    ("mul_radicals", "simplify_radicals"),
    ("simplify_radicals", "add_radicals"),
    ("square_roots", "simplify_radicals"),
    ("root_types", "simplify_radicals"),
    ("add_radicals", "radical_equations"),
]

# Two cycles sharing the edge c -> a: a -> b -> c -> a and a -> d -> c -> a.
OVERLAP = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "c"), ("c", "e")]


def is_dag(nodes, edges) -> bool:
    try:
        topological_order(nodes, edges)
    except GraphCycleError:
        return False
    return True


def test_self_loops_are_removed_and_reported():
    repair = break_cycles(["a", "b", "c"], [("b", "b"), ("a", "b"), ("a", "a")])
    assert repair.removed == (
        RemovedEdge(("a", "a"), "self-loop"),
        RemovedEdge(("b", "b"), "self-loop"),
    )
    assert repair.kept == (("a", "b"),)
    assert repair.cycles == ()
    assert repair.self_loops == 2
    assert repair.nodes == ("a", "b", "c")


def test_a_three_cycle_loses_the_edge_into_the_point_with_most_prerequisites():
    nodes = sorted({n for e in KNOT for n in e})
    repair = break_cycles(nodes, KNOT)
    assert repair.removed == (
        RemovedEdge(
            ("mul_radicals", "simplify_radicals"),
            "cycle add_radicals -> mul_radicals -> simplify_radicals -> add_radicals",
        ),
    )
    assert repair.cycles == (("add_radicals", "mul_radicals", "simplify_radicals"),)
    assert len(repair.kept) == len(KNOT) - 1
    assert is_dag(repair.nodes, repair.kept)
    assert repair.self_loops == 0


def test_ties_on_prerequisites_cut_the_smallest_edge():
    repair = break_cycles([], [("x", "y"), ("y", "z"), ("z", "x")])
    assert [r.edge for r in repair.removed] == [("x", "y")]
    assert repair.removed[0].reason == "cycle x -> y -> z -> x"
    assert repair.nodes == ("x", "y", "z")


def test_two_overlapping_cycles_are_both_broken():
    repair = break_cycles([], OVERLAP)
    assert is_dag(repair.nodes, repair.kept)
    # The first cycle found is a -> b -> c -> a; c has two prerequisites (b, d),
    # so b -> c goes. The second round finds a -> d -> c -> a, where every
    # point now has one prerequisite: the smallest edge, a -> d, goes.
    assert [r.edge for r in repair.removed] == [("b", "c"), ("a", "d")]
    assert repair.cycles == (("a", "b", "c"), ("a", "d", "c"))
    assert set(repair.kept) | {r.edge for r in repair.removed} == set(OVERLAP)


def test_separate_knots_are_each_broken_in_one_round():
    edges = [("p", "q"), ("q", "p"), ("b", "a"), ("a", "b"), ("q", "a")]
    repair = break_cycles([], edges)
    # a has two prerequisites (b, q); in p <-> q both have one: smallest edge.
    assert [r.edge for r in repair.removed] == [("b", "a"), ("p", "q")]
    assert is_dag(repair.nodes, repair.kept)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_the_result_does_not_depend_on_input_order(seed):
    rng = random.Random(seed)
    edges = [*KNOT, *OVERLAP, ("e", "e"), ("square_roots", "e"), ("e", "root_types")]
    edges += [("a", "b")]  # a repeated edge counts once
    nodes = sorted({n for e in edges for n in e} | {"lonely"})
    expected = break_cycles(nodes, edges)
    shuffled_edges = edges[:]
    shuffled_nodes = nodes[:]
    rng.shuffle(shuffled_edges)
    rng.shuffle(shuffled_nodes)
    assert break_cycles(shuffled_nodes, shuffled_edges) == expected
    assert topological_order(shuffled_nodes, expected.kept[::-1]) == (
        topological_order(nodes, expected.kept)
    )


def test_a_random_graph_becomes_a_dag_keeping_every_acyclic_edge():
    rng = random.Random(42)
    nodes = [f"n{i:03d}" for i in range(300)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(900)]
    repair = break_cycles(nodes, edges)
    assert is_dag(repair.nodes, repair.kept)
    assert list(repair.kept) == sorted(set(repair.kept))
    assert set(repair.kept) | {r.edge for r in repair.removed} == set(edges)
    for r in repair.removed:
        if r.reason != "self-loop":
            a, b = r.edge
            cycle = r.reason.removeprefix("cycle ").split(" -> ")
            assert f"{a} -> {b}" in " -> ".join(cycle)


def test_topological_order_respects_every_kept_edge():
    repair = break_cycles([], [*KNOT, *OVERLAP])
    order = topological_order(repair.nodes, repair.kept)
    position = {node: i for i, node in enumerate(order)}
    assert sorted(order) == list(repair.nodes)
    for before, after in repair.kept:
        assert position[before] < position[after]


def test_topological_order_takes_the_smallest_ready_node_first():
    assert topological_order(["d", "c"], [("b", "a"), ("c", "a")]) == (
        "b",
        "c",
        "a",
        "d",
    )


def test_topological_order_rejects_a_cycle():
    with pytest.raises(GraphCycleError) as info:
        topological_order(["z"], [("a", "b"), ("b", "a"), ("b", "c")])
    assert isinstance(info.value, LevelwiseError)
    assert info.value.nodes == ("a", "b", "c")
    assert "3 nodes cannot be ordered (a, b, c)" in str(info.value)
    many = [(f"m{i}", f"m{(i + 1) % 7}") for i in range(7)]
    with pytest.raises(GraphCycleError, match=r"\(m0, m1, m2, m3, m4, \.\.\.\)"):
        topological_order([], many)
    with pytest.raises(GraphCycleError):
        topological_order([], [("s", "s")])


def test_longest_chain():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("x", "d"), ("y", "z")]
    assert longest_chain([], edges) == ("a", "b", "c", "d")
    assert longest_chain(["solo"], []) == ("solo",)
    assert longest_chain([], []) == ()
    # equal depths: the smallest predecessor wins
    assert longest_chain([], [("q", "r"), ("p", "r")]) == ("p", "r")


def test_strongly_connected_components():
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": set(), "d": {"d"}}
    assert strongly_connected(graph) == [["a", "b"], ["c"], ["d"]]


def test_a_long_chain_needs_no_recursion():
    nodes = [f"k{i:05d}" for i in range(5000)]
    edges = list(zip(nodes, nodes[1:], strict=False)) + [(nodes[-1], nodes[0])]
    repair = break_cycles(nodes, edges)
    assert len(repair.removed) == 1
    assert len(longest_chain(repair.nodes, repair.kept)) == 5000
