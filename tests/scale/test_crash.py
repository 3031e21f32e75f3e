"""A worker that dies fails its stage with the exit code or signal; the run goes on."""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Any

import pytest

from gini_host import StageContext, StageManager, StageStatus, stage


def exits(ctx: StageContext) -> None:
    os._exit(7)


def kills_itself(ctx: StageContext) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def segfaults(ctx: StageContext) -> None:
    ctypes.string_at(0)


def pid(ctx: StageContext) -> int:
    return os.getpid()


@pytest.mark.parametrize("executor", ["processes"], indirect=True)
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (exits, "exited with code 7"),
        (kills_itself, "killed by signal 9 (SIGKILL)"),
        (segfaults, "killed by signal 11 (SIGSEGV)"),
    ],
)
def test_worker_process_crash_fails_stage_and_run_goes_on(
    executor: Any, body: Any, expected: str
) -> None:
    """os._exit, SIGKILL, a segfault: the stage fails naming how; dependents are skipped and
    independent stages still run, on a replacement worker."""
    manager = StageManager()
    manager.register_stage(stage(name="dies")(body))
    manager.register_stage(stage(name="after", requires=["dies"])(pid))
    manager.register_stage(stage(name="other")(pid))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after", "other"]),
        executor=executor,
        max_workers=1,
        keep_going=True,
    )
    dies = result["dies"]
    assert dies.status is StageStatus.FAILED
    assert dies.error is not None
    assert dies.error.type == "WorkerCrashed"
    assert "died while running stage 'dies'" in dies.error.message
    assert expected in dies.error.message
    assert result["after"].status is StageStatus.SKIPPED
    assert result["other"].status is StageStatus.SUCCEEDED
    assert result["other"].value != os.getpid()


@pytest.mark.parametrize("executor", ["dask"], indirect=True)
def test_dask_worker_crash_fails_stage_and_run_goes_on(executor: Any) -> None:
    """A Dask worker killed by its stage: KilledWorker fails the stage; the run goes on."""
    manager = StageManager()
    manager.register_stage(stage(name="dies")(exits))
    manager.register_stage(stage(name="other", requires=[])(pid))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["dies", "other"]), executor=executor, keep_going=True
    )
    dies = result["dies"]
    assert dies.status is StageStatus.FAILED
    assert dies.error is not None
    assert dies.error.type == "WorkerCrashed"
    assert "KilledWorker" in dies.error.message
    assert result["other"].status is StageStatus.SUCCEEDED
