"""Where stage jobs run: inline (sequential) or on a pool of daemon threads.

A strategy only runs jobs and hands back their results; the one scheduling loop in
:mod:`gini_host.stages.executors` decides what runs when. Kedro's runners taught the shape:
strategies are small, the loop is shared. The other strategies (``async``, ``processes``,
``dask``) live in modules of their own and follow the same protocol; :data:`EXECUTORS` names
them all.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol, final

from gini_host.stages.results import StageResult
from gini_host.stages.runner import BodyCall, describe_stage, run_stage

if TYPE_CHECKING:
    from gini_host.stages.context import RunState, StageContext
    from gini_host.stages.control import RunControl
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = [
    "EXECUTORS",
    "SequentialStrategy",
    "StageJob",
    "Strategy",
    "StrategyFactory",
    "ThreadStrategy",
    "strategy_for",
]


@final
class StageJob:
    """One stage the loop hands a strategy: its stage, its context, and how to run it here.

    In-process strategies call it (:meth:`__call__` on any thread, :meth:`inline` on the loop's
    own thread); strategies that run stages elsewhere read ``stage`` and ``ctx`` instead.
    ``why`` is set for a dry run (why the stage is in the plan): describe, never run.
    ``grace`` is how long a timed-out body gets to stop before it is given up on.
    """

    __slots__ = ("control", "ctx", "grace", "main", "stage", "why")

    def __init__(
        self,
        stage: Stage,
        ctx: StageContext,
        control: RunControl,
        why: str | None,
        main: bool,
        grace: float,
    ) -> None:
        self.stage = stage
        self.ctx = ctx
        self.control = control
        self.why = why
        #: The loop runs on the main thread, where a signal handler may interrupt a stage.
        self.main = main
        self.grace = grace

    def __call__(self, call: BodyCall | None = None) -> StageResult:
        """Run the stage (or describe it, in a dry run) from the calling thread; ``call``
        makes each attempt elsewhere (a worker process), with the same retries."""
        if self.why is not None:
            return describe_stage(self.stage, self.ctx, self.why, self.control)
        return run_stage(self.stage, self.ctx, self.control, call, self.grace)

    def inline(self, call: BodyCall | None = None) -> StageResult:
        """Run on the scheduling loop's own thread: on the main thread, a signal handler
        calling ``RunControl.interrupt`` raises into the body (or into the wait for a worker
        process) instead of waiting for it."""
        if self.why is not None or not self.main:
            return self(call)
        control = self.control
        control.enter_inline()
        try:
            return run_stage(self.stage, self.ctx, control, call, self.grace)
        finally:
            control.exit_inline()


class Strategy(Protocol):
    """Runs jobs the scheduling loop submits."""

    name: ClassVar[str]
    #: How many jobs may run at once; the loop never submits more. Read after :meth:`start`.
    capacity: int

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        """Prepare for a run of ``pipeline`` (connect, check what must cross to workers);
        raise :class:`~gini_host.errors.ExecutorError` to refuse the plan."""

    def submit(self, job: StageJob, *, alone: bool) -> None:
        """Start ``job``; ``alone`` is True when nothing else is running or ready."""

    def wait(self, timeout: float | None) -> list[StageResult]:
        """Block until at least one job finished (or ``timeout``, or :meth:`wake`)."""

    def wake(self) -> None:
        """Make a blocked :meth:`wait` return now (cancellation)."""

    def cancel(self) -> None:
        """The run was cancelled: stop running jobs where the strategy can (cancel tasks,
        terminate processes, cancel futures); their results still come through :meth:`wait`.
        In-process threads cannot be stopped: they see ``ctx.cancelled``."""

    def close(self) -> None:
        """Release workers; jobs still running are abandoned, not joined."""


class SequentialStrategy:
    """Runs each job on the calling thread, at once: the cheapest way to run a plan."""

    name: ClassVar[str] = "sequential"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = 1
        self._done: list[StageResult] = []

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        pass

    def submit(self, job: StageJob, *, alone: bool) -> None:
        self._done.append(job.inline())

    def wait(self, timeout: float | None) -> list[StageResult]:
        done, self._done = self._done, []
        return done

    def wake(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


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


#: Makes the strategy of one run from ``max_workers`` (None: the strategy's default).
StrategyFactory = Callable[[int | None], Strategy]


def _async(max_workers: int | None) -> Strategy:
    from gini_host.stages.eventloop import AsyncStrategy

    return AsyncStrategy(max_workers)


def _processes(max_workers: int | None) -> Strategy:
    from gini_host.stages.processes import ProcessStrategy

    return ProcessStrategy(max_workers)


def _dask(max_workers: int | None) -> Strategy:
    from gini_host.stages.dask import DaskStrategy

    return DaskStrategy(max_workers)


#: Executor name -> strategy factory taking ``max_workers``. The factories of the other three
#: import their strategy when called: they cost nothing until chosen, and ``dask`` needs the
#: optional extra ``gini-host[dask]``.
EXECUTORS: dict[str, StrategyFactory] = {
    "sequential": SequentialStrategy,
    "threads": ThreadStrategy,
    "async": _async,
    "processes": _processes,
    "dask": _dask,
}


def strategy_for(executor: str | StrategyFactory, max_workers: int | None) -> Strategy:
    """The strategy registered under ``executor`` (or made by it, when it is a factory,
    e.g. one bound to a long-lived worker pool); KeyError lists the known names."""
    if callable(executor):
        return executor(max_workers)
    try:
        factory = EXECUTORS[executor]
    except KeyError:
        known = ", ".join(sorted(EXECUTORS))
        raise KeyError(f"unknown executor {executor!r}; known: {known}") from None
    return factory(max_workers)
