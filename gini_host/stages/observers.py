"""Who watches a run: the observer callbacks, and the guard the loop calls them through.

An observer (the ``gini_pipeline_start`` / ``gini_stage_start`` / ``gini_stage_finish`` /
``gini_pipeline_finish`` hooks) that raises has a bug, but the run it watches does not: the
error is logged with the hook's name, the run goes on and ends as usual (every result kept,
the executor closed), and then one :class:`ObserverError` is raised, carrying the run's
result and every observer error. Before, a raising ``gini_pipeline_start`` leaked the
executor (its worker processes or Dask cluster) and a raising ``gini_stage_finish`` threw
away every result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, final

import attrs

from gini_host.errors import GiniHostError
from gini_host.logs import logger
from gini_host.stages.control import RunInterrupted

if TYPE_CHECKING:
    from gini_host.stages.context import StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = ["ObserverError", "ObserverGuard", "RunObserver"]


@attrs.frozen(slots=True)
class RunObserver:
    """Callbacks the loop makes from its own thread; None means nobody listens (no call)."""

    pipeline_start: Callable[[Pipeline, str], None] | None = None
    stage_start: Callable[[Stage, StageContext], None] | None = None
    stage_finish: Callable[[Stage, StageResult], None] | None = None
    pipeline_finish: Callable[[Pipeline, PipelineResult], None] | None = None


class ObserverError(GiniHostError):
    """Observer hooks raised during a run; the run itself finished.

    ``errors`` lists every (hook, exception) in order, ``hook`` is the first hook that raised
    (its exception is the ``__cause__``), and ``result`` is the run's whole result.
    """

    def __init__(
        self, errors: list[tuple[str, BaseException]], result: PipelineResult
    ) -> None:
        self.errors = tuple(errors)
        self.result = result
        self.hook, first = self.errors[0]
        more = f" ({len(self.errors)} observer calls raised)" if len(self.errors) > 1 else ""
        super().__init__(
            f"observer hook {self.hook} raised {type(first).__name__}: {first}{more}; "
            f"the run of pipeline {result.pipeline!r} finished ({result.status}), its result "
            "is kept on this error"
        )


@final
class ObserverGuard:
    """Calls the observers of one run, so that one that raises cannot break the run.

    Interrupts (``KeyboardInterrupt``, ``RunInterrupted``) go through: they cancel the run.
    """

    __slots__ = ("errors", "observer")

    def __init__(self, observer: RunObserver) -> None:
        self.observer = observer
        self.errors: list[tuple[str, BaseException]] = []

    def pipeline_start(self, pipeline: Pipeline, run_id: str) -> None:
        if self.observer.pipeline_start is not None:
            self._call("gini_pipeline_start", self.observer.pipeline_start, pipeline, run_id)

    def stage_start(self, stage: Stage, ctx: StageContext) -> None:
        if self.observer.stage_start is not None:
            self._call("gini_stage_start", self.observer.stage_start, stage, ctx)

    def pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        if self.observer.pipeline_finish is not None:
            self._call("gini_pipeline_finish", self.observer.pipeline_finish, pipeline, result)

    def failed(self, hook: str, exc: BaseException) -> None:
        """Record and log that ``hook`` raised ``exc`` (the loop calls ``stage_finish``
        itself, on its hot path, and reports here)."""
        if isinstance(exc, RunInterrupted | KeyboardInterrupt):
            raise exc
        self.errors.append((hook, exc))
        logger.opt(exception=exc).error(
            "observer hook {} raised {}: {}; the run goes on", hook, type(exc).__name__, exc
        )

    def check(self, result: PipelineResult) -> PipelineResult:
        """``result``, or the one :class:`ObserverError` of the run when an observer raised."""
        if self.errors:
            error = ObserverError(self.errors, result)
            raise error from self.errors[0][1]
        return result

    def _call(self, hook: str, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except BaseException as exc:
            self.failed(hook, exc)
