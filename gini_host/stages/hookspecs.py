"""Observer hook specifications: the hooks the stage engine calls while it runs a pipeline.

They live with the engine, which calls them; the kernel's hookspecs re-export them so a host
offers every hook. See :mod:`gini_host.kernel.hookspecs` for the rules all hooks share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gini_host.markers import hookspec

if TYPE_CHECKING:
    from gini_host.stages.context import StageContext
    from gini_host.stages.observers import RunInfo
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = ["gini_pipeline_finish", "gini_pipeline_start", "gini_stage_finish", "gini_stage_start"]


@hookspec
def gini_pipeline_start(pipeline: Pipeline, run_id: str, run: RunInfo) -> None:
    """Observe a run starting.

    :param pipeline: The validated plan about to run.
    :param run_id: The run's id, also bound to every log line of the run.
    :param run: A :class:`gini_host.stages.observers.RunInfo`: the targets asked for, the
        executor, the jobs, dry run or not, the caller's labels (``resumed_from``) and the
        stages whose earlier results the run reuses. Implementations may leave it out of
        their signature, like any hook argument.

    Called for every active plugin, from the scheduling thread.
    """


@hookspec
def gini_stage_start(stage: Stage, context: StageContext) -> None:
    """Observe a stage starting (or, in a dry run, being described).

    :param stage: The stage.
    :param context: The context the stage body receives.

    Called from the scheduling thread right before the body is submitted; stages that are
    skipped or cancelled before starting get only ``gini_stage_finish``.
    """


@hookspec
def gini_stage_finish(stage: Stage, result: StageResult) -> None:
    """Observe a stage's result, whatever it is (succeeded, failed, skipped, ...).

    :param stage: The stage.
    :param result: Its :class:`gini_host.StageResult`.

    Called exactly once per stage of the plan, from the scheduling thread.
    """


@hookspec
def gini_pipeline_finish(pipeline: Pipeline, result: PipelineResult) -> None:
    """Observe a run's end, with every stage's result (also after failures and interrupts).

    :param pipeline: The plan that ran.
    :param result: Its :class:`gini_host.PipelineResult`.

    Called for every active plugin, from the scheduling thread.
    """
