"""The stage manager: the registry, the pipeline specs, planning and running.

It works standalone (``StageManager()`` makes its own pluggy PluginManager with the
hookspecs) or inside a host, which passes its own PluginManager so plugins observe runs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pluggy

from gini_host.errors import PipelineError, PipelineProblem, UnknownStageError, UsageError
from gini_host.markers import PROJECT_NAME
from gini_host.naming import did_you_mean, suggest
from gini_host.stages import hookspecs
from gini_host.stages.attempt import run_stage
from gini_host.stages.context import RunState, StageContext
from gini_host.stages.control import RunControl
from gini_host.stages.executors import strategy_for
from gini_host.stages.executors.base import StrategyFactory
from gini_host.stages.observers import RunObserver, hook_observer
from gini_host.stages.pipeline import Pipeline, PipelineSpec, build_pipeline
from gini_host.stages.registry import StageRegistry
from gini_host.stages.results import PipelineResult, StageResult, StageStatus
from gini_host.stages.scheduler import RunOptions, execute, new_run_id
from gini_host.stages.schema import structure_configs
from gini_host.stages.stage import Stage

__all__ = ["StageManager"]


class StageManager:
    """Registers stages and pipeline specs, plans pipelines and runs them."""

    def __init__(
        self,
        plugin_manager: pluggy.PluginManager | None = None,
        registry: StageRegistry | None = None,
    ) -> None:
        if plugin_manager is None:
            plugin_manager = pluggy.PluginManager(PROJECT_NAME)
            plugin_manager.add_hookspecs(hookspecs)
        self.plugin_manager = plugin_manager
        self.registry = registry if registry is not None else StageRegistry()
        self._specs: dict[str, PipelineSpec] = {}
        self._lock = threading.Lock()
        #: (hook, plugin) pairs whose observer errors were already logged: named once.
        self.observer_errors_named: set[tuple[str, str | None]] = set()

    # -- stages -------------------------------------------------------------------------------

    def register_stage(self, stage: Stage, plugin: str | None = None) -> Stage:
        """Register ``stage``, owned by ``plugin`` (its id becomes ``plugin::name``)."""
        if not isinstance(stage, Stage):
            raise TypeError(f"expected a Stage (made with @stage), got {stage!r}")
        if plugin is not None:
            stage = stage.owned_by(plugin)
        return self.registry.register(stage)

    def unregister_plugin(self, plugin: str) -> list[str]:
        """Remove every stage and pipeline spec ``plugin`` contributed."""
        with self._lock:
            for name in [n for n, s in self._specs.items() if s.source == plugin]:
                del self._specs[name]
        return self.registry.unregister_plugin(plugin)

    def has_stage(self, stage_id: str) -> bool:
        return self.registry.has(stage_id)

    def get_stage(self, stage_id: str) -> Stage:
        return self.registry.get(stage_id)

    def stage_ids(self) -> list[str]:
        return self.registry.ids()

    # -- pipeline specs -----------------------------------------------------------------------

    def register_pipeline(self, spec: PipelineSpec) -> PipelineSpec:
        """Add a named pipeline spec; a name already taken raises, naming both sources."""
        with self._lock:
            existing = self._specs.get(spec.name)
            if existing is not None:
                raise UsageError(
                    f"pipeline {spec.name!r} is declared twice: by {existing.source or '?'} "
                    f"and by {spec.source or '?'}"
                )
            self._specs[spec.name] = spec
        return spec

    def pipeline_specs(self) -> list[PipelineSpec]:
        with self._lock:
            return list(self._specs.values())

    def get_pipeline_spec(self, name: str) -> PipelineSpec:
        try:
            return self._specs[name]
        except KeyError:
            more = did_you_mean(suggest(name, self._specs))
            raise UsageError(f"unknown pipeline {name!r}{more}") from None

    def build(self, name: str) -> Pipeline:
        """Plan the named pipeline spec."""
        spec = self.get_pipeline_spec(name)
        return self.create_pipeline(spec.name, spec.stages, spec.description, spec.requires)

    # -- planning -----------------------------------------------------------------------------

    def create_pipeline(
        self,
        name: str,
        stage_ids: Sequence[str],
        description: str = "",
        requires: Mapping[str, Sequence[str]] | None = None,
    ) -> Pipeline:
        """Validate and plan ``stage_ids`` and all they require; raise PipelineError."""
        return build_pipeline(
            name,
            list(stage_ids),
            self.registry.find,
            known_ids=self.registry.ids,
            description=description,
            extra_requires=requires,
        )

    def create_dry_run_pipeline(
        self, name: str, stage_ids: Sequence[str], description: str = ""
    ) -> Pipeline:
        """The same plan as :meth:`create_pipeline`; run it with ``dry_run=True``.

        Kept for parity with Gini's API: a plan does not depend on how it will be run.
        """
        return self.create_pipeline(name, stage_ids, description)

    def validate_pipeline(
        self,
        stage_ids: Sequence[str] | PipelineSpec | Pipeline,
        requires: Mapping[str, Sequence[str]] | None = None,
    ) -> list[PipelineProblem]:
        """Every problem of a would-be pipeline (empty when it is valid).

        A :class:`Pipeline` is re-checked against the registry as it is now (Gini's rule: a
        plugin may have gone, or re-registered a stage, since the plan was made).
        """
        ids: Sequence[str]
        if isinstance(stage_ids, Pipeline):
            return self._recheck(stage_ids)
        if isinstance(stage_ids, PipelineSpec):
            name, ids, requires = stage_ids.name, stage_ids.stages, stage_ids.requires
        else:
            name, ids = "<pipeline>", stage_ids
        try:
            self.create_pipeline(name, ids, requires=requires)
        except PipelineError as exc:
            return list(exc.problems)
        return []

    def _recheck(self, pipeline: Pipeline) -> list[PipelineProblem]:
        problems: list[PipelineProblem] = []
        for sid, planned in pipeline.stages.items():
            current = self.registry.find(sid)
            if current is None:
                known = self.registry.ids()
                problems.append(UnknownStageError(sid, suggestions=suggest(sid, known)))
            elif current is not planned:
                again = f"stage {sid!r} was registered again since {pipeline.name!r} was planned"
                problems.append(PipelineProblem(f"{again}; plan it again"))
        return problems

    def plan(self, targets: Sequence[str], name: str | None = None) -> Pipeline:
        """One plan for several targets, each a pipeline name or a stage id."""
        stage_ids: list[str] = []
        edges: dict[str, list[str]] = {}
        descriptions: list[str] = []
        problems: list[PipelineProblem] = []
        for target in targets:
            spec = self._specs.get(target)
            if spec is not None:
                stage_ids.extend(spec.stages)
                for sid, deps in spec.requires.items():
                    edges.setdefault(sid, []).extend(deps)
                descriptions.append(spec.description)
            elif self.registry.has(target):
                stage_ids.append(target)
            else:
                known = [*self._specs, *self.registry.ids()]
                # A target may name a pipeline or a stage: say both, the operator meant one.
                problems.append(
                    UnknownStageError(
                        target, suggestions=suggest(target, known), what="pipeline or stage"
                    )
                )
        plan_name = name or " ".join(targets)
        if problems:
            raise PipelineError(plan_name, problems)
        description = descriptions[0] if len(targets) == 1 and descriptions else ""
        return self.create_pipeline(plan_name, stage_ids, description, edges)

    # -- running ------------------------------------------------------------------------------

    def execute_pipeline(
        self,
        pipeline: Pipeline,
        *,
        context: RunState | None = None,
        executor: str | StrategyFactory = "sequential",
        max_workers: int | None = None,
        keep_going: bool = False,
        dry_run: bool = False,
        limits: Mapping[str, int] | None = None,
        stage_config: Mapping[str, Any] | None = None,
        control: RunControl | None = None,
        host: Any = None,
        reuse: Mapping[str, StageResult] | None = None,
        targets: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> PipelineResult:
        """Run ``pipeline`` and return every stage's result (never raises for stage failures).

        ``context`` is the shared run state to use (a fresh one when None); a ``host`` given
        with it becomes its host, unless it has another (ValueError). ``control`` lets
        another thread or a signal handler cancel the run. ``executor`` is a name of
        :data:`~gini_host.stages.scheduler.EXECUTORS` or a factory taking ``max_workers``.
        An observer hook that raised is raised after the run, as one
        :class:`~gini_host.stages.observers.ObserverError` carrying the result.
        ``reuse``: results of an earlier run taken instead of running those stages (see
        :class:`~gini_host.stages.scheduler.RunOptions`); ``targets`` and ``labels`` describe
        the run to observers.
        """
        if context is not None and host is not None and context.host is not host:
            if context.host is not None:
                raise ValueError(
                    f"context= belongs to host {context.host!r}, not to host= {host!r}"
                )
            context.host = host
        try:
            strategy = strategy_for(executor, max_workers)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
        # Declared schemas are checked before the run, however it was started.
        configs = structure_configs(pipeline.stages.values(), stage_config or {})
        options = RunOptions(
            keep_going=keep_going,
            dry_run=dry_run,
            limits=dict(limits or {}),
            stage_config=configs,
            reuse=dict(reuse or {}),
            targets=tuple(targets),
            jobs=max_workers,
            labels=dict(labels or {}),
        )
        return execute(
            pipeline,
            strategy,
            options=options,
            observer=self.observer(),
            observer_errors_named=self.observer_errors_named,
            control=control,
            host=host if context is None else context.host,
            run_id=context.run_id if context is not None else None,
            run=context,
        )

    def execute_stage(
        self,
        stage_id: str,
        *,
        context: RunState | None = None,
        config: Any = None,
    ) -> StageResult:
        """Run one stage alone (its requirements are not run; use a pipeline for that).

        ``config`` is the stage's table, or an instance of its schema; a table is checked
        against a declared schema first (ConfigError names the key).
        """
        stage = self.registry.get(stage_id)
        run = context or RunState(new_run_id())
        if stage.config is not None:
            config = structure_configs([stage], {stage_id: config})[stage_id]
        result = run_stage(stage, StageContext(stage, run, config))
        if result.status is StageStatus.SUCCEEDED:
            run.values[stage_id] = result.value
        return result

    def observer(self) -> RunObserver:
        """Observer callbacks for the hooks some plugin implements; None for the rest.

        Each implementation is called on its own guard: one that raises is recorded with its
        plugin and hook, and the others still run (see :mod:`gini_host.stages.observers`).
        """
        return hook_observer(self.plugin_manager)
