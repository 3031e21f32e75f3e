"""The ``core`` built-in plugin: the boot sequence as a pipeline of stages.

``core::discover -> core::preflight -> core::plugin_init -> core::register_stages ->
core::register_pipelines -> core::post_init``. Each stage calls one public method of the
host, so the boot has no back door: a third-party plugin could drive the same steps.
"""

from __future__ import annotations

from typing import Any

from gini_host.kernel.plugins import PRIORITY_KERNEL, PluginManifest
from gini_host.markers import hookimpl
from gini_host.stages.context import StageContext
from gini_host.stages.stage import Stage, stage

BOOT_TAG = "boot"


@stage(tags=[BOOT_TAG])
def discover(ctx: StageContext) -> dict[str, str]:
    """Find plugin distributions, load the wanted ones, check requirements, order them."""
    return ctx.host.discover_plugins()  # type: ignore[no-any-return]


@stage(requires=["discover"], tags=[BOOT_TAG])
def preflight(ctx: StageContext) -> dict[str, list[str]]:
    """Call every active plugin's gini_preflight; a plugin with problems is failed."""
    return ctx.host.run_preflight()  # type: ignore[no-any-return]


@stage(requires=["preflight"], tags=[BOOT_TAG])
def plugin_init(ctx: StageContext) -> list[str]:
    """Configure and initialize every active plugin, dependencies first."""
    return ctx.host.init_plugins()  # type: ignore[no-any-return]


@stage(requires=["plugin_init"], tags=[BOOT_TAG])
def register_stages(ctx: StageContext) -> list[str]:
    """Collect every active plugin's stages into the registry."""
    return ctx.host.register_plugin_stages()  # type: ignore[no-any-return]


@stage(requires=["register_stages"], tags=[BOOT_TAG])
def register_pipelines(ctx: StageContext) -> list[str]:
    """Collect the pipelines plugins and the config file declare."""
    return ctx.host.register_plugin_pipelines()  # type: ignore[no-any-return]


@stage(requires=["register_pipelines"], tags=[BOOT_TAG])
def post_init(ctx: StageContext) -> list[str]:
    """Let every active plugin act once the host is fully set up."""
    return ctx.host.post_init_plugins()  # type: ignore[no-any-return]


BOOT_STAGES: tuple[Stage, ...] = (
    discover,
    preflight,
    plugin_init,
    register_stages,
    register_pipelines,
    post_init,
)
BOOT_TARGET = "core::post_init"


@hookimpl
def gini_manifest() -> PluginManifest:
    return PluginManifest(priority=PRIORITY_KERNEL)


@hookimpl
def gini_register_stages(host: Any) -> tuple[Stage, ...]:
    return BOOT_STAGES
