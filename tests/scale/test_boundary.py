"""What crosses to worker processes (processes, dask): it must pickle, errors name it."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from gini_host import ContextKey, StageContext, StageManager, StageStatus, stage
from gini_host.errors import ExecutorError

REMOTE = pytest.mark.parametrize("executor", ["processes", "dask"], indirect=True)

LOCK_KEY = ContextKey[object]("lock")
NOTE = ContextKey[str]("note")


def returns_lock(ctx: StageContext) -> object:
    return threading.Lock()


def stores_lock(ctx: StageContext) -> str:
    ctx[LOCK_KEY] = threading.Lock()
    return "stored"


def writes_note(ctx: StageContext) -> int:
    ctx[NOTE] = f"written in {os.getpid()}"
    return os.getpid()


def reads_note(ctx: StageContext) -> str:
    return ctx[NOTE]


def reads_unrequired(ctx: StageContext) -> Any:
    return ctx.results["writes_note"]


def raises_custom(ctx: StageContext) -> None:
    raise FileNotFoundError(2, "no such disk", "/dev/sdz")


def uses_local_key(ctx: StageContext) -> None:
    ctx[ContextKey[int]("made in a function")] = 1


def _manager(*stages: Any) -> StageManager:
    manager = StageManager()
    for s in stages:
        manager.register_stage(s)
    return manager


@REMOTE
def test_unpicklable_return_value_fails_naming_stage_and_value(executor: Any) -> None:
    """A return value that does not pickle fails its stage, naming it; the run goes on."""
    manager = _manager(stage(name="bad")(returns_lock), stage(name="good")(writes_note))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["bad", "good"]), executor=executor, keep_going=True
    )
    bad = result["bad"]
    assert bad.status is StageStatus.FAILED
    assert bad.error is not None
    assert bad.error.type == "BoundaryError"
    assert "stage 'bad': its return value cannot cross back to the host" in bad.error.message
    assert "_thread.lock" in bad.error.message
    assert result["good"].status is StageStatus.SUCCEEDED


@REMOTE
def test_unpicklable_store_write_fails_naming_stage_and_key(executor: Any) -> None:
    """A shared-store write that does not pickle fails the stage, naming the key."""
    manager = _manager(stage(name="stores")(stores_lock))
    result = manager.execute_pipeline(manager.create_pipeline("p", ["stores"]), executor=executor)
    error = result["stores"].error
    assert error is not None
    assert error.type == "BoundaryError"
    assert "stage 'stores': shared-store value ctx[ContextKey('lock')]" in error.message


@REMOTE
def test_key_made_in_a_function_cannot_cross(executor: Any) -> None:
    """A ContextKey that is not a module-level name cannot cross back: the error says why."""
    manager = _manager(stage(name="local_key")(uses_local_key))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["local_key"]), executor=executor
    )
    error = result["local_key"].error
    assert error is not None
    assert "ContextKey('made in a function')" in error.message
    assert "module level" in error.message


@REMOTE
def test_store_writes_and_results_cross_both_ways(executor: Any) -> None:
    """A write made in one worker is read by a dependent stage in another, and by the host."""
    manager = _manager(
        stage(name="writes_note")(writes_note),
        stage(name="reads_note", requires=["writes_note"])(reads_note),
    )
    from gini_host.stages import RunState

    run = RunState("r")
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["reads_note"]), executor=executor, context=run
    )
    assert result.ok, result.failures
    pid = result["writes_note"].value
    assert pid != os.getpid()
    assert result["reads_note"].value == f"written in {pid}"
    assert run.store.get(NOTE) == f"written in {pid}"


@REMOTE
def test_results_of_unrequired_stages_do_not_cross(executor: Any) -> None:
    """Only the results of required stages cross; reading another says which ones do."""
    manager = _manager(
        stage(name="writes_note")(writes_note),
        stage(name="reads_unrequired", requires=[])(reads_unrequired),
    )
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["writes_note", "reads_unrequired"]),
        executor=executor,
        max_workers=1,
        keep_going=True,
    )
    error = result["reads_unrequired"].error
    assert error is not None
    assert error.type == "KeyError"
    assert "holds only the results of the stages this stage requires" in error.message


@REMOTE
def test_exceptions_keep_their_type_and_remote_traceback(executor: Any) -> None:
    """A worker's exception is re-raised with its type, message and the worker's traceback."""
    manager = _manager(stage(name="raises")(raises_custom))
    result = manager.execute_pipeline(manager.create_pipeline("p", ["raises"]), executor=executor)
    r = result["raises"]
    assert isinstance(r.exception, FileNotFoundError)
    assert r.error is not None
    assert r.error.type == "FileNotFoundError"
    assert "in raises_custom" in r.error.traceback


@REMOTE
def test_closures_are_refused_naming_the_stage(executor: Any) -> None:
    """A stage function a worker cannot import by name is refused before anything runs."""
    ran: list[str] = []

    def closure(ctx: StageContext) -> None:
        ran.append("x")

    manager = _manager(stage(name="closure")(closure), stage(name="lam")(lambda ctx: 1))
    with pytest.raises(ExecutorError) as info:
        manager.execute_pipeline(
            manager.create_pipeline("p", ["closure", "lam"]), executor=executor
        )
    assert "stage 'closure'" in str(info.value)
    assert "stage 'lam'" in str(info.value)
    assert ran == []
