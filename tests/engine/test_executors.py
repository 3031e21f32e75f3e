"""The scheduling loop under each executor: failure policy, retries, timeouts, parallelism."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from gini_host import (
    PipelineResult,
    Stage,
    StageContext,
    StageManager,
    StageResult,
    StageStatus,
    UsageError,
    hookimpl,
    stage,
)
from gini_host.stages import EXECUTORS

Body = Callable[[StageContext], Any]


def _ok(ctx: StageContext) -> str:
    return ctx.stage_id


def _boom(ctx: StageContext) -> None:
    raise RuntimeError(f"{ctx.stage_id} broke")


def _add(
    manager: StageManager,
    name: str,
    body: Body = _ok,
    requires: Sequence[str] = (),
    **options: Any,
) -> None:
    manager.register_stage(stage(name=name, requires=requires, **options)(body))


def _run(
    manager: StageManager, targets: Sequence[str], executor: str, **kwargs: Any
) -> PipelineResult:
    return manager.execute_pipeline(
        manager.create_pipeline("p", targets), executor=executor, **kwargs
    )


def _statuses(result: PipelineResult) -> dict[str, str]:
    return {sid: r.status.value for sid, r in result.items()}


class Intervals:
    """Records when stage bodies start and end, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spans: dict[str, tuple[float, float]] = {}
        self.threads: dict[str, str] = {}

    def body(self, pause: float = 0.0, wait_for: threading.Barrier | None = None) -> Body:
        def run(ctx: StageContext) -> str:
            start = time.perf_counter()
            if wait_for is not None:
                wait_for.wait(timeout=10)
            if pause:
                time.sleep(pause)
            end = time.perf_counter()
            with self.lock:
                self.spans[ctx.stage_id] = (start, end)
                self.threads[ctx.stage_id] = threading.current_thread().name
            return ctx.stage_id

        return run

    def max_overlap(self, ids: Sequence[str] | None = None) -> int:
        """The largest number of the given stages that were running at one instant."""
        events = []
        for sid, (start, end) in self.spans.items():
            if ids is None or sid in ids:
                events += [(start, 1), (end, -1)]
        running = best = 0
        for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
            running += delta
            best = max(best, running)
        return best


def test_executors_registered() -> None:
    """Both executors of issue 2 are available by name."""
    assert {"sequential", "threads"} <= set(EXECUTORS)


def test_unknown_executor_is_usage_error(manager: StageManager) -> None:
    """An unknown executor name is bad input, naming the known ones."""
    _add(manager, "a")
    with pytest.raises(UsageError, match="unknown executor 'fibers'; known: .*sequential"):
        _run(manager, ["a"], "fibers")


def test_all_succeed(manager: StageManager, executor: str) -> None:
    """Stages that return normally succeed with their return value, once each."""
    _add(manager, "a")
    _add(manager, "b", requires=["a"])
    result = _run(manager, ["b"], executor)
    assert _statuses(result) == {"a": "succeeded", "b": "succeeded"}
    assert result["b"].value == "b"
    assert result["b"].attempts == 1
    assert result.ok


def test_dependents_of_failure_are_skipped_naming_it(manager: StageManager, executor: str) -> None:
    """A failed stage's direct and transitive dependents are skipped; the reason names it."""
    _add(manager, "root")
    _add(manager, "bad", _boom, requires=["root"])
    _add(manager, "child", requires=["bad"])
    _add(manager, "grandchild", requires=["child", "root"])
    result = _run(manager, ["grandchild"], executor)
    assert _statuses(result) == {
        "root": "succeeded",
        "bad": "failed",
        "child": "skipped",
        "grandchild": "skipped",
    }
    assert result["child"].reason == "upstream stage bad failed"
    assert result["grandchild"].reason == "upstream stage bad failed"
    assert result["child"].attempts == 0
    assert not result.ok


@pytest.mark.in_process
def test_fail_fast_starts_nothing_new(manager: StageManager, executor: str) -> None:
    """By default, after a failure no independent stage starts; they are skipped with the reason."""
    ran: list[str] = []

    def record(ctx: StageContext) -> None:
        ran.append(ctx.stage_id)

    _add(manager, "first", record)
    _add(manager, "bad", _boom)
    _add(manager, "independent", record)
    result = _run(manager, ["first", "bad", "independent"], executor, max_workers=1)
    assert _statuses(result) == {"first": "succeeded", "bad": "failed", "independent": "skipped"}
    assert ran == ["first"]
    reason = result["independent"].reason or ""
    assert "stopped after bad failed" in reason
    assert "keep_going" in reason


