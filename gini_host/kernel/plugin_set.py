"""The host's plugins in load order, and the one way a per-plugin hook is called.

Every per-plugin hook (manifest, preflight, configure, init, stages, pipelines, post-init,
commands) goes through :meth:`PluginSet.each_active`: plugins are taken in load order, a
plugin that stopped being active meanwhile (a dependency failed earlier in the same loop) is
skipped, and anything a plugin raises, ``SystemExit`` included, fails that plugin and its
dependents with one reason format, ``"<hook> raised <Type>: <message>"``. Only
``KeyboardInterrupt`` goes through: it belongs to the operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, overload

import pluggy

from gini_host.errors import PluginHookError
from gini_host.kernel.loading import argnames
from gini_host.kernel.plugins import PluginInfo, PluginStatus
from gini_host.kernel.resolution import cascade
from gini_host.logs import logger
from gini_host.stages.manager import StageManager

__all__ = ["HookMonitor", "PluginSet"]

T = TypeVar("T")

#: Called after every per-plugin hook call: (hook name, plugin name, arguments, result);
#: when the hook raised, ``result`` is the exception (it is re-raised after the monitors).
HookMonitor = Callable[[str, str, Mapping[str, Any], Any], None]

#: A plugin object, its implementation of one hook (None when it has none), its arguments.
_HookImpl = tuple[object, Callable[..., Any] | None, tuple[str, ...]]


class PluginSet:
    """Plugins in load order (a sequence of :class:`PluginInfo`), with their hook calls.

    Taking a plugin out (:meth:`fail`) unregisters it from pluggy, so its observer hooks stop,
    and removes its stages and pipelines, then does the same for its dependents.
    """

    def __init__(self, plugin_manager: pluggy.PluginManager, stage_manager: StageManager) -> None:
        self.plugin_manager = plugin_manager
        self.stage_manager = stage_manager
        self.monitors: list[HookMonitor] = []
        self._plugins: list[PluginInfo] = []
        self._hook_impls: dict[tuple[int, str], _HookImpl] = {}

    # -- the sequence ------------------------------------------------------------------------

    def replace(self, plugins: list[PluginInfo]) -> None:
        """Set the load order (discovery does this once)."""
        self._plugins = plugins

    def __iter__(self) -> Iterator[PluginInfo]:
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)

    @overload
    def __getitem__(self, index: int) -> PluginInfo: ...

    @overload
    def __getitem__(self, index: slice) -> list[PluginInfo]: ...

    def __getitem__(self, index: int | slice) -> PluginInfo | list[PluginInfo]:
        return self._plugins[index]

    def __repr__(self) -> str:
        return f"<PluginSet {[p.name for p in self._plugins]}>"

    def get(self, name: str) -> PluginInfo:
        """The plugin called ``name`` (the first, if two distributions claim the name)."""
        for p in self._plugins:
            if p.name == name:
                return p
        raise KeyError(name)

    def active(self) -> list[PluginInfo]:
        """Active plugins in load order (a snapshot)."""
        return [p for p in self._plugins if p.active]

    # -- calling hooks -----------------------------------------------------------------------

    def call(self, info: PluginInfo, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (None when it has none).

        What the plugin raises comes out as :class:`PluginHookError` naming plugin and hook,
        with the original as ``__cause__``.
        """
        obj = info.obj
        if obj is None:
            return None
        impl = self._hook_impls.get((id(obj), hook))
        if impl is None or impl[0] is not obj:
            impl = self._hook_impls[(id(obj), hook)] = self._resolve(info, obj, hook)
        _, function, names = impl
        if function is None:
            return None
        args = {name: kwargs[name] for name in names if name in kwargs}
        try:
            result = function(**args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self._notify(hook, info, kwargs, exc)
            raise PluginHookError(info.name, hook, exc) from exc
        self._notify(hook, info, kwargs, result)
        return result

    def _notify(self, hook: str, info: PluginInfo, kwargs: Mapping[str, Any], outcome: Any) -> None:
        for monitor in self.monitors:
            monitor(hook, info.name, MappingProxyType(dict(kwargs)), outcome)

    def _resolve(self, info: PluginInfo, obj: object, hook: str) -> _HookImpl:
        """What calling ``hook`` on ``obj`` takes, looked up once per plugin and hook: pluggy's
        marker check costs about 10 us (``inspect.getattr_static``), and a call through the
        host may add at most 1 us to a direct call (issue 6). ``info.hooks``, once loading
        filled it, lists exactly the marked hooks, so a boot asks pluggy nothing."""
        if info.hooks:
            if hook not in info.hooks:
                return (obj, None, ())
        elif self.plugin_manager.parse_hookimpl_opts(obj, hook) is None:
            return (obj, None, ())
        function = getattr(obj, hook)
        return (obj, function, argnames(function))

    def each_active(
        self, hook: str, action: Callable[[PluginInfo], T] | None = None, **kwargs: Any
    ) -> dict[str, T | Any]:
        """Call ``hook`` (or ``action(info)``, which calls it) for each active plugin in order.

        A plugin that raises is failed (its dependents disabled) and left out of the result;
        returns plugin name -> what the call returned.
        """
        results: dict[str, T | Any] = {}
        for info in list(self._plugins):
            if not info.active:  # a dependency failed earlier in this same loop
                continue
            try:
                results[info.name] = (
                    action(info) if action is not None else self.call(info, hook, **kwargs)
                )
            except KeyboardInterrupt:
                raise
            except PluginHookError as exc:
                self.fail(info, PluginStatus.FAILED, exc.detail)
            except BaseException as exc:
                self.fail(info, PluginStatus.FAILED, f"{hook}: {type(exc).__name__}: {exc}")
        return results

    # -- taking plugins out ------------------------------------------------------------------

    def fail(self, info: PluginInfo, status: PluginStatus, reason: str) -> None:
        """Take a plugin out (its hooks and stages), then its dependents, naming the cause."""
        info.set_status(status, reason)
        logger.warning("plugin {} is {}: {}", info.label(), info.status.value, info.reason)
        for dependent in cascade(self._plugins):
            logger.warning(
                "plugin {} is {}: {}", dependent.name, dependent.status.value, dependent.reason
            )
        self.drop_inactive()

    def drop_inactive(self) -> None:
        """Unregister every plugin that is not active, and remove its stages and pipelines."""
        pm = self.plugin_manager
        registry = self.stage_manager.registry
        for p in self._plugins:
            if p.active:
                continue
            if p.obj is not None and pm.is_registered(p.obj):
                pm.unregister(p.obj)
            if registry.by_plugin(p.name) or any(
                s.source == p.name for s in self.stage_manager.pipeline_specs()
            ):
                self.stage_manager.unregister_plugin(p.name)
