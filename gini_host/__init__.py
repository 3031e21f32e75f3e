"""gini-host: a plugin host built on pluggy.

The public API is what this module re-exports; everything else is internal.
See ``docs/architecture.md`` for how the parts fit together.
"""

from gini_host._version import __version__
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
from gini_host.stages import (
    ContextKey,
    Pipeline,
    PipelineResult,
    PipelineSpec,
    RunControl,
    Stage,
    StageContext,
    StageManager,
    StageRegistry,
    StageResult,
    StageStatus,
    stage,
)

__all__ = [
    "PRIORITY_CORE",
    "PRIORITY_CORE_CRITICAL",
    "PRIORITY_KERNEL",
    "PRIORITY_THIRD_PARTY",
    "PRIORITY_THIRD_PARTY_HIGH",
    "PRIORITY_THIRD_PARTY_LOW",
    "ContextKey",
    "Host",
    "PluginInfo",
    "PluginManifest",
    "PluginStatus",
    "ResourceAccess",
    "ResourceClaim",
    "CycleError",
    "DuplicateStageError",
    "GiniHostError",
    "Pipeline",
    "PipelineError",
    "PipelineResult",
    "PipelineSpec",
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
