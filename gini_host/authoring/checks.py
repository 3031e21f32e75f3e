"""Checks for plugin authors: what ``gini-host check`` and ``gini_host.testing.check_plugin``
report, one line per problem.

They find what pluggy and the host would accept silently or only report at run time:
``gini_*`` functions without ``@hookimpl`` (they never run), unknown hook names, hook
implementations asking for arguments the hook does not have, stages whose ``requires``
point nowhere (in the plugin itself, or to stages no installed plugin provides: a host is
booted to know), pipelines naming such stages, and a missing or incompatible ``gini-host``
requirement in the plugin's distribution.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from gini_host._version import __version__
from gini_host.authoring.scaffold import host_requirement
from gini_host.errors import CycleError, GiniHostError, UnknownPluginError, UsageError
from gini_host.graph import find_cycles
from gini_host.kernel import hookspecs
from gini_host.kernel.absence import distribution_named, no_entry_point
from gini_host.kernel.discovery import ENTRY_POINT_GROUP, PluginEntryPoint, scan
from gini_host.kernel.loading import argnames, hook_problems, import_plugin, plugin_name_of
from gini_host.kernel.resolution import read_requirement, version_matches
from gini_host.markers import PROJECT_NAME
from gini_host.naming import did_you_mean, suggest
from gini_host.stages.pipeline import spec_from_any
from gini_host.stages.stage import SEPARATOR, Stage

__all__ = ["PluginChoices", "UnknownPluginError", "check_plugin"]

_HOST_DIST = canonicalize_name("gini-host")


@attrs.frozen
class PluginChoices:
    """The operator's choice of plugins, as the command line took it (``--config``, ``-p``,
    ``-p no:``, ``--no-autoload``); ``check`` honours it like every other command."""

    config_path: str | None = None
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    autoload: bool | None = None

    def host_options(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _refused(ep: PluginEntryPoint, installed: Any, choices: PluginChoices) -> None:
    """Raise UsageError when the operator's choices leave ``ep``'s plugin out: a disabled
    plugin is never imported, not even to be checked."""
    from gini_host.builtin import DEFAULT_BUILTINS
    from gini_host.kernel.config import HostConfig, find_config_file, load_config
    from gini_host.kernel.host import AUTOLOAD_ENV
    from gini_host.kernel.limits import env_flag
    from gini_host.kernel.loading import collect

    path = find_config_file(choices.config_path)
    config = load_config(path) if path is not None else HostConfig()
    autoload = choices.autoload if choices.autoload is not None else not env_flag(AUTOLOAD_ENV)
    chosen = collect(
        DEFAULT_BUILTINS, (), installed, config.plugins, choices.enable, choices.disable, autoload
    )
    for info in chosen:
        if info.name == ep.name and info.entry_point == ep.value and not info.active:
            raise UsageError(
                f"plugin {ep.name} is {info.status.value} ({info.reason}); "
                "check does not import a plugin that is not loaded"
            )


@attrs.define
class _Target:
    """What is being checked: the plugin object and what is known of its distribution."""

    name: str
    obj: object
    entry_point: PluginEntryPoint | None = None
    distribution: str | None = None
    requires: tuple[str, ...] = ()
    by_name: bool = False


def check_plugin(
    target: object,
    *,
    paths: Sequence[str] | None = None,
    choices: PluginChoices | None = None,
) -> list[str]:
    """Every problem of a plugin, one line each; an empty list when it is clean.

    ``target`` is an installed plugin's name (``env-check``), its distribution's name
    (``gini-env-check``), a module name (``my_plugin.hooks``, or ``module:attr``), or a
    plugin object (module, class, instance).
    ``paths`` limits where installed distributions are looked for (default ``sys.path``).
    A name that is neither raises :class:`UnknownPluginError`. The distribution checks need
    a distribution: for a plugin object that belongs to none (one defined in a test) they are
    skipped, for a name they report it. With ``choices`` (the command line's), a plugin they
    leave out raises UsageError unimported, and the host booted to check stages loads the
    plugins they select.
    """
    installed = scan(paths)
    resolved = _resolve(target, installed, choices)
    if isinstance(resolved, str):
        return [resolved]
    if resolved.distribution is not None:
        resolved.requires = _requirements(resolved.distribution, paths, resolved.requires)
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    hooks, problems = hook_problems(pm, resolved.obj)
    if not hooks and not problems:
        problems.append(
            f"{resolved.name} implements no gini-host hook (mark them with @gini_host.hookimpl)"
        )
    problems += _signature_problems(pm, resolved.obj, hooks)
    if not problems:
        try:
            pm.register(resolved.obj, name=resolved.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            problems.append(f"invalid hook implementation: {exc}")
    dist_problems = _distribution_problems(resolved)
    problems += dist_problems
    if not problems or dist_problems == problems:
        problems += _stage_problems(
            resolved, paths, skip_host_version=bool(dist_problems), choices=choices
        )
    return problems


# -- finding the plugin -----------------------------------------------------------------------


def _resolve(target: object, installed: Any, choices: PluginChoices | None) -> _Target | str:
    """The target as a plugin object; a string is a problem line (its import failed, or it
    names a distribution that declares no entry point)."""
    entry_points: Sequence[PluginEntryPoint] = installed.entry_points
    versions: Mapping[str, str] = installed.versions
    if not isinstance(target, str):
        obj = target() if isinstance(target, type) else target
        ep = _entry_point_of(obj, entry_points)
        name = ep.name if ep is not None else plugin_name_of(target)
        return _with_distribution(_Target(name, obj, ep), entry_points)
    by_name = {ep.name: ep for ep in entry_points}
    ep = by_name.get(target) or next(
        (e for e in entry_points if target in (e.value, e.value.partition(":")[0].strip())), None
    )
    if ep is None:
        by_dist = _by_distribution(target, entry_points, versions)
        if isinstance(by_dist, str):
            return by_dist
        ep = by_dist
    if ep is not None:
        if choices is not None:
            _refused(ep, installed, choices)
        try:
            obj = import_plugin(ep.value)
        except Exception as exc:
            return f"plugin {ep.name}: importing {ep.value} failed: {type(exc).__name__}: {exc}"
        return _Target(ep.name, obj, ep, ep.distribution, ep.requires, by_name=True)
    module = target.partition(":")[0].strip()
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UnknownPluginError(target, suggest(target, by_name))
    try:
        obj = import_plugin(target)
    except Exception as exc:
        return f"importing {target} failed: {type(exc).__name__}: {exc}"
    name = plugin_name_of(obj)
    return _with_distribution(_Target(name, obj, by_name=True), entry_points)


def _by_distribution(
    name: str, entry_points: Sequence[PluginEntryPoint], versions: Mapping[str, str]
) -> PluginEntryPoint | str | None:
    """The plugin of distribution ``name`` (``gini-env-check`` for ``env-check``); a problem
    line when the distribution is installed but declares no entry point; None when no
    distribution has that name."""

    found = distribution_named(name, versions)
    if found is None:
        return None
    key, version = found
    owned = [ep for ep in entry_points if canonicalize_name(ep.distribution or "") == key]
    if owned:
        return owned[0]
    try:
        importable = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        importable = False
    # A module of that name is checked as a module (and told the same); otherwise the
    # distribution is all there is to report.
    return None if importable else no_entry_point(f"{key} {version}")



def _top_module(obj: object) -> str:
    if isinstance(obj, types.ModuleType):
        module = obj.__name__
    else:
        module = getattr(obj, "__module__", None) or type(obj).__module__
    return module.partition(".")[0]


def _entry_point_of(
    obj: object, entry_points: Sequence[PluginEntryPoint]
) -> PluginEntryPoint | None:
    """The installed entry point that names ``obj`` (or an instance of the same class)."""
    top = _top_module(obj)
    for ep in entry_points:
        if ep.value.partition(".")[0].partition(":")[0].strip() != top:
            continue
        try:
            loaded = import_plugin(ep.value)
        except Exception:
            continue
        if loaded is obj or (not isinstance(obj, types.ModuleType) and type(loaded) is type(obj)):
            return ep
    return None


def _with_distribution(found: _Target, entry_points: Sequence[PluginEntryPoint]) -> _Target:
    """Fill in the distribution: the entry point's, else the one that installed the module."""
    if found.entry_point is not None:
        found.distribution = found.entry_point.distribution
        found.requires = found.entry_point.requires
        return found
    top = _top_module(found.obj)
    same = [ep for ep in entry_points if ep.value.partition(".")[0].partition(":")[0] == top]
    if same:
        found.distribution, found.requires = same[0].distribution, same[0].requires
        return found
    dists = importlib.metadata.packages_distributions().get(top, [])
    if dists:
        found.distribution = dists[0]
    return found


def _requirements(
    distribution: str, paths: Sequence[str] | None, scanned: tuple[str, ...]
) -> tuple[str, ...]:
    """The distribution's Requires-Dist as importlib.metadata reads them, which also knows
    the ``requires.txt`` of an ``.egg-info`` (a build leaves one in the project folder)."""
    search = list(paths) if paths is not None else sys.path
    for dist in importlib.metadata.distributions(name=distribution, path=search):
        return tuple(dist.requires or ())
    return scanned


# -- hooks ------------------------------------------------------------------------------------


def _signature_problems(pm: pluggy.PluginManager, obj: object, hooks: Sequence[str]) -> list[str]:
    """Implementations asking for arguments their hook does not pass (pluggy would refuse)."""
    problems = []
    for hook in hooks:
        spec = getattr(pm.hook, hook).spec
        expected = spec.argnames if spec is not None else ()
        function = getattr(obj, hook, None)
        if function is None:
            continue  # a specname implementation: pluggy checks its arguments on register
        given = argnames(function)
        extra = [a for a in given if a not in expected]
        if extra:
            names = ", ".join(repr(a) for a in extra)
            problems.append(
                f"{hook}({', '.join(given)}): {names} is not an argument of {hook}, "
                f"which passes ({', '.join(expected)})"
            )
    return problems


# -- distribution -----------------------------------------------------------------------------


def _distribution_problems(found: _Target) -> list[str]:
    if found.distribution is None:
        if not found.by_name:
            return []  # a plugin object defined in a test: nothing installed to check
        return [
            f"module {_top_module(found.obj)} belongs to no installed distribution: "
            f"declare it in a pyproject.toml and pip install it"
        ]
    problems = []
    if found.entry_point is None and not _declares_entry_point(found.distribution):
        problems.append(no_entry_point(found.distribution))
    # Read as the kernel reads it (resolution), so check and boot never disagree.
    required: Requirement | None = None
    for text in found.requires:
        read = read_requirement(text)
        if isinstance(read, InvalidRequirement):
            problems.append(
                f"distribution {found.distribution}: invalid requirement {text!r}: {read}"
            )
            continue
        req, name, applies = read
        if name == _HOST_DIST and applies:
            required = req
    if required is None:
        problems.append(
            f"distribution {found.distribution} does not require gini-host: add "
            f'"{host_requirement()}" to its dependencies'
        )
    elif not version_matches(__version__, required):
        problems.append(
            f"distribution {found.distribution} requires gini-host{required.specifier}, "
            f"this gini-host is {__version__}"
        )
    return problems


def _declares_entry_point(distribution: str) -> bool:
    try:
        eps = importlib.metadata.distribution(distribution).entry_points
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(ep.group == ENTRY_POINT_GROUP for ep in eps)


# -- stages and pipelines ---------------------------------------------------------------------


def _stage_problems(
    found: _Target,
    paths: Sequence[str] | None,
    *,
    skip_host_version: bool,
    choices: PluginChoices | None = None,
) -> list[str]:
    """Boot a host of the installed plugins with this one, then check what it registered
    (the plugins the operator's ``choices`` select, when given)."""
    from gini_host.kernel.host import Host

    explicit = () if found.entry_point is not None else (found.obj,)
    if choices is None:
        host = Host(explicit, autoload=True, paths=paths)
    else:
        host = Host.from_environment(plugins=explicit, paths=paths, **choices.host_options())
    try:
        try:
            host.boot()
        except GiniHostError as exc:
            return [f"could not boot a host with the installed plugins to check stages: {exc}"]
        info = host.plugin(found.name)
        if not info.active:
            if skip_host_version and (info.reason or "").startswith("requires gini-host"):
                return []
            return [f"plugin {found.name} would not load here: {info.status}: {info.reason}"]
        return _requires_problems(host, found.name) + _pipeline_problems(host, found.name)
    finally:
        host.shutdown()


def _requires_problems(host: Any, plugin: str) -> list[str]:
    registry = host.stage_manager.registry
    own: list[Stage] = registry.by_plugin(plugin)
    own_ids = [s.id for s in own]
    problems = []
    for stage in own:
        for required in stage.requires:
            if required in own_ids or registry.has(required):
                continue
            owner = required.partition(SEPARATOR)[0]
            if owner == plugin:
                where = f"which plugin {plugin} does not register"
                close = suggest(required, own_ids)
            else:
                where = "which no installed plugin provides"
                close = suggest(required, registry.ids())
            problems.append(f"stage {stage.id} requires {required}, {where}{did_you_mean(close)}")
    graph = {s.id: [r for r in s.requires if r in own_ids] for s in own}
    for cycle in find_cycles(graph):
        problems.append(f"stages require each other in a loop: {' -> '.join(cycle)}")
    return problems


def _pipeline_problems(host: Any, plugin: str) -> list[str]:
    problems = []
    for spec in host.pipelines:
        if spec.source != plugin:
            continue
        spec = spec_from_any(spec)
        for problem in host.stage_manager.validate_pipeline(spec):
            # What a stage requires is reported per stage above; here only what the pipeline
            # itself names.
            if isinstance(problem, CycleError) or getattr(problem, "required_by", None):
                continue
            problems.append(f"pipeline {spec.name}: {problem}")
    return problems
