"""gini-host: a plugin host built on pluggy.

The public API is what this module re-exports; everything else is internal.
See ``docs/architecture.md`` for how the parts fit together.

Every name resolves on first use (PEP 562 ``__getattr__``): each plugin module starts with
``from gini_host import hookimpl, stage``, and that must not pay for the kernel, the executors
(asyncio, multiprocessing), loguru or the CLI; importing all of them cost ~150 ms (issue 13).
Type checkers and IDEs see the names through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gini_host._lazy import lazy_names
from gini_host._version import __version__

if TYPE_CHECKING:
    from gini_host.errors import (
        CycleError,
        DuplicateStageError,
        GiniHostError,
        PipelineError,
        StageFailure,
        UnknownStageError,
        UsageError,
    )
    from gini_host.kernel.host import Host
    from gini_host.kernel.plugins import (
        PRIORITY_CORE,
        PRIORITY_CORE_CRITICAL,
        PRIORITY_KERNEL,
        PRIORITY_THIRD_PARTY,
        PRIORITY_THIRD_PARTY_HIGH,
        PRIORITY_THIRD_PARTY_LOW,
        PluginInfo,
        PluginManifest,
        PluginStatus,
        ResourceAccess,
        ResourceClaim,
    )
    from gini_host.markers import hookimpl, hookspec
    from gini_host.stages.context import ContextKey, StageContext
    from gini_host.stages.control import RunControl
    from gini_host.stages.manager import StageManager
    from gini_host.stages.pipeline import Pipeline, PipelineSpec
    from gini_host.stages.registry import StageRegistry
    from gini_host.stages.results import PipelineResult, StageResult, StageStatus
    from gini_host.stages.stage import Stage, stage

#: Public name -> the module that defines it (imported when the name is first used).
_LAZY: dict[str, str] = {
    "CycleError": "gini_host.errors",
    "DuplicateStageError": "gini_host.errors",
    "GiniHostError": "gini_host.errors",
    "PipelineError": "gini_host.errors",
    "StageFailure": "gini_host.errors",
    "UnknownStageError": "gini_host.errors",
    "UsageError": "gini_host.errors",
    "Host": "gini_host.kernel.host",
    "hookimpl": "gini_host.markers",
    "hookspec": "gini_host.markers",
    "PRIORITY_CORE": "gini_host.kernel.plugins",
    "PRIORITY_CORE_CRITICAL": "gini_host.kernel.plugins",
    "PRIORITY_KERNEL": "gini_host.kernel.plugins",
    "PRIORITY_THIRD_PARTY": "gini_host.kernel.plugins",
    "PRIORITY_THIRD_PARTY_HIGH": "gini_host.kernel.plugins",
    "PRIORITY_THIRD_PARTY_LOW": "gini_host.kernel.plugins",
    "PluginInfo": "gini_host.kernel.plugins",
    "PluginManifest": "gini_host.kernel.plugins",
    "PluginStatus": "gini_host.kernel.plugins",
    "ResourceAccess": "gini_host.kernel.plugins",
    "ResourceClaim": "gini_host.kernel.plugins",
    "ContextKey": "gini_host.stages.context",
    "StageContext": "gini_host.stages.context",
    "RunControl": "gini_host.stages.control",
    "StageManager": "gini_host.stages.manager",
    "Pipeline": "gini_host.stages.pipeline",
    "PipelineSpec": "gini_host.stages.pipeline",
    "StageRegistry": "gini_host.stages.registry",
    "PipelineResult": "gini_host.stages.results",
    "StageResult": "gini_host.stages.results",
    "StageStatus": "gini_host.stages.results",
    "Stage": "gini_host.stages.stage",
    "stage": "gini_host.stages.stage",
}

__all__ = [
    "PRIORITY_CORE",
    "PRIORITY_CORE_CRITICAL",
    "PRIORITY_KERNEL",
    "PRIORITY_THIRD_PARTY",
    "PRIORITY_THIRD_PARTY_HIGH",
    "PRIORITY_THIRD_PARTY_LOW",
    "ContextKey",
    "CycleError",
    "DuplicateStageError",
    "GiniHostError",
    "Host",
    "Pipeline",
    "PipelineError",
    "PipelineResult",
    "PipelineSpec",
    "PluginInfo",
    "PluginManifest",
    "PluginStatus",
    "ResourceAccess",
    "ResourceClaim",
    "RunControl",
    "Stage",
    "StageContext",
    "StageFailure",
    "StageManager",
    "StageRegistry",
    "StageResult",
    "StageStatus",
    "UnknownStageError",
    "UsageError",
    "__version__",
    "hookimpl",
    "hookspec",
    "stage",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
