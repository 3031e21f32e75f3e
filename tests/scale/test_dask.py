"""The dask executor's own duties: its local cluster, its worker plugin, fresh task keys."""

from __future__ import annotations

import contextlib
import functools
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from gini_host import StageContext, StageManager, stage

distributed = pytest.importorskip("distributed")

from gini_host.stages.executors.dask import DaskStrategy, local_cluster  # noqa: E402


@contextlib.contextmanager
def _port_taken(port: int) -> Iterator[None]:
    """Hold ``port`` busy (when something else already does, that will do)."""
    sock = socket.socket()
    try:
        with contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            sock.listen()
        yield
    finally:
        sock.close()


def test_local_cluster_does_not_need_port_8787() -> None:
    """The local cluster binds no fixed port: a busy 8787 (a dashboard) changes nothing."""
    with _port_taken(8787), warnings.catch_warnings():
        warnings.simplefilter("error")
        with local_cluster() as cluster:
            addresses = [s.getsockname() for s in cluster.scheduler.http_server._sockets.values()]
    assert all(port != 8787 for _, port, *_ in addresses)


def good(ctx: StageContext) -> int:
    return 42


def _plugin_ids(dask_worker: Any) -> dict[str, int]:
    return {name: id(p) for name, p in dask_worker.plugins.items() if name.startswith("gini-host")}


def test_worker_plugin_is_registered_once_per_plugin_set(dask_client: Any) -> None:
    """Runs on one client keep the worker plugin: each worker boots a plugin set once."""
    manager = StageManager()
    manager.register_stage(stage(name="good")(good))
    plan = manager.create_pipeline("p", ["good"])
    executor = functools.partial(DaskStrategy, client=dask_client)
    assert manager.execute_pipeline(plan, executor=executor).ok
    first = dask_client.run(_plugin_ids)
    assert manager.execute_pipeline(plan, executor=executor).ok
    assert dask_client.run(_plugin_ids) == first
    assert all(first.values())
