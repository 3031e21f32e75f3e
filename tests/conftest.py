"""Shared fixtures: the executors every engine rule is checked under.

Every test that takes ``executor`` runs once per executor: the three in-process ones
(``sequential``, ``threads``, ``async``) and the two that run stage bodies in other processes
(``processes`` on one warm worker pool, ``dask`` on one ``LocalCluster`` of 2 worker
processes; both are shared by the whole session, since starting them costs seconds). A test
whose stages share memory with it (closures appending to a list, events, barriers, object
identity) is inherently in-process: it is marked ``@pytest.mark.in_process`` and runs under
the in-process executors only. ``tests/scale`` checks the same rules across processes.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from gini_host import RunControl, StageManager

IN_PROCESS = ("sequential", "threads", "async")
EXECUTOR_NAMES = (*IN_PROCESS, "processes", "dask")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "in_process: the test's stages share memory with it; run it under the in-process "
        "executors only",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``executor``: every executor, or the in-process ones for marked tests."""
    if "executor" not in metafunc.fixturenames:
        return
    if any(
        m.name == "parametrize" and "executor" in m.args[0]
        for m in metafunc.definition.iter_markers()
    ):
        return  # the test names its executors itself
    in_process = metafunc.definition.get_closest_marker("in_process") is not None
    names = IN_PROCESS if in_process else EXECUTOR_NAMES
    metafunc.parametrize("executor", names, indirect=True)


@pytest.fixture(autouse=True)
def _private_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test records its runs' history in a state directory of its own, never in the
    user's ``~/.local/state`` (hosts record runs by default)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """For tests that run ``gini-host``: no entry-point index, no stray config or autoload
    setting from the environment; the test's directory is the working one."""
    monkeypatch.setenv("GINI_HOST_NO_CACHE", "1")
    monkeypatch.delenv("GINI_HOST_CONFIG", raising=False)
    monkeypatch.delenv("GINI_HOST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def process_pool() -> Iterator[Any]:
    """One pool of worker processes (stages found by import name) for the whole session."""
    from gini_host.stages.executors.processes import WorkerPool

    with WorkerPool() as pool:
        yield pool


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """One real LocalCluster (2 worker processes, 1 thread each) for the whole session."""
    distributed = pytest.importorskip("distributed")
    from gini_host.stages.executors.dask import local_cluster

    with local_cluster() as cluster, distributed.Client(cluster) as client:
        yield client


def executor_for(name: str, request: pytest.FixtureRequest) -> Any:
    """The executor to pass as ``executor=``: a name, or a factory bound to a shared pool."""
    if name == "processes":
        from gini_host.stages.executors.processes import ProcessStrategy

        return functools.partial(ProcessStrategy, pool=request.getfixturevalue("process_pool"))
    if name == "dask":
        from gini_host.stages.executors.dask import DaskStrategy

        return functools.partial(DaskStrategy, client=request.getfixturevalue("dask_client"))
    return name


@pytest.fixture
def executor(request: pytest.FixtureRequest) -> Any:
    """Each test that takes ``executor`` runs once per executor (see the module doc)."""
    return executor_for(str(request.param), request)


@pytest.fixture
def executor_name(request: pytest.FixtureRequest) -> str:
    """The name of the executor the test runs under (``executor`` may be a factory)."""
    return str(request.node.callspec.params["executor"])


@pytest.fixture
def manager() -> StageManager:
    """A standalone stage manager with its own pluggy PluginManager."""
    return StageManager()


@pytest.fixture
def sigusr1() -> Iterator[list[RunControl]]:
    """Route SIGUSR1 to ``interrupt`` of the control the test appends, as the CLI does for
    SIGTERM: tests signal a run mid-stage without touching SIGINT/SIGTERM of the runner."""
    controls: list[RunControl] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        controls[-1].interrupt("SIGUSR1")

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        yield controls
    finally:
        signal.signal(signal.SIGUSR1, previous)


@pytest.fixture
def send_sigusr1() -> Callable[[], None]:
    """Send SIGUSR1 to the main thread, where the run waits. Sent to the process instead, a
    signal may be delivered to another thread (the session's Dask and pool threads make that
    likely in a full run), and a main thread blocked in ``time.sleep`` then runs the handler
    only when its sleep ends."""

    def send() -> None:
        main = threading.main_thread().ident
        assert main is not None
        signal.pthread_kill(main, signal.SIGUSR1)

    return send
