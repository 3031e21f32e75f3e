"""Cancelling a run: from another thread, by KeyboardInterrupt, by a signal; nothing is lost."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from loguru import logger

from gini_host import (
    PipelineResult,
    RunControl,
    StageContext,
    StageManager,
    StageStatus,
    stage,
)
from gini_host.errors import RunCancelled
from gini_host.stages import RunOptions, execute
from gini_host.stages.executors import strategy_for

needs_sigusr1 = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")


def _cancel_when(started: threading.Event, control: RunControl, reason: str) -> threading.Thread:
    """Start a thread that cancels ``control`` once ``started`` is set."""

    def cancel() -> None:
        assert started.wait(10)
        control.cancel(reason)

    thread = threading.Thread(target=cancel)
    thread.start()
    return thread


@pytest.mark.in_process
def test_cancel_from_another_thread(manager: StageManager, executor: str) -> None:
    """A cancel mid-run: the running stage sees ctx.cancelled, the rest is cancelled, results kept."""
    started = threading.Event()
    saw_cancel: list[bool] = []

    @stage
    def first(ctx: StageContext) -> str:
        return "kept"

    @stage(requires="first")
    def long(ctx: StageContext) -> str:
        started.set()
        saw_cancel.append(ctx.cancelled.wait(10))
        return "stopped early"

    @stage(requires="long")
    def after(ctx: StageContext) -> None:
        raise AssertionError("must not start")

    for s in (first, long, after):
        manager.register_stage(s)
    control = RunControl()
    canceller = _cancel_when(started, control, "operator said stop")
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after"]), executor=executor, control=control
    )
    canceller.join()
    assert saw_cancel == [True]
    assert result.interrupted
    assert result.status == "cancelled"
    assert not result.ok
    assert result["first"].value == "kept"
    # It noticed the cancel and returned: cancelled, not succeeded; its value is kept.
    assert result["long"].status is StageStatus.CANCELLED
    assert result["long"].value == "stopped early"
    assert result["long"].reason == "cancelled while running (operator said stop); it returned early"
    assert result["after"].status is StageStatus.CANCELLED
    assert result["after"].reason == "not started: upstream stage long was cancelled"
    assert control.cancelled
    assert control.reason == "operator said stop"
    with pytest.raises(ExceptionGroup) as group:
        result.raise_for_status()
    (cancelled,) = group.value.exceptions
    assert isinstance(cancelled, RunCancelled)
    assert cancelled.stage_ids == ("long", "after")
    assert str(cancelled) == (
        "pipeline 'p' was interrupted (cancelled while running (operator said stop); it "
        "returned early): 2 stage(s) cancelled: long, after"
    )


def test_cancel_reaches_every_parallel_stage(manager: StageManager) -> None:
    """Under threads, every running stage sees ctx.cancelled; unstarted ones are cancelled."""
    ready = threading.Barrier(3)
    all_started = threading.Event()
    seen: list[str] = []
    lock = threading.Lock()

    def waiter(ctx: StageContext) -> None:
        if ready.wait(10) == 0:
            all_started.set()
        if ctx.cancelled.wait(10):
            with lock:
                seen.append(ctx.stage_id)

    for i in range(3):
        manager.register_stage(stage(name=f"w{i}")(waiter))
    manager.register_stage(stage(name="next", requires=["w0", "w1", "w2"])(waiter))
    control = RunControl()
    canceller = _cancel_when(all_started, control, "stop")
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["next"]), executor="threads", max_workers=3, control=control
    )
    canceller.join()
    assert sorted(seen) == ["w0", "w1", "w2"]
    assert result["next"].status is StageStatus.CANCELLED
    assert result.interrupted


def test_stage_ignoring_cancel_is_marked_cancelled_after_grace() -> None:
    """A worker stage that does not stop within the grace period is recorded as cancelled."""
    manager = StageManager()
    started = threading.Event()
    release = threading.Event()

    @stage
    def stubborn(ctx: StageContext) -> None:
        started.set()
        release.wait(10)

    @stage
    def polite(ctx: StageContext) -> str:
        ctx.cancelled.wait(10)
        return "stopped"

    manager.register_stage(stubborn)
    manager.register_stage(polite)
    control = RunControl()
    canceller = _cancel_when(started, control, "enough")
    try:
        result = execute(
            manager.create_pipeline("p", ["stubborn", "polite"]),
            strategy_for("threads", 2),
            options=RunOptions(grace=0.5),
            control=control,
        )
    finally:
        release.set()
        canceller.join()
    assert result["stubborn"].status is StageStatus.CANCELLED
    assert result["stubborn"].reason == "cancelled while running (enough)"
    # An abandoned stage still reports that it ran, and for about how long.
    assert result["stubborn"].attempts == 1
    assert result["stubborn"].duration >= 0.5
    # It stopped when asked: cancelled too, but it returned, so its value is there.
    assert result["polite"].status is StageStatus.CANCELLED
    assert result["polite"].reason == "cancelled while running (enough); it returned early"
    assert result["polite"].value == "stopped"
    assert result.interrupted


def fails_leaving_a_marker(ctx: StageContext) -> None:
    Path(ctx.config["marker"]).write_text("failed once")
    raise ConnectionError("try again later")


async def fails_leaving_a_marker_async(ctx: StageContext) -> None:
    fails_leaving_a_marker(ctx)


@pytest.mark.in_process
def test_cancel_before_start_runs_nothing(manager: StageManager, executor: str) -> None:
    """A run whose control is already cancelled starts no stage; every stage is cancelled."""
    ran: list[str] = []
    manager.register_stage(stage(name="a")(lambda ctx: ran.append("a")))
    control = RunControl()
    control.cancel("too late")
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["a"]), executor=executor, control=control
    )
    assert ran == []
    assert result["a"].status is StageStatus.CANCELLED
    assert result.interrupted


def _interrupting_plan(manager: StageManager) -> Any:
    @stage
    def first(ctx: StageContext) -> str:
        return "kept"

    @stage(requires="first")
    def ctrl_c(ctx: StageContext) -> None:
        raise KeyboardInterrupt

    @stage(requires="ctrl_c")
    def after(ctx: StageContext) -> None:
        raise AssertionError("must not start")

    @stage(requires="first")
    def sibling(ctx: StageContext) -> str:
        return "ran"

    for s in (first, ctrl_c, after, sibling):
        manager.register_stage(s)
    return manager.create_pipeline("p", ["after", "sibling"])


def test_keyboard_interrupt_on_the_main_thread_under_the_default_handler_cancels(
    manager: StageManager,
) -> None:
    """A library caller's Ctrl-C: a KeyboardInterrupt reaching a body on the main thread while
    Python's default SIGINT handler is in place ends the run with cancelled statuses."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    result = manager.execute_pipeline(_interrupting_plan(manager), executor="sequential")
    assert result.interrupted
    assert result.status == "cancelled"
    assert result["first"].value == "kept"
    assert result["ctrl_c"].status is StageStatus.CANCELLED
    assert "KeyboardInterrupt" in (result["ctrl_c"].reason or "")
    assert result["after"].status is StageStatus.CANCELLED
    assert [r.status for r in result.values()].count(StageStatus.CANCELLED) == 3


