"""Hook specifications: every hook a gini-host plugin may implement.

A plugin implements any subset, each marked with :data:`gini_host.hookimpl`. Hooks that act
per plugin (``gini_manifest``, ``gini_configure``, ``gini_preflight``, ``gini_plugin_init``,
``gini_register_stages``, ``gini_register_pipelines``, ``gini_post_init``,
``gini_shutdown``) are called plugin by plugin in the kernel's order (dependencies first), so
every result and every error is attributed to its plugin; a plugin that raises in one of them
is marked failed and the host goes on without it. Observer hooks (``gini_pipeline_start``,
``gini_stage_start``, ``gini_stage_finish``, ``gini_pipeline_finish``) are called for all
active plugins at once, from the thread that schedules the run, and are skipped entirely
when no plugin implements them; an observer that raises stops neither the run nor the other
plugins' observers: the plugin and hook are logged once (one line, the traceback with
``-v``), the run finishes keeping every result, and then one ``ObserverError`` (carrying the
whole result as ``.result``) is raised to the caller. What an observer or a stage body
prints goes to stderr, labelled with the plugin or stage: stdout is the host's.
The reference in ``docs/hooks.md`` is generated from this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gini_host.markers import hookspec

# The observer hooks belong to the engine, which calls them; a host offers them too
# (re-exported, so ``add_hookspecs(this module)`` registers every hook).
from gini_host.stages.hookspecs import gini_pipeline_finish as gini_pipeline_finish
from gini_host.stages.hookspecs import gini_pipeline_start as gini_pipeline_start
from gini_host.stages.hookspecs import gini_stage_finish as gini_stage_finish
from gini_host.stages.hookspecs import gini_stage_start as gini_stage_start

if TYPE_CHECKING:
    # Real types for authors' type checkers; imported only when checking, since the host
    # module imports this one (no runtime cycle).
    import click

    from gini_host.kernel.host import Host
    from gini_host.kernel.plugins import PluginManifest
    from gini_host.stages.pipeline import PipelineSpec
    from gini_host.stages.stage import Stage

# Every hook name a plugin may implement; anything else named ``gini_*`` is a mistake.
HOOK_NAMES = (
    "gini_manifest",
    "gini_configure",
    "gini_preflight",
    "gini_plugin_init",
    "gini_register_stages",
    "gini_register_pipelines",
    "gini_post_init",
    "gini_shutdown",
    "gini_pipeline_start",
    "gini_stage_start",
    "gini_stage_finish",
    "gini_pipeline_finish",
    "gini_add_commands",
)


@hookspec(firstresult=True)
def gini_manifest() -> PluginManifest | None:
    """Declare what packaging metadata cannot say about this plugin.

    Name, version, summary and dependencies come from the plugin's installed distribution.
    This hook adds priority, conflicts, incompatibilities, resource claims and tags.

    :return: A :class:`gini_host.PluginManifest`, or None for the defaults.

    Called once per plugin, before ordering, so it must not depend on other plugins.
    """


@hookspec
def gini_configure(host: Host, config: Any) -> None:
    """Receive this plugin's own configuration.

    :param host: The :class:`gini_host.Host` being booted.
    :param config: This plugin's table from the config file (``[plugin.NAME]``), or an
        empty mapping. When the plugin declares a schema (``PluginManifest(config=Settings)``,
        an attrs class), an instance of it instead: checked and defaulted by the host, which
        exits 2 naming the key when the table does not fit.

    Called per plugin in load order by the ``core::configure`` boot stage, before
    ``gini_preflight``, so a preflight can check what the config names. Raising fails the
    plugin (and its dependents), with the exception as the reason. A plugin whose
    ``gini_configure`` was called gets ``gini_shutdown``, even if its preflight fails.
    """


@hookspec
def gini_preflight(host: Host) -> Sequence[str] | None:
    """Check that this plugin can work on this machine, before anything is initialized.

    It runs after ``gini_configure``, so it may check what the plugin's config names (a
    directory, an executable).

    :param host: The :class:`gini_host.Host` being booted.
    :return: None (or an empty list) when all is well, else problem strings. Returning
        problems or raising fails the plugin and disables its dependents.

    Called once per boot, per plugin in load order, by the ``core::preflight`` boot stage.
    ``gini-host preflight`` does not call it again: it reports the verdicts that stage
    recorded.
    """


@hookspec
def gini_plugin_init(host: Host) -> None:
    """Initialize this plugin: open resources, register what it owns.

    :param host: The :class:`gini_host.Host` being booted.

    Called per plugin in load order after every preflight passed; a plugin's dependencies are
    initialized before it. Raising fails the plugin and its dependents.
    """


@hookspec
def gini_register_stages(host: Host) -> Sequence[Stage] | None:
    """Contribute stages.

    :param host: The :class:`gini_host.Host` being booted.
    :return: Stages made with :func:`gini_host.stage`. Their ids become ``PLUGIN::name``,
        and ``requires`` entries without ``::`` name stages of the same plugin.

    Called per plugin in load order. If anything about a plugin's stages is wrong (a
    duplicate id, not a stage), the plugin is failed and none of its stages stay registered.
    """


@hookspec
def gini_register_pipelines(host: Host) -> Sequence[PipelineSpec] | None:
    """Contribute named pipelines.

    :param host: The :class:`gini_host.Host` being booted.
    :return: :class:`gini_host.PipelineSpec` objects (or mappings with the same keys).

    Called per plugin in load order after all stages are registered; pipelines are validated
    when they are run or shown, so a pipeline may name stages of other plugins.
    """


@hookspec
def gini_post_init(host: Host) -> None:
    """Act once every plugin is initialized and every stage is registered.

    :param host: The booted :class:`gini_host.Host`.

    Called per plugin in load order. Raising fails the plugin; its stages are removed.
    """


@hookspec
def gini_shutdown(host: Host) -> None:
    """Release what the plugin holds.

    :param host: The :class:`gini_host.Host` shutting down.

    Called per initialized plugin in reverse load order, always (also after errors and
    interrupts). Every plugin is called even if some raise; all errors are reported together.
    """


@hookspec
def gini_add_commands(cli: click.Group) -> None:
    """Add subcommands to the ``gini-host`` command line.

    :param cli: A ``click.Group`` made for this invocation, holding the built-in commands
        and those added so far; call ``cli.add_command(...)`` or use ``@cli.command(...)``.

    Called only by the command line, once per invocation, for each active plugin in load
    order, right after the host boots. The host boots when the command name given is not a
    built-in one (it is then looked up among the commands plugins added), or when a built-in
    command needs the host (all but ``check`` and ``new-plugin``). ``--help``, top-level or
    of a built-in command, never boots the host, so it lists no plugin command. A name that
    is already taken (built-in, or by an earlier plugin) is ignored with a warning; raising
    fails the plugin. An embedded :class:`gini_host.Host` never calls this hook.
    """
