"""The ``dask`` executor: stage bodies on a Dask cluster (optional extra ``gini-host[dask]``).

``--scheduler ADDRESS`` connects to an existing cluster; without it, a ``LocalCluster``
(2 worker processes, 1 thread each, no dashboard, bound to 127.0.0.1) is started for the run
and closed after it. A Dask ``WorkerPlugin`` boots the run's plugin set on every worker once,
from the host's recipe (workers that join later boot it too), and the run is refused when a
worker lacks a plugin or has another version of one.

Like ``processes``, this is the ``threads`` strategy where a thread supervises each running
stage (:class:`~gini_host.stages.executors.remote.RemoteStrategy`): every attempt is one Dask future
under a key of its own (a retry reusing the key got the failed attempt's outcome back from
the scheduler without running), so retries, failure policy and tag limits are the
scheduling loop's, unchanged. The loop submits a stage when it is ready, not the whole plan
as one graph: a graph would start stages that fail-fast must not start after a failure, and
would put tag limits out of the loop's reach. On a 20-stage graph of 50 ms stages, a
ready-only submission measured 0.72 s against 0.65 s for ``client.get`` of the whole graph
(see docs/operators.md for the trade-off). Dask's errors map onto the usual statuses:
``KilledWorker`` fails the stage as a crashed worker, a timeout fails the attempt with
``StageTimeoutError``, a cancelled run ends running stages ``cancelled`` at once. Dask cannot
interrupt a task already running on a worker thread: its future is cancelled in the
background and the task abandoned, its result discarded; a timed-out attempt may thus still
run beside its retry, and an abandoned task holds its worker thread until it returns.

Log lines: a local cluster's (scheduler, nannies, workers) and the workers' own loguru
records are held to the operator's console level. ``--scheduler`` addresses that are invalid
or do not answer within :data:`CONNECT_TIMEOUT` are bad input (exit 2), naming the address.

The worker plugin is idempotent and named after a hash of the boot data: runs on one client
with the same plugin set reuse the workers' booted hosts instead of booting them again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import threading
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from gini_host import capture
from gini_host.errors import ExecutorError, SchedulerUnreachable, StageTimeoutError, WorkerCrashed
from gini_host.logs import console_level, logger
from gini_host.stages.control import RunInterrupted
from gini_host.stages.executors.remote import Fingerprint, RemoteStrategy, plugin_mismatch
from gini_host.stages.executors.worker import WorkerSide
from gini_host.stages.results import ErrorInfo

try:
    import dask
    import distributed
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ExecutorError(
        "dask", [f"it needs the optional extra: pip install 'gini-host[dask]' ({exc})"]
    ) from None

if TYPE_CHECKING:
    from gini_host.stages.context import RunState, StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = [
    "CONNECT_TIMEOUT",
    "DaskStrategy",
    "DaskTransport",
    "GiniWorkerPlugin",
    "connect",
    "local_cluster",
]

NAME = "dask"
#: How long connecting to ``--scheduler`` may take before the address is called unreachable
#: (Dask's own default, 30 s, left an operator staring at a typo's hang).
CONNECT_TIMEOUT = 10.0


def local_cluster(
    n_workers: int = 2, silence_logs: str | int = logging.WARNING
) -> distributed.LocalCluster:
    """The cluster a run starts when given no scheduler: 2 processes x 1 thread, local only.

    ``allowed-failures`` 0: a stage that kills its worker fails at once (``WorkerCrashed``),
    where Dask's default retries it on three more workers, killing each.

    The scheduler serves HTTP (``/metrics``, health) even without a dashboard, on port 8787
    unless told otherwise, and warns when 8787 is taken; it is bound to a free port instead,
    so a dashboard already running on the machine changes nothing.

    ``silence_logs``: the level below which Dask's own log lines (scheduler, nannies, workers)
    are dropped; the run passes the operator's console level.
    """
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=_stdlib_level(silence_logs),
        )


def _stdlib_level(level: str | int) -> int:
    """A loguru level name as the ``logging`` level Dask understands (TRACE is DEBUG)."""
    if isinstance(level, int):
        return level
    return logging.DEBUG if level == "TRACE" else int(logging.getLevelName(level))


class GiniWorkerPlugin(WorkerPlugin):
    """Boots the plugin set once on each Dask worker, from the host recipe ``boot``.

    Idempotent: registering it again under the same name (the hash of ``boot``: the same
    plugin set) keeps the one the workers have, so each run does not boot every host anew.
    """

    idempotent = True

    def __init__(
        self, boot: bytes | None, fingerprint: Fingerprint, log_level: str = "WARNING"
    ) -> None:
        self.boot = boot
        self.fingerprint = fingerprint
        self.log_level = log_level
        self.side: WorkerSide | None = None
        self.problem: str | None = None
        self._stdout = contextlib.ExitStack()

    def setup(self, worker: Any) -> None:
        # A worker's stdout may be the host's (a local cluster's workers inherit it): what
        # stages print there goes to the worker's stderr, labelled, even from their threads.
        self._stdout = contextlib.ExitStack()
        self._stdout.enter_context(capture.host_owns_stdout())
        # The host's log lines in a worker (its boot, stages' ``ctx.log``) go to the
        # worker's stderr, which is the operator's console for a local cluster: at the
        # operator's level, not loguru's default DEBUG.
        _worker_logs(self.log_level)
        try:
            self.side = WorkerSide(self.boot)
        except BaseException as exc:
            self.problem = f"Dask worker {worker.address} could not boot: {ErrorInfo.describe(exc)}"
            return
        got = self.side.fingerprint
        if self.boot is not None and got != self.fingerprint:
            self.problem = plugin_mismatch(self.fingerprint, got, f"Dask worker {worker.address}")

    def teardown(self, worker: Any) -> None:
        try:
            if self.side is not None:
                self.side.shutdown()
        finally:
            self._stdout.close()


def _worker_logs(level: str) -> None:
    """Send this worker's loguru records to its stderr from ``level`` up (Dask's own lines
    are the cluster's business: a local cluster holds them to the level, see
    :func:`local_cluster`)."""
    logger.remove()
    logger.add(sys.stderr, level=level, diagnose=False, backtrace=False)


def _plugin(name: str, worker: Any = None) -> GiniWorkerPlugin:
    worker = worker or distributed.get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, GiniWorkerPlugin):
        raise ExecutorError(NAME, [f"Dask worker {worker.address} did not load {name}"])
    return plugin


def _worker_problem(name: str, dask_worker: Any = None) -> str | None:
    """On a worker (``client.run``): why it cannot run this run's stages, or None."""
    try:
        return _plugin(name, dask_worker).problem
    except ExecutorError as exc:
        return str(exc)


