"""Issue 2's figures for the stage engine (item 11).

(a) Per-stage overhead of the sequential executor on 1,000 no-op stages, as a chain and as a
    wide DAG, against a minimal host: ``graphlib.TopologicalSorter`` prepare / get_ready /
    done, a dict of results and a call of each function. No observer plugin is registered.
(b) The engine's per-stage cost at 1,000 stages against its cost at 100: it must not grow.
(c) Validating and planning a 10,000-stage random DAG (``StageManager.create_pipeline``)
    against ``graphlib.TopologicalSorter(graph).static_order()``.
(d) 100 stages of ``time.sleep(0.05)`` on 16 threads against the wave bound
    ceil(100 / 16) x 50 ms.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from graphlib import TopologicalSorter
from typing import Any

from bench._measure import WALL, Figure, compare, median_seconds
from gini_host import Pipeline, StageContext, StageManager, stage

__all__ = ["run"]

Graph = Mapping[str, Sequence[str]]


def _noop(ctx: Any) -> None:
    return None


def chain(size: int) -> dict[str, list[str]]:
    """s0 <- s1 <- ... : every stage requires the one before it."""
    return {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(size)}


def wide(size: int) -> dict[str, list[str]]:
    """One root, ``size - 2`` stages that require only the root, one sink that requires them all."""
    middle = [f"s{i}" for i in range(1, size - 1)]
    graph: dict[str, list[str]] = {"s0": []}
    graph.update({sid: ["s0"] for sid in middle})
    graph[f"s{size - 1}"] = middle
    return graph


def random_dag(size: int, seed: int = 2) -> dict[str, list[str]]:
    """Stage i requires up to 3 random earlier stages (fixed seed: the same DAG every run)."""
    rng = random.Random(seed)
    return {
        f"s{i}": [f"s{j}" for j in sorted(rng.sample(range(i), min(i, rng.randint(0, 3))))]
        for i in range(size)
    }


def _manager(graph: Graph, body: Callable[[StageContext], Any] = _noop) -> StageManager:
    manager = StageManager()
    for sid, requires in graph.items():
        manager.register_stage(stage(name=sid, requires=requires)(body))
    return manager


def _engine_run(graph: Graph) -> Callable[[], object]:
    manager = _manager(graph)
    pipeline: Pipeline = manager.create_pipeline("bench", list(graph))

    def run() -> object:
        return manager.execute_pipeline(pipeline)

    assert manager.execute_pipeline(pipeline).ok
    return run


def _minimal_host(graph: Graph) -> Callable[[], object]:
    """The least a host can do: topological order, a dict of results, a call per stage."""
    functions = dict.fromkeys(graph, _noop)

    def run() -> object:
        sorter = TopologicalSorter(graph)
        sorter.prepare()
        results: dict[str, Any] = {}
        while sorter.is_active():
            for sid in sorter.get_ready():
                results[sid] = functions[sid](results)
                sorter.done(sid)
        return results

    return run


def _overhead(shape: str, graph: Graph, samples: int) -> tuple[Figure, float]:
    """Engine against the minimal host on the same graph; returns the engine's µs per stage."""
    engine, floor = compare(_engine_run(graph), _minimal_host(graph), samples, warmup=5)
    per_stage, floor_per_stage = engine / len(graph) * 1e6, floor / len(graph) * 1e6
    figure = Figure(
        name=f"a. sequential, {shape}, {len(graph):,} no-op stages",
        value=per_stage,
        floor_value=floor_per_stage,
        target=2.0,
        unit="µs/stage",
        note="vs minimal graphlib host",
    )
    return figure, per_stage


def _growth(shape: str, large: float, small: float) -> Figure:
    return Figure(
        name=f"b. per-stage cost, {shape}, 1,000 vs 100 stages",
        value=large,
        floor_value=small,
        target=1.3,
        unit="µs/stage",
        note="sequential; floor = cost at 100",
    )


def _planning(size: int, samples: int) -> Figure:
    graph = random_dag(size)
    manager = _manager(graph)
    targets = list(graph)

    def plan() -> object:
        return manager.create_pipeline("bench", targets)

    def floor() -> object:
        return list(TopologicalSorter(graph).static_order())

    engine, static = compare(plan, floor, samples, warmup=2)
    return Figure(
        name=f"c. validate + plan, {size:,}-stage random DAG",
        value=engine * 1e3,
        floor_value=static * 1e3,
        target=1.5,
        unit="ms",
        note="vs TopologicalSorter.static_order",
    )


def _threads(stages: int, workers: int, pause: float, samples: int) -> Figure:
    graph: dict[str, list[str]] = {f"s{i}": [] for i in range(stages)}
    manager = _manager(graph, lambda ctx: time.sleep(pause))
    pipeline = manager.create_pipeline("bench", list(graph))

    def run() -> object:
        return manager.execute_pipeline(pipeline, executor="threads", max_workers=workers)

    wall = median_seconds(run, samples, clock=WALL)
    bound = math.ceil(stages / workers) * pause
    return Figure(
        name=f"d. {stages} x sleep({pause * 1e3:g} ms) on {workers} threads",
        value=wall * 1e3,
        floor_value=bound * 1e3,
        target=1.05,
        unit="ms",
        note=f"vs wave bound ceil({stages}/{workers}) x {pause * 1e3:g} ms",
    )


def _ten_times(run: Callable[[], object]) -> Callable[[], object]:
    def repeat() -> object:
        for _ in range(10):
            run()
        return None

    return repeat


def run() -> list[Figure]:
    """Every figure of issue 2, in about 20 seconds on 2 cores."""
    overheads: list[Figure] = []
    growth: list[Figure] = []
    for shape, build in (("chain", chain), ("wide", wide)):
        figure, _ = _overhead(shape, build(1000), samples=61)
        overheads.append(figure)
        # 1,000 stages once against 100 stages ten times: the same work per sample, interleaved.
        large, small = compare(
            _engine_run(build(1000)), _ten_times(_engine_run(build(100))), 61, warmup=5
        )
        growth.append(_growth(shape, large / 1000 * 1e6, small / 1000 * 1e6))
    return [
        *overheads,
        *growth,
        _planning(10_000, samples=21),
        _threads(100, 16, 0.05, samples=7),
    ]
