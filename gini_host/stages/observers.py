"""Who watches a run: the observer callbacks, and the guard the loop calls them through.

An observer (the ``gini_pipeline_start`` / ``gini_stage_start`` / ``gini_stage_finish`` /
``gini_pipeline_finish`` hooks) that raises has a bug, but the run it watches does not: the
error is logged once per plugin and hook (one line, the traceback only at DEBUG), the other
plugins' observers of the same call still run, the run goes on and ends as usual (every
result kept, the executor closed), and then one :class:`ObserverError` is raised, carrying
the run's result and every observer error. Before, a raising ``gini_pipeline_start`` leaked
the executor, a raising ``gini_stage_finish`` threw away every result, and one plugin's
raising observer kept the others (the terminal reporter too) from being called, unnamed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, final

import attrs

from gini_host import capture
from gini_host.errors import ObserverError
from gini_host.logs import logger
from gini_host.stages.control import RunInterrupted
from gini_host.stages.results import ErrorInfo

if TYPE_CHECKING:
    import pluggy

    from gini_host.stages.context import StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = [
    "ObserverError",
    "ObserverFault",
    "ObserverGuard",
    "RunInfo",
    "RunObserver",
    "hook_observer",
]


@attrs.frozen(slots=True)
class RunInfo:
    """What an observer is told about a run as it starts, beyond its plan.

    ``targets`` are what the caller asked for (pipeline names or stage ids), ``executor``
    the strategy's name, ``jobs`` the worker count asked for (None: the default),
    ``labels`` free-form facts the caller attached (a resumed run carries
    ``resumed_from``), ``reused`` the stage ids whose earlier results the run takes
    instead of running them.
    """

    run_id: str
    targets: tuple[str, ...] = ()
    executor: str = ""
    jobs: int | None = None
    dry_run: bool = False
    keep_going: bool = False
    labels: Mapping[str, str] = attrs.field(factory=dict)
    reused: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class RunObserver:
    """Callbacks the loop makes from its own thread; None means nobody listens (no call)."""

    pipeline_start: Callable[[Pipeline, str, RunInfo], None] | None = None
    stage_start: Callable[[Stage, StageContext], None] | None = None
    stage_finish: Callable[[Stage, StageResult], None] | None = None
    pipeline_finish: Callable[[Pipeline, PipelineResult], None] | None = None


@attrs.frozen(slots=True)
class ObserverFault:
    """One observer call that raised: the hook, the plugin (None for a plain callback), why."""

    hook: str
    plugin: str | None
    error: BaseException = attrs.field(eq=False)

    def describe(self) -> str:
        owner = f"plugin {self.plugin}: " if self.plugin is not None else ""
        return f"{owner}observer hook {self.hook} raised {ErrorInfo.describe(self.error)}"


class _Faults(Exception):
    """What a broadcast callback raises after calling every implementation: those that raised."""

    def __init__(self, faults: list[tuple[str, BaseException]]) -> None:
        super().__init__(f"{len(faults)} observer implementation(s) raised")
        self.faults = faults


def _guarded(impl: pluggy.HookImpl, hook: str, faults: list[tuple[str, BaseException]]) -> Any:
    """A copy of ``impl`` that records what it raises in ``faults`` instead of raising, so
    pluggy's one call still reaches every other implementation (and hook monitors, the
    test harness's recorder among them, still see one broadcast naming every plugin)."""
    import pluggy

    function = impl.function
    label = f"plugin {impl.plugin_name} ({hook})"
    name = impl.plugin_name

    def call(*args: Any) -> Any:
        entry = capture.enter(label)
        try:
            return function(*args)
        except RunInterrupted:
            raise
        except BaseException as exc:  # KeyboardInterrupt too: raised by plugin code
            faults.append((name, exc))
            return None
        finally:
            capture.leave(entry)

    copy = pluggy.HookImpl(impl.plugin, impl.plugin_name, function, impl.opts)
    copy.function = call  # type: ignore[misc]  # argnames stay those of the real function
    return copy


