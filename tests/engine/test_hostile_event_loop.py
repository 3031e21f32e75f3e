"""A coroutine stage that blocks the event loop (``time.sleep`` instead of ``asyncio.sleep``)
cannot outlast its timeout or a signal under the ``async`` executor (the command line's
Ctrl-C: tests/cli/test_hostile_leftovers.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from gini_host import RunControl, StageContext, StageManager, StageStatus, stage
from gini_host.stages.attempt import EventLoopBlocked

BLOCKED = threading.Event()


async def blocks_the_loop(ctx: StageContext) -> str:
    BLOCKED.set()
    # 30 s without an await. Short sleeps, not one time.sleep(30): a signal that lands just
    # before a sleep's system call does not interrupt it (CPython checks for signals only
    # once it returns), and the test would then wait for the whole sleep.
    for _ in range(3000):
        time.sleep(0.01)
    return "late"


async def awaits(ctx: StageContext) -> str:
    await asyncio.sleep(0.05)
    return "on time"


def test_timeout_stops_a_coroutine_that_blocks_the_loop() -> None:
    """timeout=1 with ``time.sleep(30)`` inside: failed at about 1 s + the grace period, and
    the stage beside it still ran. Before, it succeeded after the whole 30 s."""
    manager = StageManager()
    manager.register_stage(stage(name="blocker", timeout=1)(blocks_the_loop))
    manager.register_stage(stage(name="polite")(awaits))
    began = time.monotonic()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["blocker", "polite"]), executor="async"
    )
    elapsed = time.monotonic() - began
    assert result["blocker"].status is StageStatus.FAILED
    assert isinstance(result["blocker"].exception, EventLoopBlocked)
    assert result["blocker"].attempts == 1
    assert result["polite"].value == "on time"
    assert elapsed < 20  # measured ~3.1 s: the timeout and the 2 s grace


def test_signal_stops_a_coroutine_that_blocks_the_loop(
    sigusr1: list[RunControl], send_sigusr1: Callable[[], None]
) -> None:
    """A signal handler's interrupt reaches a coroutine blocking the loop on the main thread."""
    BLOCKED.clear()
    manager = StageManager()
    manager.register_stage(stage(name="blocker")(blocks_the_loop))
    control = RunControl()
    sigusr1.append(control)

    def send() -> None:
        assert BLOCKED.wait(20)
        send_sigusr1()

    sender = threading.Thread(target=send)
    sender.start()
    began = time.monotonic()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["blocker"]), executor="async", control=control
    )
    sender.join()
    assert result.interrupted
    assert result["blocker"].status is StageStatus.CANCELLED
    assert time.monotonic() - began < 20  # before: the whole 30 s
