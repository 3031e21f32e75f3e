"""The kernel: :class:`Host` turns installed plugin distributions into active, ordered plugins
and their stages, runs pipelines, and always shuts down.

Booting is itself a pipeline (see :mod:`gini_host.builtin.core`); each of its stages calls one
public method below. Per-plugin hooks are called plugin by plugin in load order, so every
result and every error is attributed to its plugin.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final

import pluggy
from loguru import logger

from gini_host import hookspecs
from gini_host.builtin import DEFAULT_BUILTINS
from gini_host.config import (
    HostConfig,
    config_from_mapping,
    config_from_toml,
    find_config_file,
    load_config,
)
from gini_host.discovery import IndexMode, Installed, scan
from gini_host.errors import GiniHostError, UsageError
from gini_host.loading import Builtin, argnames, collect, hook_problems, load
from gini_host.markers import PROJECT_NAME
from gini_host.plugins import PluginInfo, PluginManifest, PluginStatus
from gini_host.resolution import cascade, check_requirements, order_plugins, resolve_conflicts
from gini_host.stages.control import RunControl
from gini_host.stages.manager import StageManager
from gini_host.stages.pipeline import Pipeline, PipelineSpec, spec_from_any
from gini_host.stages.results import PipelineResult, StageStatus
from gini_host.stages.stage import Stage

if TYPE_CHECKING:
    from gini_host.recipe import HostRecipe
    from gini_host.stages.executors import StrategyFactory

__all__ = ["AUTOLOAD_ENV", "HOST_CREATED", "Host", "HookMonitor"]

AUTOLOAD_ENV: Final = "GINI_HOST_DISABLE_PLUGIN_AUTOLOAD"

#: A plugin object, its implementation of one hook (None when it has none), its arguments.
_HookImpl = tuple[object, Callable[..., Any] | None, tuple[str, ...]]

#: Called after every per-plugin hook call: (hook name, plugin name, arguments, result);
#: when the hook raised, ``result`` is the exception (it is re-raised after the monitors).
HookMonitor = Callable[[str, str, Mapping[str, Any], Any], None]

#: Test support: callables run with every new :class:`Host`, at the end of ``__init__``.
#: A context variable rather than a list, so a watcher is scoped to the code that set it
#: (``gini_host.testing``'s ``hook_recorder`` sets it for one test, then resets it) and
#: never leaks to other threads. Not for plugins: they get the host in every hook.
HOST_CREATED: ContextVar[tuple[Callable[[Host], None], ...]] = ContextVar(
    "gini_host_host_created", default=()
)


class PluginHookError(GiniHostError):
    """A plugin's hook raised; ``plugin`` and ``hook`` say which."""

    def __init__(self, plugin: str, hook: str, exc: BaseException) -> None:
        self.plugin = plugin
        self.hook = hook
        super().__init__(f"plugin {plugin}: {hook} raised {type(exc).__name__}: {exc}")


def _coerce_config(config: HostConfig | Mapping[str, Any] | str | None) -> HostConfig:
    if config is None:
        return HostConfig()
    if isinstance(config, HostConfig):
        return config
    if isinstance(config, str):
        return config_from_toml(config)
    return config_from_mapping(config)