def test_fail_fast_lets_running_stages_finish(manager: StageManager) -> None:
    """Under threads, a stage already running when another fails still finishes and succeeds."""
    recorded = threading.Event()

    class Watcher:
        @hookimpl
        def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
            if stage.id == "bad":  # called once the loop recorded the failure
                recorded.set()

    manager.plugin_manager.register(Watcher())

    def bad(ctx: StageContext) -> None:
        raise RuntimeError("bad")

    def slow(ctx: StageContext) -> str:
        assert recorded.wait(10)
        return "finished"

    _add(manager, "slow", slow)
    _add(manager, "bad", bad)
    _add(manager, "queued")
    result = _run(manager, ["slow", "bad", "queued"], "threads", max_workers=2)
    assert _statuses(result) == {"slow": "succeeded", "bad": "failed", "queued": "skipped"}
    assert result["slow"].value == "finished"


def test_keep_going_runs_independent_branches(manager: StageManager, executor: str) -> None:
    """With keep_going, every branch not downstream of the failure runs."""
    _add(manager, "bad", _boom)
    _add(manager, "after_bad", requires=["bad"])
    _add(manager, "other")
    _add(manager, "after_other", requires=["other"])
    _add(manager, "also_bad", _boom, requires=["other"])
    result = _run(
        manager, ["bad", "after_bad", "after_other", "also_bad"], executor, keep_going=True
    )
    assert _statuses(result) == {
        "bad": "failed",
        "after_bad": "skipped",
        "other": "succeeded",
        "after_other": "succeeded",
        "also_bad": "failed",
    }
    assert list(result.failures) == ["bad", "also_bad"]


def test_optional_failure_does_not_block(manager: StageManager, executor: str) -> None:
    """An optional stage's failure leaves the pipeline ok and its dependents still run."""
    _add(manager, "extras", _boom, optional=True)
    _add(manager, "main", requires=["extras"])
    _add(manager, "later")
    result = _run(manager, ["main", "later"], executor)
    assert _statuses(result) == {"extras": "failed", "main": "succeeded", "later": "succeeded"}
    assert result.ok
    assert result["extras"].optional


def test_every_result_is_kept_after_failure(manager: StageManager, executor: str) -> None:
    """Values produced before a failure stay in the result; every stage has exactly one result."""
    _add(manager, "a")
    _add(manager, "b", requires=["a"])
    _add(manager, "bad", _boom, requires=["b"])
    _add(manager, "c", requires=["bad"])
    _add(manager, "d")
    result = _run(manager, ["c", "d"], executor, keep_going=True)
    assert set(result) == {"a", "b", "bad", "c", "d"}
    assert result.outputs == {"a": "a", "b": "b", "d": "d"}
    assert result["bad"].error is not None


@pytest.mark.in_process
def test_retries_until_success(manager: StageManager, executor: str) -> None:
    """A stage that fails twice with retries=2 succeeds on the third attempt, waiting in between."""
    calls: list[float] = []

    def flaky(ctx: StageContext) -> int:
        calls.append(time.perf_counter())
        if len(calls) < 3:
            raise ConnectionError("try again")
        return len(calls)

    _add(manager, "flaky", flaky, retries=2, retry_delay=0.05)
    result = _run(manager, ["flaky"], executor)
    assert result["flaky"].status is StageStatus.SUCCEEDED
    assert result["flaky"].attempts == 3
    assert result["flaky"].value == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    assert all(gap >= 0.045 for gap in gaps)


@pytest.mark.in_process
def test_retries_exhausted_fail_with_last_error(manager: StageManager, executor: str) -> None:
    """A stage that always fails is tried 1 + retries times and fails with the last error."""
    calls: list[int] = []

    def hopeless(ctx: StageContext) -> None:
        calls.append(1)
        raise ConnectionError(f"attempt {len(calls)}")

    _add(manager, "hopeless", hopeless, retries=3)
    result = _run(manager, ["hopeless"], executor)
    assert result["hopeless"].status is StageStatus.FAILED
    assert result["hopeless"].attempts == 4
    assert len(calls) == 4
    assert result["hopeless"].error is not None
    assert result["hopeless"].error.message == "attempt 4"


@pytest.mark.in_process
def test_timeout_fails_stage_and_sets_cancelled(manager: StageManager, executor: str) -> None:
    """A stage past its timeout fails with StageTimeoutError and sees ctx.cancelled set."""
    saw_cancel = threading.Event()

    def stuck(ctx: StageContext) -> None:
        if ctx.cancelled.wait(10):
            saw_cancel.set()

    _add(manager, "stuck", stuck, timeout=0.1)
    _add(manager, "after", requires=["stuck"])
    result = _run(manager, ["after"], executor)
    stuck_result = result["stuck"]
    assert stuck_result.status is StageStatus.FAILED
    assert stuck_result.error is not None
    assert stuck_result.error.type == "StageTimeoutError"
    assert stuck_result.error.message == "stage 'stuck' timed out after 0.1s"
    assert isinstance(stuck_result.exception, TimeoutError)
    assert result["after"].status is StageStatus.SKIPPED
    assert saw_cancel.wait(5)


