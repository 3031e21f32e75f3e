"""Turning discovered entry points and plugin objects into registered plugins.

Selection (which plugins the operator wants), import, hook validation and manifests happen
here, plugin by plugin, so one broken plugin is reported with its name, distribution and
cause while the others load. Disabled plugins are never imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import traceback
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from gini_host._version import __version__
from gini_host.errors import (
    PluginHookError,
    PluginTimeoutError,
    UnknownNameError,
    UsageError,
)
from gini_host.kernel.discovery import Installed
from gini_host.kernel.guard import PluginCall, PluginCodeRunner
from gini_host.kernel.hookspecs import HOOK_NAMES
from gini_host.kernel.plugins import PRIORITY_KERNEL, PluginInfo, PluginManifest, PluginStatus
from gini_host.logs import logger
from gini_host.naming import did_you_mean, import_object, name_problem, printable, suggest
from gini_host.shown import exception_line

if TYPE_CHECKING:
    from gini_host.kernel.config import PluginsConfig

__all__ = ["Builtin", "argnames", "collect", "import_plugin", "plugin_name_of"]


@attrs.frozen(slots=True)
class Builtin:
    """A plugin that ships with the host; ``essential`` ones cannot be disabled."""

    name: str
    value: str
    essential: bool = False


def plugin_name_of(obj: object) -> str:
    """The name of a plugin object passed in directly: ``gini_name``, else module or class."""
    explicit = getattr(obj, "gini_name", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    if isinstance(obj, types.ModuleType):
        return obj.__name__.rpartition(".")[2]
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__name__


def import_plugin(value: str) -> object:
    """Import ``module`` or ``module:attr.attr``; a class is instantiated with no arguments."""
    obj = import_object(value)
    if isinstance(obj, type):
        obj = obj()
    return obj


def argnames(function: Callable[..., Any]) -> tuple[str, ...]:
    """Positional parameter names of a hook implementation (``self`` dropped)."""
    func: Any = function
    skip = 0
    if inspect.ismethod(func):
        func, skip = func.__func__, 1
    code = getattr(func, "__code__", None)
    if code is None:
        return tuple(inspect.signature(function).parameters)
    return tuple(code.co_varnames[skip : code.co_argcount])


def hook_problems(pm: pluggy.PluginManager, obj: object) -> tuple[list[str], list[str]]:
    """The hooks ``obj`` implements (by hook name: a ``specname`` counts), and the mistakes
    pluggy would silently accept: ``gini_*`` functions without ``@hookimpl`` and marked
    functions under unknown names.

    A plugin object is untrusted: ``dir()`` or an attribute that raises (a property, a
    ``__getattr__``) is a problem of this plugin, named, never an error of the host.
    """
    hooks: list[str] = []
    problems: list[str] = []
    try:
        attrs_ = _candidates(obj)
    except Exception as exc:
        return [], [f"listing its attributes (dir) raised {exception_line(exc)}"]
    for attr in attrs_:
        try:
            opts = pm.parse_hookimpl_opts(obj, attr)
            value = getattr(obj, attr, None) if opts is None and attr.startswith("gini_") else None
        except Exception as exc:
            problems.append(f"reading attribute {attr} raised {exception_line(exc)}")
            continue
        if opts is not None:
            hook = opts.get("specname") or attr
            if hook in HOOK_NAMES:
                hooks.append(hook)
            elif hook.startswith("gini_") or attr.startswith("gini_"):
                problems.append(f"{attr} is not a gini-host hook{_closest(hook)}")
        elif callable(value) and not isinstance(value, type):
            if attr not in HOOK_NAMES:
                problems.append(f"{attr} is not a gini-host hook{_closest(attr)}")
            else:
                problems.append(
                    f"{attr} is not marked with @gini_host.hookimpl, so it would never run"
                )
    return sorted(set(hooks)), problems


def _candidates(obj: object) -> list[str]:
    """The attributes that may be hooks. For a module (the usual plugin) only its functions
    and its ``gini_*`` names: asking pluggy about every name a module imported doubled the
    cost of loading 500 plugins, since pluggy's ``register`` asks again."""
    if isinstance(obj, types.ModuleType):
        return sorted(
            name
            for name, value in vars(obj).items()
            if name.startswith("gini_") or isinstance(value, types.FunctionType)
        )
    return list(dir(obj))


