"""The stage engine: stages, contexts, results, the registry, pipelines and executors.

This package imports nothing from the kernel or the CLI, so it can be used on its own.

Names other than ``Stage`` and ``stage`` resolve on first use (PEP 562), so a plugin module's
``from gini_host import stage`` does not import the executors (asyncio, multiprocessing;
issue 13). ``stage`` is imported eagerly on purpose: it is also the name of the submodule
``gini_host.stages.stage``, and importing a submodule binds it on its package, which would
shadow a lazily resolved function of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gini_host._lazy import lazy_names
from gini_host.stages.stage import Stage, stage

if TYPE_CHECKING:
    from gini_host.stages.context import ContextKey, RunState, StageContext
    from gini_host.stages.control import RunControl, RunInterrupted
    from gini_host.stages.executors import EXECUTORS
    from gini_host.stages.manager import StageManager
    from gini_host.stages.observers import ObserverError, RunInfo, RunObserver
    from gini_host.stages.pipeline import Pipeline, PipelineSpec
    from gini_host.stages.registry import StageRegistry
    from gini_host.stages.results import (
        AttemptRecord,
        ErrorInfo,
        PipelineResult,
        StageResult,
        StageStatus,
    )
    from gini_host.stages.scheduler import RunOptions, execute

#: Public name -> the module that defines it (imported when the name is first used).
_LAZY: dict[str, str] = {
    "ContextKey": "gini_host.stages.context",
    "RunState": "gini_host.stages.context",
    "StageContext": "gini_host.stages.context",
    "RunControl": "gini_host.stages.control",
    "RunInterrupted": "gini_host.stages.control",
    "EXECUTORS": "gini_host.stages.executors",
    "RunOptions": "gini_host.stages.scheduler",
    "execute": "gini_host.stages.scheduler",
    "StageManager": "gini_host.stages.manager",
    "ObserverError": "gini_host.stages.observers",
    "RunObserver": "gini_host.stages.observers",
    "RunInfo": "gini_host.stages.observers",
    "Pipeline": "gini_host.stages.pipeline",
    "PipelineSpec": "gini_host.stages.pipeline",
    "StageRegistry": "gini_host.stages.registry",
    "AttemptRecord": "gini_host.stages.results",
    "ErrorInfo": "gini_host.stages.results",
    "PipelineResult": "gini_host.stages.results",
    "StageResult": "gini_host.stages.results",
    "StageStatus": "gini_host.stages.results",
}

__all__ = [
    "EXECUTORS",
    "AttemptRecord",
    "ContextKey",
    "ErrorInfo",
    "ObserverError",
    "Pipeline",
    "PipelineResult",
    "PipelineSpec",
    "RunControl",
    "RunInfo",
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


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
