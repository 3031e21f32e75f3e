"""Worker pools: workers boot the plugin set once, a worker that cannot refuses the run once,
and a warm pool runs pipeline after pipeline without leaking."""

from __future__ import annotations

import gc
import os
import pickle
import time
from typing import Any

import pytest

from gini_host import StageContext, StageManager, stage
from gini_host.errors import ExecutorError
from gini_host.stages.executors import process_pool, remote
from gini_host.stages.executors.processes import ProcessStrategy, WorkerPool


class FailingRecipe:
    """Stands in for a host recipe whose plugin set cannot boot in a worker."""

    def build(self) -> Any:
        raise RuntimeError("plugin 'disk' cannot boot here")


class HangingRecipe:
    """Stands in for a host recipe whose boot never ends."""

    def build(self) -> Any:
        time.sleep(60)


def quick(ctx: StageContext) -> int:
    return 1


def _run_three(monkeypatch: pytest.MonkeyPatch, boot: bytes | None, fingerprint: Any) -> Any:
    """Run a chain of three stages on a fresh pool booting ``boot``, expecting the run to be
    refused; return the strategy and the error."""
    monkeypatch.setattr(remote, "host_boot", lambda host: (boot, fingerprint))
    manager = StageManager()
    manager.register_stage(stage(name="a")(quick))
    manager.register_stage(stage(name="b", requires="a")(quick))
    manager.register_stage(stage(name="c", requires="b")(quick))
    made: list[ProcessStrategy] = []

    def strategy(max_workers: int | None) -> ProcessStrategy:
        made.append(ProcessStrategy(max_workers))
        return made[0]

    with pytest.raises(ExecutorError) as info:
        manager.execute_pipeline(
            manager.create_pipeline("p", ["c"]), executor=strategy, max_workers=3
        )
    return made[0], info.value


def test_boot_failure_refuses_the_run_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that cannot boot refuses the whole run once, not each stage with a new worker."""
    strategy, error = _run_three(monkeypatch, pickle.dumps(FailingRecipe()), ())
    assert "could not boot" in str(error)
    assert "plugin 'disk' cannot boot here" in str(error)
    assert strategy.pool is not None
    assert strategy.pool.started == 1


def test_plugin_mismatch_refuses_the_run_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose plugin set differs from the host's refuses the run, naming the plugin."""
    strategy, error = _run_three(monkeypatch, None, (("disk", "1.0"),))
    assert "lacks plugin(s) disk" in str(error)
    assert strategy.pool is not None
    assert strategy.pool.started == 1


def test_boot_wait_has_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that does not finish booting in time refuses the run, and is stopped."""
    monkeypatch.setattr(process_pool, "BOOT_TIMEOUT", 1.0)
    began = time.monotonic()
    strategy, error = _run_three(monkeypatch, pickle.dumps(HangingRecipe()), ())
    assert time.monotonic() - began < 10
    assert "did not boot within 1s" in str(error)
    assert strategy.pool is not None
    assert strategy.pool.size == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_runs_on_a_warm_pool_leave_no_open_files(process_pool: WorkerPool) -> None:
    """Each run's strategy is freed when the run ends: its pipes do not wait for the GC."""
    manager = StageManager()
    manager.register_stage(stage(name="quick")(quick))
    plan = manager.create_pipeline("p", ["quick"])

    def run() -> None:
        result = manager.execute_pipeline(
            plan, executor=lambda n: ProcessStrategy(n, pool=process_pool)
        )
        assert result.ok

    run()
    before = len(os.listdir("/proc/self/fd"))
    gc.disable()  # a reference cycle would keep every run's pipes open until a collection
    try:
        for _ in range(10):
            run()
        after = len(os.listdir("/proc/self/fd"))
    finally:
        gc.enable()
    assert after <= before
