"""What a strategy is: the protocol every executor follows and the job it is handed.

A strategy only runs jobs and hands back their results; the one scheduling loop in
:mod:`gini_host.stages.scheduler` decides what runs when. Kedro's runners taught the shape:
strategies are small, the loop is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol, final

from gini_host.stages.attempt import BodyCall, describe_stage, run_stage

if TYPE_CHECKING:
    from gini_host.stages.context import RunState, StageContext
    from gini_host.stages.control import RunControl
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import StageResult
    from gini_host.stages.stage import Stage

__all__ = ["StageJob", "Strategy", "StrategyFactory"]


@final
class StageJob:
    """One stage the loop hands a strategy: its stage, its context, and how to run it here.

    In-process strategies call it (:meth:`__call__` on any thread, :meth:`inline` on the loop's
    own thread); strategies that run stages elsewhere read ``stage`` and ``ctx`` instead.
    ``why`` is set for a dry run (why the stage is in the plan): describe, never run.
    ``grace`` is how long a timed-out body gets to stop before it is given up on.
    """

    __slots__ = ("control", "ctx", "grace", "main", "stage", "why")

    def __init__(
        self,
        stage: Stage,
        ctx: StageContext,
        control: RunControl,
        why: str | None,
        main: bool,
        grace: float,
    ) -> None:
        self.stage = stage
        self.ctx = ctx
        self.control = control
        self.why = why
        #: The loop runs on the main thread, where a signal handler may interrupt a stage.
        self.main = main
        self.grace = grace

    def __call__(self, call: BodyCall | None = None) -> StageResult:
        """Run the stage (or describe it, in a dry run) from the calling thread; ``call``
        makes each attempt elsewhere (a worker process), with the same retries."""
        if self.why is not None:
            return describe_stage(self.stage, self.ctx, self.why, self.control)
        return run_stage(self.stage, self.ctx, self.control, call, self.grace)

    def inline(self, call: BodyCall | None = None) -> StageResult:
        """Run on the scheduling loop's own thread: on the main thread, a signal handler
        calling ``RunControl.interrupt`` raises into the body (or into the wait for a worker
        process) instead of waiting for it."""
        if self.why is not None or not self.main:
            return self(call)
        control = self.control
        control.enter_inline()
        try:
            return run_stage(self.stage, self.ctx, control, call, self.grace)
        finally:
            control.exit_inline()


class Strategy(Protocol):
    """Runs jobs the scheduling loop submits."""

    name: ClassVar[str]
    #: How many jobs may run at once; the loop never submits more. Read after :meth:`start`.
    capacity: int

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        """Prepare for a run of ``pipeline`` (connect, check what must cross to workers);
        raise :class:`~gini_host.errors.ExecutorError` to refuse the plan."""

    def submit(self, job: StageJob, *, alone: bool) -> None:
        """Start ``job``; ``alone`` is True when nothing else is running or ready."""

    def wait(self, timeout: float | None) -> list[StageResult]:
        """Block until at least one job finished (or ``timeout``, or :meth:`wake`)."""

    def wake(self) -> None:
        """Make a blocked :meth:`wait` return now (cancellation)."""

    def cancel(self) -> None:
        """The run was cancelled: stop running jobs where the strategy can (cancel tasks,
        terminate processes, cancel futures); their results still come through :meth:`wait`.
        In-process threads cannot be stopped: they see ``ctx.cancelled``."""

    def close(self) -> None:
        """Release workers; jobs still running are abandoned, not joined."""


#: Makes the strategy of one run from ``max_workers`` (None: the strategy's default).
StrategyFactory = Callable[[int | None], Strategy]