def _closest(name: str) -> str:
    return did_you_mean(suggest(name, HOOK_NAMES, n=1))


def collect(
    builtins: Sequence[Builtin],
    explicit: Sequence[object],
    installed: Installed | None,
    settings: PluginsConfig,
    enable: Sequence[str],
    disable: Sequence[str],
    autoload: bool,
    source: str | None = None,
) -> list[PluginInfo]:
    """Every plugin the host knows of, with the operator's choices applied (nothing imported).
    ``source`` is the config file, named by the error for an unknown ``plugins.enable`` name."""
    plugins: list[PluginInfo] = []
    for b in builtins:
        plugins.append(
            PluginInfo(
                name=b.name,
                distribution="gini-host",
                version=__version__,
                summary="built-in",
                entry_point=b.value,
                builtin=True,
                essential=b.essential,
                manifest=PluginManifest(priority=PRIORITY_KERNEL),
            )
        )
    for obj in explicit:
        plugins.append(PluginInfo(name=plugin_name_of(obj), obj=obj))
    seen = {p.name: p for p in plugins}
    for ep in installed.entry_points if installed else ():
        info = PluginInfo(
            name=ep.name,
            distribution=ep.distribution,
            version=ep.version,
            summary=ep.summary,
            entry_point=ep.value,
            requires=ep.requires,
        )
        first = seen.get(ep.name)
        problem = name_problem(ep.name)
        if problem is not None:
            info.set_status(
                PluginStatus.FAILED,
                f"invalid plugin name {ep.name!r} in {ep.distribution}'s entry points: {problem}",
            )
        elif ep.problem is not None:
            info.set_status(PluginStatus.FAILED, ep.problem)
            seen.setdefault(ep.name, info)
        elif first is not None:
            info.set_status(
                PluginStatus.FAILED,
                f"plugin name {ep.name!r} is already taken by {first.label()}",
            )
        else:
            seen[ep.name] = info
        plugins.append(info)
    _apply_choices(plugins, settings, enable, disable, autoload)
    wanted = [(n, f"-p {n}") for n in enable]
    wanted += [(n, f"plugins.enable {_in_config(source)}") for n in settings.enable]
    _add_enabled_modules(plugins, wanted, seen, installed.versions if installed else None)
    return plugins


def _apply_choices(
    plugins: Iterable[PluginInfo],
    settings: PluginsConfig,
    enable: Sequence[str],
    disable: Sequence[str],
    autoload: bool,
) -> None:
    wanted = set(enable) | set(settings.enable)
    for info in plugins:
        if info.status is not PluginStatus.ACTIVE:
            continue
        if info.name in disable or info.name in settings.disable:
            how = f"-p no:{info.name}" if info.name in disable else "plugins.disable in config"
            if info.essential:
                raise UsageError(
                    f"plugin {info.name!r} is essential to the host; {how} cannot disable it"
                )
            info.set_status(PluginStatus.DISABLED, f"disabled by {how}")
        elif info.builtin or info.entry_point is None:
            continue  # built-ins and objects passed in directly are always wanted
        elif (
            settings.only is not None and info.name not in settings.only and info.name not in enable
        ):
            info.set_status(PluginStatus.DISABLED, "not listed in plugins.only in config")
        elif not autoload and info.name not in wanted:
            info.set_status(
                PluginStatus.DISABLED,
                f"autoload is off (--no-autoload); enable it with -p {info.name}",
            )


def _add_enabled_modules(
    plugins: list[PluginInfo],
    wanted: Sequence[tuple[str, str]],
    seen: dict[str, PluginInfo],
    versions: Mapping[str, str] | None = None,
) -> None:
    """An enabled name that is no discovered plugin is a module to import, as ``-p`` is in
    pytest; ``wanted`` pairs each name with where it was given, for the error."""
    for name, where in wanted:
        if name in seen:
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            from gini_host.kernel.absence import distribution_named, why_inactive

            # Only a distribution found says more than "no plugin": the rest is the message.
            cause = None
            if distribution_named(name, versions or {}) is not None:
                cause = why_inactive(name, plugins, versions)
            raise UnknownNameError(
                where, name, "plugin or importable module", suggest(name, seen), cause
            )
        info = PluginInfo(name=name.rpartition(".")[2], entry_point=name)
        seen[name] = info
        plugins.append(info)


