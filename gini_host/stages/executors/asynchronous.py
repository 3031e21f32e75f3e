"""The ``async`` executor: coroutine stages as tasks of one event loop, sync stages on threads.

The event loop is driven by the strategy itself, on the scheduling loop's own thread: while
the loop waits for results, :meth:`AsyncStrategy.wait` runs the event loop until a task or a
worker thread delivers one. No thread hop per stage, so a thousand ``asyncio.sleep`` stages
cost little more than ``asyncio.gather`` (docs/performance.md, figure e), and on the main
thread signal handlers run as usual: ``RunControl.interrupt`` wakes the event loop through
its self-pipe, and the run's cancellation cancels the tasks.

Sync stages run on worker threads beside the event loop, on a
:class:`~gini_host.stages.executors.threads.StageThreads` pool as under ``threads`` (a lone
one runs inline). Timeouts of coroutine stages are real task cancellation
(``asyncio.timeout``), see :func:`gini_host.stages.attempt.run_stage_async`.

A coroutine that blocks the loop (``time.sleep``, CPU work) reaches no ``await`` where it
could be cancelled. On the main thread, two things still reach it: a signal handler's
``RunControl.interrupt`` (the loop runs "inline", like a sequential stage), and, past its
timeout plus the grace period, the :class:`_Watchdog`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, Final, final

from gini_host.stages.attempt import LoopBlocked, run_stage_async
from gini_host.stages.control import RunInterrupted
from gini_host.stages.executors.base import StageJob
from gini_host.stages.executors.threads import StageThreads
from gini_host.stages.results import StageResult

if TYPE_CHECKING:
    from gini_host.stages.context import RunState
    from gini_host.stages.control import RunControl
    from gini_host.stages.pipeline import Pipeline

__all__ = ["AsyncStrategy"]

#: Coroutine stages waiting on I/O cost a task each: without ``-j``, every ready stage runs.
DEFAULT_CAPACITY = 100_000
#: How long :meth:`AsyncStrategy.close` lets cancelled tasks unwind.
_CLOSE_GRACE = 0.5


#: The signal the watchdog sends the main thread to interrupt a coroutine that blocks the
#: loop: the first real-time one (libc keeps those below it), never SIGINT/SIGTERM/SIGUSR*.
_WATCHDOG_SIGNAL: Final = getattr(signal, "SIGRTMIN", None)
#: How often the watchdog signals again while an overdue attempt still runs.
_REFIRE: Final = 0.5


@final
class _Watchdog:
    """Interrupts a coroutine stage that blocks the event loop past its deadline.

    ``asyncio.timeout`` cancels a task at its next ``await``; a body that calls
    ``time.sleep(20)`` or spins has none, so with ``timeout=1`` it used to succeed after 20 s
    (issue 11). A thread holds the deadlines of running attempts; once one is ``grace``
    seconds past and its attempt still runs, it signals the main thread, whose handler
    raises :class:`~gini_host.stages.attempt.LoopBlocked` into that task if it is the one
    running (the loop is blocked by it). Main thread only: Python runs handlers there.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, grace: float, signum: int) -> None:
        self._loop = loop
        self._grace = grace
        self._signum = signum
        self._armed: dict[object, tuple[float, asyncio.Task[Any] | None]] = {}
        self._cond = threading.Condition()
        self._overdue: asyncio.Task[Any] | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self._previous = signal.signal(signum, self._handle)

    def arm(self, deadline: float) -> object:
        token = object()
        with self._cond:
            self._armed[token] = (deadline + self._grace, asyncio.current_task())
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="gini-async-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return token

    def disarm(self, token: object) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _watch(self) -> None:
        main = threading.main_thread().ident
        assert main is not None
        with self._cond:
            while not self._closed:
                if not self._armed:
                    self._cond.wait()
                    continue
                token, (due, task) = min(self._armed.items(), key=lambda item: item[1][0])
                left = due - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                # Again every half second until the attempt ends: a signal that lands just
                # before a blocking call's system call does not interrupt that call, and a
                # body may swallow the first LoopBlocked.
                self._armed[token] = (due + _REFIRE, task)
                self._overdue = task
                signal.pthread_kill(main, self._signum)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        task, self._overdue = self._overdue, None
        if task is not None and asyncio.current_task(self._loop) is task:
            raise LoopBlocked(self._grace)
        # Else the overdue task is not what runs: it awaits (and its timeout's cancellation
        # is pending on the loop), so nothing blocks the loop.

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        signal.signal(self._signum, self._previous)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _quiet_interrupts(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's exception handler: an interrupt that hit a callback instead of a stage
    (the run is cancelled anyway) is not an error to print."""
    if isinstance(context.get("exception"), RunInterrupted | LoopBlocked):
        return
    loop.default_exception_handler(context)


class AsyncStrategy:
    """Coroutine stages on one event loop driven from :meth:`wait`; sync stages on threads.

    ``max_workers`` caps the stages running at once (default: no practical cap); the sync
    stages' thread pool is capped like ``ThreadPoolExecutor``'s default, min(32, cpus + 4).
    """

    name: ClassVar[str] = "async"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = max(1, max_workers or DEFAULT_CAPACITY)
        self._loop = asyncio.new_event_loop()
        threads = min(self.capacity, 32, (os.cpu_count() or 1) + 4)
        self._threads = StageThreads(threads, self._deliver)
        #: Stage id -> its running task and job.
        self._tasks: dict[str, tuple[asyncio.Task[None], StageJob]] = {}
        self._results: list[StageResult] = []
        self._waiter: asyncio.Future[None] | None = None
        self._woken = False
        #: The run's control and watchdog, from the first job: set when the loop runs on the
        #: main thread, where a signal can interrupt a coroutine that blocks it.
        self._control: RunControl | None = None
        self._watchdog: _Watchdog | None = None

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        pass

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if job.stage.is_async and job.why is None:
            if job.main and self._control is None:
                self._on_main_thread(job)
            self._tasks[job.stage.id] = (self._loop.create_task(self._run_task(job)), job)
        elif alone or job.why is not None:
            self._results.append(job.inline())
        else:
            self._threads.dispatch(job)

    def _on_main_thread(self, job: StageJob) -> None:
        """The loop runs on the main thread: signals may interrupt what blocks it."""
        self._control = job.control
        if _WATCHDOG_SIGNAL is not None:
            self._watchdog = _Watchdog(self._loop, job.grace, _WATCHDOG_SIGNAL)
        self._loop.set_exception_handler(_quiet_interrupts)

    async def _run_task(self, job: StageJob) -> None:
        # The task delivers its own result: a done callback per task would cost a loop
        # iteration's handle more per stage.
        try:
            result = await run_stage_async(job.stage, job.ctx, job.control, self._watchdog)
        except BaseException as exc:
            # run_stage_async gives every stage a result; as in StageThreads._work, a job
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
            # While the loop runs on the main thread, a signal handler's ``interrupt`` raises
            # into what runs: a coroutine that blocks the loop (``time.sleep``) is stopped at
            # once instead of when it returns; an idle loop returns to the scheduling loop.
            control = self._control
            if control is not None:
                control.enter_inline()
            try:
                loop.run_until_complete(waiter)
            finally:
                if control is not None:
                    control.exit_inline()
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
        self._threads.close()
        if self._watchdog is not None:
            self._watchdog.close()
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
