"""The worker processes of the ``processes`` executor: starting, booting, reusing, ending.

A worker is a ``spawn``-ed process (never ``fork``: the host has threads) that leads a process
group of its own and boots the run's plugin set once (:func:`~.worker.process_main`). Ending
one is always the same few steps (:func:`end_workers`): SIGTERM to its group, a grace period
in which the worker runs its plugins' ``gini_shutdown``, then SIGKILL to whatever is left of
the group, processes its stages started included.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, final

from gini_host.errors import ExecutorError, describe_exit
from gini_host.stages.attempt import DEFAULT_GRACE
from gini_host.stages.control import RunInterrupted
from gini_host.stages.executors.remote import Fingerprint, plugin_mismatch
from gini_host.stages.executors.worker import STOP, process_main

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

__all__ = ["BOOT_TIMEOUT", "JOIN", "NAME", "Worker", "WorkerPool", "end_workers"]

NAME = "processes"
#: How long to wait for a worker that is dead or SIGKILLed to be reaped.
JOIN = 1.0
#: How long a new worker gets to boot the plugin set (import, preflight, init) and say so.
BOOT_TIMEOUT = 60.0


@final
class Worker:
    """One worker process and the host's end of its pipe.

    The worker leads a process group of its own (it calls ``setpgid`` first thing, and the
    host tries too, in case it gets there first): what its stages start goes with it.
    """

    __slots__ = ("conn", "fingerprint", "process", "ready", "spawned")

    def __init__(self, context: multiprocessing.context.SpawnContext, boot: bytes | None) -> None:
        parent, child = context.Pipe()
        self.process: SpawnProcess = context.Process(
            target=process_main, args=(child, boot), name="gini-worker", daemon=True
        )
        self.process.start()
        self.spawned = time.monotonic()
        with contextlib.suppress(OSError):  # EACCES once the child has exec'd: it does it then
            os.setpgid(self.process.pid or 0, self.process.pid or 0)
        child.close()
        self.conn = parent
        self.ready = False
        self.fingerprint: tuple[tuple[str, str | None], ...] = ()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the worker's process group (its stages' children too), or to
        the worker alone if it does not lead a group yet."""
        pid = self.process.pid
        if pid is None:
            return
        try:
            # The group named after the worker exists only once the worker leads it: never the
            # host's own group.
            os.killpg(pid, signum)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError):
                if self.process.is_alive():
                    os.kill(pid, signum)
        except PermissionError:  # pragma: no cover - a group member changed its user
            pass


def end_workers(workers: Iterable[Worker], grace: float, *, stop: bool = False) -> None:
    """End ``workers`` together: SIGTERM to each one's group (or, with ``stop``, ask idle
    workers to stop), ``grace`` seconds for them to run their plugins' ``gini_shutdown`` and
    exit, then SIGKILL to what is left of each group, leftovers of its stages included."""
    workers = list(workers)
    for worker in workers:
        if stop:
            with contextlib.suppress(OSError):
                worker.conn.send_bytes(STOP)
        else:
            worker.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if stop and worker.process.is_alive():
            worker.signal_group(signal.SIGTERM)  # an idle worker that did not stop: as above
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        # The worker, if it outlived its grace, and every process its stages left behind.
        worker.signal_group(signal.SIGKILL)
        worker.process.join(JOIN)
        worker.conn.close()


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
        fingerprint: Fingerprint = (),
        start_method: str = "spawn",
        boot_timeout: float | None = None,
        grace: float = DEFAULT_GRACE,
    ) -> None:
        if start_method == "fork":
            raise ValueError("worker processes are never forked: the host runs threads")
        self.boot = boot
        self.fingerprint = fingerprint
        self.boot_timeout = BOOT_TIMEOUT if boot_timeout is None else boot_timeout
        #: How long a worker ended for a timeout or a cancel gets to shut its host down.
        self.grace = grace
        #: Why workers of this pool cannot run stages (set by the first that failed to boot).
        self.problem: str | None = None
        #: How many worker processes the pool has started.
        self.started = 0
        self._context: Any = multiprocessing.get_context(start_method)
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def checkout(self) -> Worker:
        """An idle live worker, or a new one (not necessarily booted yet: see
        :meth:`await_boot`); ExecutorError once a worker of the pool could not boot."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self.problem is not None:
                raise ExecutorError(NAME, [self.problem])
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._all.discard(worker)
            worker = Worker(self._context, self.boot)
            self.started += 1
            self._all.add(worker)
            return worker

    def prepare(
        self,
        workers: int = 1,
        alarm: Connection | None = None,
        cancelled: threading.Event | None = None,
    ) -> None:
        """Have ``workers`` booted workers ready, booting the missing ones side by side now:
        ExecutorError says why a worker cannot boot, before any stage is sent. ``alarm`` and
        ``cancelled`` as for :meth:`await_boot`: a cancelled run stops waiting at once."""
        taken = [self.checkout() for _ in range(max(1, workers))]
        try:
            for worker in taken:
                self.await_boot(worker, alarm, cancelled)
        finally:
            for worker in taken:
                if worker.ready:
                    self.checkin(worker)
            self.discard(*(worker for worker in taken if not worker.ready))

    def await_boot(
        self,
        worker: Worker,
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
                worker.process.join(JOIN)
                exit_status = describe_exit(worker.process.exitcode)
                problem = f"worker process {worker.pid} exited while booting ({exit_status})"
            elif alarm is not None and alarm in ready:
                if cancelled is not None and cancelled.is_set():
                    raise RunInterrupted("run cancelled")
                watch.remove(alarm)  # not this stage's cancel: stop watching
            elif not ready:
                problem = f"worker process {worker.pid} did not boot within {self.boot_timeout:g}s"
        with self._lock:
            self.problem = self.problem or problem
        self.discard(worker)
        raise ExecutorError(NAME, [problem])

    def _boot_message(self, worker: Worker) -> str | None:
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

    def checkin(self, worker: Worker) -> None:
        with self._lock:
            closed = self._closed
            if closed:
                self._all.discard(worker)
            else:
                self._idle.append(worker)
        if closed:
            end_workers([worker], self.grace, stop=True)

    def discard(self, *workers: Worker) -> None:
        """End ``workers`` (timed out, cancelled, crashed) within the grace period, with
        what their stages started; the pool starts others."""
        with self._lock:
            self._all.difference_update(workers)
        end_workers(workers, self.grace)

    @property
    def size(self) -> int:
        return len(self._all)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, busy = self._idle, self._all.difference(self._idle)
            self._idle, self._all = [], set()
        # Busy workers get SIGTERM, idle ones STOP, all at once: one grace period in all.
        stopping = threading.Thread(
            target=end_workers, args=(idle, self.grace), kwargs={"stop": True}
        )
        stopping.start()
        end_workers(busy, self.grace)
        stopping.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