def _in_config(source: str | None) -> str:
    """Where a config key was given, for a message: the file when there is one."""
    return f"in {source}" if source and not source.startswith("<") else "in config"


def check_names(
    plugins: Sequence[PluginInfo],
    settings: PluginsConfig,
    disable: Sequence[str],
    source: str | None,
) -> None:
    """Plugin names the operator gave to turn plugins off or restrict them must exist: a
    typo there would silently keep a plugin on (or every other plugin off)."""
    known = [p.name for p in plugins]
    config = _in_config(source)
    given = [(n, "-p no:") for n in disable]
    given += [(n, f"plugins.disable {config}") for n in settings.disable]
    given += [(n, f"plugins.only {config}") for n in settings.only or ()]
    for name, where in given:
        if name not in known:
            label = f"-p no:{name}" if where == "-p no:" else where
            raise UnknownNameError(label, name, "discovered plugin", suggest(name, known))


def load_all(
    plugins: Sequence[PluginInfo], pm: pluggy.PluginManager, runner: PluginCodeRunner
) -> None:
    """Import, validate and register the given wanted plugins; each one with a problem is
    marked failed.

    The imports and the reading of hooks are plugin code: they run as one batch through
    ``runner`` (a time limit per plugin, stdout kept for the host, anything raised
    attributed to its plugin), and nothing they produce touches the host until they are all
    done; registering with pluggy then happens here, on the caller's thread.
    """
    calls = [PluginCall(info.name, "import", _importer(info, pm)) for info in plugins]
    for info, outcome in zip(plugins, runner.run(calls), strict=True):
        if isinstance(outcome, PluginTimeoutError):
            _failed(info, outcome.detail)
        elif isinstance(outcome, PluginHookError):
            cause = outcome.__cause__ or outcome
            _failed(info, f"import failed: {exception_line(cause)}", cause)
        else:
            _register(info, pm, *outcome)


def _importer(
    info: PluginInfo, pm: pluggy.PluginManager
) -> Callable[[], tuple[object, list[str], list[str]]]:
    """The plugin code of loading ``info``: import it (or instantiate a class given in),
    then read its hooks; returns (object, hooks, problems)."""
    entry_point, given = info.entry_point, info.obj

    def load() -> tuple[object, list[str], list[str]]:
        if given is None:
            assert entry_point is not None
            obj = import_plugin(entry_point)
        else:
            obj = given() if isinstance(given, type) else given
        try:
            hooks, problems = hook_problems(pm, obj)
        except BaseException as exc:  # a KeyboardInterrupt out of a property, say
            return obj, [], [f"reading its hooks raised {exception_line(exc)}"]
        return obj, hooks, problems

    return load


def _register(
    info: PluginInfo, pm: pluggy.PluginManager, obj: object, hooks: list[str], problems: list[str]
) -> None:
    """Register a plugin whose hooks were read without problems (it is left unregistered
    when pluggy finds one: pluggy may have added some hooks before an attribute raised).

    pluggy reads the attributes again here, on the host's thread: an attribute that raised
    or hung the first time was reported above; one that waits for its second read to do so
    is past what the host can attribute cheaply."""
    info.obj = obj
    if not problems:
        try:
            pm.register(obj, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            problems = [f"invalid hook implementation: {exc}"]
        except Exception as exc:
            problems = [f"registering its hooks raised {exception_line(exc)}"]
        if problems and pm.is_registered(obj):
            pm.unregister(obj)
    if problems:
        _failed(info, "; ".join(problems))
        return
    info.hooks = tuple(hooks)


def _failed(info: PluginInfo, reason: str, exc: BaseException | None = None) -> None:
    info.set_status(PluginStatus.FAILED, reason)
    if exc is not None:
        info.traceback = "".join(traceback.format_exception(exc))
    logger.warning("plugin {} failed to load: {}", info.label(), printable(reason))  # its text
    if info.traceback:
        logger.debug("plugin {} load traceback:\n{}", info.name, info.traceback)
