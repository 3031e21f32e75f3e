"""The observer hooks a StageManager calls through its pluggy PluginManager."""

from __future__ import annotations

import threading
from typing import Any

import pluggy
import pytest
from loguru import logger

from gini_host import (
    Pipeline,
    PipelineResult,
    RunControl,
    Stage,
    StageContext,
    StageManager,
    StageResult,
    StageStatus,
    hookimpl,
    stage,
)
from gini_host.stages import ObserverError
from gini_host.stages import hookspecs as observer_hookspecs
from gini_host.stages.executors import strategy_for


class Recorder:
    """A plugin observing runs: it records every observer call and the thread it came from."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.threads: set[int] = set()
        self.finished: dict[str, StageResult] = {}
        self.pipeline_result: PipelineResult | None = None

    def _note(self, event: str, subject: str) -> None:
        self.events.append((event, subject))
        self.threads.add(threading.get_ident())

    @hookimpl
    def gini_pipeline_start(self, pipeline: Pipeline, run_id: str) -> None:
        assert run_id
        self._note("pipeline_start", pipeline.name)

    @hookimpl
    def gini_stage_start(self, stage: Stage, context: StageContext) -> None:
        assert context.stage is stage
        self._note("stage_start", stage.id)

    @hookimpl
    def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
        assert result.stage_id == stage.id
        assert stage.id not in self.finished, f"{stage.id} finished twice"
        self.finished[stage.id] = result
        self._note("stage_finish", stage.id)

    @hookimpl
    def gini_pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        self.pipeline_result = result
        self._note("pipeline_finish", pipeline.name)


# a -> bad -> c, and independent d: module-level, so that every executor can run them.


@stage
def a(ctx: StageContext) -> int:
    return 1


@stage(requires="a")
def bad(ctx: StageContext) -> None:
    raise RuntimeError("no")


@stage(requires="bad")
def c(ctx: StageContext) -> None:
    pass


@stage
def d(ctx: StageContext) -> None:
    pass


def one(ctx: StageContext) -> int:
    return 1


def also_one(ctx: StageContext) -> int:
    return 1


def _graph(manager: StageManager) -> Pipeline:
    """a -> bad -> c, and independent d; plugin ``obs``."""
    for s in (a, bad, c, d):
        manager.register_stage(s, plugin="obs")
    return manager.create_pipeline("watched", ["obs::c", "obs::d"])


def test_standalone_manager_has_observer_hookspecs() -> None:
    """StageManager() makes its own PluginManager for project ``gini_host`` with the engine's
    observer hookspecs, and none of the kernel's lifecycle hooks (the engine knows no kernel)."""
    pm = StageManager().plugin_manager
    assert isinstance(pm, pluggy.PluginManager)
    assert pm.project_name == "gini_host"
    for name in observer_hookspecs.__all__:
        assert getattr(pm.hook, name).spec is not None
    assert not hasattr(pm.hook, "gini_preflight")


def test_manager_uses_given_plugin_manager() -> None:
    """A host passes its own PluginManager and the manager uses it."""
    pm = pluggy.PluginManager("gini_host")
    pm.add_hookspecs(observer_hookspecs)
    assert StageManager(plugin_manager=pm).plugin_manager is pm


def test_without_implementations_observer_is_not_called() -> None:
    """With no plugin implementing the observer hooks, every callback is None (no hook call)."""
    observer = StageManager().observer()
    assert observer.pipeline_start is None
    assert observer.stage_start is None
    assert observer.stage_finish is None
    assert observer.pipeline_finish is None


def test_only_implemented_hooks_get_callbacks(manager: StageManager) -> None:
    """A plugin implementing one observer hook gets exactly that callback."""

    class OnlyFinish:
        @hookimpl
        def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
            pass

    manager.plugin_manager.register(OnlyFinish())
    observer = manager.observer()
    assert observer.stage_finish is not None
    assert observer.stage_start is None
    assert observer.pipeline_start is None
    assert observer.pipeline_finish is None


@pytest.mark.in_process
def test_each_stage_finishes_exactly_once(manager: StageManager, executor: str) -> None:
    """Every stage of the plan gets one gini_stage_finish, started or not; the run is bracketed."""
    recorder = Recorder()
    manager.plugin_manager.register(recorder)
    pipeline = _graph(manager)
    result = manager.execute_pipeline(pipeline, executor=executor, keep_going=True)
    assert set(recorder.finished) == set(pipeline.stages)
    assert {sid: r.status for sid, r in recorder.finished.items()} == {
        sid: r.status for sid, r in result.items()
    }
    assert recorder.events[0] == ("pipeline_start", "watched")
    assert recorder.events[-1] == ("pipeline_finish", "watched")
    assert recorder.pipeline_result is not None
    assert dict(recorder.pipeline_result) == dict(result)
    started = [s for e, s in recorder.events if e == "stage_start"]
    assert sorted(started) == ["obs::a", "obs::bad", "obs::d"]


@pytest.mark.in_process
def test_stage_start_precedes_its_finish(manager: StageManager, executor: str) -> None:
    """For each started stage, gini_stage_start comes before its gini_stage_finish."""
    recorder = Recorder()
    manager.plugin_manager.register(recorder)
    manager.execute_pipeline(_graph(manager), executor=executor, keep_going=True)
    for event, sid in recorder.events:
        if event == "stage_start":
            assert recorder.events.index(("stage_finish", sid)) > recorder.events.index(
                ("stage_start", sid)
            )


