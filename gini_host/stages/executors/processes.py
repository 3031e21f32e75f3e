"""The ``processes`` executor: stage bodies in worker processes, for CPU-bound work.

Workers (:mod:`~gini_host.stages.executors.process_pool`) boot the run's plugin set once,
from the host's recipe, then run stages one at a time, found by id
(:mod:`~gini_host.stages.executors.remote` says what crosses and how). The strategy is a
:class:`~gini_host.stages.executors.remote.RemoteStrategy`: a thread supervises each running
stage, whose attempts it makes in a worker, so retries, retry delays and statuses come from
the same :func:`~gini_host.stages.attempt.run_stage`. This module is the transport, what
one attempt is here: an exchange with a worker over its pipe.

- a **timeout** ends the worker (SIGTERM to its process group, the grace period for its
  ``gini_shutdown``, then SIGKILL) and fails the attempt with ``StageTimeoutError``; a
  **cancelled run** ends the workers of running stages the same way, and they end
  ``cancelled``; on the main thread a signal reaches the stage at once, as inline stages;
- a **worker that dies** (``os._exit``, a signal, a segfault) fails the attempt with
  :class:`~gini_host.errors.WorkerCrashed`, naming the exit code or signal; the worker is
  replaced for the next stage and the run goes on by the usual rules;
- a **worker that cannot boot** the plugin set (boot error, other plugins or versions than
  the host's, no "ready" within :data:`BOOT_TIMEOUT`) refuses the run before any stage starts
  (a dry run boots one worker to say so): the pool then stays refused, so a boot failure can
  never turn into one failure and one new worker per stage. A run cancelled while workers
  boot stops waiting for them at once.

Workers live in a :class:`WorkerPool`: one per run by default, or a long-lived one passed
in (``ProcessStrategy(pool=...)``), which a process running many pipelines reuses warm.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, ClassVar

from gini_host.errors import ExecutorError, StageTimeoutError, WorkerCrashed
from gini_host.logs import logger
from gini_host.stages.control import RunInterrupted
from gini_host.stages.executors.process_pool import (
    BOOT_TIMEOUT,
    JOIN,
    NAME,
    Worker,
    WorkerPool,
)
from gini_host.stages.executors.remote import Fingerprint, RemoteStrategy

if TYPE_CHECKING:
    from gini_host.stages.context import RunState, StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = ["BOOT_TIMEOUT", "ProcessStrategy", "ProcessTransport", "WorkerPool"]


class ProcessTransport:
    """How the ``processes`` executor reaches its workers: a :class:`WorkerPool`, one
    exchange per attempt over the worker's pipe (see :class:`~.remote.Transport`)."""

    def __init__(self, pool: WorkerPool | None, capacity: int) -> None:
        self.pool = pool
        self._owns_pool = pool is None
        self._capacity = capacity
        # The alarm: readable once the run is cancelled, so every supervisor wakes at once.
        self._alarm_in, self._alarm_out = multiprocessing.Pipe(duplex=False)
        self._alarmed = False

    def connect(
        self, pipeline: Pipeline, run: RunState, boot: bytes | None, fingerprint: Fingerprint
    ) -> int | None:
        if self.pool is None:
            self.pool = WorkerPool(boot, fingerprint=fingerprint)
        elif self.pool.boot != boot:
            raise ExecutorError(
                NAME, ["the worker pool passed in boots another plugin set than this host"]
            )
        # As many workers as the widest layer of the plan can use, booted side by side: the
        # first stages need them anyway, and a plugin set that cannot boot refuses the run.
        # A dry run boots one: it checks that the real run would start.
        widest = max((len(layer) for layer in pipeline.layers), default=1)
        wanted = 1 if run.dry_run else min(self._capacity, widest)
        self.pool.prepare(wanted, self._alarm_in, run.cancelled)
        return None

    def exchange(self, payload: bytes, stage: Stage, ctx: StageContext) -> bytes:
        pool = self.pool
        assert pool is not None
        worker = pool.checkout()
        ctx.worker = f"pid {worker.pid}"
        try:
            pool.await_boot(worker, self._alarm_in, ctx.cancelled)
            worker.conn.send_bytes(payload)
            deadline = None if stage.timeout is None else time.monotonic() + stage.timeout
            reply = self._receive(worker, stage, ctx, deadline)
        except BaseException:
            pool.discard(worker)
            raise
        pool.checkin(worker)
        return reply

    def _receive(
        self, worker: Worker, stage: Stage, ctx: StageContext, deadline: float | None
    ) -> bytes:
        """The reply of ``worker``, relaying its log records meanwhile; raise on timeout,
        cancellation or the worker's death."""
        watch: list[Any] = [worker.conn, worker.process.sentinel, self._alarm_in]
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(watch, left)
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    raise _crashed(worker, stage) from None
                if message[0] == "log":
                    _relay(message)
                    continue
                if message[0] == "reply":
                    return message[1]  # type: ignore[no-any-return]
                raise RuntimeError(f"unexpected message from worker {worker.pid}: {message[0]!r}")
            if worker.process.sentinel in ready:
                raise _crashed(worker, stage)
            if self._alarm_in in ready:
                if ctx.cancelled.is_set():
                    raise RunInterrupted("run cancelled")
                watch.remove(self._alarm_in)  # not this stage's cancel: stop watching
                continue
            if not ready:  # the deadline passed
                assert stage.timeout is not None
                raise StageTimeoutError(stage.id, stage.timeout)

    def _alarm(self) -> None:
        if not self._alarmed:
            self._alarmed = True
            with contextlib.suppress(OSError):
                self._alarm_out.send_bytes(b"!")

    def wake(self) -> None:
        # Called by RunControl.cancel (any thread, or a signal handler): supervisors of
        # cancelled stages, and a boot being waited for, give their workers up now.
        self._alarm()

    def cancel(self) -> None:
        self._alarm()

    def close(self) -> None:
        if self._owns_pool and self.pool is not None:
            self._alarm()  # supervisors still waiting give up their workers
            self.pool.close()
        self._alarm_in.close()
        self._alarm_out.close()


class ProcessStrategy(RemoteStrategy):
    """Runs each stage body in a worker process, supervised by one thread per running stage.

    ``max_workers`` (default: the CPU count) caps both. ``pool`` lends a long-lived
    :class:`WorkerPool`; it must boot the run's plugin set, and it is not closed at the end.
    Only the transport is its own: everything else is :class:`~.remote.RemoteStrategy`'s.
    """

    name: ClassVar[str] = NAME

    def __init__(self, max_workers: int | None = None, *, pool: WorkerPool | None = None) -> None:
        capacity = max(1, max_workers or os.cpu_count() or 1)
        self._processes = ProcessTransport(pool, capacity)
        super().__init__(self._processes, max_workers)

    @property
    def pool(self) -> WorkerPool | None:
        """The workers of the run (None before :meth:`start`)."""
        return self._processes.pool


def _crashed(worker: Worker, stage: Stage) -> WorkerCrashed:
    worker.process.join(JOIN)
    return WorkerCrashed(stage.id, worker.pid, worker.process.exitcode)


def _relay(message: tuple[Any, ...]) -> None:
    _, level, text, extra = message
    logger.bind(**extra).opt(depth=0).log(level, text)
