"""What crosses between the host process and a process that runs one of its stages: the
protocol, and its host side (the worker side is :mod:`gini_host.stages.executors.worker`).

Used by the ``processes`` and ``dask`` executors alike: each is a :class:`RemoteStrategy`
holding its own :class:`Transport` (how workers are reached); everything else, from the plan
checks to what crosses and how a reply becomes a value or an error, is here once. The
rules (docs/operators.md):

- **Stages are found, never pickled.** A worker boots its own host from the run's
  :class:`~gini_host.kernel.recipe.HostRecipe` and looks the stage up by id; without a host (a bare
  ``StageManager``), the stage function is imported by ``module:qualname``, so it must be a
  module-level function. Closures and lambdas are refused before the run starts (dry runs
  included, so that a dry run says whether the real one would start).
- **What crosses must pickle**, and a value that does not fails its stage with a
  :class:`~gini_host.errors.BoundaryError` naming the stage and the value: the stage's config,
  the results of the stages it requires (``ctx.results`` in a worker holds those, plus results
  from before the run), the shared-store entries written before the run or by stages it
  depends on, and back: the return value and the store writes. Store keys cross by reference
  (see :class:`~gini_host.stages.context.ContextKey`): they must be module-level names.
- **Errors keep their type**: the exception is re-raised in the host with the worker's
  traceback as its cause, as ``concurrent.futures`` does.
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, final

import attrs

from gini_host.bounded import call_with_limit
from gini_host.errors import BoundaryError, ExecutorError, StageTimeoutError
from gini_host.naming import import_name, import_object
from gini_host.stages.context import StageContext
from gini_host.stages.executors.threads import StageThreads, drain_queue
from gini_host.stages.results import ErrorInfo
from gini_host.stages.stage import Stage

if TYPE_CHECKING:
    from gini_host.stages.context import RunState
    from gini_host.stages.executors.base import StageJob
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import StageResult

__all__ = [
    "ActivePlugin",
    "CallBuilder",
    "Fingerprint",
    "RemoteCall",
    "RemoteStrategy",
    "StageCall",
    "StageReply",
    "check_plan",
    "dumps",
    "function_ref",
    "host_boot",
    "plugin_fingerprint",
    "plugin_mismatch",
    "Transport",
    "WorkerHost",
]

#: The active plugins and their versions, in load order: what a worker must match.
Fingerprint = tuple[tuple[str, str | None], ...]


class ActivePlugin(Protocol):
    """A plugin of the host, as the remote executors see it."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str | None: ...


class WorkerRecipe(Protocol):
    """What a worker boots its host from (the kernel's ``HostRecipe``)."""

    @property
    def fingerprint(self) -> Fingerprint: ...

    def dumps(self) -> bytes: ...


class BootedPlugins(Protocol):
    """Anything that can list its active plugins (a host, on either side)."""

    def active_plugins(self) -> Sequence[ActivePlugin]: ...


class WorkerHost(Protocol):
    """What a remote executor needs of the host running the pipeline; the kernel's
    :class:`~gini_host.kernel.host.Host` satisfies it. A protocol, because the engine imports
    nothing from the kernel (docs/architecture.md)."""

    def recipe(self) -> WorkerRecipe:
        """How a worker boots an equal host; raises ExecutorError when it cannot."""
        ...

    def active_plugins(self) -> Sequence[ActivePlugin]:
        """The plugins whose stages a worker's host registers too, in load order."""
        ...


def plugin_fingerprint(host: WorkerHost | BootedPlugins) -> Fingerprint:
    """The one fingerprint of a plugin set (host side and worker side alike): the active
    plugins' names and versions, in load order."""
    return tuple((p.name, p.version) for p in host.active_plugins())


TO_WORKER = "to the worker"
TO_HOST = "back to the host"
PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL
#: How deep a value :func:`dumps` pickles: the recursion limit of its pickling thread. A
#: 100,000-deep list takes 20 ms there; in-process executors hand such a value on as is,
#: so it must cross a process boundary too (the same status on every executor).
DEEP_RECURSION_LIMIT = 1_000_000
#: The stack of that thread: measured, 1M levels of nested dicts and tuples fit in 256 MiB
#: (virtual memory: only the pages a value touches are used).
_DEEP_STACK = 512 * 1024 * 1024
_deep_lock = threading.Lock()


def _unresolved(ctx: StageContext) -> None:
    raise RuntimeError(f"stage {ctx.stage_id}: function not resolved in this worker")


def _unwrap_stage(target: Any) -> Any:
    # ``@stage def f`` leaves the Stage under the function's name.
    return target.function if isinstance(target, Stage) else target


