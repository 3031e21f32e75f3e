"""Issue 7's figures for the executors that scale out.

(e) ``async`` executor: 1,000 stages of ``await asyncio.sleep(0.01)`` against a bare
    ``asyncio.run(asyncio.gather(...))`` of the same coroutines. Target <= 1.2x.
(f) ``processes`` executor: 8 CPU-bound stages (~0.2 s each) on 2 worker processes against a
    bare ``ProcessPoolExecutor(2, spawn)`` running the same function; both sides start and
    stop their processes in the sample. Target <= 1.1x.
(g) ``dask`` executor: 4 chains of 4 CPU-bound stages (~0.1 s each) on one LocalCluster of
    2 worker processes, against raw Dask running the same graph (``client.get``) on the same
    cluster. Target <= 1.1x.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench._measure import WALL, Figure, compare
from gini_host import StageContext, StageManager, stage

__all__ = ["run"]


async def _sleep(ctx: Any) -> None:
    await asyncio.sleep(0.01)


def spin(seconds: float, *upstream: object) -> float:
    """CPU-bound work for ``seconds`` of CPU time (``upstream``: results it waited for)."""
    end = time.thread_time() + seconds
    x = 0.0
    while time.thread_time() < end:
        x += 1.0
    return x


def spin_stage(ctx: StageContext) -> float:
    return spin(float(ctx.config.get("seconds", 0.2)))


def _graph_stage(ctx: StageContext) -> float:
    return spin(0.1)


def _async_figure(samples: int) -> Figure:
    manager = StageManager()
    names = [f"s{i}" for i in range(1000)]
    for name in names:
        manager.register_stage(stage(name=name)(_sleep))
    pipeline = manager.create_pipeline("bench", names)

    def engine() -> object:
        return manager.execute_pipeline(pipeline, executor="async")

    def floor() -> object:
        async def gather() -> None:
            await asyncio.gather(*(_sleep(None) for _ in names))

        asyncio.run(gather())
        return None

    assert manager.execute_pipeline(pipeline, executor="async").ok
    ours, bare = compare(engine, floor, samples, warmup=3, clock=WALL)
    return Figure(
        name="e. async, 1,000 x asyncio.sleep(10 ms)",
        value=ours * 1e3,
        floor_value=bare * 1e3,
        target=1.2,
        unit="ms",
        note="vs asyncio.gather",
    )


def _processes_figure(samples: int, stages: int = 8, seconds: float = 0.2) -> Figure:
    manager = StageManager()
    names = [f"cpu{i}" for i in range(stages)]
    for name in names:
        manager.register_stage(stage(name=name)(spin_stage))
    pipeline = manager.create_pipeline("bench", names)
    config = {name: {"seconds": seconds} for name in names}

    def engine() -> object:
        result = manager.execute_pipeline(
            pipeline, executor="processes", max_workers=2, stage_config=config
        )
        assert result.ok, result.failures
        return result

    def floor() -> object:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            return list(pool.map(spin, [seconds] * stages))

    ours, bare = compare(engine, floor, samples, warmup=1, clock=WALL)
    return Figure(
        name=f"f. processes, {stages} CPU-bound stages on 2 workers",
        value=ours * 1e3,
        floor_value=bare * 1e3,
        target=1.1,
        unit="ms",
        note="vs ProcessPoolExecutor(2, spawn)",
    )


def _dask_figure(samples: int, chains: int = 4, length: int = 4) -> Figure | None:
    try:
        import distributed

        from gini_host.stages.executors.dask import DaskStrategy, local_cluster
    except Exception:
        return None
    graph = {
        f"c{c}_{i}": [f"c{c}_{i - 1}"] if i else [] for c in range(chains) for i in range(length)
    }
    manager = StageManager()
    for sid, requires in graph.items():
        manager.register_stage(stage(name=sid, requires=requires)(_graph_stage))
    pipeline = manager.create_pipeline("bench", list(graph))
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        executor = functools.partial(DaskStrategy, client=client)
        counter = iter(range(10**9))

        def engine() -> object:
            result = manager.execute_pipeline(pipeline, executor=executor)
            assert result.ok, result.failures
            return result

        def floor() -> object:
            tag = f"g{next(counter)}-"
            dsk = {
                tag + sid: (spin, 0.1, *(tag + r for r in requires))
                for sid, requires in graph.items()
            }
            return client.get(dsk, list(dsk))

        ours, bare = compare(engine, floor, samples, warmup=1, clock=WALL)
    return Figure(
        name=f"g. dask, {chains} chains x {length} CPU-bound stages",
        value=ours * 1e3,
        floor_value=bare * 1e3,
        target=1.1,
        unit="ms",
        note="vs client.get of the same graph",
    )


def run() -> list[Figure]:
    """Issue 7's figures, in about a minute on 2 cores."""
    figures = [_async_figure(samples=21), _processes_figure(samples=5)]
    dask = _dask_figure(samples=5)
    if dask is not None:
        figures.append(dask)
    return figures
