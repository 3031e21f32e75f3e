"""A layered layout of a stage graph: the Sugiyama steps, small enough to read in one sitting.

Layers come from the longest path (a stage sits one column right of its latest requirement);
edges that span several layers get one dummy point per layer they cross, so they are routed
around the stages instead of through them; a barycenter sweep (down and up, several rounds,
the ordering with the fewest crossings kept) orders each layer; vertical positions then pull
each item towards its neighbours without breaking the order or the spacing.

The graph comes from a stored document, so it is not trusted to be a DAG: edges that close a
cycle or name an unknown stage are dropped rather than looping or failing.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

import attrs

__all__ = ["Layout", "PlacedEdge", "PlacedNode", "count_crossings", "layout"]

#: Pixel sizes of the drawing (the SVG uses them as they are).
NODE_WIDTH = 184.0
NODE_HEIGHT = 42.0
LAYER_GAP = 44.0
NODE_GAP = 14.0
DUMMY_GAP = 8.0
#: Down and up sweeps of the barycenter ordering; crossings rarely drop after a few rounds.
ORDER_ROUNDS = 6
#: Rounds of pulling positions towards neighbours.
PLACE_ROUNDS = 4
#: Dummy points for long edges, at most. A 300-stage chain whose first stage feeds every other
#: one needs 90,000 and took 5 s to lay out; 5,000 take about 0.3 s.
DUMMY_BUDGET = 5_000


@attrs.frozen
class PlacedNode:
    """A stage's box: ``x``, ``y`` are its top-left corner."""

    id: str
    layer: int
    x: float
    y: float