def function_ref(function: Callable[..., Any]) -> tuple[str, str] | None:
    """``(module, qualname)`` under which ``function`` (or the module-level ``@stage`` object
    wrapping it) can be imported back, or None (closures, lambdas, ``__main__``)."""
    name = import_name(function, unwrap=_unwrap_stage)
    if name is None or ":" not in name:
        return None
    module, _, qualname = name.partition(":")
    return module, qualname


def resolve_function(module: str, qualname: str) -> Callable[..., Any]:
    target = _unwrap_stage(import_object(f"{module}:{qualname}"))
    if not callable(target):
        raise TypeError(f"{module}:{qualname} is not callable")
    return target  # type: ignore[no-any-return]


def host_boot(host: WorkerHost | None) -> tuple[bytes | None, Fingerprint]:
    """The pickled recipe a worker boots ``host`` from (None without a host), and the plugin
    fingerprint (names and versions) workers must match. Raises ExecutorError."""
    if host is None:
        return None, ()
    recipe = host.recipe()
    return recipe.dumps(), recipe.fingerprint


def plugin_mismatch(
    expected: tuple[tuple[str, str | None], ...],
    got: tuple[tuple[str, str | None], ...],
    where: str,
) -> str:
    """What differs between the host's plugin set and a worker's, in one line."""
    mine, theirs = dict(expected), dict(got)
    missing = sorted(set(mine) - set(theirs))
    extra = sorted(set(theirs) - set(mine))
    versions = sorted(n for n in set(mine) & set(theirs) if mine[n] != theirs[n])
    parts = []
    if missing:
        parts.append(f"lacks plugin(s) {', '.join(missing)}")
    if versions:
        parts.append(
            "has other versions: "
            + ", ".join(f"{n} {theirs[n]} (host: {mine[n]})" for n in versions)
        )
    if extra:
        parts.append(f"has extra plugin(s) {', '.join(extra)}")
    return f"{where} {'; '.join(parts) or 'loads the plugins in another order'}"


def check_plan(pipeline: Pipeline, host: WorkerHost | None) -> list[str]:
    """Why stages of ``pipeline`` could not be found in a worker (empty when all can).

    With a host, a stage is found by id when a plugin of the host registered it; otherwise
    (and without a host) its function must be importable by name.
    """
    plugins: set[str] = set()
    if host is not None:
        plugins = {p.name for p in host.active_plugins()}
    problems = []
    for sid, stage in pipeline.stages.items():
        if stage.plugin is not None and stage.plugin in plugins:
            continue
        if function_ref(stage.function) is None:
            name = getattr(stage.function, "__qualname__", repr(stage.function))
            problems.append(
                f"stage {sid!r}: its function {name} is not importable by name from a worker "
                "process (a closure, a lambda or defined in __main__); define it at module "
                "level, or register it from a plugin"
            )
    return problems


@attrs.frozen(slots=True)
class StageCall:
    """One attempt of a stage, as sent to a worker."""

    stage_id: str
    run_id: str
    #: The stage without its function, with the function's import name; None when the
    #: worker's host registered the stage (found by id).
    spec: Stage | None
    ref: tuple[str, str] | None
    config: bytes
    results: tuple[tuple[str, bytes], ...]
    #: Pickled (key, value) store entries, each with the id of the stage that wrote it.
    store: tuple[tuple[bytes, str], ...]


@attrs.frozen(slots=True)
class StageReply:
    """What came back from one attempt: a value, or an error; and the store writes."""

    value: bytes | None = None
    error: ErrorInfo | None = None
    exception: bytes | None = None
    writes: tuple[bytes, ...] = ()
    #: (what, why) for a value that did not pickle on its way back.
    crossing: tuple[str, str] | None = None