def _run_on_worker(name: str, payload: bytes) -> bytes:
    """The task of one attempt: run the call against the worker's booted host."""
    plugin = _plugin(name)
    if plugin.problem is not None or plugin.side is None:
        raise ExecutorError(NAME, [plugin.problem or "the worker did not boot"])
    return plugin.side.run(payload)


_Running = tuple["distributed.Future[Any] | None", "StageContext", threading.Event]


class DaskTransport:
    """How the ``dask`` executor reaches its workers: a Dask client, one future per attempt
    (see :class:`~gini_host.stages.executors.remote.Transport`)."""

    def __init__(
        self,
        scheduler: str | None,
        client: distributed.Client | None,
        connect_timeout: float,
    ) -> None:
        self.scheduler = scheduler
        self.client = client
        self.connect_timeout = connect_timeout
        self._owned: list[Any] = []
        self._plugin_name = ""
        self._lock = threading.Lock()
        #: Stage id -> the future of its running attempt, its context, and the event its
        #: supervisor waits on (set when the future is done, or the stage cancelled).
        self._running: dict[str, _Running] = {}
        self._cancelled = False

    def connect(
        self, pipeline: Pipeline, run: RunState, boot: bytes | None, fingerprint: Fingerprint
    ) -> int | None:
        client = self._client_for_run()
        level = _log_level()
        # The name also covers the log level: workers booted for a quieter console are not
        # reused for a louder one (their loguru sink was set up at boot).
        digest = hashlib.sha1((boot or b"") + level.encode()).hexdigest()[:12]
        self._plugin_name = "gini-host-" + digest
        client.register_plugin(GiniWorkerPlugin(boot, fingerprint, level), name=self._plugin_name)
        verdicts = client.run(_worker_problem, self._plugin_name)
        refused = [problem for problem in verdicts.values() if problem]
        if refused:
            raise ExecutorError(NAME, refused)
        return int(sum(client.nthreads().values()))

    def _client_for_run(self) -> distributed.Client:
        if self.client is None:
            if self.scheduler is not None:
                self.client = connect(self.scheduler, self.connect_timeout)
            else:
                cluster = local_cluster(silence_logs=_log_level())
                self._owned.append(cluster)
                self.client = distributed.Client(cluster)
            self._owned.insert(0, self.client)
        return self.client

    def exchange(self, payload: bytes, stage: Stage, ctx: StageContext) -> bytes:
        client = self.client
        assert client is not None
        # A key per attempt: Dask keeps a key's outcome while a future holds it, so a retry
        # under the attempt's key got the failed outcome back without running (issue 7).
        key = f"{stage.id}-{uuid.uuid4().hex}"
        settled = threading.Event()
        with self._lock:
            # Registered before the future exists: a cancel from now on wakes this wait,
            # even one that comes before ``submit`` returns (it raced the dict entry, and the
            # supervisor then waited for the body to end: issue 11).
            self._running[stage.id] = (None, ctx, settled)
        try:
            if ctx.cancelled.is_set() or self._cancelled:
                raise RunInterrupted("run cancelled")
            future = client.submit(_run_on_worker, self._plugin_name, payload, pure=False, key=key)
            with self._lock:
                self._running[stage.id] = (future, ctx, settled)
            ctx.worker = f"dask {getattr(client.scheduler, 'address', None) or 'cluster'}"
            future.add_done_callback(lambda _: settled.set())
            if ctx.cancelled.is_set() or self._cancelled:
                settled.set()
            settled.wait(stage.timeout)
            if not future.done():
                # Dask cannot stop a task running on a worker thread: it is abandoned (its
                # future cancelled in the background), and the stage ends now.
                _abandon(client, future)
                if ctx.cancelled.is_set() or self._cancelled:
                    raise RunInterrupted("run cancelled")
                assert stage.timeout is not None
                raise StageTimeoutError(stage.id, stage.timeout)
            return _outcome(future, stage)
        finally:
            with self._lock:
                self._running.pop(stage.id, None)

    def wake(self) -> None:
        # Called by RunControl.cancel, maybe from a signal handler: only events are set here
        # (a client call blocks on its IO loop); each supervisor abandons its future itself.
        for _, ctx, settled in list(self._running.values()):
            if ctx.cancelled.is_set():
                settled.set()

    def cancel(self) -> None:
        """Every running stage ends ``cancelled``, its task abandoned."""
        self._cancelled = True
        for _, _, settled in list(self._running.values()):
            settled.set()

    def close(self) -> None:
        for owned in self._owned:
            owned.close()
        self._owned.clear()


