"""The host's plugins in load order, and the one way a per-plugin hook is called.

Every per-plugin hook (manifest, preflight, configure, init, stages, pipelines, post-init,
commands, shutdown) goes through :meth:`PluginSet.call`: it asks pluggy for the plugin's own
``HookImpl``s of the hook (so ``specname``, ``tryfirst``/``trylast`` and wrappers behave as
pluggy defines them) and runs pluggy's call loop over just those, as untrusted code (see
:mod:`gini_host.kernel.guard`: a time limit, stdout kept for the host). :meth:`each_active`
takes plugins in load order, skips a plugin that stopped being active meanwhile (a
dependency failed earlier in the same loop), and fails a plugin that raises anything,
``KeyboardInterrupt`` and ``SystemExit`` included, with its dependents and one reason format,
``"<hook> raised <Type>: <message>"`` (or ``"<hook> timed out after ..."``). Only a real
signal goes through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar, overload

import pluggy

# pluggy's own call loop (wrappers, firstresult): the one a hook caller runs, here over one
# plugin's implementations. Private by name, but it is the definition we must not copy.
from pluggy._callers import _multicall

from gini_host.errors import PluginHookError
from gini_host.kernel.config import CURRENT_PLUGIN
from gini_host.kernel.guard import PluginCall, PluginCodeRunner
from gini_host.kernel.plugins import PluginInfo, PluginStatus
from gini_host.kernel.resolution import cascade
from gini_host.logs import logger
from gini_host.naming import printable
from gini_host.shown import exception_line
from gini_host.stages.manager import StageManager

__all__ = ["DEFAULT_HOOK_TIMEOUT", "HookMonitor", "PluginSet"]

T = TypeVar("T")

#: Called after every per-plugin hook call: (hook name, plugin name, arguments, outcome);
#: the outcome is pluggy's ``Result`` (its ``exception`` is set when the hook raised).
HookMonitor = Callable[[str, str, Mapping[str, Any], pluggy.Result[Any]], None]

#: One hook call of a plugin in a batch: hook name, arguments, the plugin's implementations.
_Step = tuple[str, Mapping[str, Any], list[pluggy.HookImpl]]
#: The hook calls to make for one plugin: (hook name, arguments) in order.
Steps = Callable[[PluginInfo], Sequence[tuple[str, Mapping[str, Any]]]]


def _plugin_call(info: PluginInfo, todo: list[_Step], done: list[Any]) -> PluginCall:
    """The plugin code of one plugin's calls in a batch: each result is appended to ``done``
    as it comes (so what succeeded before a raise is still known)."""

    def run() -> None:
        token = CURRENT_PLUGIN.set(info.name)  # its own [plugin.NAME] table only
        try:
            for name, args, impls in todo:
                call.mark(name)
                done.append(_multicall(name, impls, args, True))
        finally:
            CURRENT_PLUGIN.reset(token)

    call = PluginCall(info.name, todo[0][0], run)
    return call


#: Seconds a plugin's import or boot hook may run (``[plugins] hook_timeout``).
DEFAULT_HOOK_TIMEOUT = 60.0


class PluginSet:
    """Plugins in load order (a sequence of :class:`PluginInfo`), with their hook calls.

    Taking a plugin out (:meth:`fail`) unregisters it from pluggy, so its observer hooks stop,
    and removes its stages and pipelines, then does the same for its dependents.
    """

    def __init__(self, plugin_manager: pluggy.PluginManager, stage_manager: StageManager) -> None:
        self.plugin_manager = plugin_manager
        self.stage_manager = stage_manager
        self.monitors: list[HookMonitor] = []
        #: Runs every import and hook call as plugin code (its ``timeout`` is
        #: ``[plugins] hook_timeout``; its ``signal_received`` is set by the CLI).
        self.runner = PluginCodeRunner()
        self.runner.timeout = DEFAULT_HOOK_TIMEOUT
        #: Each hook's implementations by plugin object id, built on first use; emptied when
        #: plugins are registered or taken out (one pass over pluggy's list per hook, where a
        #: scan per plugin and hook made a 500-plugin boot quadratic).
        self._impls: dict[str, dict[int, list[pluggy.HookImpl]]] = {}
        self._plugins: list[PluginInfo] = []
        #: Hook implementations of plugins taken out of pluggy, by plugin object id: a
        #: plugin that failed after its init still gets its ``gini_shutdown`` call.
        self._retired: dict[int, tuple[object, dict[str, list[pluggy.HookImpl]]]] = {}

    # -- the sequence ------------------------------------------------------------------------

    def replace(self, plugins: list[PluginInfo]) -> None:
        """Set the load order (discovery does this once, after registering plugins)."""
        self._plugins = plugins
        self._impls.clear()

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

        What the plugin raises (or a timeout) comes out as :class:`PluginHookError` naming
        plugin and hook, with the original as ``__cause__``.
        """
        impls = self.hook_impls(info, hook)
        if not impls:
            return None
        return self.run(info, hook, lambda: _multicall(hook, impls, kwargs, True), kwargs)

    def run(
        self,
        info: PluginInfo,
        what: str,
        function: Callable[[], T],
        kwargs: Mapping[str, Any] | None = None,
    ) -> T:
        """Run plugin code for ``info`` (an import, a hook call) as untrusted code; it sees
        its own ``[plugin.NAME]`` table only (:data:`CURRENT_PLUGIN`)."""
        token = CURRENT_PLUGIN.set(info.name)  # copied into the worker's context
        try:
            result = self.runner.call(info.name, what, function)
        except PluginHookError as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            self._notify(what, info, kwargs, pluggy.Result(None, cause))
            raise
        finally:
            CURRENT_PLUGIN.reset(token)
        self._notify(what, info, kwargs, pluggy.Result(result, None))
        return result

    def _report(
        self, info: PluginInfo, hook: str, todo: list[_Step], done: list[Any], outcome: Any
    ) -> Any:
        """Tell the monitors of one plugin's calls in a batch; returns the result of ``hook``
        (None when the plugin does not implement it), or the error that stopped the calls."""
        for (name, args, _), value in zip(todo, done, strict=False):
            self._notify(name, info, args, pluggy.Result(value, None))
        if isinstance(outcome, PluginHookError):
            name, args, _ = todo[min(len(done), len(todo) - 1)]
            cause = outcome.__cause__ if outcome.__cause__ is not None else outcome
            self._notify(name, info, args, pluggy.Result(None, cause))
            return outcome
        return next((r for (n, _, _), r in zip(todo, done, strict=False) if n == hook), None)

    def hook_impls(self, info: PluginInfo, hook: str) -> list[pluggy.HookImpl]:
        """The plugin's own implementations of ``hook``, in pluggy's order."""
        obj = info.obj
        if obj is None:
            return []
        retired = self._retired.get(id(obj))
        if retired is not None and retired[0] is obj:
            return list(retired[1].get(hook, ()))
        by_plugin = self._impls.get(hook)
        if by_plugin is None:
            caller = getattr(self.plugin_manager.hook, hook, None)
            by_plugin = self._impls[hook] = {}
            for impl in caller.get_hookimpls() if caller is not None else ():
                by_plugin.setdefault(id(impl.plugin), []).append(impl)
        return [impl for impl in by_plugin.get(id(obj), ()) if impl.plugin is obj]

    def _notify(
        self,
        hook: str,
        info: PluginInfo,
        kwargs: Mapping[str, Any] | None,
        outcome: pluggy.Result[Any],
    ) -> None:
        if kwargs is None:
            return  # not a hook call (an import): nothing for hook monitors
        for monitor in self.monitors:
            monitor(hook, info.name, MappingProxyType(dict(kwargs)), outcome)

    def each_active(
        self,
        hook: str,
        handle: Callable[[PluginInfo, Any], T] | None = None,
        *,
        steps: Steps | None = None,
        start: Callable[[PluginInfo], Any] | None = None,
        handle_errors: bool = False,
        **kwargs: Any,
    ) -> dict[str, T | Any]:
        """Call ``hook`` for each active plugin in load order; ``handle(info, result)`` (on
        this thread) turns the result into the plugin's entry of the returned mapping.

        ``steps(info)`` gives several (hook, arguments) calls per plugin instead, made in
        turn, stopping at the first that raises (``handle`` gets the last result); ``start``
        is told of each plugin before its calls. A plugin whose call raises, or whose
        ``handle`` rejects the result, is failed with its dependents and left out of the
        mapping; with ``handle_errors`` the :class:`PluginHookError` goes to ``handle``.

        Plugins that do not depend on one another are called in one batch on the plugin-code
        worker (a handoff per plugin was most of a 500-plugin boot's overhead); a plugin
        whose dependency is in the batch waits for the next one, so a dependency that fails
        is handled (its dependents disabled) before any of their hooks would run.
        """
        plan = steps if steps is not None else (lambda info: [(hook, kwargs)])
        results: dict[str, T | Any] = {}
        batch: list[PluginInfo] = []
        names: set[str] = set()
        for info in list(self._plugins):
            if batch and names.intersection(info.depends_on):
                self._run_batch(batch, hook, plan, handle, start, handle_errors, results)
                batch, names = [], set()
            if info.active:  # a dependency failed in an earlier batch: skipped
                batch.append(info)
                names.add(info.name)
        if batch:
            self._run_batch(batch, hook, plan, handle, start, handle_errors, results)
        return results

    def _run_batch(
        self,
        batch: list[PluginInfo],
        hook: str,
        plan: Steps,
        handle: Callable[[PluginInfo, Any], Any] | None,
        start: Callable[[PluginInfo], Any] | None,
        handle_errors: bool,
        results: dict[str, Any],
    ) -> None:
        work: list[tuple[PluginInfo, list[_Step], list[Any]]] = []
        calls: list[PluginCall] = []
        for info in batch:
            if start is not None:
                start(info)
            todo = [
                (name, args, impls)
                for name, args in plan(info)
                if (impls := self.hook_impls(info, name))
            ]
            done: list[Any] = []
            work.append((info, todo, done))
            if todo:
                calls.append(_plugin_call(info, todo, done))
        outcomes = iter(self.runner.run(calls) if calls else ())
        for info, todo, progress in work:
            outcome = next(outcomes) if todo else None
            value = self._report(info, hook, todo, list(progress), outcome)
            if isinstance(value, PluginHookError) and not handle_errors:
                self.fail(info, PluginStatus.FAILED, value.detail)
                continue
            try:
                results[info.name] = handle(info, value) if handle is not None else value
            except PluginHookError as exc:
                self.fail(info, PluginStatus.FAILED, exc.detail)
            except Exception as exc:  # the host rejected what the plugin returned
                self.fail(info, PluginStatus.FAILED, f"{hook}: {exception_line(exc)}")

    # -- taking plugins out ------------------------------------------------------------------

    def fail(self, info: PluginInfo, status: PluginStatus, reason: str) -> None:
        """Take a plugin out (its hooks and stages), then its dependents, naming the cause."""
        info.set_status(status, reason)
        # A reason holds the plugin's own text (a preflight problem, a message): escaped, so
        # that it cannot write a line of its own on stderr or a terminal escape.
        logger.warning(
            "plugin {} is {}: {}", info.label(), info.status.value, printable(info.reason or "")
        )
        for dependent in cascade(self._plugins):
            logger.warning(
                "plugin {} is {}: {}",
                dependent.name,
                dependent.status.value,
                printable(dependent.reason or ""),
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
                impls = {
                    caller.name: [i for i in caller.get_hookimpls() if i.plugin is p.obj]
                    for caller in pm.get_hookcallers(p.obj) or ()
                }
                self._retired[id(p.obj)] = (p.obj, impls)
                pm.unregister(p.obj)
                self._impls.clear()
            if registry.by_plugin(p.name) or any(
                s.source == p.name for s in self.stage_manager.pipeline_specs()
            ):
                self.stage_manager.unregister_plugin(p.name)