@final
class CallBuilder:
    """Host side, one per run: builds each attempt's :class:`StageCall`, applies replies."""

    def __init__(self, pipeline: Pipeline, host: WorkerHost | None) -> None:
        self.pipeline = pipeline
        self._found_by_id: set[str] = set()
        if host is not None:
            plugins = {p.name for p in host.active_plugins()}
            self._found_by_id = {
                sid
                for sid, s in pipeline.stages.items()
                if s.plugin is not None and s.plugin in plugins
            }
        self._specs: dict[str, tuple[Stage | None, tuple[str, str] | None]] = {}
        #: Pickled results by stage id: a result several stages read is pickled once.
        self._pickled: dict[str, bytes] = {}
        self._ancestors: dict[str, frozenset[str]] = {}

    def build(self, stage: Stage, ctx: StageContext) -> bytes:
        """The pickled call for one attempt; BoundaryError names a value that does not pickle."""
        sid = stage.id
        spec = self._specs.get(sid)
        if spec is None:
            if sid in self._found_by_id:
                spec = (None, None)
            else:
                spec = (
                    attrs.evolve(stage, function=_unresolved, describer=None),
                    function_ref(stage.function),
                )
            self._specs[sid] = spec
        raw = ctx.config  # a table, or an instance of the stage's config schema
        plain = dict(raw) if isinstance(raw, Mapping) else raw
        config = _dumps(plain, sid, "its config", TO_WORKER)
        return pickle.dumps(
            StageCall(
                sid,
                ctx.run_id,
                spec[0],
                spec[1],
                config,
                self._results(sid, ctx.results),
                self._store(sid, ctx),
            ),
            PICKLE_PROTOCOL,
        )

    def _results(self, sid: str, results: Mapping[str, Any]) -> tuple[tuple[str, bytes], ...]:
        plan = self.pipeline.stages
        wanted = [d for d in self.pipeline.requires[sid] if d in results]
        wanted += [k for k in results if k not in plan]  # results from before this run
        sent = []
        for dep in wanted:
            data = self._pickled.get(dep)
            if data is None:
                data = _dumps(results[dep], sid, f"results[{dep!r}]", TO_WORKER)
                if dep in plan:
                    self._pickled[dep] = data
            sent.append((dep, data))
        return tuple(sent)

    def _store(self, sid: str, ctx: StageContext) -> tuple[tuple[bytes, str], ...]:
        entries = ctx._run.store.entries()
        if not entries:
            return ()
        plan = self.pipeline.stages
        ancestors = self._ancestors_of(sid)
        return tuple(
            (_dumps((key, value), sid, f"shared-store value ctx[{key!r}]", TO_WORKER), writer)
            for key, value, writer in entries
            if writer not in plan or writer in ancestors
        )

    def _ancestors_of(self, sid: str) -> frozenset[str]:
        known = self._ancestors.get(sid)
        if known is None:
            seen: set[str] = set()
            stack = list(self.pipeline.requires[sid])
            while stack:
                dep = stack.pop()
                if dep not in seen:
                    seen.add(dep)
                    stack.extend(self.pipeline.requires[dep])
            known = self._ancestors[sid] = frozenset(seen)
        return known

    @staticmethod
    def apply(data: bytes, stage: Stage, ctx: StageContext) -> Any:
        """Apply a reply in the host: store writes, then the value, or raise the stage's error."""
        reply: StageReply = pickle.loads(data)
        for blob in reply.writes:
            try:
                key, value = pickle.loads(blob)
            except Exception as exc:
                raise BoundaryError(
                    stage.id, "a shared-store write", TO_HOST, ErrorInfo.describe(exc)
                ) from exc
            ctx[key] = value
        if reply.crossing is not None:
            what, why = reply.crossing
            raise BoundaryError(stage.id, what, TO_HOST, why)
        if reply.error is not None:
            raise _rebuild_exception(reply)
        assert reply.value is not None
        data = reply.value
        if stage.timeout is None:
            try:
                return pickle.loads(data)
            except Exception as exc:
                why = ErrorInfo.describe(exc)
                raise BoundaryError(stage.id, "its return value", TO_HOST, why) from exc
        # Unpickling runs the value's own __setstate__ (plugin code) here in the host: one that
        # never returned held the run forever, past the stage's timeout. It gets that timeout.
        outcome = call_with_limit(lambda: pickle.loads(data), stage.timeout, "gini-unpickle")
        if not outcome.finished:
            raise StageTimeoutError(stage.id, stage.timeout)
        if isinstance(outcome.error, Exception):
            why = ErrorInfo.describe(outcome.error)
            raise BoundaryError(stage.id, "its return value", TO_HOST, why) from outcome.error
        if outcome.error is not None:
            raise outcome.error
        return outcome.value


def dumps(value: object) -> bytes:
    """``pickle.dumps``, also for values nested deeper than the recursion limit allows.

    pickle recurses in C once per level, so a value nested 100,000 deep raises
    RecursionError; it is then pickled again on a thread with a large stack and a higher
    recursion limit (:data:`DEEP_RECURSION_LIMIT`). The limit is process-wide: the lock keeps
    one such pickling at a time, and the limit is put back as soon as it is done.
    """
    try:
        return pickle.dumps(value, PICKLE_PROTOCOL)
    except RecursionError:
        pass
    box: dict[str, Any] = {}

    def deep() -> None:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous, DEEP_RECURSION_LIMIT))
        try:
            box["data"] = pickle.dumps(value, PICKLE_PROTOCOL)
        except BaseException as exc:
            box["error"] = exc
        finally:
            sys.setrecursionlimit(previous)

    with _deep_lock:
        size = threading.stack_size(_DEEP_STACK)
        try:
            thread = threading.Thread(target=deep, name="gini-deep-pickle", daemon=True)
            thread.start()
        finally:
            threading.stack_size(size)
        thread.join()
    if "error" in box:
        raise box["error"]
    return box["data"]  # type: ignore[no-any-return]


