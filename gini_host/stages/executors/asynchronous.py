"""The ``async`` executor: coroutine stages as tasks of one event loop, sync stages on threads.

The event loop is driven by the strategy itself, on the scheduling loop's own thread: while
the loop waits for results, :meth:`AsyncStrategy.wait` runs the event loop until a task or a
worker thread delivers one. No thread hop per stage, so a thousand ``asyncio.sleep`` stages
cost little more than ``asyncio.gather`` (docs/performance.md, figure e), and on the main
thread signal handlers run as usual: ``RunControl.interrupt`` wakes the event loop through
its self-pipe, and the run's cancellation cancels the tasks.

Sync stages run on worker threads beside the event loop, exactly as under ``threads`` (a lone
one runs inline). Timeouts of coroutine stages are real task cancellation
(``asyncio.timeout``), see :func:`gini_host.stages.attempt.run_stage_async`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from typing import ClassVar

from gini_host.stages.attempt import run_stage_async
from gini_host.stages.executors.base import StageJob
from gini_host.stages.executors.threads import ThreadStrategy
from gini_host.stages.results import StageResult

__all__ = ["AsyncStrategy"]

#: Coroutine stages waiting on I/O cost a task each: without ``-j``, every ready stage runs.
DEFAULT_CAPACITY = 100_000
#: How long :meth:`AsyncStrategy.close` lets cancelled tasks unwind.
_CLOSE_GRACE = 0.5


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class AsyncStrategy(ThreadStrategy):
    """Coroutine stages on one event loop driven from :meth:`wait`; sync stages on threads.

    ``max_workers`` caps the stages running at once (default: no practical cap); the sync
    stages' thread pool is capped like ``ThreadPoolExecutor``'s default, min(32, cpus + 4).
    """

    name: ClassVar[str] = "async"

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__(max_workers or DEFAULT_CAPACITY)
        self._max_threads = min(self.capacity, 32, (os.cpu_count() or 1) + 4)
        self._loop = asyncio.new_event_loop()
        #: Stage id -> its running task and job.
        self._tasks: dict[str, tuple[asyncio.Task[None], StageJob]] = {}
        self._results: list[StageResult] = []
        self._waiter: asyncio.Future[None] | None = None
        self._woken = False

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if job.stage.is_async and job.why is None:
            self._tasks[job.stage.id] = (self._loop.create_task(self._run_task(job)), job)
        elif alone or job.why is not None:
            self._results.append(job.inline())
        else:
            self._dispatch(job)

    async def _run_task(self, job: StageJob) -> None:
        # The task delivers its own result: a done callback per task would cost a loop
        # iteration's handle more per stage.
        try:
            result = await run_stage_async(job.stage, job.ctx, job.control)
        except BaseException as exc:
            # run_stage_async gives every stage a result; as in ThreadStrategy._work, a job
            # must never vanish, whatever happens.
            result = StageResult.of_failure(job.stage, exc)
        del self._tasks[job.stage.id]
        self._arrived(result)

    def _task_done(self, job: StageJob, task: asyncio.Task[None]) -> None:
        # Only for tasks cancelled before their first step: their coroutine never ran.
        if self._tasks.pop(job.stage.id, None) is not None:
            reason = f"interrupted while running ({job.control.reason or 'cancelled'})"
            self._arrived(StageResult.of_cancel(job.stage, reason, started_at=time.time()))

    def _arrived(self, result: StageResult) -> None:
        self._results.append(result)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _deliver(self, result: StageResult) -> None:
        # From a worker thread: the result wakes the event loop through its self-pipe.
        with contextlib.suppress(RuntimeError):  # closed: the run ended without this stage
            self._loop.call_soon_threadsafe(self._arrived, result)

    def wait(self, timeout: float | None) -> list[StageResult]:
        if not self._results and not self._woken:
            loop = self._loop
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _release, waiter) if timeout is not None else None
            try:
                loop.run_until_complete(waiter)
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        self._woken = False
        done, self._results = self._results, []
        return done

    def wake(self) -> None:
        # Safe from signal handlers and other threads: one callback and a byte to the pipe.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake_up)

    def _wake_up(self) -> None:
        self._woken = True
        if self._waiter is not None:
            _release(self._waiter)

    def cancel(self) -> None:
        """Cancel every running task; each ends ``cancelled`` at its next ``await``."""
        for task, job in list(self._tasks.values()):
            task.add_done_callback(functools.partial(self._task_done, job))
            task.cancel()

    def close(self) -> None:
        super().close()
        loop = self._loop
        if loop.is_closed():
            return
        tasks = [task for task, _ in self._tasks.values()]
        for task in tasks:
            task.cancel()
        try:
            if tasks:
                # Let cancelled tasks unwind; one that swallows cancellation is abandoned.
                loop.run_until_complete(asyncio.wait(tasks, timeout=_CLOSE_GRACE))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            self._tasks.clear()
            loop.close()

