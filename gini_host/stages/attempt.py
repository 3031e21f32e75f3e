"""Running one stage: its body with retries and a timeout, or its dry-run description.

One retry policy, :class:`_Attempts`, says what every attempt's outcome means, for the sync
runner (:func:`run_stage`, on any thread, the body here or in a worker) and the async one
(:func:`run_stage_async`, a task of the ``async`` executor's event loop) alike. It is also the
one place that decides what an exception out of a stage body is: an interrupt
(:class:`~gini_host.stages.control.RunInterrupted`, the cancellation of the stage's own task,
a ``KeyboardInterrupt`` that a real signal caused) cancels, anything else, ``BaseException``
included (``SystemExit``, a ``KeyboardInterrupt`` the body raised itself, an
``asyncio.CancelledError`` out of the body's own ``asyncio.run``, a library's own), fails the
attempt. Before, those escaped the runner: a worker thread died with its job, and the run
waited for it forever.
"""

from __future__ import annotations

# asyncio is imported where a coroutine is involved, not here: every host boot imports this
# module, and a sequential run of plain stages never needs the ~10 ms asyncio costs.
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, final

import attrs

from gini_host import capture
from gini_host.errors import (
    EventLoopBlocked,
    LoopBlocked,
    StageNotStopped,
    StageTimeoutError,
)
from gini_host.stages.context import StageContext
from gini_host.stages.control import RunControl, RunInterrupted
from gini_host.stages.results import AttemptRecord, ErrorInfo, StageResult, StageStatus
from gini_host.stages.stage import Stage

__all__ = [
    "DEFAULT_GRACE",
    "BodyCall",
    "DeadlineWatch",
    "EventLoopBlocked",
    "LoopBlocked",
    "StageNotStopped",
    "call_body",
    "describe_stage",
    "run_stage",
    "run_stage_async",
]

# A module constant: ``StageStatus.SUCCEEDED`` costs ~90 ns a lookup on Python 3.11.
_SUCCEEDED = StageStatus.SUCCEEDED
_INTERRUPTS = (RunInterrupted, KeyboardInterrupt)

#: How long a stage whose ``ctx.cancelled`` was set (a timeout, a cancelled run) gets to
#: stop before it is given up on; ``RunOptions.grace`` sets it per run.
DEFAULT_GRACE = 2.0

#: How one attempt of a stage body is made elsewhere: in a worker process or on a Dask worker.
#: It returns the body's value, raises what the body raised, and raises
#: :class:`StageTimeoutError` past ``stage.timeout``.
BodyCall = Callable[[Stage, StageContext], Any]


class DeadlineWatch(Protocol):
    """Watches the deadlines of coroutine attempts from outside the event loop, to interrupt
    one that blocks the loop (the ``async`` executor's watchdog)."""

    def arm(self, deadline: float) -> object:
        """The running task's attempt must end by ``deadline`` (``time.monotonic``)."""
        ...

    def disarm(self, token: object) -> None:
        """The attempt armed as ``token`` ended."""
        ...


def call_body(stage: Stage, ctx: StageContext) -> Any:
    """Call the stage function; a coroutine function gets an event loop of its own.

    What the body prints goes to stderr labelled with the stage id (here, on a helper
    thread, or in a worker alike): stdout is the host's (``run --json``).
    """
    entry = capture.enter(stage.id)
    try:
        if stage.is_async:
            import asyncio  # only a coroutine stage needs it (see the module's imports)

            return asyncio.run(stage.function(ctx))
        return stage.function(ctx)
    finally:
        capture.leave(entry)