@attrs.frozen
class PlacedEdge:
    """An edge from ``source`` (a requirement) to ``target``: the points it passes, in order."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]


@attrs.frozen
class Layout:
    """Where every stage and edge goes, and the size of the drawing."""

    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    width: float
    height: float
    crossings: int


def layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> Layout:
    """Lay out ``nodes`` (in plan order, which seeds the ordering) joined by ``edges``."""
    ids = list(dict.fromkeys(nodes))
    known = set(ids)
    kept = _acyclic([(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known], ids)
    layer_of = _longest_path_layers(ids, kept)
    layers, chains = _with_dummies(ids, kept, layer_of)
    _order(layers, chains)
    crossings = count_crossings(layers, _adjacent_pairs(chains))
    ys = _place(layers, chains)
    placed = tuple(
        PlacedNode(node, layer_of[node], _x(layer_of[node]), ys[node] - NODE_HEIGHT / 2)
        for node in ids
    )
    placed_edges = tuple(
        PlacedEdge(chain[0], chain[-1], _route(chain, ys, layer_of)) for chain in chains
    )
    width = _x(len(layers)) - LAYER_GAP if layers else 0.0
    height = max((ys[item] + NODE_HEIGHT / 2 for layer in layers for item in layer), default=0.0)
    return Layout(placed, placed_edges, max(width, 0.0), height, crossings)


def _x(layer: int) -> float:
    return layer * (NODE_WIDTH + LAYER_GAP)


def _acyclic(edges: list[tuple[str, str]], ids: list[str]) -> list[tuple[str, str]]:
    """``edges`` without the ones that close a cycle (found by an iterative depth-first search)."""
    successors: dict[str, list[str]] = {node: [] for node in ids}
    for a, b in edges:
        if a != b:
            successors[a].append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    back: set[tuple[str, str]] = set()
    for root in ids:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    return [(a, b) for a, b in edges if a != b and (a, b) not in back]


def _longest_path_layers(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's layer: 0 without requirements, else one past its latest requirement."""
    predecessors: dict[str, list[str]] = {node: [] for node in ids}
    successors: dict[str, list[str]] = {node: [] for node in ids}
    for a, b in edges:
        predecessors[b].append(a)
        successors[a].append(b)
    waiting = {node: len(predecessors[node]) for node in ids}
    ready = [node for node in ids if waiting[node] == 0]
    layer: dict[str, int] = {}
    while ready:
        node = ready.pop()
        layer[node] = max((layer[p] + 1 for p in predecessors[node]), default=0)
        for child in successors[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return layer


def _with_dummies(
    ids: list[str], edges: list[tuple[str, str]], layer_of: dict[str, int]
) -> tuple[list[list[str]], list[list[str]]]:
    """Layers (lists of items in plan order) and each edge as a chain through dummy items.

    Dummies are handed out shortest edge first, up to :data:`DUMMY_BUDGET`; longer edges
    beyond it are drawn as one curve (they may cross boxes, but the page stays quick).
    """
    depth = max(layer_of.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for node in ids:
        layers[layer_of[node]].append(node)
    budget = DUMMY_BUDGET
    routed: set[int] = set()
    for index in sorted(range(len(edges)), key=lambda i: _span(edges[i], layer_of)):
        needed = _span(edges[index], layer_of) - 1
        if needed > budget:
            break
        budget -= needed
        routed.add(index)
    chains: list[list[str]] = []
    for index, (a, b) in enumerate(edges):
        chain = [a]
        if index in routed:
            for between in range(layer_of[a] + 1, layer_of[b]):
                dummy = f"\0{index}:{between}"  # NUL cannot start a stage id, so no clash
                layers[between].append(dummy)
                layer_of[dummy] = between
                chain.append(dummy)
        chains.append([*chain, b])
    return layers, chains


def _span(edge: tuple[str, str], layer_of: dict[str, int]) -> int:
    return layer_of[edge[1]] - layer_of[edge[0]]


def _adjacent_pairs(chains: list[list[str]]) -> list[tuple[str, str]]:
    return [(chain[i], chain[i + 1]) for chain in chains for i in range(len(chain) - 1)]


def _order(layers: list[list[str]], chains: list[list[str]]) -> None:
    """Reorder each layer in place by barycenters, keeping the ordering with fewest crossings."""
    pairs = _adjacent_pairs(chains)
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for a, b in pairs:
        down.setdefault(a, []).append(b)
        up.setdefault(b, []).append(a)
    best = [list(layer) for layer in layers]
    best_crossings = count_crossings(layers, pairs)
    for _ in range(ORDER_ROUNDS):
        if best_crossings == 0:
            break
        for i in range(1, len(layers)):
            _sort_by_barycenter(layers[i], layers[i - 1], up)
        for i in range(len(layers) - 2, -1, -1):
            _sort_by_barycenter(layers[i], layers[i + 1], down)
        crossings = count_crossings(layers, pairs)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    layers[:] = best


def _sort_by_barycenter(layer: list[str], fixed: list[str], links: dict[str, list[str]]) -> None:
    """Sort ``layer`` by the mean position of each item's neighbours in ``fixed``.

    An item without neighbours there keeps its own position as its key, so it stays put.
    """
    position = {item: i for i, item in enumerate(fixed)}
    keys: dict[str, float] = {}
    for i, item in enumerate(layer):
        around = [position[n] for n in links.get(item, ()) if n in position]
        keys[item] = sum(around) / len(around) if around else float(i)
    layer.sort(key=keys.__getitem__)  # stable: ties keep their order


def count_crossings(layers: Sequence[Sequence[str]], pairs: Iterable[tuple[str, str]]) -> int:
    """Edge crossings between adjacent layers, counted as inversions (O(E log E))."""
    position = {
        item: (depth, i) for depth, layer in enumerate(layers) for i, item in enumerate(layer)
    }
    by_layer: dict[int, list[tuple[int, int]]] = {}
    for a, b in pairs:
        (depth, pa), (_, pb) = position[a], position[b]
        by_layer.setdefault(depth, []).append((pa, pb))
    total = 0
    for links in by_layer.values():
        links.sort()
        seen: list[int] = []
        for _, pb in links:
            # Links seen before start further up (or equal); those ending below pb cross it.
            total += len(seen) - bisect.bisect_right(seen, pb)
            bisect.insort(seen, pb)
    return total


def _place(layers: list[list[str]], chains: list[list[str]]) -> dict[str, float]:
    """Vertical centres: each item pulled towards its neighbours, order and spacing kept."""
    links: dict[str, list[str]] = {}
    for a, b in _adjacent_pairs(chains):
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    ys: dict[str, float] = {}
    for layer in layers:
        ys.update(zip(layer, _packed(layer, [0.0] * len(layer)), strict=True))
    tallest = max((_extent(layer, ys) for layer in layers), default=0.0)
    for layer in filter(None, layers):  # centre each layer on the tallest one
        shift = (tallest - _extent(layer, ys)) / 2 - (ys[layer[0]] - _size(layer[0]) / 2)
        for item in layer:
            ys[item] += shift
    for _ in range(PLACE_ROUNDS):
        for layer in layers:
            wanted = [_mean([ys[n] for n in links.get(item, ())], ys[item]) for item in layer]
            ys.update(zip(layer, _packed(layer, wanted), strict=True))
    top = min((ys[item] - _size(item) / 2 for layer in layers for item in layer), default=0.0)
    return {item: y - top for item, y in ys.items()}


def _packed(layer: list[str], wanted: list[float]) -> list[float]:
    """Positions closest to ``wanted`` that keep ``layer``'s order and spacing.

    Packing downwards from the top and upwards from the bottom both keep the spacing; so does
    their average, which does not favour either end.
    """
    if not layer:
        return []
    down = list(wanted)
    for i in range(1, len(layer)):
        down[i] = max(down[i], down[i - 1] + _gap(layer[i - 1], layer[i]))
    upward = list(wanted)
    for i in range(len(layer) - 2, -1, -1):
        upward[i] = min(upward[i], upward[i + 1] - _gap(layer[i], layer[i + 1]))
    return [(a + b) / 2 for a, b in zip(down, upward, strict=True)]


def _size(item: str) -> float:
    return 0.0 if item.startswith("\0") else NODE_HEIGHT


def _gap(above: str, below: str) -> float:
    both_nodes = not above.startswith("\0") and not below.startswith("\0")
    return (_size(above) + _size(below)) / 2 + (NODE_GAP if both_nodes else DUMMY_GAP)


def _extent(layer: list[str], ys: dict[str, float]) -> float:
    if not layer:
        return 0.0
    return ys[layer[-1]] + _size(layer[-1]) / 2 - (ys[layer[0]] - _size(layer[0]) / 2)


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _route(chain: list[str], ys: dict[str, float], layer_of: dict[str, int]) -> tuple[
    tuple[float, float], ...
]:
    """The points an edge passes: out of its source's right side, across each dummy's column
    (so it runs beside the stages there, not through them), into its target's left side."""
    points = [(_x(layer_of[chain[0]]) + NODE_WIDTH, ys[chain[0]])]
    for dummy in chain[1:-1]:
        x = _x(layer_of[dummy])
        points += [(x, ys[dummy]), (x + NODE_WIDTH, ys[dummy])]
    points.append((_x(layer_of[chain[-1]]), ys[chain[-1]]))
    return tuple(points)