def _outcome(future: distributed.Future[Any], stage: Stage) -> bytes:
    """The reply of a finished future, or the stage's error for what Dask says happened."""
    try:
        # Done, but its value (or error) is still fetched from the cluster: no timeout here.
        return future.result()  # type: ignore[no-any-return]
    except distributed.CancelledError:
        raise RunInterrupted("run cancelled") from None
    except distributed.KilledWorker as exc:
        detail = f"Dask gave up on the task (KilledWorker): {exc}"
        raise WorkerCrashed(stage.id, None, None, worker="a Dask worker", detail=detail) from exc


def _abandon(client: distributed.Client, future: distributed.Future[Any]) -> None:
    """Cancel ``future`` without waiting for the scheduler to say so."""
    threading.Thread(
        target=client.cancel, args=([future],), name="gini-dask-cancel", daemon=True
    ).start()


def connect(address: str, timeout: float) -> distributed.Client:
    """A client of the scheduler at ``address``; :class:`~gini_host.errors.SchedulerUnreachable`
    (bad input, one line naming the address) when the address is invalid or nothing answers
    there within ``timeout`` seconds."""
    try:
        return distributed.Client(address, timeout=timeout)
    except (ValueError, TypeError) as exc:
        why = f"not a scheduler address ({_first_line(exc)})"
        raise SchedulerUnreachable(address, why) from None
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(address, f"unreachable ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _log_level() -> str:
    """The level Dask's and the workers' log lines are held to: the operator's console level
    (``-q``, ``-qq``, ``-v``), but WARNING for the default INFO: a local cluster says a dozen
    INFO lines per run (workers starting, plugins registered) that are Dask's business, not
    the run's. WARNING outside the command line, as Dask's own default."""
    level = console_level()
    return "WARNING" if level in (None, "INFO") else level


class DaskStrategy(RemoteStrategy):
    """Runs each stage body as a Dask future, supervised by one thread per running stage.

    ``scheduler`` is the address of an existing cluster, reached within ``connect_timeout``
    seconds; ``client`` lends a connected ``distributed.Client`` (not closed at the end).
    Without either, a :func:`local_cluster` lives for the run. ``max_workers`` defaults to
    the cluster's thread count. Only the transport is its own: everything else is
    :class:`~gini_host.stages.executors.remote.RemoteStrategy`'s.
    """

    name: ClassVar[str] = NAME

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        scheduler: str | None = None,
        client: distributed.Client | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(DaskTransport(scheduler, client, connect_timeout), max_workers)