def test_fast_stage_with_timeout_succeeds(manager: StageManager, executor: str) -> None:
    """A stage that finishes within its timeout succeeds with its value and its exceptions."""
    _add(manager, "quick", timeout=5)
    _add(manager, "quick_bad", _boom, timeout=5)
    result = _run(manager, ["quick", "quick_bad"], executor, keep_going=True)
    assert result["quick"].value == "quick"
    assert result["quick_bad"].error is not None
    assert result["quick_bad"].error.type == "RuntimeError"


@pytest.mark.in_process
def test_async_stage_functions(manager: StageManager, executor: str) -> None:
    """``async def`` stages are awaited; their return value is the result."""

    async def fetch(ctx: StageContext) -> str:
        await asyncio.sleep(0.001)
        return "fetched"

    async def parse(ctx: StageContext) -> str:
        return str(ctx.results["fetch"]) + "+parsed"

    async def broken(ctx: StageContext) -> None:
        raise ValueError("async broke")

    _add(manager, "fetch", fetch)
    _add(manager, "parse", parse, requires=["fetch"])
    _add(manager, "broken", broken, timeout=5)
    result = _run(manager, ["parse", "broken"], executor, keep_going=True)
    assert result["parse"].value == "fetched+parsed"
    assert result["broken"].error is not None
    assert result["broken"].error.message == "async broke"


def test_threads_run_independent_stages_in_parallel(manager: StageManager) -> None:
    """Four independent stages on four workers are all running at once (they meet at a barrier)."""
    spans = Intervals()
    barrier = threading.Barrier(4)
    for i in range(4):
        _add(manager, f"s{i}", spans.body(wait_for=barrier))
    result = _run(manager, [f"s{i}" for i in range(4)], "threads", max_workers=4)
    assert result.ok, result.failures
    assert spans.max_overlap() == 4


def test_sequential_never_overlaps(manager: StageManager) -> None:
    """The sequential executor runs one stage at a time, on the calling thread."""
    spans = Intervals()
    for i in range(6):
        _add(manager, f"s{i}", spans.body(pause=0.002))
    _run(manager, [f"s{i}" for i in range(6)], "sequential")
    assert spans.max_overlap() == 1
    assert set(spans.threads.values()) == {threading.current_thread().name}


def test_threads_respect_max_workers(manager: StageManager) -> None:
    """No more than ``max_workers`` stages run at once."""
    spans = Intervals()
    for i in range(10):
        _add(manager, f"s{i}", spans.body(pause=0.01))
    result = _run(manager, [f"s{i}" for i in range(10)], "threads", max_workers=3)
    assert result.ok
    assert 1 <= spans.max_overlap() <= 3


def test_lone_ready_stage_runs_on_calling_thread(manager: StageManager) -> None:
    """Under threads, a chain (one ready stage at a time) runs inline on the calling thread."""
    spans = Intervals()
    _add(manager, "a", spans.body())
    _add(manager, "b", spans.body(), requires=["a"])
    _run(manager, ["b"], "threads", max_workers=4)
    assert spans.threads == {"a": threading.current_thread().name} | {
        "b": threading.current_thread().name
    }


def test_tag_limit_is_never_exceeded(manager: StageManager) -> None:
    """``limits={"gpu": 1}``: gpu stages never overlap, while untagged stages run beside them."""
    spans = Intervals()
    gpu = [f"gpu{i}" for i in range(5)]
    cpu = [f"cpu{i}" for i in range(3)]
    for sid in gpu:
        _add(manager, sid, spans.body(pause=0.02), tags=["gpu"])
    for sid in cpu:
        _add(manager, sid, spans.body(pause=0.02))
    result = _run(manager, gpu + cpu, "threads", max_workers=4, limits={"gpu": 1})
    assert result.ok
    assert spans.max_overlap(gpu) == 1
    assert len(spans.spans) == 8


@pytest.mark.in_process
def test_tag_limit_of_two(manager: StageManager, executor: str) -> None:
    """``limits={"io": 2}`` allows at most two io stages at once; all of them run."""
    spans = Intervals()
    io = [f"io{i}" for i in range(6)]
    for sid in io:
        _add(manager, sid, spans.body(pause=0.01), tags=["io", "other"])
    result = _run(manager, io, executor, max_workers=4, limits={"io": 2})
    assert result.ok
    assert 1 <= spans.max_overlap(io) <= 2


