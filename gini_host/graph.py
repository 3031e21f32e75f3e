"""Graph helpers shared by plugin ordering and pipeline planning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["find_cycles"]


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
