"""The stage engine: stages, contexts, results, the registry, pipelines and executors.

This package imports nothing from the kernel or the CLI, so it can be used on its own.
"""

from gini_host.stages.context import ContextKey, RunState, StageContext
from gini_host.stages.control import RunControl, RunInterrupted
from gini_host.stages.executors import EXECUTORS
from gini_host.stages.manager import StageManager
from gini_host.stages.observers import ObserverError, RunObserver
from gini_host.stages.pipeline import Pipeline, PipelineSpec
from gini_host.stages.registry import StageRegistry
from gini_host.stages.results import ErrorInfo, PipelineResult, StageResult, StageStatus
from gini_host.stages.scheduler import RunOptions, execute
from gini_host.stages.stage import Stage, stage

__all__ = [
    "EXECUTORS",
    "ContextKey",
    "ErrorInfo",
    "ObserverError",
    "Pipeline",
    "PipelineResult",
    "PipelineSpec",
    "RunControl",
    "RunInterrupted",
    "RunObserver",
    "RunOptions",
    "RunState",
    "Stage",
    "StageContext",
    "StageManager",
    "StageRegistry",
    "StageResult",
    "StageStatus",
    "execute",
    "stage",
]
