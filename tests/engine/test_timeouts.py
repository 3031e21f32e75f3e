"""Timeouts: a timed-out attempt is cancelled, and never runs beside its retry or a limit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from gini_host import Stage, StageContext, StageManager, StageStatus, hookimpl, stage
from gini_host.errors import StageTimeoutError
from gini_host.stages import RunOptions, execute
from gini_host.stages.executors import strategy_for


class Bodies:
    """Stage bodies that ignore ``ctx.cancelled`` (as most real code does), recording when
    each runs, from any thread."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.lock = threading.Lock()
        self.spans: list[tuple[str, float, float]] = []

    def __call__(self, ctx: StageContext) -> None:
        start = time.perf_counter()
        time.sleep(self.pause)
        with self.lock:
            self.spans.append((ctx.stage_id, start, time.perf_counter()))

    def peak(self) -> int:
        """The most bodies that ran at one instant."""
        events = sorted(
            [(start, 1) for _, start, _ in self.spans] + [(end, -1) for _, _, end in self.spans]
        )
        running = best = 0
        for _, delta in events:
            running += delta
            best = max(best, running)
        return best


@pytest.mark.in_process
def test_retry_waits_for_the_timed_out_attempt_to_end(
    manager: StageManager, executor: str
) -> None:
    """A retry starts only once the timed-out attempt's body has returned."""
    bodies = Bodies(pause=0.4)
    manager.register_stage(stage(name="slow", timeout=0.1, retries=1)(bodies))
    result = manager.execute_pipeline(manager.create_pipeline("p", ["slow"]), executor=executor)
    assert result["slow"].status is StageStatus.FAILED
    assert result["slow"].attempts == 2
    assert len(bodies.spans) == 2
    assert bodies.peak() == 1


@pytest.mark.in_process
def test_limit_slot_is_kept_until_the_timed_out_body_ends(
    manager: StageManager, executor: str
) -> None:
    """A tag limit counts a timed-out stage until its body has returned."""
    bodies = Bodies(pause=0.4)
    manager.register_stage(stage(name="slow", tags=["gpu"], timeout=0.1)(bodies))
    manager.register_stage(stage(name="next", tags=["gpu"])(bodies))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["slow", "next"]),
        executor=executor,
        max_workers=2,
        keep_going=True,
        limits={"gpu": 1},
    )
    assert result["slow"].status is StageStatus.FAILED
    assert result["next"].status is StageStatus.SUCCEEDED
    assert bodies.peak() == 1


@pytest.mark.in_process
def test_attempt_that_does_not_stop_fails_unretried(executor: str) -> None:
    """A timed-out body still running after the grace period fails its stage, unretried."""
    manager = StageManager()
    bodies = Bodies(pause=1.0)
    manager.register_stage(stage(name="stuck", timeout=0.1, retries=2)(bodies))
    began = time.monotonic()
    result = execute(
        manager.create_pipeline("p", ["stuck"]),
        strategy_for(executor, 2),
        options=RunOptions(grace=0.2),
    )
    assert time.monotonic() - began < 0.9
    stuck = result["stuck"]
    assert stuck.status is StageStatus.FAILED
    assert stuck.attempts == 1
    assert isinstance(stuck.exception, StageTimeoutError)
    assert stuck.error is not None
    assert stuck.error.message == (
        "stage 'stuck' timed out after 0.1s and did not stop within 0.2s of being cancelled; "
        "not retried, it may still be running"
    )


def waits_for_cancel(ctx: StageContext) -> None:
    ctx.cancelled.wait(1)


def test_timeout_sets_the_context_cancelled(manager: StageManager, executor: Any) -> None:
    """A timeout sets ``ctx.cancelled`` of the context observers saw, wherever the body ran."""
    seen: list[StageContext] = []

    class Watch:
        @hookimpl
        def gini_stage_start(self, stage: Stage, context: StageContext) -> None:
            seen.append(context)

    manager.plugin_manager.register(Watch())
    manager.register_stage(stage(name="stuck", timeout=0.2)(waits_for_cancel))
    result = manager.execute_pipeline(manager.create_pipeline("p", ["stuck"]), executor=executor)
    assert result["stuck"].status is StageStatus.FAILED
    (ctx,) = seen
    assert ctx.cancelled.is_set()
