"""The ``core`` built-in plugin: the boot sequence as a pipeline of stages.

``core::discover -> core::configure -> core::preflight -> core::plugin_init ->
core::register_stages -> core::register_pipelines -> core::post_init``. Each stage calls one
public method of the host, so the boot has no back door: a third-party plugin could drive the
same steps. Configuration comes before preflight (issue 12) so that a preflight can check what
the config names (a directory, an executable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from gini_host.kernel.plugins import PRIORITY_KERNEL, PluginManifest
from gini_host.markers import hookimpl
from gini_host.stages.context import StageContext
from gini_host.stages.stage import Stage, stage

if TYPE_CHECKING:
    from gini_host.kernel.host import Host

BOOT_TAG = "boot"


def _host(ctx: StageContext) -> Host:
    # The engine types ``ctx.host`` as Any (it imports nothing from the kernel); the boot
    # pipeline only ever runs on a Host.
    return cast("Host", ctx.host)


@stage(tags=[BOOT_TAG])
def discover(ctx: StageContext) -> dict[str, str]:
    """Find plugin distributions, load the wanted ones, check requirements, order them."""
    return _host(ctx).discover_plugins()


@stage(requires=["discover"], tags=[BOOT_TAG])
def configure(ctx: StageContext) -> list[str]:
    """Check every active plugin's [plugin.NAME] table and give it to its gini_configure."""
    return _host(ctx).configure_plugins()


@stage(requires=["configure"], tags=[BOOT_TAG])
def preflight(ctx: StageContext) -> dict[str, list[str]]:
    """Call every active plugin's gini_preflight; a plugin with problems is failed."""
    return _host(ctx).run_preflight()


@stage(requires=["preflight"], tags=[BOOT_TAG])
def plugin_init(ctx: StageContext) -> list[str]:
    """Initialize every active plugin, dependencies first."""
    return _host(ctx).init_plugins()


@stage(requires=["plugin_init"], tags=[BOOT_TAG])
def register_stages(ctx: StageContext) -> list[str]:
    """Collect every active plugin's stages into the registry."""
    return _host(ctx).register_plugin_stages()


@stage(requires=["register_stages"], tags=[BOOT_TAG])
def register_pipelines(ctx: StageContext) -> list[str]:
    """Collect the pipelines plugins and the config file declare."""
    return _host(ctx).register_plugin_pipelines()


@stage(requires=["register_pipelines"], tags=[BOOT_TAG])
def post_init(ctx: StageContext) -> list[str]:
    """Let every active plugin act once the host is fully set up."""
    return _host(ctx).post_init_plugins()


BOOT_STAGES: tuple[Stage, ...] = (
    discover,
    configure,
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
def gini_register_stages(host: Host) -> tuple[Stage, ...]:
    return BOOT_STAGES
