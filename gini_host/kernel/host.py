"""The kernel: :class:`Host` turns installed plugin distributions into active, ordered plugins
and their stages, runs pipelines, and always shuts down.

Booting is itself a pipeline (see :mod:`gini_host.builtin.core`); each of its stages calls one
public boot step below. Per-plugin hooks go through :class:`~gini_host.kernel.plugin_set.PluginSet`,
plugin by plugin in load order, so every result and every error is attributed to its plugin.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final

import pluggy

from gini_host.builtin import DEFAULT_BUILTINS
from gini_host.errors import (
    GiniHostError,
    PipelineError,
    PipelineProblem,
    PluginHookError,
    SchemaError,
    UnknownStageError,
    UsageError,
)
from gini_host.kernel import hookspecs
from gini_host.kernel.config import (
    CURRENT_PLUGIN,
    ConfigError,
    HostConfig,
    coerce_config,
    find_config_file,
    load_config,
    merge_tables,
)
from gini_host.kernel.discovery import IndexMode, Installed, scan
from gini_host.kernel.limits import env_flag
from gini_host.kernel.loading import (
    Builtin,
    check_names,
    collect,
    hook_problems,
    import_plugin,
    load_all,
)
from gini_host.kernel.plugin_set import HookMonitor, PluginSet
from gini_host.kernel.plugins import PluginInfo, PluginManifest, PluginStatus
from gini_host.kernel.resolution import check_requirements, order_plugins, resolve_conflicts
from gini_host.logs import logger
from gini_host.markers import PROJECT_NAME
from gini_host.naming import SEPARATOR, did_you_mean, quote_key, suggest
from gini_host.shown import exception_line
from gini_host.stages.control import RunControl
from gini_host.stages.manager import StageManager
from gini_host.stages.observers import ObserverError
from gini_host.stages.pipeline import Pipeline, PipelineSpec, spec_from_any
from gini_host.stages.results import PipelineResult, StageResult, StageStatus
from gini_host.stages.stage import Stage

if TYPE_CHECKING:
    from gini_host.kernel.recipe import HostRecipe
    from gini_host.stages.executors.base import StrategyFactory

__all__ = ["AUTOLOAD_ENV", "HOST_CREATED", "Host", "HookMonitor", "PluginHookError"]

AUTOLOAD_ENV: Final = "GINI_HOST_DISABLE_PLUGIN_AUTOLOAD"

#: Test support: callables run with every new :class:`Host`, at the end of ``__init__``.
#: A context variable rather than a list, so a watcher is scoped to the code that set it
#: (``gini_host.testing``'s ``hook_recorder`` sets it for one test, then resets it) and
#: never leaks to other threads. Not for plugins: they get the host in every hook.
HOST_CREATED: ContextVar[tuple[Callable[[Host], None], ...]] = ContextVar(
    "gini_host_host_created", default=()
)


class Host:
    """A booted set of plugins and their stages; use as a context manager to always shut down.

    ``Host(plugins=[...])`` takes plugin objects (modules, classes, instances) directly, for
    tests and embedding; :meth:`from_environment` reads the config file and the environment
    like the CLI does. Entry-point plugins are discovered unless ``autoload`` is False, in
    which case only built-ins, ``plugins`` and ``enable`` load (the others are listed,
    disabled, with how to enable them).
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
        if not builtins or builtins[0].name != "core":
            raise ValueError("the first built-in must be 'core': it carries the boot pipeline")
        self.config = coerce_config(config)
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
        #: Every discovered plugin in load order, whatever its status.
        self.plugins = PluginSet(self.plugin_manager, self.stage_manager)
        self.plugins.runner.timeout = self.config.plugins.hook_timeout or None
        self.boot_result: PipelineResult | None = None
        self.installed: Installed | None = None
        #: The CLI's console log handler, published only while a logging plugin may replace
        #: it (None when the operator chose console options, or outside the CLI).
        self.log_handler_id: int | None = None
        self._explicit = tuple(plugins)
        #: Plugins that get ``gini_shutdown``: every plugin whose configure hook was called.
        self._initialized: list[PluginInfo] = []
        #: Each configured plugin's config: an instance of its schema, or its table.
        self._plugin_configs: dict[str, Any] = {}
        self._booted = False
        self._shut_down = False
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
            autoload = not env_flag(AUTOLOAD_ENV)
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

    # -- plugins ------------------------------------------------------------------------------

    @property
    def hook_monitors(self) -> list[HookMonitor]:
        """Callbacks told of every per-plugin hook call (the test harness records with it)."""
        return self.plugins.monitors

    def plugin(self, name: str) -> PluginInfo:
        """The plugin called ``name``; KeyError if none was discovered."""
        return self.plugins.get(name)

    def active_plugins(self) -> list[PluginInfo]:
        """Active plugins in load order (a snapshot: hooks may fail plugins meanwhile)."""
        return self.plugins.active()

    def call_plugin_hook(self, info: PluginInfo, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's ``hook``; what it raises comes out as PluginHookError."""
        return self.plugins.call(info, hook, **kwargs)

    def fail_plugin(self, info: PluginInfo, status: PluginStatus, reason: str) -> None:
        """Take a plugin and its dependents out, naming the cause."""
        self.plugins.fail(info, status, reason)

    # -- boot ---------------------------------------------------------------------------------

    def boot(self) -> Host:
        """Run the boot pipeline; raise UsageError for bad input (conflicts, strict mode)."""
        if self._booted:
            return self
        self._booted = True
        self._register_core()
        pipeline = self.stage_manager.plan([BOOT_TARGET], name="boot")
        try:
            self.boot_result = self.stage_manager.execute_pipeline(pipeline, host=self)
        except ObserverError as observed:
            # A plugin's observer raised while the boot stages ran: it was named (logged),
            # and the boot itself is not its to fail.
            self.boot_result = observed.result
        if self.boot_result.interrupted:
            # The loop turned Ctrl-C into cancelled boot stages; a half-booted host must not
            # look booted, so the interrupt goes on to the caller.
            raise KeyboardInterrupt("interrupted while booting")
        for result in self.boot_result.values():
            if result.status is StageStatus.FAILED:
                exc = result.exception
                if isinstance(exc, GiniHostError):
                    raise exc
                detail = result.detail or "unknown error"
                raise GiniHostError(f"boot stage {result.stage_id} failed: {detail}") from exc
        return self

    def _register_core(self) -> None:
        """The core plugin's stages must exist before discovery, which is one of them."""
        core = self.builtins[0]
        info = PluginInfo(name=core.name, obj=import_plugin(core.value), builtin=True)
        self.plugin_manager.register(info.obj, name=core.name)
        for stage in self.plugins.call(info, "gini_register_stages", host=self) or ():
            self.stage_manager.register_stage(stage, plugin=core.name)

    def discover_plugins(self) -> dict[str, str]:
        """Boot step 1: discover, select, import, validate, check requirements, order."""
        settings = self.config.plugins
        mode = IndexMode.REFRESH if self.refresh_plugins else IndexMode.USE
        # Scanned even with autoload off: the listing shows every installed plugin.
        self.installed = scan(self.paths, mode=mode)
        plugins = collect(
            self.builtins,
            self._explicit,
            self.installed,
            settings,
            self.enable,
            self.disable,
            self.autoload,
            self.config.source,
        )
        check_names(plugins, settings, self.disable, self.config.source)
        core = self.builtins[0].name
        wanted = []
        for info in plugins:
            if info.builtin and info.name == core:
                info.obj = self.plugin_manager.get_plugin(core)
                info.hooks = tuple(hook_problems(self.plugin_manager, info.obj)[0])
            elif info.status is PluginStatus.ACTIVE:
                wanted.append(info)
        load_all(wanted, self.plugin_manager, self.plugins.runner)
        self.plugins.replace(plugins)
        self.plugins.each_active("gini_manifest", self._read_manifest)
        if settings.strict:
            self._check_strict()
        check_requirements(plugins, self.installed.versions)
        self.plugins.replace(order_plugins(plugins))
        resolve_conflicts(list(self.plugins), settings.on_conflict)
        self.plugins.drop_inactive()
        return {p.name: p.status.value for p in self.plugins}

    def _read_manifest(self, info: PluginInfo, manifest: Any) -> None:
        if manifest is None:
            return
        if not isinstance(manifest, PluginManifest):
            raise TypeError(f"returned {type(manifest).__name__}, expected a PluginManifest")
        try:
            manifest.check()
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"invalid PluginManifest: {exception_line(exc)}") from None
        info.manifest = manifest

    def _check_strict(self) -> None:
        broken = [p for p in self.plugins if p.status is PluginStatus.FAILED]
        if broken:
            lines = "\n".join(f"  - {p.label()}: {p.reason}" for p in broken)
            count = len(broken)
            raise UsageError(
                f"strict mode (plugins.strict = true): {count} plugin(s) failed to load:\n{lines}"
            )

    def configure_plugins(self) -> list[str]:
        """Boot step 2: check every ``[plugin.NAME]`` table, then ``gini_configure`` per
        active plugin in order, before preflight so a preflight can check what the config
        names. A table that does not fit its plugin's schema is bad input (ConfigError,
        exit 2), as is, in strict mode, a table no plugin answers to."""
        self._check_plugin_tables()
        for info in self.active_plugins():
            try:
                self._plugin_configs[info.name] = self._typed_plugin_config(info)
            except SchemaError as exc:  # the plugin's own schema broke, not the operator's table
                self.plugins.fail(info, PluginStatus.FAILED, str(exc))
            except PluginHookError as exc:  # it hung past hook_timeout, or raised past the guard
                self.plugins.fail(info, PluginStatus.FAILED, exc.detail)
        return list(
            self.plugins.each_active(
                "gini_configure",
                steps=lambda info: [
                    ("gini_configure", {"host": self, "config": self._plugin_configs[info.name]})
                ],
                start=self._configuring,
            )
        )

    def _configuring(self, info: PluginInfo) -> None:
        if self.plugins.hook_impls(info, "gini_configure"):
            # Shut down from here on: its configure hook may hold something (a log sink)
            # even if its preflight then fails.
            self._initialized.append(info)

    def _typed_plugin_config(self, info: PluginInfo) -> Any:
        table = self.config.plugin_config(info.name)
        schema = info.manifest.config
        if schema is None:
            return table
        from gini_host.stages.schema import structure

        source = self.config.source or "<config>"
        path = f"plugin.{quote_key(info.name)}"
        try:
            # The schema is plugin code (its validators may hang or print): run it as such.
            return self.plugins.run(
                info, "config schema", lambda: structure(schema, table, source=source, path=path)
            )
        except PluginHookError as exc:
            if isinstance(exc.__cause__, ConfigError | SchemaError):
                raise exc.__cause__ from None  # the operator's table (exit 2), or the schema
            raise

    def _check_plugin_tables(self) -> None:
        """A ``[plugin.X]`` table naming no discovered plugin is a typo until shown otherwise."""
        known = [p.name for p in self.plugins]
        for name in self.config.plugin:
            if name in known:
                continue
            more = did_you_mean(suggest(name, known))
            where = self.config.source or "<config>"
            if self.config.plugins.strict:
                raise ConfigError(
                    where, f"no plugin is called {name!r}{more} (strict mode)",
                    f"plugin.{quote_key(name)}",
                )
            logger.warning("{}: plugin.{} names no installed plugin{}", where, name, more)

    def was_configured(self, name: str) -> bool:
        """Whether plugin ``name`` was loaded and active when the boot configured plugins:
        its own boot hooks ran, so a later failure (preflight, init) is its own verdict."""
        return name in self._plugin_configs

    def plugin_config(self, name: str) -> Any:
        """Plugin ``name``'s configuration: an instance of its schema (``PluginManifest(
        config=...)``) once the host is configured, else its ``[plugin.NAME]`` table.

        What ``gini_configure`` receives; a stage reads its plugin's config with
        ``ctx.host.plugin_config("NAME")``."""
        who = CURRENT_PLUGIN.get()
        if who is not None and who != name:
            # Plugin code sees its own settings only, as with host.config (tokens, paths).
            return MappingProxyType({})
        if name in self._plugin_configs:
            return self._plugin_configs[name]
        return self.config.plugin_config(name)

    def run_preflight(self) -> dict[str, list[str]]:
        """Boot step 3: every active plugin's preflight; problems fail it and its dependents."""
        return self.plugins.each_active(
            "gini_preflight", self._preflight_one, handle_errors=True, host=self
        )

    def _preflight_one(self, info: PluginInfo, outcome: Any) -> list[str]:
        problems = _problems(outcome)
        if problems:
            self.plugins.fail(info, PluginStatus.FAILED, "preflight: " + "; ".join(problems))
        return problems

    def preflight_plugin(self, info: PluginInfo) -> list[str]:
        """One plugin's preflight problems (a raise is a problem too); empty when it passes."""
        try:
            return _problems(self.plugins.call(info, "gini_preflight", host=self))
        except PluginHookError as exc:
            return _problems(exc)

    def init_plugins(self) -> list[str]:
        """Boot step 4: ``gini_plugin_init``, per plugin in order."""
        return list(
            self.plugins.each_active(
                "gini_plugin_init",
                start=self._initializing,  # shut down even if init fails halfway
                host=self,
            )
        )

    def _initializing(self, info: PluginInfo) -> None:
        if info not in self._initialized:  # not already, for its configure hook
            self._initialized.append(info)

    def register_plugin_stages(self) -> list[str]:
        """Boot step 5: stages of every active plugin; a bad one fails its whole plugin."""
        core = self.builtins[0].name
        self.plugins.each_active(
            "gini_register_stages",
            self._stages_of,
            # core's stages were registered before boot: they are the boot
            steps=lambda info: (
                [] if info.name == core else [("gini_register_stages", {"host": self})]
            ),
        )
        self._warn_unknown_stage_tables()
        return self.stage_manager.stage_ids()

    def _stages_of(self, info: PluginInfo, stages: Any) -> None:
        try:
            for stage in stages or ():
                if not isinstance(stage, Stage):
                    raise TypeError(f"expected stages made with @stage, got {stage!r}")
                owned = stage.owned_by(info.name)
                settings = self.config.stage_settings(owned.id)
                if settings is not None:
                    owned = owned.with_overrides(**settings.overrides())
                self.stage_manager.registry.register(owned)
        except BaseException:
            # None of a failing plugin's stages stay, even those registered before the error.
            self.stage_manager.unregister_plugin(info.name)
            raise

    def _warn_unknown_stage_tables(self) -> None:
        """A ``[stages."ID"]`` table no stage answers to: a typo (with a suggestion), or a
        stage whose plugin is not active (saying why, as an unknown target does)."""
        from gini_host.kernel.absence import plugin_part, why_inactive

        versions = self.installed.versions if self.installed is not None else None
        for sid in self.config.stages:
            if not self.stage_manager.has_stage(sid):
                plugin = plugin_part(sid)
                known = any(p.name == plugin for p in self.plugins)
                cause = why_inactive(plugin, self.plugins, versions) if known else None
                if cause is None:  # an active plugin, or none of that name: likely a typo
                    more = did_you_mean(suggest(sid, self.stage_manager.stage_ids()))
                else:
                    more = f": {cause}"
                logger.warning(
                    "{}: stages.{} names no registered stage{}",
                    self.config.source,
                    quote_key(sid),
                    more,
                )

    def register_plugin_pipelines(self) -> list[str]:
        """Boot step 6: pipelines from plugins, then from the config file."""
        self.plugins.each_active("gini_register_pipelines", self._pipelines_of, host=self)
        for spec in self.config.pipelines.values():
            self.stage_manager.register_pipeline(spec)
        return [spec.name for spec in self.stage_manager.pipeline_specs()]

    def _pipelines_of(self, info: PluginInfo, specs: Any) -> None:
        for raw in specs or ():
            spec = spec_from_any(raw)
            self.stage_manager.register_pipeline(
                PipelineSpec(spec.name, spec.stages, spec.description, spec.requires, info.name)
            )

    def post_init_plugins(self) -> list[str]:
        """Boot step 7: ``gini_post_init`` per active plugin."""
        return list(self.plugins.each_active("gini_post_init", host=self))

    # -- stages, pipelines, runs --------------------------------------------------------------

    def recipe(self) -> HostRecipe:
        """What a worker process needs to boot the same plugin set (``processes`` and
        ``dask`` executors); ExecutorError names plugin objects that cannot cross."""
        from gini_host.kernel.recipe import HostRecipe

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
        try:
            pipeline = self.stage_manager.plan(list(targets))
        except PipelineError as exc:
            raise self._explained(exc) from None
        self.stage_configs(pipeline)  # a config that does not fit is found before any run
        return pipeline

    def _explained(self, error: PipelineError) -> PipelineError:
        """``error`` with each unknown name saying why its plugin offers nothing."""
        from gini_host.kernel.absence import plugin_part, why_inactive

        versions = self.installed.versions if self.installed is not None else None
        problems: list[PipelineProblem] = []
        for problem in error.problems:
            if isinstance(problem, UnknownStageError) and problem.cause is None:
                sid = problem.stage_id
                bare = SEPARATOR not in sid
                cause = why_inactive(
                    plugin_part(sid), self.plugins, versions, quiet_when_absent=bare
                )
                own = plugin_part(sid) + SEPARATOR
                if cause is None and not bare and not any(
                    s.startswith(own) for s in problem.suggestions
                ):  # no close stage of its plugin to suggest: list the stages it has
                    cause = self._stages_of_active(sid)
                if cause is not None:
                    problem = problem.because(cause)
            problems.append(problem)
        return PipelineError(error.name, problems)

    def _stages_of_active(self, sid: str) -> str | None:
        """For ``plugin::name`` of an active plugin with no such stage and no close id: the
        stages it has, so the operator need not go and list them."""
        plugin, _, name = sid.partition(SEPARATOR)
        if not any(p.name == plugin and p.active for p in self.plugins):
            return None
        owned = [i for i in self.stage_manager.stage_ids() if i.startswith(plugin + SEPARATOR)]
        if not owned:
            return f"plugin {plugin!r} has no stage {name!r}; it registers none"
        more = f", ... ({len(owned) - 10} more)" if len(owned) > 10 else ""
        shown = ", ".join(owned[:10]) + more
        return f"plugin {plugin!r} has no stage {name!r}; its stages: {shown}"

    def stage_configs(
        self, pipeline: Pipeline, overrides: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Each stage's config for a run of ``pipeline``: ``[stages."id".config]`` with
        ``overrides`` laid over it, as an instance of the stage's schema when it declares
        one (checked and defaulted: ConfigError, exit 2, names the key), else the table."""
        from gini_host.stages.schema import structure_configs

        overrides = overrides or {}
        tables: dict[str, Any] = {}
        for sid in pipeline.stages:
            settings = self.config.stage_settings(sid)
            table = dict(settings.config) if settings is not None else {}
            if sid in overrides:
                table = merge_tables(table, overrides[sid])
            if table:
                tables[sid] = table
        source = self.config.source or "<config>"
        with_set = f"{source} with --set" if self.config.source else "--set"
        sources = dict.fromkeys(overrides, with_set)
        return structure_configs(pipeline.stages.values(), tables, source=source, sources=sources)

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
        reuse: Mapping[str, StageResult] | None = None,
        labels: Mapping[str, str] | None = None,
        asked_for: Sequence[str] | None = None,
    ) -> PipelineResult:
        """Plan and run; ``[run]`` config supplies defaults for what is not given.

        ``executor`` is an executor name or a strategy factory (for instance the ``dask``
        executor bound to a scheduler address). ``stage_config`` is laid over each stage's
        ``[stages."id".config]`` table, nested tables merged key by key (as ``--set`` does).
        ``reuse`` takes earlier results instead of running those stages (resume); ``labels``
        are facts about the run for observers (the history records ``resumed_from``);
        ``asked_for`` names the targets a plan given as ``targets`` was made from.
        """
        pipeline = targets if isinstance(targets, Pipeline) else self.plan(targets)
        if asked_for is not None:
            asked = tuple(asked_for)
        else:
            asked = (pipeline.name,) if isinstance(targets, Pipeline) else tuple(targets)
        run = self.config.run
        jobs = max_workers or run.jobs
        chosen = executor or run.executor or ("threads" if jobs and jobs > 1 else "sequential")
        configs = self.stage_configs(pipeline, stage_config)
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
            reuse=reuse,
            targets=asked,
            labels=labels,
        )

    # -- shutdown -----------------------------------------------------------------------------

    def shutdown(self) -> BaseExceptionGroup[BaseException] | None:
        """Call ``gini_shutdown`` of every initialized plugin in reverse order, past errors.

        Returns the errors as one group (also logged together), or None when all went well.
        """
        if self._shut_down:
            return None
        self._shut_down = True
        errors: list[PluginHookError] = []
        for info in reversed(self._initialized):
            try:
                self.plugins.call(info, "gini_shutdown", host=self)
            except PluginHookError as exc:
                errors.append(exc)
        if not errors:
            return None
        group = ExceptionGroup(f"{len(errors)} plugin(s) failed to shut down", errors)
        logger.error("{}: {}", group.message, "; ".join(str(e) for e in errors))
        return group


def _problems(outcome: Any) -> list[str]:
    """A preflight's verdict as problem lines: None passes; a raise is a problem too."""
    if outcome is None:
        return []
    if isinstance(outcome, PluginHookError):
        return [outcome.detail]
    if isinstance(outcome, str):
        return [outcome]
    return [str(p) for p in outcome]


from gini_host.builtin.core import BOOT_TARGET  # noqa: E402  (core imports the markers only)
