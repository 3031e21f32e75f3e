"""Results: one StageResult per stage, gathered in a read-only PipelineResult in plan order."""

from __future__ import annotations

from typing import Any

import pytest

from gini_host import (
    PipelineResult,
    StageContext,
    StageFailure,
    StageManager,
    StageResult,
    StageStatus,
    stage,
)
from gini_host.stages.results import ErrorInfo


class DiskFull(RuntimeError):
    pass


# Module-level stages: every executor, including processes and dask, can find them by name.


@stage
def fetch(ctx: StageContext) -> str:
    return "sources"


@stage(requires="fetch")
def build(ctx: StageContext) -> str:
    return "binary"


@stage(name="test", requires="build")
def unit_tests(ctx: StageContext) -> int:
    return 0


@stage
def lint(ctx: StageContext) -> None:
    raise DiskFull("no space left on /dev/sdz")


@stage(optional=True)
def docs(ctx: StageContext) -> None:
    raise ValueError("sphinx missing")


@stage(requires="lint")
def audit(ctx: StageContext) -> None:
    pass


def _run(manager: StageManager, executor: str, *, keep_going: bool = True) -> PipelineResult:
    """fetch -> build -> test; ``lint`` fails, ``docs`` fails optionally, ``audit`` needs lint."""
    for s in (fetch, build, unit_tests, lint, docs, audit):
        manager.register_stage(s, plugin="ci")
    pipeline = manager.create_pipeline("ci", ["ci::test", "ci::lint", "ci::docs", "ci::audit"])
    return manager.execute_pipeline(pipeline, executor=executor, keep_going=keep_going)


def test_mapping_in_plan_order(manager: StageManager, executor: str) -> None:
    """A PipelineResult maps every stage id of the plan to its StageResult, in plan order."""
    result = _run(manager, executor)
    order = ["ci::fetch", "ci::build", "ci::test", "ci::lint", "ci::docs", "ci::audit"]
    assert list(result) == order
    assert list(result.keys()) == order
    assert len(result) == 6
    assert "ci::lint" in result
    assert all(isinstance(r, StageResult) for r in result.values())
    assert [r.stage_id for r in result.values()] == order
    assert dict(result.items())["ci::build"].value == "binary"


def test_mapping_is_read_only(manager: StageManager, executor: str) -> None:
    """A PipelineResult cannot be changed."""
    result = _run(manager, executor)
    with pytest.raises(TypeError):
        result["ci::lint"] = result["ci::fetch"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        result.duration = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.results["ci::lint"] = result["ci::fetch"]  # type: ignore[index]


def test_status_counts_and_failures(manager: StageManager, executor: str) -> None:
    """ok, status, failures and counts reflect the stages' outcomes."""
    result = _run(manager, executor)
    assert not result.ok
    assert result.status == "failed"
    assert list(result.failures) == ["ci::lint", "ci::docs"]
    assert result.counts() == {"succeeded": 3, "failed": 2, "skipped": 1}
    assert result.outputs == {"ci::fetch": "sources", "ci::build": "binary", "ci::test": 0}
    assert result.pipeline == "ci"
    assert not result.interrupted
    assert not result.dry_run


def test_failed_stage_carries_error_plugin_and_traceback(
    manager: StageManager, executor: str
) -> None:
    """A failed StageResult holds the exception type, message, traceback, plugin and the exception."""
    lint = _run(manager, executor)["ci::lint"]
    assert lint.status is StageStatus.FAILED
    assert lint.plugin == "ci"
    assert lint.error is not None
    assert lint.error.type == "DiskFull"
    assert lint.error.message == "no space left on /dev/sdz"
    assert "raise DiskFull" in lint.error.traceback
    assert lint.error.one_line() == "DiskFull: no space left on /dev/sdz"
    assert isinstance(lint.exception, DiskFull)
    assert lint.attempts == 1
    assert not lint.ok


def test_optional_failure_is_ok(manager: StageManager, executor: str) -> None:
    """An optional stage's failure is reported but does not count against the pipeline."""
    docs = _run(manager, executor)["ci::docs"]
    assert docs.status is StageStatus.FAILED
    assert docs.optional
    assert docs.ok


def test_timings_and_start_times(manager: StageManager, executor: str) -> None:
    """Stages that ran have a start time and a duration; timings() lists them slowest first."""
    result = _run(manager, executor)
    assert result["ci::fetch"].started_at is not None
    assert result["ci::fetch"].duration >= 0
    assert result["ci::audit"].started_at is None
    timings = result.timings()
    assert set(timings) == set(result)
    assert list(timings.values()) == sorted(timings.values(), reverse=True)
    assert result.duration >= 0
    assert result.started_at > 0


def test_raise_for_status_groups_every_failure(manager: StageManager, executor: str) -> None:
    """raise_for_status raises one ExceptionGroup of StageFailure, caused by the stage's error."""
    result = _run(manager, executor)
    with pytest.raises(ExceptionGroup) as info:
        result.raise_for_status()
    failures = info.value.exceptions
    assert [type(f) for f in failures] == [StageFailure]
    (failure,) = failures
    assert isinstance(failure, StageFailure)
    assert (failure.stage_id, failure.plugin) == ("ci::lint", "ci")
    assert failure.message == "DiskFull: no space left on /dev/sdz"
    assert isinstance(failure.__cause__, DiskFull)
    assert "stage ci::lint (plugin ci) failed" in str(failure)
    assert "1 stage(s) failed" in str(info.value)


@pytest.mark.in_process
def test_raise_for_status_lists_all_failures(manager: StageManager, executor: str) -> None:
    """Two independent failures are both in the group, in plan order."""

    @stage
    def one(ctx: StageContext) -> None:
        raise OSError("first")

    @stage
    def two(ctx: StageContext) -> None:
        raise KeyError("second")

    manager.register_stage(one)
    manager.register_stage(two)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["one", "two"]), executor=executor, keep_going=True
    )
    with pytest.raises(ExceptionGroup) as info:
        result.raise_for_status()
    failures = [f for f in info.value.exceptions if isinstance(f, StageFailure)]
    assert [f.stage_id for f in failures] == ["one", "two"]
    assert len(info.value.exceptions) == 2


