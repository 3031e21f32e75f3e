"""Pipelines: what plugins and config declare (:class:`PipelineSpec`) and the validated plan
built from it (:class:`Pipeline`).

A plan is the closure of its targets' requirements (a target pulls in what it requires, like
make), in a deterministic dependency order whose ties keep the order stages were listed in.
Validation gathers every problem (unknown ids with suggestions, cycles in order, edges that
point nowhere) instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from types import MappingProxyType
from typing import Any

import attrs

from gini_host.errors import CycleError, PipelineError, PipelineProblem, UnknownStageError
from gini_host.graph import find_cycles, topological_order
from gini_host.naming import suggest
from gini_host.stages.stage import Stage

__all__ = ["Pipeline", "PipelineSpec", "build_pipeline"]


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _edges(value: Mapping[str, Iterable[str]] | None) -> Mapping[str, tuple[str, ...]]:
    if not value:
        return MappingProxyType({})
    return MappingProxyType({k: tuple(v) for k, v in value.items()})


@attrs.frozen(slots=True)
class PipelineSpec:
    """A named list of target stages, as a plugin or the config file declares it.

    ``requires`` adds edges the stages themselves do not declare:
    ``{"plugin::deploy": ["plugin::backup"]}``. ``source`` says who declared it.
    """

    name: str
    stages: tuple[str, ...] = attrs.field(converter=_ids)
    description: str = ""
    requires: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_edges)
    source: str = ""


@attrs.frozen(slots=True, eq=False)
class Pipeline:
    """A validated, immutable plan.

    ``stages`` maps id to :class:`Stage` in execution order; ``requires`` maps each id to the
    ids it waits for (declared plus extra edges); ``layers`` groups stages that may run in
    parallel; ``required_by`` says why each non-target stage is in the plan.
    """

    name: str
    description: str
    targets: tuple[str, ...]
    stages: Mapping[str, Stage]
    requires: Mapping[str, tuple[str, ...]]
    layers: tuple[tuple[str, ...], ...]
    required_by: Mapping[str, tuple[str, ...]]
    #: Each stage's index in the plan order, computed once: every run's loop breaks ties by it.
    position: Mapping[str, int] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        positions = MappingProxyType({sid: i for i, sid in enumerate(self.stages)})
        object.__setattr__(self, "position", positions)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __contains__(self, stage_id: object) -> bool:
        return stage_id in self.stages

    def why(self, stage_id: str) -> str:
        """Why ``stage_id`` is in the plan, for people: a target, or required by whom."""
        parts = []
        if stage_id in self.targets:
            parts.append("target")
        if self.required_by[stage_id]:
            parts.append("required by " + ", ".join(self.required_by[stage_id]))
        return "; ".join(parts)

    def dependents(self) -> dict[str, list[str]]:
        """For each stage, the stages that require it (in plan order)."""
        out: dict[str, list[str]] = {sid: [] for sid in self.stages}
        for sid, deps in self.requires.items():
            for dep in deps:
                out[dep].append(sid)
        return out


def build_pipeline(
    name: str,
    targets: Sequence[str],
    lookup: Callable[[str], Stage | None],
    *,
    known_ids: Callable[[], Iterable[str]],
    description: str = "",
    extra_requires: Mapping[str, Sequence[str]] | None = None,
) -> Pipeline:
    """Validate and plan ``targets`` and everything they require; raise PipelineError."""
    extra = dict(extra_requires or {})
    problems: list[PipelineProblem] = []
    stages, requires, required_by = _closure(targets, lookup, extra, known_ids, problems)
    for source in extra:
        if source not in stages:
            problems.append(
                PipelineProblem(
                    f"extra requirement for {source!r} points nowhere: "
                    "that stage is not in this pipeline"
                )
            )
    order, layers = _plan_order(requires, required_by)
    if len(order) < len(requires):
        # Kahn's algorithm stalls exactly when there is a cycle: only then look for them.
        problems.extend(CycleError(c) for c in find_cycles(requires))
    if not targets:
        problems.append(PipelineProblem("the pipeline names no stages"))
    if problems:
        raise PipelineError(name, problems)
    return Pipeline(
        name=name,
        description=description,
        targets=tuple(dict.fromkeys(targets)),
        stages=MappingProxyType({sid: stages[sid] for sid in order}),
        requires=MappingProxyType({sid: requires[sid] for sid in order}),
        layers=layers,
        required_by=MappingProxyType({sid: tuple(required_by[sid]) for sid in order}),
    )


def _closure(
    targets: Sequence[str],
    lookup: Callable[[str], Stage | None],
    extra: Mapping[str, Sequence[str]],
    known_ids: Callable[[], Iterable[str]],
    problems: list[PipelineProblem],
) -> tuple[dict[str, Stage], dict[str, tuple[str, ...]], dict[str, list[str]]]:
    """Walk from the targets through requirements, in listing order (pre-order)."""
    stages: dict[str, Stage] = {}
    requires: dict[str, tuple[str, ...]] = {}
    required_by: dict[str, list[str]] = {}
    reported: set[str] = set()
    stack: list[tuple[str, str | None]] = [(t, None) for t in reversed(targets)]
    pop, push = stack.pop, stack.extend
    while stack:
        sid, parent = pop()
        if sid in stages:
            # Each stage is expanded once and its requirements are deduplicated, so a
            # (stage, parent) pair arrives at most once: no membership test (it was O(n^2)).
            if parent is not None:
                required_by[sid].append(parent)
            continue
        stage = lookup(sid)
        if stage is None:
            if sid not in reported:
                reported.add(sid)
                problems.append(
                    UnknownStageError(
                        sid, required_by=parent, suggestions=suggest(sid, known_ids())
                    )
                )
            continue
        deps = stage.requires
        more = extra.get(sid) if extra else None
        if more:
            deps = (*deps, *more)
        if len(deps) > 1:
            deps = tuple(dict.fromkeys(deps))
        stages[sid] = stage
        requires[sid] = deps
        required_by[sid] = [parent] if parent is not None else []
        if deps:
            push(zip(reversed(deps), repeat(sid)))
    if reported:
        # Edges to unknown stages stay out of the graph; they were reported above.
        for sid, deps in requires.items():
            requires[sid] = tuple(d for d in deps if d in stages)
    return stages, requires, required_by


def _plan_order(
    requires: Mapping[str, tuple[str, ...]],
    dependents: Mapping[str, Sequence[str]],
) -> tuple[list[str], tuple[tuple[str, ...], ...]]:
    """The plan order (ties broken by listing position) and layers by longest path from a root.

    ``dependents`` is the reverse of ``requires`` (in any order). With a cycle, the order
    holds only the stages outside it and downstream of none of it.
    """
    position = {sid: i for i, sid in enumerate(requires)}
    order, depth = topological_order(requires, position, dependents)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    placed = set(order) if len(order) < len(requires) else requires
    for sid in requires:  # listing order, so each layer keeps it
        if sid in placed:
            layers[depth[sid]].append(sid)
    return order, tuple(tuple(layer) for layer in layers if layer)


def spec_from_any(value: Any) -> PipelineSpec:
    """Accept a PipelineSpec or a mapping with the same keys (for plugins that return dicts)."""
    if isinstance(value, PipelineSpec):
        return value
    if isinstance(value, Mapping):
        return PipelineSpec(**value)
    raise TypeError(f"expected a PipelineSpec, got {value!r}")
