"""The ``processes`` executor: stage bodies in worker processes, for CPU-bound work.

Each worker is a ``spawn``-ed process (never ``fork``: the host has threads) that boots the
run's plugin set once, from the host's recipe, then runs stages one at a time, found by id
(:mod:`gini_host.stages.remote` says what crosses and how). The strategy is the ``threads``
strategy with one change: a thread does not run the body, it supervises the worker that
does. So retries, retry delays and statuses come from the same
:func:`~gini_host.stages.runner.run_stage`; each attempt is one exchange with a worker:

- a **timeout** terminates the worker (SIGTERM, then SIGKILL) and fails the attempt with
  ``StageTimeoutError``; a **cancelled run** terminates the workers of running stages, which
  end ``cancelled``; on the main thread a signal reaches the stage at once, as inline stages;
- a **worker that dies** (``os._exit``, a signal, a segfault) fails the attempt with
  :class:`~gini_host.errors.WorkerCrashed`, naming the exit code or signal; the worker is
  replaced for the next stage and the run goes on by the usual rules.

Workers live in a :class:`WorkerPool`: one per run by default, or a long-lived one passed
in (``ProcessStrategy(pool=...)``), which a process running many pipelines reuses warm.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
import time
import traceback
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, ClassVar, final

from loguru import logger

from gini_host.errors import ExecutorError, StageTimeoutError, WorkerCrashed
from gini_host.stages.control import RunInterrupted
from gini_host.stages.remote import (
    CallBuilder,
    WorkerSide,
    check_plan,
    host_boot,
    plugin_mismatch,
)
from gini_host.stages.strategies import StageJob, ThreadStrategy

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

    from gini_host.stages.context import RunState, StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = ["ProcessStrategy", "WorkerPool"]

#: How long a terminated worker gets to exit before it is killed.
_TERMINATE_GRACE = 1.0
_STOP = b""


def _log_sink(conn: Connection, lock: threading.Lock) -> Any:
    """A loguru sink in the worker that forwards each record to the host, which logs it."""

    def sink(message: Any) -> None:
        record = message.record
        extra = {
            k: v if isinstance(v, str | int | float | bool | None) else repr(v)
            for k, v in record["extra"].items()
        }
        with lock:
            conn.send(("log", record["level"].name, record["message"], extra))

    return sink


def _worker_main(conn: Connection, boot: bytes | None) -> None:
    """A worker process: boot once, then run calls until told to stop (or killed)."""
    # The host decides what a Ctrl-C means (it terminates workers); a terminal's SIGINT,
    # sent to the whole process group, must not kill a stage halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()
    logger.remove()  # boot logs repeat the host's own; stage logs are forwarded below
    try:
        side = WorkerSide(boot)
    except BaseException as exc:
        conn.send(("boot-failed", "".join(traceback.format_exception(exc))))
        return
    conn.send(("ready", side.fingerprint))
    logger.add(_log_sink(conn, lock), level=0, format="{message}")
    try:
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                break
            if data == _STOP:
                break
            reply = side.run(data)
            with lock:
                conn.send(("reply", reply))
    finally:
        logger.remove()
        side.shutdown()


@final
class _Worker:
    """One worker process and the host's end of its pipe."""

    __slots__ = ("conn", "fingerprint", "process", "ready")

    def __init__(self, context: multiprocessing.context.SpawnContext, boot: bytes | None) -> None:
        parent, child = context.Pipe()
        self.process: SpawnProcess = context.Process(
            target=_worker_main, args=(child, boot), name="gini-worker", daemon=True
        )
        self.process.start()
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
            self.conn.send_bytes(_STOP)
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
    :class:`ProcessStrategy`; :meth:`close` ends every worker.
    """

    def __init__(
        self,
        boot: bytes | None = None,
        *,
        fingerprint: tuple[tuple[str, str | None], ...] = (),
        start_method: str = "spawn",
    ) -> None:
        if start_method == "fork":
            raise ValueError("worker processes are never forked: the host runs threads")
        self.boot = boot
        self.fingerprint = fingerprint
        self._context: Any = multiprocessing.get_context(start_method)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def checkout(self) -> _Worker:
        """An idle live worker, or a new one (not necessarily booted yet)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._all.discard(worker)
            worker = _Worker(self._context, self.boot)
            self._all.add(worker)
            return worker

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


class ProcessStrategy(ThreadStrategy):
    """Runs each stage body in a worker process, supervised by one thread per running stage.

    ``max_workers`` (default: the CPU count) caps both. ``pool`` lends a long-lived
    :class:`WorkerPool`; it must boot the run's plugin set, and it is not closed at the end.
    """

    name: ClassVar[str] = "processes"

    def __init__(self, max_workers: int | None = None, *, pool: WorkerPool | None = None) -> None:
        super().__init__(max_workers)
        self._pool = pool
        self._owns_pool = pool is None
        self._calls: CallBuilder | None = None
        # The alarm: readable once the run is cancelled, so every supervisor wakes at once.
        self._alarm_in, self._alarm_out = multiprocessing.Pipe(duplex=False)
        self._alarmed = False

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        if run.dry_run:
            return  # describers run here; no worker is needed
        problems = check_plan(pipeline, run.host)
        if problems:
            raise ExecutorError(self.name, problems)
        boot, fingerprint = host_boot(run.host)
        if self._pool is None:
            self._pool = WorkerPool(boot, fingerprint=fingerprint)
        elif self._pool.boot != boot:
            raise ExecutorError(
                self.name, ["the worker pool passed in boots another plugin set than this host"]
            )
        self._calls = CallBuilder(pipeline, run.host)

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if job.why is not None:
            self._done.put(job.inline())
        elif alone:
            self._done.put(job.inline(self._attempt))
        else:
            self._dispatch(job)

    def _run_job(self, job: StageJob) -> Any:
        return job(self._attempt)

    # -- one attempt: an exchange with a worker --------------------------------------------

    def _attempt(self, stage: Stage, ctx: StageContext) -> Any:
        assert self._pool is not None
        assert self._calls is not None
        payload = self._calls.build(stage, ctx)
        worker = self._pool.checkout()
        try:
            if not worker.ready:
                self._await_ready(worker, stage, ctx)
            worker.conn.send_bytes(payload)
            deadline = None if stage.timeout is None else time.monotonic() + stage.timeout
            reply = self._receive(worker, stage, ctx, deadline, "reply")
        except BaseException:
            self._pool.discard(worker)
            raise
        self._pool.checkin(worker)
        return self._calls.apply(reply[1], stage, ctx)

    def _await_ready(self, worker: _Worker, stage: Stage, ctx: StageContext) -> None:
        message = self._receive(worker, stage, ctx, None, "ready")
        worker.fingerprint = message[1]
        expected = self._pool.fingerprint if self._pool is not None else ()
        if expected and worker.fingerprint != expected:
            raise ExecutorError(
                self.name,
                [plugin_mismatch(expected, worker.fingerprint, f"worker process {worker.pid}")],
            )
        worker.ready = True

    def _receive(
        self,
        worker: _Worker,
        stage: Stage,
        ctx: StageContext,
        deadline: float | None,
        expect: str,
    ) -> tuple[Any, ...]:
        """The next message ``expect``-ed from ``worker``, relaying its log records; raise
        on timeout, cancellation or the worker's death."""
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
                if message[0] == "boot-failed":
                    raise ExecutorError(
                        self.name,
                        [f"worker process {worker.pid} could not boot:\n{message[1]}"],
                    )
                if message[0] == expect:
                    return tuple(message)
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
