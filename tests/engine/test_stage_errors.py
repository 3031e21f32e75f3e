"""Whatever a stage raises, it gets a result: only an interrupt cancels, the rest fails it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from gini_host import PipelineResult, StageContext, StageManager, StageResult, stage
from gini_host.stages.executors.base import StageJob
from gini_host.stages.executors.threads import StageThreads


class Abort(BaseException):
    """A BaseException no executor knows (a library's own, like gevent's GreenletExit)."""


def aborts(ctx: StageContext) -> None:
    raise Abort("boom")


async def aborts_async(ctx: StageContext) -> None:
    raise Abort("boom")


async def _cancels_itself() -> None:
    task = asyncio.current_task()
    assert task is not None
    task.cancel()
    await asyncio.sleep(1)


def runs_cancelled_loop(ctx: StageContext) -> None:
    # asyncio.run of a coroutine that gets cancelled raises asyncio.CancelledError.
    asyncio.run(_cancels_itself())


async def raises_cancelled_error(ctx: StageContext) -> None:
    # Not a cancellation of the stage's task: the body raised it on its own.
    raise asyncio.CancelledError("raised by the body")


def sibling(ctx: StageContext) -> str:
    return "kept"


def after(ctx: StageContext) -> str:
    return "must not run"


def _within(seconds: float, run: Callable[[], PipelineResult]) -> PipelineResult:
    """Run ``run`` on a helper thread, failing the test (not hanging it) past ``seconds``."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(run())
        except BaseException as exc:
            outcome.append(exc)

    runner = threading.Thread(target=target, daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), "the run hung"
    (result,) = outcome
    assert isinstance(result, PipelineResult), f"the run raised {result!r}"
    return result


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        (aborts, "Abort"),
        (aborts_async, "Abort"),
        (runs_cancelled_loop, "CancelledError"),
        (raises_cancelled_error, "CancelledError"),
    ],
)
def test_any_base_exception_but_an_interrupt_fails_the_stage(
    manager: StageManager, executor: Any, body: Any, error_type: str
) -> None:
    """A stage raising a BaseException other than an interrupt fails; every result is kept."""
    manager.register_stage(stage(name="bad")(body))
    manager.register_stage(stage(name="sibling")(sibling))
    manager.register_stage(stage(name="after", requires="bad")(after))
    plan = manager.create_pipeline("p", ["bad", "sibling", "after"])
    result = _within(
        30,
        lambda: manager.execute_pipeline(plan, executor=executor, max_workers=2, keep_going=True),
    )
    statuses = {sid: r.status.value for sid, r in result.items()}
    assert statuses == {"bad": "failed", "sibling": "succeeded", "after": "skipped"}
    assert result["sibling"].value == "kept"
    assert result["bad"].error is not None
    assert result["bad"].error.type == error_type
    assert not result.interrupted


def test_base_exception_is_retried_like_any_failure(manager: StageManager, executor: Any) -> None:
    """A BaseException that fails an attempt uses the stage's retries, as an Exception does."""
    manager.register_stage(stage(name="bad", retries=2)(aborts))
    result = _within(
        30,
        lambda: manager.execute_pipeline(manager.create_pipeline("p", ["bad"]), executor=executor),
    )
    assert result["bad"].status.value == "failed"
    assert result["bad"].attempts == 3


def _broken(self: StageThreads, job: StageJob) -> StageResult:
    """A worker thread that fails to run its job (a bug of the executor)."""
    raise Abort("the strategy broke")


def test_a_job_never_vanishes_with_its_worker_thread(
    manager: StageManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thread that cannot run its job still delivers a failed result for it."""
    monkeypatch.setattr(StageThreads, "run_job", _broken)
    for name in ("a", "b", "c"):
        manager.register_stage(stage(name=name)(sibling))
    plan = manager.create_pipeline("p", ["a", "b", "c"])
    result = _within(
        30,
        lambda: manager.execute_pipeline(plan, executor="threads", max_workers=3, keep_going=True),
    )
    assert {r.status.value for r in result.values()} == {"failed"}
    assert all(r.error is not None and r.error.type == "Abort" for r in result.values())


class Unprintable(Exception):
    """An exception whose ``str()`` raises (plugin exceptions may)."""

    def __str__(self) -> str:
        raise ValueError("str() refused")


def raises_unprintable(ctx: StageContext) -> None:
    raise Unprintable()


@pytest.mark.in_process
def test_each_attempt_of_an_unprintable_failure_is_recorded(
    manager: StageManager, executor: Any
) -> None:
    """Every attempt of a stage whose exception's ``str()`` raises is in ``attempt_log``
    with the placeholder message; the run goes on."""
    manager.register_stage(stage(name="bad", retries=1)(raises_unprintable))
    manager.register_stage(stage(name="sibling")(sibling))
    plan = manager.create_pipeline("p", ["bad", "sibling"])
    result = _within(
        30, lambda: manager.execute_pipeline(plan, executor=executor, keep_going=True)
    )
    assert result["sibling"].value == "kept"
    error = result["bad"].error
    assert error is not None
    assert error.type == "Unprintable"
    assert error.message == "<unprintable Unprintable: str() raised ValueError>"
    assert "raises_unprintable" in error.traceback
    assert result["bad"].attempts == 2
    assert [a.error for a in result["bad"].attempt_log] == [error.one_line()] * 2
