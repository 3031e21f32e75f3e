"""Timeouts and cancellation stop what runs: tasks, worker processes, Dask futures."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gini_host import RunControl, StageContext, StageManager, StageStatus, stage
from gini_host.errors import StageTimeoutError

REMOTE_AND_ASYNC = pytest.mark.parametrize(
    "executor", ["async", "processes", "dask"], indirect=True
)


def quick(ctx: StageContext) -> str:
    return "kept"


# Bodies run until the test releases them (or a minute passes). Dask cannot interrupt a task
# already running on a worker thread: it is abandoned and holds its thread until it returns,
# so each test releases its bodies when it ends (the ``release`` fixture). A run that waited
# for its body would wait the whole minute: the bounds below are generous multiples of the
# ~0.5 s measured, far from that.
SECONDS = 60
BOUND = 20


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Path]:
    """The file whose existence ends every body of the test; created when the test ends."""
    path = tmp_path / "release"
    yield path
    path.write_text("go")


def _held(ctx: StageContext) -> bool:
    """Whether the body should go on waiting (not released, the minute not over)."""
    release = ctx.config.get("release")
    return not (release and Path(release).exists())


def sleeps(ctx: StageContext) -> int:
    marker = ctx.config.get("marker")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    deadline = time.monotonic() + SECONDS
    while _held(ctx) and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.getpid()


async def sleeps_async(ctx: StageContext) -> None:
    marker = ctx.config.get("marker")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    deadline = time.monotonic() + SECONDS
    while _held(ctx) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@REMOTE_AND_ASYNC
@pytest.mark.parametrize("body", [sleeps, sleeps_async])
def test_timeout_stops_the_stage_and_fails_it(
    executor: Any, executor_name: str, body: Any, tmp_path: Path, release: Path
) -> None:
    """A timeout cancels the task or future, or terminates the worker process running it."""
    manager = StageManager()
    manager.register_stage(stage(name="slow", timeout=0.3)(body))
    manager.register_stage(stage(name="after", requires=["slow"])(quick))
    marker = tmp_path / "pid"
    began = time.monotonic()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after"]),
        executor=executor,
        stage_config={"slow": {"marker": str(marker), "release": str(release)}},
    )
    assert time.monotonic() - began < BOUND
    slow = result["slow"]
    assert slow.status is StageStatus.FAILED
    # A sync body under ``async`` runs on a thread, which nothing can stop: after the grace
    # period it fails as StageNotStopped, a StageTimeoutError.
    assert isinstance(slow.exception, StageTimeoutError)
    assert result["after"].status is StageStatus.SKIPPED
    worker = int(marker.read_text())
    if executor_name == "processes":
        assert not _alive(worker), "the worker running the timed-out stage was not terminated"


@REMOTE_AND_ASYNC
def test_cancel_stops_running_stage_and_keeps_results(
    executor: Any, executor_name: str, tmp_path: Path, release: Path
) -> None:
    """RunControl.cancel mid-run: the running stage ends cancelled at once, earlier results
    are kept, later stages are cancelled."""
    manager = StageManager()
    body = sleeps_async if executor_name == "async" else sleeps
    manager.register_stage(stage(name="first")(quick))
    manager.register_stage(stage(name="long", requires=["first"])(body))
    manager.register_stage(stage(name="after", requires=["long"])(quick))
    marker = tmp_path / "pid"
    control = RunControl()

    cancelled_at: list[float] = []

    def cancel() -> None:
        _wait_for(marker)
        cancelled_at.append(time.monotonic())
        control.cancel("operator said stop")

    canceller = threading.Thread(target=cancel)
    canceller.start()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after"]),
        executor=executor,
        control=control,
        stage_config={"long": {"marker": str(marker), "release": str(release)}},
    )
    canceller.join()
    # Timed from the cancel, not the start: on the shared Dask cluster, ``long`` may wait
    # for a thread an earlier test's abandoned body held. Before, under dask, the run ended
    # only when the body did (issue 11): here, a minute.
    assert time.monotonic() - cancelled_at[0] < BOUND
    assert result.interrupted
    assert result["first"].value == "kept"
    assert result["long"].status is StageStatus.CANCELLED
    assert "operator said stop" in (result["long"].reason or "")
    assert result["after"].status is StageStatus.CANCELLED


@pytest.mark.parametrize("executor", ["async", "processes"], indirect=True)
@pytest.mark.parametrize("width", [1, 2])
def test_signal_cancels_running_stages(
    executor: Any,
    executor_name: str,
    width: int,
    sigusr1: list[RunControl],
    send_sigusr1: Callable[[], None],
    tmp_path: Path,
    release: Path,
) -> None:
    """A signal handler calling interrupt() stops stages waited on from the main thread
    (one alone, or two side by side)."""
    manager = StageManager()
    body = sleeps_async if executor_name == "async" else sleeps
    names = [f"s{i}" for i in range(width)]
    for name in names:
        manager.register_stage(stage(name=name)(body))
    control = RunControl()
    sigusr1.append(control)
    markers = {name: tmp_path / name for name in names}

    def send() -> None:
        for marker in markers.values():
            _wait_for(marker)
        send_sigusr1()

    sender = threading.Thread(target=send)
    sender.start()
    began = time.monotonic()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", names),
        executor=executor,
        max_workers=width,
        control=control,
        stage_config={n: {"marker": str(m), "release": str(release)} for n, m in markers.items()},
    )
    sender.join()
    assert time.monotonic() - began < BOUND
    assert result.interrupted
    assert {r.status for r in result.values()} == {StageStatus.CANCELLED}
    for marker in markers.values():
        if executor_name == "processes":
            assert not _alive(int(marker.read_text()))
