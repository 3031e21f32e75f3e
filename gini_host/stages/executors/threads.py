"""The ``threads`` executor: stages on a pool of daemon threads.

The pool itself, :class:`StageThreads`, is a part other executors hold, not a base class
they extend: ``async`` runs its sync stages on one, and the remote executors (``processes``,
``dask``) run on one the threads that supervise stage bodies running in workers.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, final

from gini_host.stages.executors.base import StageJob
from gini_host.stages.results import StageResult

if TYPE_CHECKING:
    from gini_host.stages.attempt import BodyCall
    from gini_host.stages.context import RunState
    from gini_host.stages.pipeline import Pipeline

__all__ = ["StageThreads", "ThreadStrategy"]


_STOP = object()


@final
class StageThreads:
    """Up to ``max_threads`` daemon threads that run the jobs handed to :meth:`dispatch`
    and pass each result to ``deliver`` (called on the worker thread).

    Daemon threads, not ``ThreadPoolExecutor``: the latter joins its workers at interpreter
    exit, so one stage blocked forever would keep a cancelled host from exiting.

    ``call`` makes each attempt of a stage body (None: here, on the thread); the remote
    executors pass the exchange with a worker, so retries, retry delays, statuses and the
    failure policy stay those of :func:`~gini_host.stages.attempt.run_stage`.
    """

    def __init__(
        self,
        max_threads: int,
        deliver: Callable[[StageResult], None],
        call: BodyCall | None = None,
    ) -> None:
        self.max_threads = max(1, max_threads)
        self.call = call
        self._deliver: Callable[[StageResult], None] | None = deliver
        self._jobs: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def dispatch(self, job: StageJob) -> None:
        """Hand ``job`` to a worker thread, starting one when none is idle."""
        with self._lock:
            # The loop never submits more than its capacity, so an idle worker or room for
            # a new one always exists (or, capped, the job waits in the queue).
            spawn = self._idle == 0 and len(self._threads) < self.max_threads
            if self._idle:
                self._idle -= 1
        if spawn:
            thread = threading.Thread(
                target=self._work, name=f"gini-stage-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        self._jobs.put(job)

    def run_job(self, job: StageJob) -> StageResult:
        """How a worker thread runs one job."""
        return job(self.call)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            assert isinstance(job, StageJob)
            try:
                result = self.run_job(job)
            except BaseException as exc:
                # run_stage gives every stage a result; this is for the executor's own errors.
                # A job must never vanish with its thread: the loop would wait for it forever.
                result = StageResult.of_failure(job.stage, exc)
            with self._lock:
                self._idle += 1
            deliver = self._deliver
            if deliver is not None:  # None once closed: the run ended without this stage
                deliver(result)

    def close(self) -> None:
        """Stop idle threads; busy ones are abandoned (daemons), their results dropped.

        Dropping ``deliver`` also breaks the reference cycle an owner's bound method makes,
        so a run's executor (and its pipes) is freed at once, not by the garbage collector.
        """
        self._deliver = None
        self.call = None
        for _ in self._threads:
            self._jobs.put(_STOP)


_WAKE = object()


class ThreadStrategy:
    """Runs jobs on up to ``max_workers`` daemon threads; a lone ready job runs inline."""

    name: ClassVar[str] = "threads"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = max(1, max_workers or os.cpu_count() or 1)
        self._done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads = StageThreads(self.capacity, self._done.put)

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        pass

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if alone:
            self._done.put(job.inline())
        else:
            self._threads.dispatch(job)

    def wait(self, timeout: float | None) -> list[StageResult]:
        return drain_queue(self._done, timeout)

    def wake(self) -> None:
        self._done.put(_WAKE)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        self._threads.close()


def drain_queue(done: queue.SimpleQueue[object], timeout: float | None) -> list[StageResult]:
    """The results in ``done``, waiting up to ``timeout`` for the first (anything else put
    there, a wake-up, only ends the wait)."""
    try:
        first = done.get(timeout=timeout)
    except queue.Empty:
        return []
    items = [first]
    while True:
        try:
            items.append(done.get_nowait())
        except queue.Empty:
            break
    return [i for i in items if isinstance(i, StageResult)]