def _call_with_timeout(stage: Stage, ctx: StageContext, timeout: float, grace: float) -> Any:
    """Run the body on a helper thread and stop waiting for it after ``timeout`` seconds.

    On timeout ``ctx.cancelled`` is set and the attempt waits up to ``grace`` seconds more
    for the body to return: until then the stage holds its tag-limit slots and its retry
    does not start, so two attempts of one stage never run at once. A body still running
    then is abandoned (a daemon thread) and the stage fails with :class:`StageNotStopped`.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = call_body(stage, ctx)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name=f"stage:{stage.id}", daemon=True)
    thread.start()
    if not done.wait(timeout):
        ctx.cancel()
        if not done.wait(grace):
            raise StageNotStopped(stage.id, timeout, grace)
        raise StageTimeoutError(stage.id, timeout)
    if "error" in box:
        raise box["error"]
    return box.get("value")


async def _await_with_timeout(stage: Stage, ctx: StageContext, timeout: float) -> Any:
    """Await the body, cancelling its task past ``timeout`` (a real stop, no grace needed)."""
    import asyncio  # loaded already: this runs on the async executor's loop

    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            return await _await_body(stage, ctx)
    except TimeoutError:
        if not deadline.expired():
            raise  # the body's own TimeoutError
        raise StageTimeoutError(stage.id, timeout) from None


async def _await_body(stage: Stage, ctx: StageContext) -> Any:
    """Await the body with its output labelled (the label lives in this task's context)."""
    entry = capture.enter(stage.id)
    try:
        return await stage.function(ctx)
    finally:
        capture.leave(entry)


def _own_task_cancelled() -> bool:
    """Whether the running task is being cancelled (not a CancelledError the body made)."""
    import asyncio  # loaded already: this runs on the async executor's loop

    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _succeeded(
    stage: Stage, ctx: StageContext, value: Any, started: float, clock: float, count: int
) -> StageResult:
    # Positional: binding six keywords cost 0.5 µs of a no-op stage's ~8 (figure a).
    return StageResult(
        stage.id,
        _SUCCEEDED,
        stage.plugin,
        value,
        None,  # error
        None,  # reason
        started,
        time.perf_counter() - clock,
        count,
        stage.optional,
        None,  # exception
        ctx.worker or threading.current_thread().name,
    )


def _stopped_early(
    stage: Stage,
    ctx: StageContext,
    control: RunControl | None,
    policy: _Attempts | None,
    value: Any,
    started: float,
    clock: float,
    count: int,
) -> StageResult:
    """A body that returned after the run was cancelled: :meth:`_Attempts.stopped_early`.

    The runners ask ``control.reason`` inline (two attribute reads, no call: the engine's
    no-op stage costs ~4 us, and a helper call per stage cost 2-3% of it); a timeout never
    returns a value (its attempt raised), so the run's cancel reason says it all.
    """
    if policy is None:
        policy = _Attempts(stage, ctx, control, stage.retries, started, clock)
    return policy.stopped_early(value, count)


@final
class _Attempts:
    """The retry policy of one stage run: what the outcome of a failed attempt means.

    :meth:`outcome` classifies what an attempt raised and returns the stage's final result,
    or the delay before the next attempt; :meth:`interrupted` and :meth:`cancelled_waiting`
    make the results of interruptions. Both runners only make the attempts and wait the
    delays; they make this object at the first exception, so a stage that succeeds at once
    (nearly all) pays nothing for it.
    """

    __slots__ = (
        "attempt_at",
        "clock",
        "control",
        "count",
        "ctx",
        "log",
        "retries",
        "stage",
        "started",
    )

    def __init__(
        self,
        stage: Stage,
        ctx: StageContext,
        control: RunControl | None,
        retries: int,
        started: float,
        clock: float,
    ) -> None:
        self.stage = stage
        #: The context of the current attempt: a timed-out attempt's successor gets a new one.
        self.ctx = ctx
        self.control = control
        self.retries = retries
        self.started = started
        self.clock = clock
        self.count = 1
        #: When the current attempt started (``time.time()``); the runners set it per retry.
        self.attempt_at = started
        self.log: list[AttemptRecord] = []

    def _note(self, status: str, exc: BaseException | None) -> None:
        """Record how attempt :attr:`count` ended."""
        error = ErrorInfo.describe(exc) if exc is not None else None
        worker = self.ctx.worker or threading.current_thread().name
        self.log.append(
            AttemptRecord(self.count, self.attempt_at, time.time(), status, error, worker)
        )

    def _logged(self, result: StageResult) -> StageResult:
        last = self.log[-1].worker if self.log else None
        return attrs.evolve(result, worker=last, attempt_log=tuple(self.log))

    def succeeded(self, value: Any, count: int) -> StageResult:
        """Attempt ``count`` succeeded after earlier ones failed."""
        self.count = count
        self._note(_SUCCEEDED.value, None)
        result = _succeeded(self.stage, self.ctx, value, self.started, self.clock, count)
        return self._logged(result)

    def stopped_early(self, value: Any, count: int) -> StageResult:
        """Attempt ``count`` returned after the stage was asked to stop: ``cancelled``, its
        value kept. The host cannot tell a body that noticed ``ctx.cancelled`` and stopped
        early from one that had finished, and a value that may be partial must not pass for
        a success (issue 12)."""
        self.count = count
        self._note(StageStatus.CANCELLED.value, None)
        why = f"cancelled while running ({self._reason(None)}); it returned early"
        cancelled = self._cancelled(why)
        return attrs.evolve(cancelled, value=value)

    def outcome(
        self, exc: BaseException, count: int, own_task_cancelled: bool = False
    ) -> StageResult | float:
        """What attempt ``count`` raising ``exc`` means: a result, or the delay before the
        next attempt. ``own_task_cancelled``: the stage's task was cancelled (the run was)."""
        self.count = count
        if own_task_cancelled or _is_interrupt(exc, self.control):
            self._note(StageStatus.CANCELLED.value, exc)
            return self.interrupted(exc, cancel_run=not own_task_cancelled)
        self._note(StageStatus.FAILED.value, exc)
        if isinstance(exc, StageTimeoutError):
            # Wherever the body ran, the context the host gave it (and observers saw) says it
            # was cancelled; in-process bodies saw it at the timeout.
            self.ctx.cancel()
        if self.count > self.retries or isinstance(exc, StageNotStopped):
            failure = StageResult.of_failure(
                self.stage,
                exc,
                started_at=self.started,
                duration=time.perf_counter() - self.clock,
                attempts=self.count,
            )
            return self._logged(failure)
        if isinstance(exc, StageTimeoutError):
            # The timed-out attempt's context stays cancelled; the next one gets a fresh one,
            # or it would start out cancelled.
            self.ctx = self.ctx.next_attempt()
            if self.control is not None:
                self.control.started(self.ctx)
        if self.ctx.cancelled.is_set():
            return self.cancelled_waiting(exc)
        return self.stage.retry_delay

    def interrupted(self, exc: BaseException, cancel_run: bool = True) -> StageResult:
        """An interrupt reached the stage: it is cancelled, and so is the run (``cancel_run``,
        unless the run's own cancellation was the interrupt)."""
        if cancel_run and self.control is not None:
            self.control.cancel(ErrorInfo.message_of(exc))
        return self._cancelled(f"interrupted while running ({self._reason(exc)})")

    def interrupted_waiting(
        self, interrupt: BaseException, last_error: BaseException
    ) -> StageResult:
        """An interrupt (a signal on the main thread) cut the retry delay short: the same
        result as a cancel seen while waiting, the last error kept, whichever executor."""
        if self.control is not None and not self.control.cancelled:
            self.control.cancel(ErrorInfo.message_of(interrupt))
        return self.cancelled_waiting(last_error)

    def cancelled_waiting(self, last_error: BaseException) -> StageResult:
        """The run was cancelled while the stage waited to retry after ``last_error``."""
        return self._cancelled(
            f"cancelled before attempt {self.count + 1} ({self._reason(None)})", last_error
        )

    def _reason(self, exc: BaseException | None) -> str:
        if self.control is not None and self.control.reason:
            return self.control.reason
        if exc is None:
            return "cancelled"
        return ErrorInfo.message_of(exc)

    def _cancelled(self, reason: str, last_error: BaseException | None = None) -> StageResult:
        cancelled = StageResult.of_cancel(
            self.stage,
            reason,
            started_at=self.started,
            duration=time.perf_counter() - self.clock,
            attempts=self.count,
            last_error=last_error,
        )
        return self._logged(cancelled)


def _is_interrupt(exc: BaseException, control: RunControl | None) -> bool:
    """Whether ``exc`` out of a body is the operator's interrupt rather than the body's own.

    A ``KeyboardInterrupt`` is a signal's only when one can have caused it: the run was
    cancelled (the CLI's handlers cancel first, then raise), or it reached the main thread
    while Python's default SIGINT handler is in place (a library caller's Ctrl-C). Anywhere
    else (a worker thread, a worker process, under the CLI's own handlers) plugin code raised
    it, and it fails the stage like any other exception (issue 11 item 2).
    """
    if isinstance(exc, RunInterrupted):
        return True
    if not isinstance(exc, KeyboardInterrupt):
        return False
    if control is not None and control.cancelled:
        return True
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def _wait_cancelled(ctx: StageContext, delay: float) -> bool:
    """Wait up to ``delay`` seconds for ``ctx.cancelled``; True when it was set.

    In slices of 0.1 s: on the main thread, a signal that lands just before a blocking
    wait's system call does not interrupt that call (CPython runs the handler only once the
    call returns), so a Ctrl-C during a 30 s retry delay could wait the whole delay.
    """
    deadline = time.monotonic() + delay
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if ctx.cancelled.wait(min(left, 0.1)):
            return True


def _log_retry(stage: Stage, count: int, exc: BaseException, delay: float) -> None:
    """Say that attempt ``count`` failed and when the next one starts (DEBUG: the operator
    sees retries with ``-v``; the final failure is the result's)."""
    from gini_host.logs import logger  # the lazy logger: only a failing attempt imports it

    logger.bind(stage=stage.id).debug(
        "attempt {} failed ({}); retrying in {:g}s", count, type(exc).__name__, delay
    )


def run_stage(
    stage: Stage,
    ctx: StageContext,
    control: RunControl | None = None,
    call: BodyCall | None = None,
    grace: float = DEFAULT_GRACE,
) -> StageResult:
    """Run ``stage`` with its retries and timeout; never raises for a stage's own failure.

    ``call`` makes each attempt (default: here, the timeout on a helper thread with ``grace``
    for the body to stop); retries, retry delays and statuses are the same wherever the
    body runs.
    """
    started = time.time()
    clock = time.perf_counter()
    policy: _Attempts | None = None
    count = 0
    while True:
        count += 1
        try:
            if call is not None:
                value = call(stage, ctx)
            elif stage.timeout is not None:
                value = _call_with_timeout(stage, ctx, stage.timeout, grace)
            else:
                value = call_body(stage, ctx)
        except BaseException as exc:
            if policy is None:
                policy = _Attempts(stage, ctx, control, stage.retries, started, clock)
            verdict = policy.outcome(exc, count)
            if isinstance(verdict, StageResult):
                return verdict
            ctx = policy.ctx
            try:
                _log_retry(stage, count, exc, verdict)
                if verdict and _wait_cancelled(ctx, verdict):
                    return policy.cancelled_waiting(exc)
            except _INTERRUPTS as interrupt:  # a signal on the main thread, mid-delay
                return policy.interrupted_waiting(interrupt, exc)
            policy.attempt_at = time.time()
            continue
        if control is not None and control.reason is not None:
            return _stopped_early(stage, ctx, control, policy, value, started, clock, count)
        if policy is not None:
            return policy.succeeded(value, count)
        return _succeeded(stage, ctx, value, started, clock, count)


async def run_stage_async(
    stage: Stage,
    ctx: StageContext,
    control: RunControl | None = None,
    watch: DeadlineWatch | None = None,
) -> StageResult:
    """:func:`run_stage` for a coroutine stage, as a task of a running event loop.

    The same retries and statuses, but a timeout is real task cancellation
    (``asyncio.timeout``), and cancelling the task (a cancelled run) cancels the stage.
    A body that blocks the loop never reaches an ``await`` where it could be cancelled:
    ``watch`` is told each attempt's deadline, to interrupt it from outside.
    """
    import asyncio  # loaded already: this runs on the async executor's loop

    started = time.time()
    clock = time.perf_counter()
    policy: _Attempts | None = None
    count = 0
    while True:
        count += 1
        try:
            if stage.timeout is None:
                value = await _await_body(stage, ctx)
            elif watch is None:
                value = await _await_with_timeout(stage, ctx, stage.timeout)
            else:
                token = watch.arm(time.monotonic() + stage.timeout)
                try:
                    value = await _await_with_timeout(stage, ctx, stage.timeout)
                finally:
                    watch.disarm(token)
        except BaseException as exc:
            if isinstance(exc, LoopBlocked):
                ctx.cancel()
                exc = EventLoopBlocked(stage.id, stage.timeout or 0.0, exc.grace)
            if policy is None:
                policy = _Attempts(stage, ctx, control, stage.retries, started, clock)
            cancelled = isinstance(exc, asyncio.CancelledError) and _own_task_cancelled()
            verdict = policy.outcome(exc, count, cancelled)
            if isinstance(verdict, StageResult):
                return verdict
            ctx = policy.ctx
            try:
                _log_retry(stage, count, exc, verdict)
                if verdict:
                    await asyncio.sleep(verdict)
            except asyncio.CancelledError:
                return policy.cancelled_waiting(exc)
            policy.attempt_at = time.time()
            continue
        if control is not None and control.reason is not None:
            return _stopped_early(stage, ctx, control, policy, value, started, clock, count)
        if policy is not None:
            return policy.succeeded(value, count)
        return _succeeded(stage, ctx, value, started, clock, count)


def describe_stage(
    stage: Stage, ctx: StageContext, why: str, control: RunControl | None = None
) -> StageResult:
    """Dry run: call the stage's describer (or describe it by default); run no body."""
    if not stage.supports_dry_run:
        return StageResult.not_started(stage, StageStatus.SKIPPED, "not supported in dry run")
    started = time.time()
    clock = time.perf_counter()
    try:
        if stage.describer is not None:
            with capture.stdout_to_stderr(stage.id):
                text = str(stage.describer(ctx))
        else:
            owner = f" (plugin {stage.plugin})" if stage.plugin else ""
            what = f": {stage.description}" if stage.description else ""
            text = f"would run {stage.id}{owner}{what} [{why}]"
    except BaseException as exc:
        # The same verdicts as a stage body's, but a dry run never retries.
        verdict = _Attempts(stage, ctx, control, 0, started, clock).outcome(exc, 1)
        assert isinstance(verdict, StageResult)
        return verdict
    return StageResult(
        stage.id,
        StageStatus.DRY_RUN,
        plugin=stage.plugin,
        value=text,
        started_at=started,
        duration=time.perf_counter() - clock,
        optional=stage.optional,
    )
