"""The ``threads`` executor: stages on a pool of daemon threads.

The strategies that run stage bodies elsewhere (``async``, ``processes``, ``dask``) build on
this pool: a thread supervises each running stage.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import TYPE_CHECKING, ClassVar

from gini_host.stages.executors.base import StageJob
from gini_host.stages.results import StageResult

if TYPE_CHECKING:
    from gini_host.stages.attempt import BodyCall
    from gini_host.stages.context import RunState
    from gini_host.stages.pipeline import Pipeline

__all__ = ["ThreadStrategy"]


_WAKE = object()
_STOP = object()


class ThreadStrategy:
    """Runs jobs on up to ``max_workers`` daemon threads; a lone ready job runs inline.

    Daemon threads, not ``ThreadPoolExecutor``: the latter joins its workers at interpreter
    exit, so one stage blocked forever would keep a cancelled host from exiting.

    The strategies that run stage bodies elsewhere (``processes``, ``dask``) are this one with
    :meth:`_body_call` overridden: a thread then supervises each running stage, whose attempts
    it makes in a worker, so retries, statuses and the failure policy stay those of the loop.
    """

    name: ClassVar[str] = "threads"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = max(1, max_workers or os.cpu_count() or 1)
        self._jobs: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        #: At most this many worker threads (subclasses with a larger capacity cap it).
        self._max_threads = self.capacity
        self._idle = 0
        self._lock = threading.Lock()

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        pass

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if alone:
            self._done.put(job.inline(self._body_call()))
            return
        self._dispatch(job)

    def _body_call(self) -> BodyCall | None:
        """How each attempt of a stage body is made: here (None), or in a worker.

        A method, not an attribute holding a bound method: that would be a reference cycle,
        keeping each run's strategy (and its pipes) alive until the garbage collector runs.
        """
        return None

    def _dispatch(self, job: StageJob) -> None:
        """Hand ``job`` to a worker thread, starting one when none is idle."""
        with self._lock:
            # The loop never submits more than ``capacity`` jobs, so an idle worker or room
            # for a new one always exists (or, capped, the job waits in the queue).
            spawn = self._idle == 0 and len(self._threads) < self._max_threads
            if self._idle:
                self._idle -= 1
        if spawn:
            thread = threading.Thread(
                target=self._work, name=f"gini-stage-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        self._jobs.put(job)

    def _run_job(self, job: StageJob) -> StageResult:
        """How a worker thread runs one job."""
        return job(self._body_call())

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            assert isinstance(job, StageJob)
            try:
                result = self._run_job(job)
            except BaseException as exc:
                # run_stage gives every stage a result; this is for the strategy's own errors.
                # A job must never vanish with its thread: the loop would wait for it forever.
                result = StageResult.of_failure(job.stage, exc)
            with self._lock:
                self._idle += 1
            self._deliver(result)

    def _deliver(self, result: StageResult) -> None:
        """Hand a worker thread's result to :meth:`wait`."""
        self._done.put(result)

    def wait(self, timeout: float | None) -> list[StageResult]:
        try:
            first = self._done.get(timeout=timeout)
        except queue.Empty:
            return []
        items = [first]
        while True:
            try:
                items.append(self._done.get_nowait())
            except queue.Empty:
                break
        return [i for i in items if isinstance(i, StageResult)]

    def wake(self) -> None:
        self._done.put(_WAKE)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(_STOP)