def test_keyboard_interrupt_raised_by_a_body_is_its_failure_where_no_signal_caused_it(
    manager: StageManager,
) -> None:
    """Under handlers of the host's own (the CLI's), a KeyboardInterrupt out of a body was
    raised by plugin code: that stage fails, its dependent is skipped, the run is not
    interrupted and independent stages run (issue 11 item 2)."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        result = manager.execute_pipeline(
            _interrupting_plan(manager), executor="sequential", keep_going=True
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not result.interrupted
    assert result["ctrl_c"].status is StageStatus.FAILED
    assert result["ctrl_c"].error is not None
    assert result["ctrl_c"].error.type == "KeyboardInterrupt"
    assert result["after"].status is StageStatus.SKIPPED
    assert result["sibling"].value == "ran"


def _signal_when(started: threading.Event, send_sigusr1: Callable[[], None]) -> threading.Thread:
    def send() -> None:
        # The stage runs on the main thread from here: wherever the signal finds it in its
        # body (before or in its blocking call), the interrupt is raised there.
        assert started.wait(10)
        send_sigusr1()

    thread = threading.Thread(target=send)
    thread.start()
    return thread


@pytest.mark.in_process
@needs_sigusr1
def test_signal_interrupts_stage_blocked_on_calling_thread(
    manager: StageManager,
    executor: str,
    sigusr1: list[RunControl],
    send_sigusr1: Callable[[], None],
) -> None:
    """A signal handler calling interrupt() stops a stage sleeping on the calling thread."""
    started = threading.Event()
    finished: list[str] = []

    @stage
    def sleeper(ctx: StageContext) -> None:
        started.set()
        # Blocked, never looking at ctx.cancelled. Short sleeps, not one time.sleep(10): a
        # signal that lands between started.set() and the sleep's system call would not
        # interrupt that call (CPython checks for signals only once it returns).
        for _ in range(1000):
            time.sleep(0.01)
        finished.append("sleeper")

    @stage(requires="sleeper")
    def after(ctx: StageContext) -> None:
        finished.append("after")

    manager.register_stage(sleeper)
    manager.register_stage(after)
    control = RunControl()
    sigusr1.append(control)
    sender = _signal_when(started, send_sigusr1)
    began = time.monotonic()
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after"]), executor=executor, control=control
    )
    sender.join()
    assert time.monotonic() - began < 9  # the 10 s sleep was cut short
    assert finished == []
    assert result["sleeper"].status is StageStatus.CANCELLED
    assert result["after"].status is StageStatus.CANCELLED
    assert result.interrupted
    assert control.reason == "SIGUSR1"


@needs_sigusr1
def test_signal_while_workers_run_cancels_them(
    manager: StageManager, sigusr1: list[RunControl], send_sigusr1: Callable[[], None]
) -> None:
    """A signal while stages run on worker threads sets their ctx.cancelled; the run ends."""
    barrier = threading.Barrier(2)
    started = threading.Event()

    def worker(ctx: StageContext) -> bool:
        if barrier.wait(10) == 0:
            started.set()
        return ctx.cancelled.wait(10)

    manager.register_stage(stage(name="w0")(worker))
    manager.register_stage(stage(name="w1")(worker))
    control = RunControl()
    sigusr1.append(control)
    sender = _signal_when(started, send_sigusr1)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["w0", "w1"]),
        executor="threads",
        max_workers=2,
        control=control,
    )
    sender.join()
    assert result["w0"].value is True
    assert result["w1"].value is True
    assert result.interrupted


@needs_sigusr1
def test_keyboard_interrupt_while_loop_waits(
    manager: StageManager, send_sigusr1: Callable[[], None]
) -> None:
    """KeyboardInterrupt reaching the loop while workers run cancels them and returns a result."""
    barrier = threading.Barrier(2)
    started = threading.Event()

    def worker(ctx: StageContext) -> bool:
        if barrier.wait(10) == 0:
            started.set()
        return ctx.cancelled.wait(10)

    def raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    manager.register_stage(stage(name="w0")(worker))
    manager.register_stage(stage(name="w1")(worker))
    manager.register_stage(stage(name="after", requires=["w0", "w1"])(worker))
    previous = signal.signal(signal.SIGUSR1, raise_keyboard_interrupt)
    try:
        sender = _signal_when(started, send_sigusr1)
        result = manager.execute_pipeline(
            manager.create_pipeline("p", ["after"]), executor="threads", max_workers=2
        )
        sender.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert result["w0"].value is True
    assert result["w1"].value is True
    assert result["after"].status is StageStatus.CANCELLED
    assert result.interrupted


def returns_when_cancelled(ctx: StageContext) -> str:
    marker = Path(ctx.config["marker"])
    marker.write_text("running")
    # In-process the cancel sets ctx.cancelled; in a worker process or on a Dask worker the
    # body cannot see it, so the test also leaves a file, and the body returns rather than
    # keep a shared worker busy for later tests. Either way the stage ends cancelled.
    stop = marker.with_name(marker.name + ".cancelled")
    deadline = time.monotonic() + 10
    while not (ctx.cancelled.wait(0.01) or stop.exists()) and time.monotonic() < deadline:
        pass
    return "stopped early"


def _run_cancelled_once_marked(
    manager: StageManager,
    stage_id: str,
    executor: Any,
    marker: Path,
    send_sigusr1: Callable[[], None] | None = None,
    sigusr1: list[RunControl] | None = None,
) -> tuple[PipelineResult, float]:
    """Run ``stage_id`` (its config names ``marker``) and cancel the run once the stage wrote
    ``marker`` and, if it retries, once the host says it waits to retry: from another
    thread, or with SIGUSR1 when ``sigusr1`` (the fixture routing it) is given. The result
    and the seconds the run took."""
    control = RunControl()
    if sigusr1 is not None:
        sigusr1.append(control)
    retries = manager.get_stage(stage_id).retries > 0
    retrying = threading.Event()
    # The host's own word that the stage waits for its next attempt (wherever it ran).
    sink = logger.add(
        lambda message: retrying.set(),
        level="DEBUG",
        filter=lambda record: "retrying in" in record["message"],
    )

    def cancel() -> None:
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline, "the stage never started"
            time.sleep(0.01)
        if retries:
            assert retrying.wait(20), "the stage never waited to retry"
        if send_sigusr1 is not None:
            send_sigusr1()
        else:
            control.cancel("operator said stop")
        marker.with_name(marker.name + ".cancelled").write_text("")  # for bodies elsewhere

    canceller = threading.Thread(target=cancel)
    canceller.start()
    began = time.monotonic()
    try:
        result = manager.execute_pipeline(
            manager.create_pipeline("p", [stage_id]),
            executor=executor,
            control=control,
            stage_config={stage_id: {"marker": str(marker)}},
        )
    finally:
        canceller.join()
        logger.remove(sink)
    return result, time.monotonic() - began


def test_a_stage_that_returns_after_the_cancel_is_cancelled(
    manager: StageManager, executor: Any, executor_name: str, tmp_path: Path
) -> None:
    """A stage asked to stop that returns reports ``cancelled``, never ``succeeded``, on every
    executor; in-process, where it did return, its value is kept in the result."""
    manager.register_stage(stage(name="waiter")(returns_when_cancelled))
    result, _ = _run_cancelled_once_marked(manager, "waiter", executor, tmp_path / "running")
    waiter = result["waiter"]
    assert waiter.status is StageStatus.CANCELLED
    assert "operator said stop" in (waiter.reason or "")
    if executor_name in ("sequential", "threads", "async"):
        assert waiter.value == "stopped early"
        assert waiter.reason == "cancelled while running (operator said stop); it returned early"
    assert result.status == "cancelled"


@needs_sigusr1
@pytest.mark.parametrize("via", ["cancel", "signal"])
@pytest.mark.parametrize("body", [fails_leaving_a_marker, fails_leaving_a_marker_async])
def test_cancel_during_retry_delay_keeps_the_last_error(
    manager: StageManager,
    executor: Any,
    body: Any,
    via: str,
    tmp_path: Path,
    sigusr1: list[RunControl],
    send_sigusr1: Callable[[], None],
) -> None:
    """A stage cancelled while it waits to retry ends ``cancelled`` at once, not ``failed``,
    with its last error, on every executor: a cancel from another thread, or a signal that
    reaches the only running stage on the main thread (it used to say "interrupted while
    running" with no error there)."""
    manager.register_stage(stage(name="flaky", retries=1, retry_delay=30)(body))
    send = send_sigusr1 if via == "signal" else None
    result, took = _run_cancelled_once_marked(
        manager, "flaky", executor, tmp_path / "failed", send, sigusr1
    )
    assert took < 15
    flaky = result["flaky"]
    assert flaky.status is StageStatus.CANCELLED
    assert flaky.attempts == 1
    why = "SIGUSR1" if via == "signal" else "operator said stop"
    assert flaky.reason == f"cancelled before attempt 2 ({why})"
    assert flaky.error is not None
    assert flaky.error.message == "try again later"
    assert result.interrupted
