"""The one scheduling loop that runs a pipeline, whatever strategy runs the stage bodies.

The loop walks the plan with ``graphlib.TopologicalSorter`` (prepare / get_ready / done),
starts what is ready as capacity and concurrency limits allow, and applies the failure
policy: a failed stage's dependents are skipped (naming the failed stage); fail-fast starts
nothing new after a failure; ``keep_going`` runs every branch not downstream of a failure;
an optional stage's failure blocks nobody. Every result produced is kept, and every stage of
the plan gets exactly one result.
"""

from __future__ import annotations

import heapq
import threading
import time
import uuid
from collections.abc import Mapping
from graphlib import TopologicalSorter
from typing import Any

import attrs

from gini_host import capture
from gini_host.stages.attempt import DEFAULT_GRACE
from gini_host.stages.context import RunState, StageContext
from gini_host.stages.control import RunControl, RunInterrupted
from gini_host.stages.executors.base import StageJob, Strategy
from gini_host.stages.observers import ObserverGuard, RunInfo, RunObserver
from gini_host.stages.pipeline import Pipeline
from gini_host.stages.results import ErrorInfo, PipelineResult, StageResult, StageStatus
from gini_host.stages.stage import Stage

__all__ = ["DEFAULT_GRACE", "RunOptions", "execute", "new_run_id"]

# Enum members as module constants: ``StageStatus.X`` costs ~90 ns a lookup on Python 3.11,
# which the per-stage path paid several times (see docs/performance.md).
_SUCCEEDED, _FAILED, _CANCELLED = StageStatus.SUCCEEDED, StageStatus.FAILED, StageStatus.CANCELLED


class _PlannedSorter(TopologicalSorter[str]):
    """A ``TopologicalSorter`` for plans that are acyclic by construction.

    ``build_pipeline`` rejects cycles (naming them in order) before any run, so the second,
    full search that ``prepare`` makes costs ~1 µs per stage for nothing: a run of 1,000
    ``asyncio.sleep`` stages spent 5% of its time there (docs/performance.md, figure e).
    """

    def _find_cycle(self) -> list[str] | None:
        return None


#: Nobody observes the run: no observer call is made.
_UNOBSERVED = RunObserver()


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def _check_limits(instance: object, attribute: object, value: Mapping[str, int]) -> None:
    for tag, limit in value.items():
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit for tag {tag!r} must be a whole number >= 1, got {limit!r}")


@attrs.frozen(slots=True)
class RunOptions:
    """How to run a plan: failure policy, dry run, concurrency limits by stage tag, and the
    ``grace`` a stage gets to stop once its ``ctx.cancelled`` is set (by a cancelled run,
    or a timeout) before it is given up on.

    ``reuse`` maps stage ids to results of an earlier run that this run takes as they are,
    instead of running those stages (a resumed run): their values feed ``ctx.results`` and
    observers see them finish. ``targets``, ``jobs`` and ``labels`` only describe the run
    to observers (:class:`~gini_host.stages.observers.RunInfo`).
    """

    keep_going: bool = False
    dry_run: bool = False
    limits: Mapping[str, int] = attrs.field(factory=dict, validator=_check_limits)
    #: Stage id -> its config: a table, or an instance of the stage's config schema.
    stage_config: Mapping[str, Any] = attrs.field(factory=dict)
    grace: float = DEFAULT_GRACE
    reuse: Mapping[str, StageResult] = attrs.field(factory=dict)
    targets: tuple[str, ...] = ()
    jobs: int | None = None
    labels: Mapping[str, str] = attrs.field(factory=dict)


def execute(
    pipeline: Pipeline,
    strategy: Strategy,
    *,
    options: RunOptions = RunOptions(),
    observer: RunObserver = _UNOBSERVED,
    control: RunControl | None = None,
    host: Any = None,
    run_id: str | None = None,
    run: RunState | None = None,
    observer_errors_named: set[tuple[str, str | None]] | None = None,
) -> PipelineResult:
    """Run ``pipeline`` on ``strategy`` and return every stage's result.

    ``run`` lets a caller share a store and earlier results; its ``dry_run`` is overridden.
    Raises :class:`~gini_host.stages.observers.ObserverError` (carrying the result) after
    the run when an observer raised during it; ``observer_errors_named`` holds the (hook,
    plugin) pairs already logged, so each is named once across runs.
    """
    if run is None:
        run = RunState(run_id or new_run_id(), dry_run=options.dry_run, host=host)
    else:
        run.dry_run = options.dry_run
    loop = _Loop(pipeline, strategy, options, observer, control or RunControl(), run)
    if observer_errors_named is not None:
        loop.observers.named = observer_errors_named
    with capture.hold():  # stages label their output; the forwarder stays for the run
        return loop.run()


