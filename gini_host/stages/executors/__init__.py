"""Where stage jobs run: one module per executor, looked up by name.

:data:`EXECUTORS` maps each executor name to the ``module:Class`` of its strategy, imported
only when that executor is chosen: ``dask`` needs the optional extra ``gini-host[dask]``, and
``async``/``processes`` pull in asyncio and multiprocessing, which a sequential run never needs.
The protocol every strategy follows is :class:`~gini_host.stages.executors.base.Strategy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from gini_host.naming import import_object

if TYPE_CHECKING:
    from gini_host.stages.executors.base import Strategy, StrategyFactory

__all__ = ["EXECUTORS", "strategy_for"]

#: Executor name -> ``module:Class`` of its strategy (a class taking ``max_workers``).
EXECUTORS: Final[dict[str, str]] = {
    "sequential": "gini_host.stages.executors.sequential:SequentialStrategy",
    "threads": "gini_host.stages.executors.threads:ThreadStrategy",
    "async": "gini_host.stages.executors.asynchronous:AsyncStrategy",
    "processes": "gini_host.stages.executors.processes:ProcessStrategy",
    "dask": "gini_host.stages.executors.dask:DaskStrategy",
}


def strategy_for(executor: str | StrategyFactory, max_workers: int | None) -> Strategy:
    """The strategy registered under ``executor`` (or made by it, when it is a factory,
    e.g. one bound to a long-lived worker pool); KeyError lists the known names."""
    if callable(executor):
        return executor(max_workers)
    try:
        target = EXECUTORS[executor]
    except KeyError:
        known = ", ".join(sorted(EXECUTORS))
        raise KeyError(f"unknown executor {executor!r}; known: {known}") from None
    factory: StrategyFactory = import_object(target)
    return factory(max_workers)