@pytest.mark.parametrize("limit", [0, -1, 1.5])
def test_invalid_tag_limit_raises(manager: StageManager, limit: Any) -> None:
    """A tag limit must be a whole number of at least 1."""
    _add(manager, "a")
    with pytest.raises(ValueError, match="limit for tag 'gpu'"):
        _run(manager, ["a"], "threads", limits={"gpu": limit})


def test_execute_stage_runs_one_stage_alone(manager: StageManager) -> None:
    """execute_stage runs only the named stage (not what it requires) and returns its result."""
    from gini_host.stages import RunState

    ran: list[str] = []

    def record(ctx: StageContext) -> Mapping[str, Any]:
        ran.append(ctx.stage_id)
        return dict(ctx.config)

    _add(manager, "dep", record)
    _add(manager, "target", record, requires=["dep"])
    run = RunState("r1")
    result = manager.execute_stage("target", context=run, config={"x": 1})
    assert ran == ["target"]
    assert result.status is StageStatus.SUCCEEDED
    assert result.value == {"x": 1}
    assert run.results["target"] == {"x": 1}


def test_execute_stage_reports_failure_without_raising(manager: StageManager) -> None:
    """A failing stage run alone gives a failed result; unknown ids raise KeyError."""
    _add(manager, "bad", _boom)
    result = manager.execute_stage("bad")
    assert result.status is StageStatus.FAILED
    assert result.error is not None
    assert result.error.message == "bad broke"
    with pytest.raises(KeyError):
        manager.execute_stage("nope")


@pytest.mark.in_process
def test_shared_run_state_sees_earlier_results(manager: StageManager, executor: str) -> None:
    """A pipeline run on a given RunState reads results of stages run earlier on it."""
    from gini_host.stages import RunState

    _add(manager, "early", lambda ctx: 41)
    _add(manager, "late", lambda ctx: ctx.results["early"] + 1)
    run = RunState("shared")
    manager.execute_stage("early", context=run)
    result = _run(manager, ["late"], executor, context=run)
    assert result["late"].value == 42


def test_host_and_context_must_agree(manager: StageManager) -> None:
    """``host=`` is honoured with ``context=``: given to a context without one, refused
    when the context has another host."""
    from gini_host.stages import RunState

    _add(manager, "whose", lambda ctx: ctx.host)
    plan = manager.create_pipeline("p", ["whose"])
    run = RunState("shared")
    assert manager.execute_pipeline(plan, context=run, host="host A")["whose"].value == "host A"
    assert run.host == "host A"
    assert manager.execute_pipeline(plan, context=run, host="host A")["whose"].value == "host A"
    with pytest.raises(ValueError, match="context= belongs to host 'host A', not to host= 'B'"):
        manager.execute_pipeline(plan, context=run, host="B")


@pytest.mark.in_process
def test_sys_exit_in_stage_is_a_failure(manager: StageManager, executor: str) -> None:
    """A stage calling sys.exit() fails like any stage; the run ends and keeps every result."""
    import sys

    def bails(ctx: StageContext) -> None:
        sys.exit(3)

    _add(manager, "bails", bails)
    _add(manager, "sibling")
    _add(manager, "after", requires=["bails"])
    outcome: list[PipelineResult] = []

    def run() -> None:
        outcome.append(
            _run(manager, ["bails", "sibling", "after"], executor, max_workers=2, keep_going=True)
        )

    # In a helper thread: before the fix, a worker died on SystemExit and the loop waited forever.
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(10)
    assert not runner.is_alive(), "the run hung"
    (result,) = outcome
    assert _statuses(result) == {"bails": "failed", "sibling": "succeeded", "after": "skipped"}
    assert result["bails"].error is not None
    assert result["bails"].error.type == "SystemExit"


@pytest.mark.in_process
def test_timed_out_attempt_is_retried_with_a_fresh_context(
    manager: StageManager, executor: str
) -> None:
    """A timeout counts as a failed attempt: with retries left the stage runs again, uncancelled."""
    seen: list[bool] = []

    def slow_then_fast(ctx: StageContext) -> str:
        seen.append(ctx.cancelled.is_set())
        if len(seen) == 1:
            ctx.cancelled.wait(10)  # the first attempt hangs until its timeout cancels it
            return "too late"
        return "second try"

    _add(manager, "flaky", slow_then_fast, timeout=0.1, retries=1)
    result = _run(manager, ["flaky"], executor)
    assert result["flaky"].status is StageStatus.SUCCEEDED
    assert result["flaky"].value == "second try"
    assert result["flaky"].attempts == 2
    assert seen == [False, False]
