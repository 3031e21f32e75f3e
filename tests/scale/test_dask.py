"""The dask executor's own duties: its local cluster, its worker plugin, fresh task keys."""

from __future__ import annotations

import contextlib
import socket
import warnings
from collections.abc import Iterator

import pytest

distributed = pytest.importorskip("distributed")

from gini_host.stages.dask import local_cluster  # noqa: E402


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