def _dumps(value: object, sid: str, what: str, direction: str) -> bytes:
    try:
        return dumps(value)
    except Exception as exc:
        raise BoundaryError(sid, what, direction, ErrorInfo.describe(exc)) from exc


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, attached as its ``__cause__``."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)

    def __str__(self) -> str:
        return f'\n"""\n{self.text.rstrip()}\n"""'


class RemoteStageError(Exception):
    """Stands in for a worker's exception that could not be pickled or unpickled."""


def _rebuild_exception(reply: StageReply) -> BaseException:
    info = reply.error
    assert info is not None
    exc: BaseException | None = None
    if reply.exception is not None:
        try:
            exc = pickle.loads(reply.exception)
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        # A subclass named like the original, so the result's ErrorInfo keeps the type name.
        stand_in = type(info.type, (RemoteStageError,), {"__module__": __name__})
        stand_in.__qualname__ = info.type
        exc = stand_in(info.message)
    exc.__cause__ = RemoteTraceback(info.traceback)
    return exc


class RemoteCall:
    """One attempt of a stage in a worker: build the call, exchange it, apply the reply.

    What a :class:`StageThreads` thread calls for each attempt (a
    :data:`~gini_host.stages.attempt.BodyCall`). It holds the run's :class:`CallBuilder` and
    the executor's transport, not the strategy: no reference cycle keeps a run alive.
    """

    __slots__ = ("calls", "transport")

    def __init__(self, calls: CallBuilder, transport: Transport) -> None:
        self.calls = calls
        self.transport = transport

    def __call__(self, stage: Stage, ctx: StageContext) -> Any:
        payload = self.calls.build(stage, ctx)
        reply = self.transport.exchange(payload, stage, ctx)
        return self.calls.apply(reply, stage, ctx)


class Transport(Protocol):
    """How a remote executor reaches its workers: the one part ``processes`` and ``dask``
    do differently. :class:`RemoteStrategy` does the rest."""

    def connect(
        self, pipeline: Pipeline, run: RunState, boot: bytes | None, fingerprint: Fingerprint
    ) -> int | None:
        """Reach workers booting ``boot`` for ``pipeline``; refuse with ExecutorError when
        they cannot run it (in a dry run too: that is what a dry run checks), and raise
        RunInterrupted when the run is cancelled meanwhile (``run.cancelled``). Returns how
        many stages may run at once when the workers say it (None: the strategy's own)."""

    def exchange(self, payload: bytes, stage: Stage, ctx: StageContext) -> bytes:
        """One attempt: send ``payload``, return the reply; raise StageTimeoutError past
        ``stage.timeout``, RunInterrupted once ``ctx.cancelled`` is set by the run, and
        WorkerCrashed when the worker died."""

    def wake(self) -> None:
        """The run is being cancelled (any thread, or a signal handler): wake the waits of
        cancelled stages now."""

    def cancel(self) -> None:
        """Stop every running attempt (their exchanges raise RunInterrupted)."""

    def close(self) -> None:
        """Release the workers (those the transport started)."""


class RemoteStrategy:
    """Stage bodies in workers reached through ``transport``, one supervising thread per
    running stage: every attempt is one exchange (:class:`RemoteCall`), so retries, retry
    delays, statuses, the failure policy and tag limits stay those of the one loop."""

    name: ClassVar[str] = "remote"

    def __init__(self, transport: Transport, max_workers: int | None = None) -> None:
        self.transport = transport
        self.capacity = max(1, max_workers or os.cpu_count() or 1)
        self._wanted = max_workers
        self._done: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._threads: StageThreads | None = None
        self._call: RemoteCall | None = None

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        problems = check_plan(pipeline, run.host)
        if problems:
            raise ExecutorError(self.name, problems)
        boot, fingerprint = host_boot(run.host)
        offered = self.transport.connect(pipeline, run, boot, fingerprint)
        if offered is not None and self._wanted is None:
            self.capacity = max(1, offered)
        self._call = RemoteCall(CallBuilder(pipeline, run.host), self.transport)
        self._threads = StageThreads(self.capacity, self._done.put, self._call)

    def submit(self, job: StageJob, *, alone: bool) -> None:
        if alone or self._threads is None:
            # A dry run describes here (``call`` is not used then).
            self._done.put(job.inline(self._call))
        else:
            self._threads.dispatch(job)

    def wait(self, timeout: float | None) -> list[StageResult]:
        return drain_queue(self._done, timeout)

    def wake(self) -> None:
        self.transport.wake()
        self._done.put(None)

    def cancel(self) -> None:
        self.transport.cancel()

    def close(self) -> None:
        if self._threads is not None:
            self._threads.close()
        self.transport.close()
