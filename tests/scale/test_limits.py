"""``[run.limits]``: at most N stages with a tag run at once, on every executor.

Bodies return their own start and finish times (wall clock, comparable across processes on
one machine), so the check holds wherever the bodies ran.
"""

from __future__ import annotations

import time
from typing import Any

from gini_host import StageContext, StageManager, stage

PAUSE = 0.15


def timed(ctx: StageContext) -> tuple[float, float]:
    start = time.time()
    time.sleep(PAUSE)
    return (start, time.time())


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = best = 0
    for _, delta in events:
        running += delta
        best = max(best, running)
    return best


def test_tag_limits_are_never_exceeded(executor: Any) -> None:
    """gpu = 1 and io = 2: recorded start/finish times never overlap beyond the limits."""
    manager = StageManager()
    gpu = [f"gpu{i}" for i in range(3)]
    io = [f"io{i}" for i in range(4)]
    for sid in gpu:
        manager.register_stage(stage(name=sid, tags=["gpu"])(timed))
    for sid in io:
        manager.register_stage(stage(name=sid, tags=["io"])(timed))
    pipeline = manager.create_pipeline("limits", gpu + io)
    result = manager.execute_pipeline(
        pipeline, executor=executor, max_workers=4, limits={"gpu": 1, "io": 2}
    )
    assert result.ok, result.failures
    gpu_spans = [result[sid].value for sid in gpu]
    io_spans = [result[sid].value for sid in io]
    assert _max_overlap(gpu_spans) == 1
    assert 1 <= _max_overlap(io_spans) <= 2
