"""Repair prerequisite graphs into DAGs, deterministically, and order them.

Real prerequisite data is rarely a clean DAG: an exercise lists itself, or a
later edit makes two skills each other's prerequisite. Planners and the
program loader need a DAG, so :func:`break_cycles` removes as few edges as a
simple rule allows and says which, and why.

An edge is ``(prerequisite, dependent)``: arrows point from what must come
first to what builds on it, and a cycle is shown the same way
(``cycle a -> b -> c -> a``: ``a`` is a prerequisite of ``b``, ``b`` of ``c``
and ``c`` of ``a``).

The rule (the result depends only on the *sets* of nodes and edges, never on
their order; duplicate edges count once):

1. Every self-loop ``(a, a)`` is removed (reason ``self-loop``).
2. Then, while the graph has a strongly connected component of more than one
   node, for each such component in order of its smallest node:

   a. find one cycle: a depth-first search inside the component, from its
      lexicographically smallest node, visiting successors in sorted order,
      stops at the first back edge ``u -> v``; the cycle is the search path
      from ``v`` to ``u`` closed by that edge (equivalently: from the smallest
      node, always step to the smallest successor in the component until a
      node repeats);
   b. remove the edge of that cycle whose dependent has the most
      prerequisites in the current graph, ties broken by the lexicographically
      smallest ``(prerequisite, dependent)`` pair. A cyclic link is most often
      one extra entry on a long prerequisite list, and the dependent with the
      longest list keeps the most of its context once it is cut.

   Components are recomputed after each round, since one removal may leave
   other cycles in a component.

Strongly connected components are found with an iterative Tarjan search
(no recursion, so large graphs are fine). :func:`topological_order` is Kahn's
algorithm, always taking the smallest ready node; :func:`longest_chain` finds
a longest prerequisite chain of a DAG.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from levelwise.errors import GraphCycleError

Edge = tuple[str, str]
"""``(prerequisite, dependent)``."""

__all__ = [
    "Edge",
    "GraphCycleError",
    "GraphRepair",
    "RemovedEdge",
    "break_cycles",
    "longest_chain",
    "strongly_connected",
    "topological_order",
]


@dataclass(frozen=True)
class RemovedEdge:
    """An edge removed to make the graph a DAG.

    Attributes:
        edge: ``(prerequisite, dependent)``.
        reason: ``self-loop`` or ``cycle a -> b -> ... -> a``.
    """

    edge: Edge
    reason: str


@dataclass(frozen=True)
class GraphRepair:
    """What :func:`break_cycles` kept and removed.

    Attributes:
        nodes: Every node (given or named by an edge), sorted.
        kept: The DAG's edges, sorted.
        removed: The removed edges with their reasons: self-loops first (sorted),
            then cycle edges in the order they were removed.
        cycles: Each cycle that was broken, as its nodes in cycle order,
            starting from its smallest node (the edge back to it is implied).
    """

    nodes: tuple[str, ...]
    kept: tuple[Edge, ...]
    removed: tuple[RemovedEdge, ...]
    cycles: tuple[tuple[str, ...], ...]

    @property
    def self_loops(self) -> int:
        """How many self-loops were removed."""
        return sum(1 for r in self.removed if r.reason == "self-loop")


def _adjacency(nodes: Iterable[str], edges: Iterable[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    for before, after in edges:
        graph.setdefault(before, set()).add(after)
        graph.setdefault(after, set())
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan).

    Args:
        graph: Successors of each node; every successor must be a key.

    Returns:
        Every component as its sorted nodes, components sorted by their
        smallest node.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    succ = {node: sorted(graph[node]) for node in graph}
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work[-1]
            children = succ[node]
            if i < len(children):
                work[-1] = (node, i + 1)
                child = children[i]
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    found.sort(key=lambda c: c[0])
    return found


def _find_cycle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """Walk from the smallest member along smallest successors until a repeat.

    This is the depth-first search of the rule stopped at its first back edge:
    inside a strongly connected component every node has a successor in it,
    so the search never backtracks before it closes a cycle.
    """
    inside = set(members)
    path = [members[0]]
    at = {members[0]: 0}
    while True:
        step = min(c for c in graph[path[-1]] if c in inside)
        if step in at:
            return path[at[step] :]
        at[step] = len(path)
        path.append(step)


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    at = cycle.index(min(cycle))
    return tuple(cycle[at:] + cycle[:at])


def break_cycles(nodes: Iterable[str], edges: Iterable[Edge]) -> GraphRepair:
    """Remove self-loops and cycle edges by the module's documented rule.

    Args:
        nodes: The graph's nodes (nodes named only by an edge are added).
        edges: ``(prerequisite, dependent)`` pairs, in any order, repeats allowed.

    Returns:
        The repaired DAG and the receipts of every removal.
    """
    graph = _adjacency(nodes, edges)
    removed = [
        RemovedEdge((node, node), "self-loop")
        for node in sorted(graph)
        if node in graph[node]
    ]
    for r in removed:
        graph[r.edge[0]].discard(r.edge[1])
    indegree = dict.fromkeys(graph, 0)
    for succ in graph.values():
        for child in succ:
            indegree[child] += 1
    cycles: list[tuple[str, ...]] = []
    while True:
        knots = [c for c in strongly_connected(graph) if len(c) > 1]
        if not knots:
            break
        for members in knots:
            cycle = _find_cycle(graph, members)
            ring = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
            cut = min(ring, key=lambda e: (-indegree[e[1]], e))
            graph[cut[0]].discard(cut[1])
            indegree[cut[1]] -= 1
            shown = _canonical(cycle)
            cycles.append(shown)
            reason = "cycle " + " -> ".join([*shown, shown[0]])
            removed.append(RemovedEdge(cut, reason))
    kept = sorted((a, b) for a, succ in graph.items() for b in succ)
    return GraphRepair(tuple(sorted(graph)), tuple(kept), tuple(removed), tuple(cycles))


def topological_order(nodes: Iterable[str], edges: Iterable[Edge]) -> tuple[str, ...]:
    """Every node after all its prerequisites; the smallest ready node first.

    Args:
        nodes: The graph's nodes (nodes named only by an edge are added).
        edges: ``(prerequisite, dependent)`` pairs of a DAG.

    Returns:
        The nodes in topological order (Kahn's algorithm with a heap, so the
        order is unique for a given graph).

    Raises:
        GraphCycleError: The graph has a cycle (self-loops included).
    """
    graph = _adjacency(nodes, edges)
    indegree = dict.fromkeys(graph, 0)
    for succ in graph.values():
        for child in succ:
            indegree[child] += 1
    ready = [node for node, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child in graph[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, child)
    if len(order) < len(graph):
        done = set(order)
        raise GraphCycleError(tuple(sorted(n for n in graph if n not in done)))
    return tuple(order)


def longest_chain(nodes: Iterable[str], edges: Iterable[Edge]) -> tuple[str, ...]:
    """A longest prerequisite chain of a DAG (its length in edges is ``len - 1``).

    Args:
        nodes: The graph's nodes.
        edges: ``(prerequisite, dependent)`` pairs of a DAG.

    Returns:
        The chain's nodes, first prerequisite first; among chains of equal
        length, the one met first in topological order with the smallest
        predecessors. Empty for an empty graph.

    Raises:
        GraphCycleError: The graph has a cycle.
    """
    edge_list = list(edges)
    order = topological_order(nodes, edge_list)
    preds: dict[str, list[str]] = {node: [] for node in order}
    for before, after in edge_list:
        preds[after].append(before)
    depth: dict[str, int] = {}
    best_pred: dict[str, str | None] = {}
    for node in order:
        best: str | None = None
        for p in sorted(preds[node]):
            if best is None or depth[p] > depth[best]:
                best = p
        depth[node] = 0 if best is None else depth[best] + 1
        best_pred[node] = best
    if not order:
        return ()
    end = max(order, key=lambda n: depth[n])
    chain = [end]
    step = best_pred[end]
    while step is not None:
        chain.append(step)
        step = best_pred[step]
    return tuple(reversed(chain))
