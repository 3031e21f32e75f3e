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
``KilledWorker`` fails the stage as a crashed worker, a timeout cancels the future and fails
the attempt with ``StageTimeoutError``, a cancelled run cancels the futures of running stages
(which end ``cancelled``). Dask cannot interrupt a task already running on a worker thread: it
is abandoned, its result discarded; a timed-out attempt may thus still run beside its retry.

The worker plugin is idempotent and named after a hash of the boot data: runs on one client
with the same plugin set reuse the workers' booted hosts instead of booting them again.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from gini_host import capture
from gini_host.errors import ExecutorError, StageTimeoutError, WorkerCrashed
from gini_host.stages.context import StageContext
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
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.stage import Stage

__all__ = ["DaskStrategy", "GiniWorkerPlugin", "local_cluster"]


def local_cluster(n_workers: int = 2) -> distributed.LocalCluster:
    """The cluster a run starts when given no scheduler: 2 processes x 1 thread, local only.

    ``allowed-failures`` 0: a stage that kills its worker fails at once (``WorkerCrashed``),
    where Dask's default retries it on three more workers, killing each.

    The scheduler serves HTTP (``/metrics``, health) even without a dashboard, on port 8787
    unless told otherwise, and warns when 8787 is taken; it is bound to a free port instead,
    so a dashboard already running on the machine changes nothing.
    """
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )


class GiniWorkerPlugin(WorkerPlugin):
    """Boots the plugin set once on each Dask worker, from the host recipe ``boot``.

    Idempotent: registering it again under the same name (the hash of ``boot``: the same
    plugin set) keeps the one the workers have, so each run does not boot every host anew.
    """

    idempotent = True

    def __init__(self, boot: bytes | None, fingerprint: tuple[tuple[str, str | None], ...]):
        self.boot = boot
        self.fingerprint = fingerprint
        self.side: WorkerSide | None = None
        self.problem: str | None = None
        self._stdout = contextlib.ExitStack()

    def setup(self, worker: Any) -> None:
        # A worker's stdout may be the host's (a local cluster's workers inherit it): what
        # stages print there goes to the worker's stderr, labelled, even from their threads.
        self._stdout = contextlib.ExitStack()
        self._stdout.enter_context(capture.host_owns_stdout())
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


def _plugin(name: str, worker: Any = None) -> GiniWorkerPlugin:
    worker = worker or distributed.get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, GiniWorkerPlugin):
        raise ExecutorError("dask", [f"Dask worker {worker.address} did not load {name}"])
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
        raise ExecutorError("dask", [plugin.problem or "the worker did not boot"])
    return plugin.side.run(payload)


class DaskStrategy(RemoteStrategy):
    """Runs each stage body as a Dask future, supervised by one thread per running stage.

    ``scheduler`` is the address of an existing cluster; ``client`` lends a connected
    ``distributed.Client`` (not closed at the end). Without either, a :func:`local_cluster`
    lives for the run. ``max_workers`` defaults to the cluster's thread count.
    """

    name: ClassVar[str] = "dask"

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        scheduler: str | None = None,
        client: distributed.Client | None = None,
    ) -> None:
        super().__init__(max_workers)
        self._wanted = max_workers
        self._scheduler = scheduler
        self._client = client
        self._owned: list[Any] = []
        self._plugin_name = ""
        #: Stage id -> the future of its running attempt, and its context.
        self._futures: dict[str, tuple[distributed.Future[Any], StageContext]] = {}
        self._cancelled = False

    def _connect(self, pipeline: Pipeline, boot: bytes | None, fingerprint: Fingerprint) -> None:
        client = self._client_for_run()
        self._plugin_name = "gini-host-" + hashlib.sha1(boot or b"").hexdigest()[:12]
        client.register_plugin(GiniWorkerPlugin(boot, fingerprint), name=self._plugin_name)
        verdicts = client.run(_worker_problem, self._plugin_name)
        refused = [problem for problem in verdicts.values() if problem]
        if refused:
            raise ExecutorError(self.name, refused)
        threads = sum(client.nthreads().values())
        self.capacity = self._max_threads = max(1, self._wanted or threads)

    def _client_for_run(self) -> distributed.Client:
        if self._client is None:
            if self._scheduler is not None:
                self._client = distributed.Client(self._scheduler)
            else:
                cluster = local_cluster()
                self._owned.append(cluster)
                self._client = distributed.Client(cluster)
            self._owned.insert(0, self._client)
        return self._client

    def _attempt(self, stage: Stage, ctx: StageContext) -> Any:
        calls, client = self._calls, self._client
        assert calls is not None
        assert client is not None
        payload = calls.build(stage, ctx)
        # A key per attempt: Dask keeps a key's outcome while a future holds it, so a retry
        # under the attempt's key got the failed outcome back without running (issue 7).
        key = f"{stage.id}-{uuid.uuid4().hex}"
        future = client.submit(_run_on_worker, self._plugin_name, payload, pure=False, key=key)
        self._futures[stage.id] = (future, ctx)
        ctx.worker = f"dask {getattr(client.scheduler, 'address', None) or 'cluster'}"
        try:
            reply = future.result(timeout=stage.timeout)
        except distributed.TimeoutError:
            future.cancel()
            if ctx.cancelled.is_set() or self._cancelled:
                raise RunInterrupted("run cancelled") from None
            assert stage.timeout is not None
            raise StageTimeoutError(stage.id, stage.timeout) from None
        except distributed.CancelledError:
            raise RunInterrupted("run cancelled") from None
        except distributed.KilledWorker as exc:
            detail = f"Dask gave up on the task (KilledWorker): {exc}"
            worker = "a Dask worker"
            raise WorkerCrashed(stage.id, None, None, worker=worker, detail=detail) from exc
        finally:
            self._futures.pop(stage.id, None)
        return calls.apply(reply, stage, ctx)

    def cancel(self) -> None:
        """Cancel the futures of running stages: they end ``cancelled``."""
        self._cancelled = True
        self._cancel_futures(everything=True)

    def wake(self) -> None:
        # Called by RunControl.cancel, maybe from a signal handler: the futures of cancelled
        # stages are cancelled from a helper thread (a client call blocks on its IO loop).
        if any(ctx.cancelled.is_set() for _, ctx in list(self._futures.values())):
            threading.Thread(target=self._cancel_futures, name="gini-dask-cancel").start()
        super().wake()

    def _cancel_futures(self, everything: bool = False) -> None:
        futures = [
            future
            for future, ctx in list(self._futures.values())
            if everything or ctx.cancelled.is_set()
        ]
        if futures and self._client is not None:
            self._client.cancel(futures)

    def close(self) -> None:
        super().close()
        for owned in self._owned:
            owned.close()
        self._owned.clear()
