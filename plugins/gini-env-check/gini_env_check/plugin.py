"""The env-check plugin object: the hooks gini-host calls.

It holds no state: every fact lives in the stage results of the run that gathered it.
"""

from __future__ import annotations

import sys
from typing import Final, final

from gini_env_check.settings import EnvCheckSettings
from gini_env_check.stages import PLUGIN_NAME, STAGES
from gini_host import Host, PipelineSpec, PluginManifest, Stage, hookimpl

__all__ = ["PIPELINE_DESCRIPTION", "EnvCheckPlugin", "plugin"]

PIPELINE_DESCRIPTION: Final = "Check this machine can run QEMU/KVM guests"


@final
class EnvCheckPlugin:
    """Facts about this machine for running QEMU/KVM guests, and a ready / not ready report."""

    @hookimpl
    def gini_manifest(self) -> PluginManifest:
        """``[plugin.env-check]`` is checked against :class:`EnvCheckSettings` at boot."""
        return PluginManifest(config=EnvCheckSettings)

    @hookimpl
    def gini_preflight(self, host: Host) -> list[str] | None:
        """Refuse to load off Linux: every fact comes from /proc, /sys and /dev."""
        # Read at call time, not import time, so the check sees the platform it runs on.
        if sys.platform != "linux":
            return [f"env-check needs Linux (/proc and /sys); this is {sys.platform}"]
        return None

    @hookimpl
    def gini_register_stages(self, host: Host) -> list[Stage]:
        return list(STAGES)

    @hookimpl
    def gini_register_pipelines(self, host: Host) -> list[PipelineSpec]:
        return [
            PipelineSpec(
                name=PLUGIN_NAME,
                stages=(f"{PLUGIN_NAME}::report",),
                description=PIPELINE_DESCRIPTION,
            )
        ]


#: The object the ``env-check`` entry point names.
plugin: Final = EnvCheckPlugin()
