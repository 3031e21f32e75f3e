"""Graph helpers shared by plugin ordering and pipeline planning: one tie-broken
topological order and one cycle finder, so plugins and stages are ordered by the same rule."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

__all__ = ["find_cycles", "topological_order"]

_Node = TypeVar("_Node", bound=Hashable)


def topological_order(
    requires: Mapping[_Node, Sequence[_Node]],
    rank: Mapping[_Node, Any],
    dependents: Mapping[_Node, Sequence[_Node]] | None = None,
) -> tuple[list[_Node], dict[_Node, int]]:
    """Kahn's algorithm: requirements first; among ready nodes, the lowest ``rank`` first.

    ``requires`` maps each node to the nodes it waits for (edges to nodes outside the mapping
    are the caller's to drop first); ``dependents`` is its reverse, when the caller already
    has it. Returns the order and each ordered node's depth (its longest path from a root).
    Nodes on a cycle, or behind one, are left out of the order: ``find_cycles`` names them.
    """
    if dependents is None:
        reverse: dict[_Node, list[_Node]] = {node: [] for node in requires}
        for node, deps in requires.items():
            for dep in deps:
                reverse[dep].append(node)
        dependents = reverse
    waiting = {node: len(deps) for node, deps in requires.items()}
    heap = [(rank[node], node) for node, deps in requires.items() if not deps]
    heapq.heapify(heap)
    depth = dict.fromkeys(requires, 0)
    order: list[_Node] = []
    pop, push, append = heapq.heappop, heapq.heappush, order.append
    while heap:
        node = pop(heap)[1]
        append(node)
        below = depth[node] + 1
        for child in dependents[node]:
            if depth[child] < below:
                depth[child] = below
            left = waiting[child] - 1
            waiting[child] = left
            if not left:
                push(heap, (rank[child], child))
    return order, depth


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """Every distinct cycle reachable in ``graph`` (id -> required ids), each in order.

    A cycle is returned as ``(a, b, c, a)``: a requires b requires c requires a, rotated to
    start at the node listed first in ``graph`` so the report does not depend on traversal.
    """
    position = {node: i for i, node in enumerate(graph)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    seen: set[frozenset[str]] = set()
    cycles: list[tuple[str, ...]] = []
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        state[root] = 1
        iters = [iter(graph.get(root, ()))]
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if nxt not in graph:
                continue
            mark = state.get(nxt)
            if mark == 1:
                loop = path[path.index(nxt) :]
                key = frozenset(loop)
                if key not in seen:
                    seen.add(key)
                    start = min(range(len(loop)), key=lambda i: position[loop[i]])
                    ordered = loop[start:] + loop[:start]
                    cycles.append((*ordered, ordered[0]))
            elif mark is None:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(graph.get(nxt, ())))
    return cycles