def test_observers_called_from_scheduling_thread(manager: StageManager) -> None:
    """Observer hooks come from the calling (scheduling) thread, even when stages run on workers."""
    recorder = Recorder()
    manager.plugin_manager.register(recorder)
    for i in range(6):
        manager.register_stage(stage(name=f"s{i}")(lambda ctx: None))
    manager.execute_pipeline(
        manager.create_pipeline("p", [f"s{i}" for i in range(6)]), executor="threads"
    )
    assert recorder.threads == {threading.get_ident()}


@pytest.mark.in_process
def test_finish_hooks_after_cancel(manager: StageManager, executor: str) -> None:
    """A cancelled run still reports every stage and the pipeline's end to observers."""
    recorder = Recorder()
    manager.plugin_manager.register(recorder)
    control = RunControl()

    @stage
    def stop(ctx: StageContext) -> None:
        control.cancel("enough")

    @stage(requires="stop")
    def never(ctx: StageContext) -> None:
        pass

    manager.register_stage(stop)
    manager.register_stage(never)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["never"]), executor=executor, control=control
    )
    assert recorder.finished["never"].status is StageStatus.CANCELLED
    assert recorder.pipeline_result is not None
    assert recorder.pipeline_result.interrupted
    assert result.interrupted


def test_dry_run_reports_to_observers(manager: StageManager, executor: str) -> None:
    """A dry run calls the observer hooks with dry_run results."""
    recorder = Recorder()
    manager.plugin_manager.register(recorder)
    manager.register_stage(stage(name="s")(one))
    manager.execute_pipeline(manager.create_pipeline("p", ["s"]), executor=executor, dry_run=True)
    assert recorder.finished["s"].status is StageStatus.DRY_RUN
    assert ("stage_start", "s") in recorder.events


class Broken:
    """An observer plugin whose ``hook`` raises; it records every call it gets."""

    def __init__(self, hook: str) -> None:
        self.hook = hook
        self.calls: list[str] = []

    def _called(self, name: str) -> None:
        self.calls.append(name)
        if name == self.hook:
            raise LookupError(f"{name} broke")

    @hookimpl
    def gini_pipeline_start(self, pipeline: Pipeline, run_id: str) -> None:
        self._called("gini_pipeline_start")

    @hookimpl
    def gini_stage_start(self, stage: Stage, context: StageContext) -> None:
        self._called("gini_stage_start")

    @hookimpl
    def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
        self._called("gini_stage_finish")

    @hookimpl
    def gini_pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        self._called("gini_pipeline_finish")


HOOKS = ["gini_pipeline_start", "gini_stage_start", "gini_stage_finish", "gini_pipeline_finish"]


@pytest.mark.parametrize("hook", HOOKS)
def test_failing_observer_is_raised_after_the_run(
    manager: StageManager, executor: Any, hook: str
) -> None:
    """An observer that raises is a plugin's bug: the run still finishes, keeps every result
    and closes its executor; then one ObserverError names the hook and carries the result."""
    broken = Broken(hook)
    manager.plugin_manager.register(broken)
    manager.register_stage(stage(name="one")(one))
    manager.register_stage(stage(name="two", requires="one")(also_one))
    closed: list[str] = []

    def strategy(max_workers: int | None) -> Any:
        made = strategy_for(executor, max_workers)
        close = made.close
        made.close = lambda: (closed.append("closed"), close())  # type: ignore[method-assign]
        return made

    logged: list[str] = []
    sink = logger.add(lambda m: logged.append(m.record["message"]), level="ERROR")
    try:
        with pytest.raises(ObserverError) as info:
            manager.execute_pipeline(manager.create_pipeline("p", ["two"]), executor=strategy)
    finally:
        logger.remove(sink)
    error = info.value
    assert error.hook == hook
    assert isinstance(error.__cause__, LookupError)
    assert f"{hook} raised LookupError: {hook} broke" in str(error)
    assert {sid: r.status.value for sid, r in error.result.items()} == {
        "one": "succeeded",
        "two": "succeeded",
    }
    assert error.result["two"].value == 1
    assert closed == ["closed"]
    assert broken.calls[0] == "gini_pipeline_start"
    assert broken.calls[-1] == "gini_pipeline_finish"
    assert broken.calls.count("gini_stage_finish") == 2
    assert any(hook in line for line in logged)


def test_every_observer_error_is_logged_and_one_is_raised(manager: StageManager) -> None:
    """Several observer calls that raise give one ObserverError listing them all."""
    manager.plugin_manager.register(Broken("gini_stage_finish"))
    for name in ("a", "b", "c"):
        manager.register_stage(stage(name=name)(one))
    with pytest.raises(ObserverError) as info:
        manager.execute_pipeline(manager.create_pipeline("p", ["a", "b", "c"]))
    assert [hook for hook, _ in info.value.errors] == ["gini_stage_finish"] * 3
    assert "3 observer calls raised" in str(info.value)
    assert info.value.result.ok


@pytest.mark.in_process
def test_observer_sees_context_of_running_stage(manager: StageManager, executor: str) -> None:
    """gini_stage_start receives the context the stage body then receives."""
    seen: dict[str, Any] = {}

    class Watch:
        @hookimpl
        def gini_stage_start(self, stage: Stage, context: StageContext) -> None:
            seen["hook"] = context

    def body(ctx: StageContext) -> None:
        seen["body"] = ctx

    manager.plugin_manager.register(Watch())
    manager.register_stage(stage(name="s")(body))
    manager.execute_pipeline(manager.create_pipeline("p", ["s"]), executor=executor)
    assert seen["hook"] is seen["body"]
