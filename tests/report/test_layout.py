"""The layered layout of the stage graph: layers, ordering, spacing, and damaged input."""

from __future__ import annotations

import itertools

from gini_host.report.layout import (
    DUMMY_BUDGET,
    NODE_HEIGHT,
    NODE_WIDTH,
    Layout,
    count_crossings,
    layout,
)

from . import documents


def _by_id(placed: Layout) -> dict[str, tuple[int, float, float]]:
    return {n.id: (n.layer, n.x, n.y) for n in placed.nodes}


def _assert_no_overlap(placed: Layout) -> None:
    for a, b in itertools.combinations(placed.nodes, 2):
        if a.layer == b.layer:
            assert abs(a.y - b.y) >= NODE_HEIGHT, f"{a.id} overlaps {b.id}"


def test_one_stage():
    """A single stage is one box at the origin, the drawing its size."""
    placed = layout(["p::only"], [])
    assert _by_id(placed) == {"p::only": (0, 0.0, 0.0)}
    assert (placed.width, placed.height) == (NODE_WIDTH, NODE_HEIGHT)
    assert placed.edges == ()


def test_a_stage_sits_right_of_its_latest_requirement():
    """Longest-path layering: c requires a and b, b requires a, so c is in layer 2, not 1."""
    placed = layout(["p::a", "p::b", "p::c"], [("p::a", "p::b"), ("p::a", "p::c"), ("p::b", "p::c")])
    assert {k: v[0] for k, v in _by_id(placed).items()} == {"p::a": 0, "p::b": 1, "p::c": 2}


def test_a_long_edge_is_routed_beside_the_stages_it_passes():
    """The a -> c edge crosses layer 1 through its own slot, not through b's box."""
    placed = layout(["p::a", "p::b", "p::c"], [("p::a", "p::b"), ("p::b", "p::c"), ("p::a", "p::c")])
    long_edge = next(e for e in placed.edges if (e.source, e.target) == ("p::a", "p::c"))
    b = next(n for n in placed.nodes if n.id == "p::b")
    assert len(long_edge.points) == 4  # out of a, across layer 1 (two points), into c
    across = long_edge.points[1:3]
    assert all(abs(y - (b.y + NODE_HEIGHT / 2)) >= NODE_HEIGHT / 2 for _, y in across)
    xs = [x for x, _ in long_edge.points]
    assert xs == sorted(xs)


def test_ordering_removes_a_crossing_the_plan_order_has():
    """Plan order a, b / c, d with a -> d and b -> c crosses once; the barycenter pass fixes it."""
    nodes = ["p::a", "p::b", "p::c", "p::d"]
    edges = [("p::a", "p::d"), ("p::b", "p::c")]
    assert count_crossings([["p::a", "p::b"], ["p::c", "p::d"]], edges) == 1
    placed = layout(nodes, edges)
    assert placed.crossings == 0
    ys = {n.id: n.y for n in placed.nodes}
    assert (ys["p::a"] < ys["p::b"]) == (ys["p::d"] < ys["p::c"])


def test_crossings_are_counted_between_adjacent_layers():
    """Two edges cross when their ends are in opposite orders; shared ends do not cross."""
    layers = [["a", "b", "c"], ["x", "y", "z"]]
    assert count_crossings(layers, [("a", "z"), ("b", "y"), ("c", "x")]) == 3
    assert count_crossings(layers, [("a", "x"), ("a", "y"), ("b", "y")]) == 0


def test_a_few_hundred_stages_are_laid_out_without_overlap():
    """300 stages in 12 layers: no two boxes overlap, and ordering beats the plan order."""
    doc = documents.wide(300)
    nodes = doc["plan"]["stages"]
    edges = [tuple(e) for e in doc["plan"]["edges"]]
    placed = layout(nodes, edges)
    assert len(placed.nodes) == 300
    assert max(n.layer for n in placed.nodes) == 11
    _assert_no_overlap(placed)
    per_layer: dict[int, list[str]] = {}
    for node in sorted(placed.nodes, key=lambda n: nodes.index(n.id)):
        per_layer.setdefault(node.layer, []).append(node.id)
    plan_order = count_crossings([per_layer[i] for i in sorted(per_layer)], edges)
    assert placed.crossings < plan_order


def test_a_cycle_or_an_unknown_stage_in_a_damaged_document_is_dropped():
    """Stored data is not trusted to be a DAG: the layout still finishes and draws every stage."""
    placed = layout(
        ["p::a", "p::b", "p::c"],
        [("p::a", "p::b"), ("p::b", "p::c"), ("p::c", "p::a"), ("p::a", "p::zzz"), ("p::b", "p::b")],
    )
    assert {n.id for n in placed.nodes} == {"p::a", "p::b", "p::c"}
    assert {(e.source, e.target) for e in placed.edges} == {("p::a", "p::b"), ("p::b", "p::c")}
    _assert_no_overlap(placed)


def test_a_long_chain_does_not_recurse():
    """A chain of 3,000 stages (deeper than Python's recursion limit) lays out."""
    ids = [f"p::s{i}" for i in range(3000)]
    placed = layout(ids, list(itertools.pairwise(ids)))
    assert max(n.layer for n in placed.nodes) == 2999


def test_long_edges_beyond_the_dummy_budget_are_drawn_as_one_curve():
    """A 300-stage chain whose first stage feeds every other one needs ~45,000 dummy points:
    past the budget, the longest edges go direct, and every edge is still drawn."""
    ids = [f"p::s{i}" for i in range(300)]
    edges = [*itertools.pairwise(ids), *((ids[0], ids[i]) for i in range(2, 300))]
    placed = layout(ids, edges)
    assert len(placed.edges) == len(edges)
    spans = {(e.source, e.target): len(e.points) for e in placed.edges}
    assert spans[(ids[0], ids[2])] == 4  # short: routed through its dummy
    assert spans[(ids[0], ids[299])] == 2  # longest: one curve
    dummies = sum((n - 2) // 2 for n in spans.values())
    assert dummies <= DUMMY_BUDGET
