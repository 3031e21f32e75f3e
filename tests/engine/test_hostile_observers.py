"""An observer that raises is one plugin's bug (issue 11, item 5): the other observers of
the same call still run, the plugin and hook are named once, and the run is whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from loguru import logger

from gini_host import StageManager
from gini_host.stages import ObserverError
from tests.hostile import stages as hostile
from tests.hostile.observers import HOOKS, Watcher


@pytest.fixture
def records() -> Iterator[list[Any]]:
    """Log records at DEBUG and above while the test runs."""
    seen: list[Any] = []
    sink = logger.add(lambda m: seen.append(m.record), level="DEBUG")
    try:
        yield seen
    finally:
        logger.remove(sink)


def _manager(*observers: tuple[str, object]) -> StageManager:
    manager = StageManager()
    for name, plugin in observers:
        manager.plugin_manager.register(plugin, name=name)
    for s in (hostile.noisy, hostile.self_referential):
        manager.register_stage(s)
    return manager


def test_other_observers_run_and_each_fault_names_its_plugin(
    executor: Any, records: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A raising observer (registered before and after a working one) stops no other
    observer; the ObserverError names the plugin and hook of every fault, and the run's
    result is whole; what the observer printed went to stderr, labelled."""
    counter = Watcher("counter", raises=False)
    manager = _manager(("early", Watcher("early")), ("counter", counter), ("late", Watcher("late")))
    pipeline = manager.create_pipeline("p", ["noisy", "self_referential"])
    with pytest.raises(ObserverError) as info:
        manager.execute_pipeline(pipeline, executor=executor)
    error = info.value
    assert counter.calls.count("gini_stage_finish") == 2
    assert counter.calls[0] == "gini_pipeline_start"
    assert counter.calls[-1] == "gini_pipeline_finish"
    assert {f.plugin for f in error.faults} == {"early", "late"}
    late = sorted(f.hook for f in error.faults if f.plugin == "late")
    assert late == sorted([*HOOKS, "gini_stage_start", "gini_stage_finish"])
    assert error.result.ok
    assert error.result["self_referential"].value["self"]["name"] == "loop"
    assert (
        "plugin late: observer hook gini_stage_finish raised ObserverBug: "
        "<unprintable ObserverBug: str() raised RuntimeError> (2 calls)"
    ) in error.lines()
    out, err = capsys.readouterr()
    assert out == ""
    assert "[plugin late (gini_stage_finish)] late was here: gini_stage_finish\n" in err


def test_each_plugin_and_hook_is_named_once_without_a_traceback(
    executor: Any, records: list[Any]
) -> None:
    """One ERROR line per plugin and hook, across runs of the manager, with no traceback;
    the tracebacks are at DEBUG only."""
    manager = _manager(("watcher", Watcher()))
    pipeline = manager.create_pipeline("p", ["noisy", "self_referential"])
    for _ in range(2):
        with pytest.raises(ObserverError):
            manager.execute_pipeline(pipeline, executor=executor)
    errors = [r for r in records if r["level"].name == "ERROR"]
    assert sorted(r["message"].split(" raised")[0] for r in errors) == sorted(
        f"plugin watcher: observer hook {hook}" for hook in HOOKS
    )
    assert all(r["exception"] is None for r in errors)
    debug = [r for r in records if r["level"].name == "DEBUG" and r["exception"] is not None]
    assert len(debug) == 2 * 6  # every fault of both runs, with its traceback



def test_a_raising_observer_does_not_fail_the_boot(records: list[Any]) -> None:
    """An observer registered before the boot sees the boot pipeline: its raising there is
    named, and the host boots all the same."""
    from gini_host import Host

    host = Host(autoload=False)
    host.plugin_manager.register(Watcher("early"), name="early")
    try:
        host.boot()
        assert host.boot_result is not None and host.boot_result.ok
    finally:
        host.shutdown()
    assert any(
        r["message"].startswith("plugin early: observer hook gini_stage_finish raised")
        for r in records
        if r["level"].name == "ERROR"
    )