class _Loop:
    """State of one run of the scheduling loop."""

    def __init__(
        self,
        pipeline: Pipeline,
        strategy: Strategy,
        options: RunOptions,
        observer: RunObserver,
        control: RunControl,
        run: RunState,
    ) -> None:
        self.pipeline = pipeline
        self.strategy = strategy
        self.options = options
        self.observers = ObserverGuard(observer)
        # Checked on the hot path without the guard's indirection (guarded where called).
        self.stage_start = observer.stage_start
        self.stage_finish = observer.stage_finish
        self.control = control
        self.run_state = run
        self.results: dict[str, StageResult] = {}
        #: Stage id -> the failed (or cancelled) stage that keeps its dependents from running.
        self.blocked: dict[str, str] = {}
        self.stop_reason: str | None = None
        self.running: dict[str, StageContext] = {}
        self.tag_counts: dict[str, int] = dict.fromkeys(options.limits, 0)
        self.sorter: TopologicalSorter[str] = _PlannedSorter()
        self.position = pipeline.position
        self.started: dict[str, float] = {}
        self.reuse = options.reuse
        #: Stages run inline on this thread; signals can interrupt them only on the main one.
        self.on_main_thread = threading.current_thread() is threading.main_thread()

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> PipelineResult:
        started_at, clock = time.time(), time.perf_counter()
        # Attached before the strategy starts: a cancel while workers boot or a cluster is
        # reached (a slow ``gini_plugin_init`` in every worker) stops the wait at once.
        self.control.attach(self.run_state, self.strategy.wake)
        try:
            self.strategy.start(self.pipeline, self.run_state)
        except (RunInterrupted, KeyboardInterrupt) as exc:
            # No stage started: every one ends ``cancelled`` below, and the run is returned.
            self.control.cancel(ErrorInfo.message_of(exc))
        except BaseException:
            self.strategy.close()
            self.control.detach()
            raise
        try:
            self.observers.pipeline_start(self.pipeline, self._info())
            self._schedule_all()  # cancelled already: every stage ends ``cancelled``
        except (RunInterrupted, KeyboardInterrupt) as exc:
            self.control.cancel(ErrorInfo.message_of(exc))
            self._drain_after_cancel()
        finally:
            self.strategy.close()
            self.control.detach()
        self._settle_unfinished()
        result = PipelineResult(
            pipeline=self.pipeline.name,
            run_id=self.run_state.run_id,
            results={sid: self.results[sid] for sid in self.pipeline.stages},
            started_at=started_at,
            duration=time.perf_counter() - clock,
            dry_run=self.options.dry_run,
            interrupted=self.control.cancelled,
        )
        self.observers.pipeline_finish(self.pipeline, result)
        return self.observers.check(result)

    def _info(self) -> RunInfo:
        options = self.options
        return RunInfo(
            run_id=self.run_state.run_id,
            targets=options.targets or self.pipeline.targets,
            executor=self.strategy.name,
            jobs=options.jobs,
            dry_run=options.dry_run,
            keep_going=options.keep_going,
            labels=dict(options.labels),
            reused=frozenset(options.reuse),
        )

    def _schedule_all(self) -> None:
        sorter = self.sorter
        for sid, deps in self.pipeline.requires.items():
            sorter.add(sid, *deps)
        sorter.prepare()
        # Ready stages start in plan order, so a sequential run follows the plan exactly.
        ready: list[tuple[int, str]] = []
        held: list[tuple[int, str]] = []
        while sorter.is_active():
            if self.control.cancelled:
                self._drain_after_cancel()
                return
            self._push_ready(ready)
            for item in held:  # stages held back by a tag limit get another chance
                heapq.heappush(ready, item)
            held.clear()
            if not ready and not self.running:
                break  # nothing can progress; _settle_unfinished accounts for the rest
            self._start_ready(ready, held)
            if self.running:
                for result in self.strategy.wait(None):
                    self._finish(result)

    def _push_ready(self, ready: list[tuple[int, str]]) -> None:
        position = self.position
        for sid in self.sorter.get_ready():
            heapq.heappush(ready, (position[sid], sid))

    def _start_ready(self, ready: list[tuple[int, str]], held: list[tuple[int, str]]) -> None:
        capacity = self.strategy.capacity
        while ready and len(self.running) < capacity:
            item = heapq.heappop(ready)
            sid = item[1]
            stage = self.pipeline.stages[sid]
            if self.reuse and sid in self.reuse:
                # An earlier run's result, taken as it is (resume): nothing runs.
                self._record(self.reuse[sid])
                self.sorter.done(sid)
                self._push_ready(ready)
                continue
            # Nothing failed, stopped or was cancelled (the common case): no call needed.
            if (
                self.blocked or self.stop_reason is not None or self.control.reason is not None
            ) and (verdict := self._why_not_run(sid)) is not None:
                self._record(StageResult.not_started(stage, *verdict))
                self.sorter.done(sid)
                self._push_ready(ready)
                continue
            if self.tag_counts and not self._take_limits(stage):
                held.append(item)
                continue
            alone = not ready and not self.running
            self._submit(stage, alone)

    def _why_not_run(self, sid: str) -> tuple[StageStatus, str] | None:
        blocked = self.blocked
        for dep in self.pipeline.requires[sid] if blocked else ():
            root = blocked.get(dep)
            if root is not None:
                blocked[sid] = root
                # A stage held back by a cancelled one did not run because of the cancel:
                # it is ``cancelled`` like every other unstarted stage of the run, not skipped.
                if self.results[root].status is StageStatus.CANCELLED:
                    reason = f"not started: upstream stage {root} was cancelled"
                    return StageStatus.CANCELLED, reason
                return StageStatus.SKIPPED, f"upstream stage {root} failed"
        if self.control.cancelled:
            return StageStatus.CANCELLED, f"not started: run cancelled ({self.control.reason})"
        if self.stop_reason is not None:
            return StageStatus.SKIPPED, self.stop_reason
        return None

    def _submit(self, stage: Stage, alone: bool) -> None:
        config = self.options.stage_config.get(stage.id)
        ctx = StageContext(stage, self.run_state, config)
        self.running[stage.id] = ctx
        self.started[stage.id] = time.perf_counter()  # for stages abandoned on cancel
        self.control.started(ctx)
        if self.stage_start is not None:
            self.observers.stage_start(stage, ctx)
        grace = self.options.grace
        if self.options.dry_run:
            # A dry run describes, one stage at a time, here: no body runs anywhere.
            job = StageJob(stage, ctx, self.control, self.pipeline.why(stage.id), False, grace)
            self.strategy.submit(job, alone=True)
        else:
            self.strategy.submit(
                StageJob(stage, ctx, self.control, None, self.on_main_thread, grace), alone=alone
            )

    def _finish(self, result: StageResult) -> None:
        sid = result.stage_id
        self.running.pop(sid, None)
        self.control.finished(sid)
        if self.tag_counts:
            self._release_limits(self.pipeline.stages[sid])
        self._record(result)
        self.sorter.done(sid)

    def _record(self, result: StageResult) -> None:
        sid = result.stage_id
        self.results[sid] = result
        status = result.status
        if status is _SUCCEEDED:
            self.run_state.values[sid] = result.value
        elif status is _CANCELLED:
            self.blocked.setdefault(sid, sid)
        elif status is _FAILED and not result.optional:
            self.blocked[sid] = sid
            if not self.options.keep_going and self.stop_reason is None:
                self.stop_reason = (
                    f"not started: the run stopped after {sid} failed (fail-fast; "
                    "keep_going runs independent stages)"
                )
        if self.stage_finish is not None:
            try:
                self.stage_finish(self.pipeline.stages[sid], result)
            except BaseException as exc:
                self.observers.failed("gini_stage_finish", exc)

    # -- concurrency limits by tag ------------------------------------------------------------

    def _take_limits(self, stage: Stage) -> bool:
        limits, counts = self.options.limits, self.tag_counts
        if not limits:
            return True
        tags = [t for t in stage.tags if t in limits]
        if any(counts[t] >= limits[t] for t in tags):
            return False
        for t in tags:
            counts[t] += 1
        return True

    def _release_limits(self, stage: Stage) -> None:
        for t in stage.tags:
            if t in self.tag_counts:
                self.tag_counts[t] -= 1

    # -- cancellation -------------------------------------------------------------------------

    def _drain_after_cancel(self) -> None:
        """Stop what the strategy can stop (tasks, processes, futures), give the rest the
        grace period to notice ``ctx.cancelled``, then mark what still runs cancelled."""
        if self.running:
            self.strategy.cancel()
        deadline = time.monotonic() + self.options.grace
        while self.running:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                finished = self.strategy.wait(left)
            except (RunInterrupted, KeyboardInterrupt):
                break  # a second interrupt: stop waiting at once
            for result in finished:
                self._finish(result)
        now_wall, now = time.time(), time.perf_counter()
        for sid, ctx in list(self.running.items()):
            ctx.cancel()
            ran = now - self.started.get(sid, now)
            self._record(
                StageResult.of_cancel(
                    ctx.stage,
                    f"cancelled while running ({self.control.reason})",
                    started_at=now_wall - ran,
                    duration=ran,
                    attempts=1,
                )
            )
        self.running.clear()

    def _settle_unfinished(self) -> None:
        """Give every stage that never got a result one: cancelled, or skipped if blocked."""
        for sid, stage in self.pipeline.stages.items():
            if sid in self.results:
                continue
            verdict = self._why_not_run(sid) or (
                StageStatus.CANCELLED,
                f"not started: run cancelled ({self.control.reason})",
            )
            self._record(StageResult.not_started(stage, *verdict))
