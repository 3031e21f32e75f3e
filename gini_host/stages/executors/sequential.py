"""The ``sequential`` executor: each stage on the scheduling loop's own thread, in plan order."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from gini_host.stages.context import RunState
    from gini_host.stages.executors.base import StageJob
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import StageResult

__all__ = ["SequentialStrategy"]


class SequentialStrategy:
    """Runs each job on the calling thread, at once: the cheapest way to run a plan."""

    name: ClassVar[str] = "sequential"

    def __init__(self, max_workers: int | None = None) -> None:
        self.capacity = 1
        self._done: list[StageResult] = []

    def start(self, pipeline: Pipeline, run: RunState) -> None:
        pass

    def submit(self, job: StageJob, *, alone: bool) -> None:
        self._done.append(job.inline())

    def wait(self, timeout: float | None) -> list[StageResult]:
        done, self._done = self._done, []
        return done

    def wake(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


