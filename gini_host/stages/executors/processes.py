"""The ``processes`` executor: stage bodies in worker processes, for CPU-bound work.

Each worker is a ``spawn``-ed process (never ``fork``: the host has threads) that boots the
run's plugin set once, from the host's recipe, then runs stages one at a time, found by id
(:mod:`gini_host.stages.executors.remote` says what crosses and how). The strategy is the
``threads`` strategy with one change: a thread does not run the body, it supervises the worker that
does. So retries, retry delays and statuses come from the same
:func:`~gini_host.stages.attempt.run_stage`; each attempt is one exchange with a worker:

- a **timeout** terminates the worker (SIGTERM, then SIGKILL) and fails the attempt with
  ``StageTimeoutError``; a **cancelled run** terminates the workers of running stages, which
  end ``cancelled``; on the main thread a signal reaches the stage at once, as inline stages;
- a **worker that dies** (``os._exit``, a signal, a segfault) fails the attempt with
  :class:`~gini_host.errors.WorkerCrashed`, naming the exit code or signal; the worker is
  replaced for the next stage and the run goes on by the usual rules;
- a **worker that cannot boot** the plugin set (boot error, other plugins or versions than
  the host's, no "ready" within :data:`BOOT_TIMEOUT`) refuses the run before any stage starts:
  :meth:`ProcessStrategy.start` boots one worker first, as the ``dask`` executor checks its
  workers. The pool then stays refused: it starts no further worker, so a boot failure can
  never turn into one failure and one new worker per stage.

Workers live in a :class:`WorkerPool`: one per run by default, or a long-lived one passed
in (``ProcessStrategy(pool=...)``), which a process running many pipelines reuses warm.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, ClassVar, final

from gini_host.errors import ExecutorError, StageTimeoutError, WorkerCrashed, describe_exit
from gini_host.logs import logger
from gini_host.stages.control import RunInterrupted
from gini_host.stages.executors.remote import Fingerprint, RemoteStrategy, plugin_mismatch
from gini_host.stages.executors.worker import STOP, process_main

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

    from gini_host.stages.context import StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = ["BOOT_TIMEOUT", "ProcessStrategy", "WorkerPool"]

#: How long a terminated worker gets to exit before it is killed.
_TERMINATE_GRACE = 1.0
#: How long a new worker gets to boot the plugin set (import, preflight, init) and say so.
BOOT_TIMEOUT = 60.0


@final
class _Worker:
    """One worker process and the host's end of its pipe."""

    __slots__ = ("conn", "fingerprint", "process", "ready", "spawned")

    def __init__(self, context: multiprocessing.context.SpawnContext, boot: bytes | None) -> None:
        parent, child = context.Pipe()
        self.process: SpawnProcess = context.Process(
            target=process_main, args=(child, boot), name="gini-worker", daemon=True
        )
        self.process.start()
        self.spawned = time.monotonic()
        child.close()
        self.conn = parent
        self.ready = False
        self.fingerprint: tuple[tuple[str, str | None], ...] = ()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def stop(self) -> None:
        """Ask an idle worker to shut its host down and exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self.conn.send_bytes(STOP)
        self.process.join(_TERMINATE_GRACE)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_TERMINATE_GRACE)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(_TERMINATE_GRACE)
        self.conn.close()


class WorkerPool:
    """Worker processes that boot one plugin set (``boot``: a pickled host recipe, or None
    for stages found by import name); workers are started on demand and reused.

    Thread-safe. Long-lived pools (tests, services running many pipelines) are passed to
    :class:`ProcessStrategy`; :meth:`close` ends every worker. A worker that cannot boot
    (``boot_timeout``: default :data:`BOOT_TIMEOUT`) refuses the pool for good: ``problem``
    says why, and :meth:`checkout` raises it instead of starting another worker.
    """

    def __init__(
        self,
        boot: bytes | None = None,
        *,
        fingerprint: tuple[tuple[str, str | None], ...] = (),
        start_method: str = "spawn",
        boot_timeout: float | None = None,
    ) -> None:
        if start_method == "fork":
            raise ValueError("worker processes are never forked: the host runs threads")
        self.boot = boot
        self.fingerprint = fingerprint
        self.boot_timeout = BOOT_TIMEOUT if boot_timeout is None else boot_timeout
        #: Why workers of this pool cannot run stages (set by the first that failed to boot).
        self.problem: str | None = None
        #: How many worker processes the pool has started.
        self.started = 0
        self._context: Any = multiprocessing.get_context(start_method)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def checkout(self) -> _Worker:
        """An idle live worker, or a new one (not necessarily booted yet: see
        :meth:`await_boot`); ExecutorError once a worker of the pool could not boot."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self.problem is not None:
                raise ExecutorError(ProcessStrategy.name, [self.problem])
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._all.discard(worker)
            worker = _Worker(self._context, self.boot)
            self.started += 1
            self._all.add(worker)
            return worker

    def prepare(self, workers: int = 1) -> None:
        """Have ``workers`` booted workers ready, booting the missing ones side by side now:
        ExecutorError says why a worker cannot boot, before any stage is sent."""
        taken = [self.checkout() for _ in range(max(1, workers))]
        try:
            for worker in taken:
                self.await_boot(worker)
        finally:
            for worker in taken:
                if worker.ready:
                    self.checkin(worker)
                else:
                    self.discard(worker)

    def await_boot(
        self,
        worker: _Worker,
        alarm: Connection | None = None,
        cancelled: threading.Event | None = None,
    ) -> None:
        """Wait until ``worker`` has booted, at most ``boot_timeout`` from its start.

        A failure (boot error, other plugins than the host's, no answer in time, an exit)
        discards the worker, refuses the pool and raises ExecutorError. ``alarm`` becomes
        readable when the run is cancelled: the wait then raises RunInterrupted if
        ``cancelled`` (the waiting stage's event) is set.
        """
        if worker.ready:
            return
        watch: list[Any] = [worker.conn, worker.process.sentinel]
        if alarm is not None:
            watch.append(alarm)
        deadline = worker.spawned + self.boot_timeout
        problem = None
        while problem is None:
            ready = wait(watch, max(0.0, deadline - time.monotonic()))
            if worker.conn in ready:
                problem = self._boot_message(worker)
                if problem is None:
                    return
            elif worker.process.sentinel in ready:
                worker.process.join(_TERMINATE_GRACE)
                exit_status = describe_exit(worker.process.exitcode)
                problem = f"worker process {worker.pid} exited while booting ({exit_status})"
            elif alarm is not None and alarm in ready:
                if cancelled is not None and cancelled.is_set():
                    self.discard(worker)
                    raise RunInterrupted("run cancelled")
                watch.remove(alarm)  # not this stage's cancel: stop watching
            elif not ready:
                problem = f"worker process {worker.pid} did not boot within {self.boot_timeout:g}s"
        with self._lock:
            self.problem = self.problem or problem
        self.discard(worker)
        raise ExecutorError(ProcessStrategy.name, [problem])

    def _boot_message(self, worker: _Worker) -> str | None:
        """Read the worker's boot message: None when it booted the host's plugin set, else
        why it cannot run stages."""
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return f"worker process {worker.pid} closed its pipe while booting"
        if message[0] == "boot-failed":
            return f"worker process {worker.pid} could not boot:\n{message[1]}"
        if message[0] != "ready":
            return f"unexpected message from booting worker {worker.pid}: {message[0]!r}"
        worker.fingerprint = message[1]
        if self.fingerprint and worker.fingerprint != self.fingerprint:
            where = f"worker process {worker.pid}"
            return plugin_mismatch(self.fingerprint, worker.fingerprint, where)
        worker.ready = True
        return None

    def checkin(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                self._all.discard(worker)
                worker.stop()
            else:
                self._idle.append(worker)

    def discard(self, worker: _Worker) -> None:
        """Terminate ``worker`` (timed out, cancelled, crashed); the pool starts another."""
        with self._lock:
            self._all.discard(worker)
        worker.kill()

    @property
    def size(self) -> int:
        return len(self._all)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, busy = self._idle, self._all.difference(self._idle)
            self._idle, self._all = [], set()
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ProcessStrategy(RemoteStrategy):
    """Runs each stage body in a worker process, supervised by one thread per running stage.

    ``max_workers`` (default: the CPU count) caps both. ``pool`` lends a long-lived
    :class:`WorkerPool`; it must boot the run's plugin set, and it is not closed at the end.
    """

    name: ClassVar[str] = "processes"

    def __init__(self, max_workers: int | None = None, *, pool: WorkerPool | None = None) -> None:
        super().__init__(max_workers)
        self._pool = pool
        self._owns_pool = pool is None
        # The alarm: readable once the run is cancelled, so every supervisor wakes at once.
        self._alarm_in, self._alarm_out = multiprocessing.Pipe(duplex=False)
        self._alarmed = False

    @property
    def pool(self) -> WorkerPool | None:
        """The workers of the run (None before :meth:`start`)."""
        return self._pool

    def _connect(self, pipeline: Pipeline, boot: bytes | None, fingerprint: Fingerprint) -> None:
        if self._pool is None:
            self._pool = WorkerPool(boot, fingerprint=fingerprint)
        elif self._pool.boot != boot:
            raise ExecutorError(
                self.name, ["the worker pool passed in boots another plugin set than this host"]
            )
        # As many workers as the widest layer of the plan can use, booted side by side: the
        # first stages need them anyway, and a plugin set that cannot boot refuses the run.
        widest = max((len(layer) for layer in pipeline.layers), default=1)
        self._pool.prepare(min(self.capacity, widest))

    # -- one attempt: an exchange with a worker --------------------------------------------

    def _attempt(self, stage: Stage, ctx: StageContext) -> Any:
        pool, calls = self._pool, self._calls
        assert pool is not None
        assert calls is not None
        payload = calls.build(stage, ctx)
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
        return calls.apply(reply, stage, ctx)

    def _receive(
        self, worker: _Worker, stage: Stage, ctx: StageContext, deadline: float | None
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
                    raise self._crashed(worker, stage) from None
                if message[0] == "log":
                    _relay(message)
                    continue
                if message[0] == "reply":
                    return message[1]  # type: ignore[no-any-return]
                raise RuntimeError(f"unexpected message from worker {worker.pid}: {message[0]!r}")
            if worker.process.sentinel in ready:
                raise self._crashed(worker, stage)
            if self._alarm_in in ready:
                if ctx.cancelled.is_set():
                    raise RunInterrupted("run cancelled")
                watch.remove(self._alarm_in)  # not this stage's cancel: stop watching
                continue
            if not ready:  # the deadline passed
                assert stage.timeout is not None
                raise StageTimeoutError(stage.id, stage.timeout)

    @staticmethod
    def _crashed(worker: _Worker, stage: Stage) -> WorkerCrashed:
        worker.process.join(_TERMINATE_GRACE)
        return WorkerCrashed(stage.id, worker.pid, worker.process.exitcode)

    # -- cancellation and the end of the run ----------------------------------------------

    def _alarm(self) -> None:
        if not self._alarmed:
            self._alarmed = True
            with contextlib.suppress(OSError):
                self._alarm_out.send_bytes(b"!")

    def wake(self) -> None:
        # Called by RunControl.cancel (any thread, or a signal handler): supervisors of
        # cancelled stages terminate their workers now.
        self._alarm()
        super().wake()

    def cancel(self) -> None:
        self._alarm()

    def close(self) -> None:
        super().close()
        if self._owns_pool and self._pool is not None:
            self._alarm()  # supervisors still waiting give up their workers
            self._pool.close()


def _relay(message: tuple[Any, ...]) -> None:
    _, level, text, extra = message
    logger.bind(**extra).opt(depth=0).log(level, text)