class Host:
    """A booted set of plugins and their stages; use as a context manager to always shut down.

    ``Host(plugins=[...])`` takes plugin objects (modules, classes, instances) directly, for
    tests and embedding; :meth:`from_environment` reads the config file and the environment
    like the CLI does. Entry-point plugins are discovered unless ``autoload`` is False, in
    which case only built-ins, ``plugins`` and ``enable`` load.
    """

    def __init__(
        self,
        plugins: Sequence[object] = (),
        *,
        config: HostConfig | Mapping[str, Any] | str | None = None,
        autoload: bool = True,
        enable: Sequence[str] = (),
        disable: Sequence[str] = (),
        builtins: Sequence[Builtin] = DEFAULT_BUILTINS,
        paths: Sequence[str] | None = None,
        refresh_plugins: bool = False,
    ) -> None:
        self.config = _coerce_config(config)
        self.autoload = autoload
        self.enable = tuple(enable)
        self.disable = tuple(disable)
        self.builtins = tuple(builtins)
        self.paths = paths
        #: Rescan installed distributions instead of trusting the entry-point index.
        self.refresh_plugins = refresh_plugins
        self.plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self.stage_manager = StageManager(self.plugin_manager)
        self.plugins: list[PluginInfo] = []
        self.boot_result: PipelineResult | None = None
        self.installed: Installed | None = None
        #: The loguru handler the CLI added for the console, so a logging plugin may replace it.
        self.log_handler_id: int | None = None
        self.hook_monitors: list[HookMonitor] = []
        self._explicit = tuple(plugins)
        self._initialized: list[PluginInfo] = []
        self._with_stages: set[str] = set()
        self._booted = False
        self._shut_down = False
        #: (id(plugin object), hook) -> (the object, its implementation or None, arguments).
        self._hook_impls: dict[tuple[int, str], _HookImpl] = {}
        for callback in HOST_CREATED.get():
            callback(self)

    @classmethod
    def from_environment(
        cls,
        *,
        config_path: str | os.PathLike[str] | None = None,
        enable: Sequence[str] = (),
        disable: Sequence[str] = (),
        autoload: bool | None = None,
        **kwargs: Any,
    ) -> Host:
        """A host configured like the CLI: config file lookup and the autoload variable."""
        path = find_config_file(config_path)
        config = load_config(path) if path is not None else HostConfig()
        if autoload is None:
            autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0")
        return cls(config=config, autoload=autoload, enable=enable, disable=disable, **kwargs)

    # -- context manager ----------------------------------------------------------------------

    def __enter__(self) -> Host:
        try:
            return self.boot()
        except BaseException:
            self.shutdown()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # -- boot ---------------------------------------------------------------------------------

    def boot(self) -> Host:
        """Run the boot pipeline; raise UsageError for bad input (conflicts, strict mode)."""
        if self._booted:
            return self
        self._booted = True
        self._register_core()
        pipeline = self.stage_manager.plan([BOOT_TARGET], name="boot")
        self.boot_result = self.stage_manager.execute_pipeline(pipeline, host=self)
        if self.boot_result.interrupted:
            # The loop turned Ctrl-C into cancelled boot stages; a half-booted host must not
            # look booted, so the interrupt goes on to the caller.
            raise KeyboardInterrupt("interrupted while booting")
        for result in self.boot_result.values():
            if result.status is StageStatus.FAILED:
                exc = result.exception
                if isinstance(exc, GiniHostError):
                    raise exc
                detail = result.error.one_line() if result.error else "unknown error"
                raise GiniHostError(f"boot stage {result.stage_id} failed: {detail}") from exc
        return self

    def _register_core(self) -> PluginInfo:
        """The core plugin must exist before discovery, since discovery is one of its stages."""
        from gini_host.loading import import_plugin

        builtin = self.builtins[0]
        obj = import_plugin(builtin.value)
        info = PluginInfo(
            name=builtin.name,
            distribution="gini-host",
            version=None,
            builtin=True,
            essential=builtin.essential,
            entry_point=builtin.value,
            obj=obj,
            summary="built-in",
        )
        self.plugin_manager.register(obj, name=builtin.name)
        for stage in self.call_plugin_hook(info, "gini_register_stages", host=self) or ():
            self.stage_manager.register_stage(stage, plugin=builtin.name)
        self._with_stages.add(builtin.name)
        return info

    def discover_plugins(self) -> dict[str, str]:
        """Boot step 1: discover, select, import, validate, check requirements, order."""
        settings = self.config.plugins
        mode = IndexMode.REFRESH if self.refresh_plugins else IndexMode.USE
        wanted = self.autoload or self.enable or settings.enable
        self.installed = scan(self.paths, mode=mode) if wanted else None
        plugins = collect(
            self.builtins,
            self._explicit,
            self.installed,
            settings,
            self.enable,
            self.disable,
            self.autoload,
        )
        core_name = self.builtins[0].name
        for info in plugins:
            if info.name == core_name and info.builtin:
                info.obj = self.plugin_manager.get_plugin(core_name)
                info.hooks = tuple(hook_problems(self.plugin_manager, info.obj)[0])
            elif info.status is PluginStatus.ACTIVE:
                load(info, self.plugin_manager)
        if settings.strict:
            self._check_strict(plugins)
        for info in plugins:
            if info.status is PluginStatus.ACTIVE:
                self._read_manifest(info)
        check_requirements(plugins, self.installed.versions if self.installed else {})
        self.plugins = order_plugins(plugins)
        resolve_conflicts(self.plugins, settings.on_conflict)
        self._drop_inactive()
        return {p.name: p.status.value for p in self.plugins}

    def _check_strict(self, plugins: Sequence[PluginInfo]) -> None:
        broken = [p for p in plugins if p.status is PluginStatus.FAILED]
        if broken:
            lines = "\n".join(f"  - {p.label()}: {p.reason}" for p in broken)
            count = len(broken)
            raise UsageError(
                f"strict mode (plugins.strict = true): {count} plugin(s) failed to load:\n{lines}"
            )

    def _read_manifest(self, info: PluginInfo) -> None:
        try:
            manifest = self.call_plugin_hook(info, "gini_manifest")
        except Exception as exc:
            self.fail_plugin(
                info, PluginStatus.FAILED, f"gini_manifest raised {type(exc).__name__}: {exc}"
            )
            return
        if manifest is None:
            return
        if not isinstance(manifest, PluginManifest):
            self.fail_plugin(
                info,
                PluginStatus.FAILED,
                f"gini_manifest returned {type(manifest).__name__}, expected PluginManifest",
            )
            return
        info.manifest = manifest

    def run_preflight(self) -> dict[str, list[str]]:
        """Boot step 2: every active plugin's preflight; problems fail it and its dependents."""
        verdicts: dict[str, list[str]] = {}
        for info in self.active_plugins():
            problems = self.preflight_plugin(info)
            verdicts[info.name] = problems
            if problems:
                self.fail_plugin(info, PluginStatus.FAILED, "preflight: " + "; ".join(problems))
        return verdicts

    def preflight_plugin(self, info: PluginInfo) -> list[str]:
        """One plugin's preflight problems (a raise is a problem too); empty when it passes."""
        try:
            problems = self.call_plugin_hook(info, "gini_preflight", host=self)
        except Exception as exc:
            return [f"raised {type(exc).__name__}: {exc}"]
        if problems is None:
            return []
        if isinstance(problems, str):
            return [problems]
        return [str(p) for p in problems]

    def init_plugins(self) -> list[str]:
        """Boot step 3: ``gini_configure`` then ``gini_plugin_init``, per plugin in order."""
        done: list[str] = []
        for info in self.active_plugins():
            self._initialized.append(info)  # shut down even if init fails halfway
            try:
                self.call_plugin_hook(
                    info, "gini_configure", host=self, config=self.config.plugin_config(info.name)
                )
                self.call_plugin_hook(info, "gini_plugin_init", host=self)
            except Exception as exc:
                self.fail_plugin(
                    info, PluginStatus.FAILED, f"init raised {type(exc).__name__}: {exc}"
                )
                continue
            done.append(info.name)
        return done

    def register_plugin_stages(self) -> list[str]:
        """Boot step 4: stages of every active plugin; a bad one fails its whole plugin."""
        registered: list[str] = []
        for info in self.active_plugins():
            if info.name in self._with_stages:
                registered.extend(s.id for s in self.stage_manager.registry.by_plugin(info.name))
                continue
            try:
                stages = self.call_plugin_hook(info, "gini_register_stages", host=self) or ()
                for stage in stages:
                    registered.append(self._register_stage(stage, info.name).id)
            except Exception as exc:
                self.fail_plugin(
                    info,
                    PluginStatus.FAILED,
                    f"gini_register_stages: {type(exc).__name__}: {exc}",
                )
                continue
            self._with_stages.add(info.name)
        return [sid for sid in registered if self.stage_manager.has_stage(sid)]

    def _register_stage(self, stage: Stage, plugin: str) -> Stage:
        if not isinstance(stage, Stage):
            raise TypeError(f"expected stages made with @stage, got {stage!r}")
        owned = stage.owned_by(plugin)
        settings = self.config.stage_settings(owned.id)
        if settings is not None:
            owned = owned.with_overrides(**settings.overrides())
        return self.stage_manager.registry.register(owned)

    def register_plugin_pipelines(self) -> list[str]:
        """Boot step 5: pipelines from plugins, then from the config file."""
        names: list[str] = []
        for info in self.active_plugins():
            try:
                specs = self.call_plugin_hook(info, "gini_register_pipelines", host=self) or ()
                for raw in specs:
                    spec = spec_from_any(raw)
                    spec = PipelineSpec(
                        spec.name, spec.stages, spec.description, spec.requires, info.name
                    )
                    names.append(self.stage_manager.register_pipeline(spec).name)
            except Exception as exc:
                self.fail_plugin(
                    info,
                    PluginStatus.FAILED,
                    f"gini_register_pipelines: {type(exc).__name__}: {exc}",
                )
        for spec in self.config.pipelines.values():
            names.append(self.stage_manager.register_pipeline(spec).name)
        return names

    def post_init_plugins(self) -> list[str]:
        """Boot step 6: ``gini_post_init`` per active plugin."""
        done: list[str] = []
        for info in self.active_plugins():
            try:
                self.call_plugin_hook(info, "gini_post_init", host=self)
            except Exception as exc:
                self.fail_plugin(
                    info, PluginStatus.FAILED, f"post_init raised {type(exc).__name__}: {exc}"
                )
                continue
            done.append(info.name)
        return done

    # -- plugins ------------------------------------------------------------------------------

    def active_plugins(self) -> list[PluginInfo]:
        """Active plugins in load order (a snapshot: hooks may fail plugins meanwhile)."""
        return [p for p in self.plugins if p.active]

    def plugin(self, name: str) -> PluginInfo:
        for p in self.plugins:
            if p.name == name:
                return p
        raise KeyError(name)

    def call_plugin_hook(self, info: PluginInfo, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (None when it has none)."""
        obj = info.obj
        if obj is None:
            return None
        impl = self._hook_impls.get((id(obj), hook))
        if impl is None or impl[0] is not obj:
            impl = self._hook_impls[(id(obj), hook)] = self._resolve_impl(info, obj, hook)
        _, function, names = impl
        if function is None:
            return None
        args = {name: kwargs[name] for name in names if name in kwargs}
        try:
            result = function(**args)
        except Exception as exc:
            for monitor in self.hook_monitors:
                monitor(hook, info.name, MappingProxyType(kwargs), exc)
            raise
        for monitor in self.hook_monitors:
            monitor(hook, info.name, MappingProxyType(kwargs), result)
        return result

    def _resolve_impl(self, info: PluginInfo, obj: object, hook: str) -> _HookImpl:
        """What calling ``hook`` on ``obj`` takes, looked up once per plugin and hook: pluggy's
        marker check costs about 10 us (``inspect.getattr_static``), and a call through the
        host may add at most 1 us to a direct call (issue 6). ``info.hooks``, once loading
        filled it, lists exactly the marked hooks (:func:`gini_host.loading.hook_problems`
        asked pluggy), so a boot, which asks seven hooks of every plugin, asks pluggy none."""
        if info.hooks:
            if hook not in info.hooks:
                return (obj, None, ())
        elif self.plugin_manager.parse_hookimpl_opts(obj, hook) is None:
            return (obj, None, ())
        function = getattr(obj, hook)
        return (obj, function, argnames(function))

    def fail_plugin(self, info: PluginInfo, status: PluginStatus, reason: str) -> None:
        """Take a plugin out (its hooks and stages), then its dependents, naming the cause."""
        info.set_status(status, reason)
        logger.warning("plugin {} is {}: {}", info.label(), info.status.value, info.reason)
        for dependent in cascade(self.plugins):
            logger.warning(
                "plugin {} is {}: {}", dependent.name, dependent.status.value, dependent.reason
            )
        self._drop_inactive()

    def _drop_inactive(self) -> None:
        pm = self.plugin_manager
        for p in self.plugins:
            if p.active:
                continue
            if p.obj is not None and pm.is_registered(p.obj):
                pm.unregister(p.obj)
            if p.name in self._with_stages or self.stage_manager.registry.by_plugin(p.name):
                self.stage_manager.unregister_plugin(p.name)
                self._with_stages.discard(p.name)

    # -- stages, pipelines, runs --------------------------------------------------------------

    def recipe(self) -> HostRecipe:
        """What a worker process needs to boot the same plugin set (``processes`` and
        ``dask`` executors); ExecutorError names plugin objects that cannot cross."""
        from gini_host.recipe import HostRecipe

        return HostRecipe.of(self, self._explicit)

    @property
    def stages(self) -> list[Stage]:
        return self.stage_manager.registry.stages()

    @property
    def pipelines(self) -> list[PipelineSpec]:
        return self.stage_manager.pipeline_specs()

    def plan(self, targets: Sequence[str]) -> Pipeline:
        """One validated plan for pipeline names and stage ids; raise PipelineError."""
        self.boot()
        for target in targets:
            if (
                self.stage_manager.has_stage(target)
                and "boot" in self.stage_manager.get_stage(target).tags
            ):
                raise UsageError(f"{target} is a boot stage; it runs once, when the host starts")
        return self.stage_manager.plan(list(targets))

    def run(
        self,
        targets: Sequence[str] | Pipeline,
        *,
        dry_run: bool = False,
        executor: str | StrategyFactory | None = None,
        max_workers: int | None = None,
        keep_going: bool | None = None,
        control: RunControl | None = None,
        stage_config: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> PipelineResult:
        """Plan and run; ``[run]`` config supplies defaults for what is not given.

        ``executor`` is an executor name or a strategy factory (for instance the ``dask``
        executor bound to a scheduler address, or ``processes`` bound to a warm pool).
        """
        pipeline = targets if isinstance(targets, Pipeline) else self.plan(targets)
        run = self.config.run
        jobs = max_workers or run.jobs
        chosen = executor or run.executor or ("threads" if jobs and jobs > 1 else "sequential")
        configs = {sid: s.config for sid, s in self.config.stages.items() if s.config}
        for sid, extra in (stage_config or {}).items():
            configs[sid] = {**configs.get(sid, {}), **extra}
        return self.stage_manager.execute_pipeline(
            pipeline,
            executor=chosen,
            max_workers=jobs,
            keep_going=run.keep_going if keep_going is None else keep_going,
            dry_run=dry_run,
            limits=run.limits,
            stage_config=configs,
            control=control,
            host=self,
        )

    # -- shutdown -----------------------------------------------------------------------------

    def shutdown(self) -> BaseExceptionGroup[BaseException] | None:
        """Call ``gini_shutdown`` of every initialized plugin in reverse order, past errors.

        Returns the errors as one group (also logged together), or None when all went well.
        """
        if self._shut_down:
            return None
        self._shut_down = True
        errors: list[Exception] = []
        for info in reversed(self._initialized):
            try:
                self.call_plugin_hook(info, "gini_shutdown", host=self)
            except Exception as exc:
                errors.append(PluginHookError(info.name, "gini_shutdown", exc))
        if not errors:
            return None
        group = ExceptionGroup(f"{len(errors)} plugin(s) failed to shut down", errors)
        logger.error("{}: {}", group.message, "; ".join(str(e) for e in errors))
        return group


from gini_host.builtin.core import BOOT_TARGET  # noqa: E402  (core imports the markers only)
