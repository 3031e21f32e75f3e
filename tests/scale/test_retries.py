"""Retries rerun the stage body in a worker: after a failure, and after a timeout."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from gini_host import StageContext, StageManager, StageStatus, stage

REMOTE = pytest.mark.parametrize("executor", ["processes", "dask"], indirect=True)


def _count(ctx: StageContext) -> int:
    """Which attempt this is (0 first), counted in a file: attempts run in other processes."""
    counter = Path(ctx.config["counter"])
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    return seen


def fails_first_attempt(ctx: StageContext) -> int:
    if _count(ctx) == 0:
        raise ConnectionError("first attempt fails")
    return 2


def hangs_first_attempt(ctx: StageContext) -> int:
    if _count(ctx) == 0:
        time.sleep(2)  # past the timeout; Dask cannot stop it, so keep it short
    return 2


def _run(executor: Any, body: Any, counter: Path, **options: Any) -> Any:
    manager = StageManager()
    manager.register_stage(stage(name="flaky", **options)(body))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["flaky"]),
        executor=executor,
        stage_config={"flaky": {"counter": str(counter)}},
    )
    return result["flaky"]


@REMOTE
def test_failed_attempt_is_rerun_in_a_worker(executor: Any, tmp_path: Path) -> None:
    """A retry runs the stage body again; it does not reuse the failed attempt's outcome."""
    counter = tmp_path / "attempts"
    result = _run(executor, fails_first_attempt, counter, retries=1)
    assert result.status is StageStatus.SUCCEEDED, result.error
    assert result.value == 2
    assert result.attempts == 2
    assert counter.read_text() == "2"


@REMOTE
def test_timed_out_attempt_is_rerun_in_a_worker(executor: Any, tmp_path: Path) -> None:
    """After a timeout, the retry runs the body again and its value is the result."""
    counter = tmp_path / "attempts"
    result = _run(executor, hangs_first_attempt, counter, retries=1, timeout=0.5)
    assert result.status is StageStatus.SUCCEEDED, result.error
    assert result.attempts == 2
    assert counter.read_text() == "2"