@pytest.mark.in_process
def test_raise_for_status_passes_when_ok(manager: StageManager, executor: str) -> None:
    """A successful run (optional failures aside) does not raise."""

    @stage
    def fine(ctx: StageContext) -> int:
        return 1

    @stage(optional=True)
    def shaky(ctx: StageContext) -> None:
        raise RuntimeError("meh")

    manager.register_stage(fine)
    manager.register_stage(shaky)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["fine", "shaky"]), executor=executor
    )
    assert result.ok
    assert result.status == "succeeded"
    result.raise_for_status()
    assert repr(result).startswith("<PipelineResult p succeeded")


def test_detail_is_the_error_else_the_reason() -> None:
    """StageResult.detail: the one-line error of a failure, else the reason, else ""."""
    failed = StageResult(
        "p::a", StageStatus.FAILED, error=ErrorInfo("DiskFull", "no space\nleft"), reason="x"
    )
    assert failed.detail == "DiskFull: no space"
    skipped = StageResult("p::b", StageStatus.SKIPPED, reason="upstream stage p::a failed")
    assert skipped.detail == "upstream stage p::a failed"
    assert StageResult("p::c", StageStatus.SUCCEEDED).detail == ""


class _Refuses(Exception):
    def __str__(self) -> str:
        raise KeyboardInterrupt  # plugin code: a placeholder, not an interrupt


class _Notes(list[str]):
    def __iter__(self) -> Any:
        raise KeyboardInterrupt


class _NoTraceback(Exception):
    """An exception whose notes break traceback formatting."""

    def __init__(self) -> None:
        super().__init__("has a message")
        self.__notes__ = _Notes()


def test_error_info_describes_any_exception_in_one_line() -> None:
    """One way to describe an exception: a raising __str__ gets a placeholder (even one
    raising KeyboardInterrupt), a huge message is cut, and nothing raises."""
    assert ErrorInfo.describe(_Refuses()) == (
        "_Refuses: <unprintable _Refuses: str() raised KeyboardInterrupt>"
    )
    huge = ErrorInfo.from_exception(ValueError("x" * 1_000_000))
    assert len(huge.message) < 10_100
    assert huge.message.endswith("(990000 more characters)")
    broken = ErrorInfo.from_exception(_NoTraceback())
    assert broken.message == "has a message"
    assert broken.traceback == (
        "<unprintable _NoTraceback: formatting its traceback raised KeyboardInterrupt>"
    )


def test_safe_repr_is_bounded_and_never_raises() -> None:
    """safe_repr: a bounded repr of anything, a placeholder for what repr cannot show."""
    from gini_host.shown import safe_repr

    loop: list[object] = []
    loop.append(loop)
    assert safe_repr(loop) == "[[[[[[[[[...]]]]]]]]]"
    assert len(safe_repr(list(range(100_000)), 100)) < 150
    assert safe_repr(_Refuses("x")) == "_Refuses('x')"  # an exception's repr uses its args
    assert safe_repr(10**5000) == "<int of 16610 bits>"