def _broadcast(plugin_manager: pluggy.PluginManager, hook: str) -> Callable[..., None] | None:
    """Call every implementation of ``hook`` through pluggy, each guarded (see
    :func:`_guarded`); None when no plugin implements it (the loop then makes no call)."""
    caller = getattr(plugin_manager.hook, hook, None)
    impls = caller.get_hookimpls() if caller is not None else []
    if not impls:
        return None
    faults: list[tuple[str, BaseException]] = []
    # Wrappers (generators) cannot be guarded this way; they are rare for observers and keep
    # pluggy's own semantics (what they raise is attributed to the hook, not a plugin).
    guarded = [i if i.hookwrapper or i.wrapper else _guarded(i, hook, faults) for i in impls]
    execute = plugin_manager._hookexec  # what HookCaller.__call__ uses, tracing included

    def call(**kwargs: Any) -> None:
        execute(hook, guarded, kwargs, False)
        if faults:
            raised = faults[:]
            faults.clear()
            raise _Faults(raised)

    return call


def hook_observer(plugin_manager: pluggy.PluginManager) -> RunObserver:
    """The observer hooks of ``plugin_manager``'s plugins, each implementation guarded."""
    pipeline_start = _broadcast(plugin_manager, "gini_pipeline_start")
    stage_start = _broadcast(plugin_manager, "gini_stage_start")
    stage_finish = _broadcast(plugin_manager, "gini_stage_finish")
    pipeline_finish = _broadcast(plugin_manager, "gini_pipeline_finish")
    return RunObserver(
        pipeline_start=(lambda p, r, i: pipeline_start(pipeline=p, run_id=r, run=i))
        if pipeline_start
        else None,
        stage_start=(lambda s, c: stage_start(stage=s, context=c)) if stage_start else None,
        stage_finish=(lambda s, r: stage_finish(stage=s, result=r)) if stage_finish else None,
        pipeline_finish=(lambda p, r: pipeline_finish(pipeline=p, result=r))
        if pipeline_finish
        else None,
    )


@final
class ObserverGuard:
    """Calls the observers of one run, so that one that raises cannot break the run.

    The run's own interrupt (``RunInterrupted``) goes through: it cancels the run. ``named``
    holds the (hook, plugin) pairs already logged at ERROR, shared by the runs of one
    manager, so a plugin whose observer raises on every stage of every run is named once.
    """

    __slots__ = ("errors", "named", "observer")

    def __init__(
        self, observer: RunObserver, named: set[tuple[str, str | None]] | None = None
    ) -> None:
        self.observer = observer
        self.errors: list[ObserverFault] = []
        self.named = named if named is not None else set()

    def pipeline_start(self, pipeline: Pipeline, info: RunInfo) -> None:
        if self.observer.pipeline_start is not None:
            self._call(
                "gini_pipeline_start", self.observer.pipeline_start, pipeline, info.run_id, info
            )

    def stage_start(self, stage: Stage, ctx: StageContext) -> None:
        if self.observer.stage_start is not None:
            self._call("gini_stage_start", self.observer.stage_start, stage, ctx)

    def pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        if self.observer.pipeline_finish is not None:
            self._call("gini_pipeline_finish", self.observer.pipeline_finish, pipeline, result)

    def failed(self, hook: str, exc: BaseException) -> None:
        """Record and log that ``hook`` raised ``exc`` (the loop calls ``stage_finish``
        itself, on its hot path, and reports here)."""
        if isinstance(exc, RunInterrupted):
            raise exc
        pairs = exc.faults if isinstance(exc, _Faults) else [(None, exc)]
        for plugin, error in pairs:
            fault = ObserverFault(hook, plugin, error)
            self.errors.append(fault)
            key = (hook, plugin)
            first = key not in self.named
            self.named.add(key)
            # One line per plugin and hook at ERROR; the traceback (and repeats) at DEBUG.
            if first:
                logger.error("{}; the run goes on", fault.describe())
            logger.opt(exception=error).debug("{}", fault.describe())

    def check(self, result: PipelineResult) -> PipelineResult:
        """``result``, or the one :class:`ObserverError` of the run when an observer raised."""
        if self.errors:
            error = ObserverError(self.errors, result)
            raise error from self.errors[0].error
        return result

    def _call(self, hook: str, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except BaseException as exc:
            self.failed(hook, exc)
