"""Pipelines: closure of requirements, gathered validation errors, deterministic plans."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import pytest

from gini_host import (
    CycleError,
    Pipeline,
    PipelineError,
    PipelineSpec,
    StageContext,
    StageManager,
    UnknownStageError,
    UsageError,
    stage,
)
from gini_host.errors import PipelineProblem


def _register(
    manager: StageManager,
    graph: Mapping[str, Sequence[str]],
    plugin: str | None = None,
    log: list[str] | None = None,
) -> None:
    """Register one no-op stage per key of ``graph``, requiring the listed names."""
    lock = threading.Lock()
    for name, requires in graph.items():

        def body(ctx: StageContext, name: str = name) -> str:
            if log is not None:
                with lock:
                    log.append(name)
            return name

        manager.register_stage(stage(name=name, requires=requires)(body), plugin=plugin)


def _problems(error: PipelineError, kind: type[PipelineProblem]) -> list[PipelineProblem]:
    return [p for p in error.problems if isinstance(p, kind)]


def test_target_pulls_in_what_it_requires(manager: StageManager) -> None:
    """A target stage brings the closure of its requirements into the plan, like make."""
    _register(manager, {"a": [], "b": ["a"], "c": ["b"], "unrelated": []}, plugin="p")
    pipeline = manager.create_pipeline("build", ["p::c"], description="build it")
    assert isinstance(pipeline, Pipeline)
    assert pipeline.order == ("p::a", "p::b", "p::c")
    assert pipeline.targets == ("p::c",)
    assert pipeline.name == "build"
    assert pipeline.description == "build it"
    assert "p::unrelated" not in pipeline
    assert len(pipeline) == 3
    assert pipeline.why("p::c") == "target"
    assert pipeline.why("p::a") == "required by p::b"


@pytest.mark.in_process
def test_stages_listed_in_reverse_still_run_in_dependency_order(
    manager: StageManager, executor: str
) -> None:
    """Stages listed c, b, a with c -> b -> a edges run a, b, c."""
    log: list[str] = []
    _register(manager, {"c": ["b"], "b": ["a"], "a": []}, log=log)
    pipeline = manager.create_pipeline("p", ["c", "b", "a"])
    assert pipeline.order == ("a", "b", "c")
    result = manager.execute_pipeline(pipeline, executor=executor)
    assert result.ok
    assert log == ["a", "b", "c"]
    assert list(result) == ["a", "b", "c"]


def test_independent_stages_run_in_listing_order(manager: StageManager) -> None:
    """With no edges, the plan and a sequential run keep the order the stages were listed in."""
    log: list[str] = []
    _register(manager, {"x": [], "y": [], "z": []}, log=log)
    pipeline = manager.create_pipeline("p", ["z", "x", "y"])
    assert pipeline.order == ("z", "x", "y")
    assert pipeline.layers == (("z", "x", "y"),)
    manager.execute_pipeline(pipeline)
    assert log == ["z", "x", "y"]


@pytest.mark.in_process
def test_diamond_layers(manager: StageManager, executor: str) -> None:
    """In a diamond, a runs first, b and c after it (one layer), d last."""
    log: list[str] = []
    _register(manager, {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}, log=log)
    pipeline = manager.create_pipeline("p", ["d"])
    assert pipeline.layers == (("a",), ("b", "c"), ("d",))
    assert pipeline.requires["d"] == ("b", "c")
    assert pipeline.dependents() == {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}
    result = manager.execute_pipeline(pipeline, executor=executor, max_workers=2)
    assert result.ok
    assert log[0] == "a"
    assert set(log[1:3]) == {"b", "c"}
    assert log[3] == "d"


def test_ties_keep_listing_order_across_layers(manager: StageManager) -> None:
    """Among stages ready together, the one listed first comes first, in order and in layers."""
    _register(manager, {"base": [], "late": ["base"], "early": ["base"], "top": []})
    first = manager.create_pipeline("p", ["top", "early", "late"])
    second = manager.create_pipeline("p", ["top", "late", "early"])
    assert first.order == ("top", "base", "early", "late")
    assert first.layers == (("top", "base"), ("early", "late"))
    assert second.order == ("top", "base", "late", "early")
    assert second.layers == (("top", "base"), ("late", "early"))


def test_plan_is_deterministic(manager: StageManager) -> None:
    """The same request gives the same order and layers every time."""
    graph = {f"s{i}": [f"s{j}" for j in range(i) if (i * 7 + j) % 3 == 0] for i in range(30)}
    _register(manager, graph)
    targets = [f"s{i}" for i in range(29, -1, -3)]
    plans = [manager.create_pipeline("p", targets) for _ in range(5)]
    assert len({p.order for p in plans}) == 1
    assert len({p.layers for p in plans}) == 1
    order = plans[0].order
    for sid, deps in plans[0].requires.items():
        assert all(order.index(d) < order.index(sid) for d in deps)


def test_pipeline_is_immutable(manager: StageManager) -> None:
    """A validated plan cannot be changed."""
    _register(manager, {"a": []})
    pipeline = manager.create_pipeline("p", ["a"])
    with pytest.raises(AttributeError):
        pipeline.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pipeline.stages["b"] = pipeline.stages["a"]  # type: ignore[index]


def test_unknown_ids_are_all_reported_with_suggestions(manager: StageManager) -> None:
    """Every unknown id is reported (not only the first), each with close matches."""
    _register(manager, {"format": [], "probe": [], "mount": ["format"]}, plugin="disk")
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["disk::formta", "disk::mount", "disk::prob", "zzz"])
    unknown = _problems(info.value, UnknownStageError)
    assert [p.stage_id for p in unknown] == ["disk::formta", "disk::prob", "zzz"]  # type: ignore[attr-defined]
    assert unknown[0].suggestions == ("disk::format",)  # type: ignore[attr-defined]
    assert unknown[1].suggestions == ("disk::probe",)  # type: ignore[attr-defined]
    assert unknown[2].suggestions == ()  # type: ignore[attr-defined]
    assert "did you mean 'disk::format'?" in str(info.value)
    assert isinstance(info.value, UsageError)


def test_bare_name_suggests_qualified_ids(manager: StageManager) -> None:
    """An unqualified name suggests the ``plugin::name`` ids that end with it."""
    _register(manager, {"format": []}, plugin="disk")
    _register(manager, {"format": []}, plugin="usb")
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["format"])
    (problem,) = info.value.problems
    assert isinstance(problem, UnknownStageError)
    assert problem.suggestions == ("disk::format", "usb::format")


def test_unknown_requirement_names_who_requires_it(manager: StageManager) -> None:
    """A stage that requires an unregistered id is reported with the stage that requires it."""
    _register(manager, {"mount": ["format"], "check": ["format", "fsck"]}, plugin="disk")
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["disk::mount", "disk::check"])
    unknown = _problems(info.value, UnknownStageError)
    assert [(p.stage_id, p.required_by) for p in unknown] == [  # type: ignore[attr-defined]
        ("disk::format", "disk::mount"),
        ("disk::fsck", "disk::check"),
    ]
    assert "(required by disk::mount)" in str(unknown[0])


def test_cycle_is_reported_in_order(manager: StageManager) -> None:
    """A cycle a -> b -> c -> a is reported as that path, not as a set."""
    _register(manager, {"a": ["b"], "b": ["c"], "c": ["a"]})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["a"])
    (cycle,) = _problems(info.value, CycleError)
    assert cycle.cycle == ("a", "b", "c", "a")  # type: ignore[attr-defined]
    assert "dependency cycle: a -> b -> c -> a" in str(info.value)


def test_cycle_rotation_is_deterministic(manager: StageManager) -> None:
    """The cycle starts at its stage listed first; repeated validation gives the same text."""
    _register(manager, {"a": ["b"], "b": ["c"], "c": ["a"]})
    messages = set()
    for _ in range(3):
        with pytest.raises(PipelineError) as info:
            manager.create_pipeline("p", ["b"])
        messages.add(str(info.value))
        (cycle,) = _problems(info.value, CycleError)
        assert cycle.cycle == ("b", "c", "a", "b")  # type: ignore[attr-defined]
    assert len(messages) == 1


def test_self_requirement_is_a_cycle(manager: StageManager) -> None:
    """A stage requiring itself is a cycle ``a -> a``."""
    _register(manager, {"a": ["a"]})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["a"])
    (cycle,) = _problems(info.value, CycleError)
    assert cycle.cycle == ("a", "a")  # type: ignore[attr-defined]


def test_problems_of_every_kind_are_gathered(manager: StageManager) -> None:
    """One validation reports unknown ids and cycles together."""
    _register(manager, {"a": ["b"], "b": ["a"], "c": ["missing"]})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["a", "c", "nothing"])
    kinds = sorted(type(p).__name__ for p in info.value.problems)
    assert kinds == ["CycleError", "UnknownStageError", "UnknownStageError"]
    assert "(3 problems)" in str(info.value)


def test_two_separate_cycles_are_both_reported(manager: StageManager) -> None:
    """Independent cycles are each reported, in order."""
    _register(manager, {"a": ["b"], "b": ["a"], "x": ["y"], "y": ["z"], "z": ["x"]})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["a", "x"])
    cycles = [p.cycle for p in _problems(info.value, CycleError)]  # type: ignore[attr-defined]
    assert cycles == [("a", "b", "a"), ("x", "y", "z", "x")]


def test_extra_edges_order_stages(manager: StageManager) -> None:
    """Extra ``requires`` edges of a pipeline order stages that declare no requirement."""
    _register(manager, {"backup": [], "deploy": []})
    pipeline = manager.create_pipeline("p", ["deploy", "backup"], requires={"deploy": ["backup"]})
    assert pipeline.order == ("backup", "deploy")
    assert pipeline.requires["deploy"] == ("backup",)


def test_extra_edge_pulls_in_its_requirement(manager: StageManager) -> None:
    """An extra edge to a stage not listed brings that stage into the plan."""
    _register(manager, {"backup": [], "deploy": []})
    pipeline = manager.create_pipeline("p", ["deploy"], requires={"deploy": ["backup"]})
    assert pipeline.order == ("backup", "deploy")


def test_extra_edge_pointing_nowhere_is_reported(manager: StageManager) -> None:
    """An extra edge from a stage that is not in the pipeline, or to an unknown one, is an error."""
    _register(manager, {"backup": [], "deploy": []})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline(
            "p", ["deploy"], requires={"ghost": ["deploy"], "deploy": ["nowhere"]}
        )
    messages = [str(p) for p in info.value.problems]
    assert any("'ghost' points nowhere" in m for m in messages)
    unknown = _problems(info.value, UnknownStageError)
    assert [(p.stage_id, p.required_by) for p in unknown] == [("nowhere", "deploy")]  # type: ignore[attr-defined]


def test_extra_edge_can_close_a_cycle(manager: StageManager) -> None:
    """An extra edge that closes a loop is reported as a cycle."""
    _register(manager, {"a": [], "b": ["a"]})
    with pytest.raises(PipelineError) as info:
        manager.create_pipeline("p", ["b"], requires={"a": ["b"]})
    (cycle,) = _problems(info.value, CycleError)
    assert cycle.cycle == ("b", "a", "b")  # type: ignore[attr-defined]


def test_empty_pipeline_is_rejected(manager: StageManager) -> None:
    """A pipeline that names no stages is a validation error (Gini ran it as a no-op)."""
    with pytest.raises(PipelineError, match="names no stages"):
        manager.create_pipeline("p", [])


def test_validate_pipeline_returns_problems(manager: StageManager) -> None:
    """``validate_pipeline`` returns the problems of ids or a spec, empty when valid."""
    _register(manager, {"a": [], "b": ["a"]})
    assert manager.validate_pipeline(["b"]) == []
    problems = manager.validate_pipeline(["b", "c"])
    assert [type(p) for p in problems] == [UnknownStageError]
    spec = PipelineSpec("s", ["a"], requires={"a": ["b"]})
    (cycle,) = manager.validate_pipeline(spec)
    assert isinstance(cycle, CycleError)


def test_validate_pipeline_rechecks_a_plan_against_the_registry_now(manager: StageManager) -> None:
    """A planned ``Pipeline`` is valid while its stages are registered; once the plugin that
    owned one is gone, or the stage was registered anew, the plan is reported stale."""
    _register(manager, {"a": [], "b": ["a"]}, plugin="p")
    _register(manager, {"solo": []}, plugin="q")
    pipeline = manager.create_pipeline("build", ["p::b", "q::solo"])
    assert manager.validate_pipeline(pipeline) == []
    manager.unregister_plugin("p")
    problems = manager.validate_pipeline(pipeline)
    assert sorted(p.stage_id for p in problems if isinstance(p, UnknownStageError)) == [
        "p::a",
        "p::b",
    ]
    _register(manager, {"a": [], "b": ["a"]}, plugin="p")
    stale = manager.validate_pipeline(pipeline)
    assert [str(p) for p in stale] == [
        "stage 'p::a' was registered again since 'build' was planned; plan it again",
        "stage 'p::b' was registered again since 'build' was planned; plan it again",
    ]


def test_execute_of_failed_validation_never_starts(manager: StageManager) -> None:
    """A cyclic request cannot become a Pipeline, so nothing can run it (validation comes first)."""
    log: list[str] = []
    _register(manager, {"a": ["b"], "b": ["a"], "c": []}, log=log)
    with pytest.raises(PipelineError):
        manager.execute_pipeline(manager.create_pipeline("p", ["c", "a"]))
    assert log == []


def test_pipeline_specs_register_list_and_build(manager: StageManager) -> None:
    """Pipeline specs are registered, listed, and built by name with their extra edges."""
    _register(manager, {"backup": [], "deploy": []}, plugin="ops")
    spec = manager.register_pipeline(
        PipelineSpec(
            "release",
            ["ops::deploy"],
            description="ship it",
            requires={"ops::deploy": ["ops::backup"]},
            source="ops",
        )
    )
    assert manager.pipeline_specs() == [spec]
    assert manager.get_pipeline_spec("release") is spec
    pipeline = manager.build("release")
    assert pipeline.order == ("ops::backup", "ops::deploy")
    assert pipeline.description == "ship it"


def test_duplicate_pipeline_spec_names_both_sources(manager: StageManager) -> None:
    """A pipeline name declared twice raises, naming both sources."""
    manager.register_pipeline(PipelineSpec("release", ["a"], source="ops"))
    with pytest.raises(UsageError, match="by ops and by gini.toml"):
        manager.register_pipeline(PipelineSpec("release", ["b"], source="gini.toml"))


def test_unknown_pipeline_name_suggests(manager: StageManager) -> None:
    """Building an unknown pipeline name raises with close matches."""
    manager.register_pipeline(PipelineSpec("release", ["a"]))
    with pytest.raises(UsageError, match="unknown pipeline 'relase'; did you mean 'release'"):
        manager.build("relase")


def test_plan_mixes_pipeline_names_and_stage_ids(manager: StageManager) -> None:
    """``plan`` takes several targets, each a pipeline name or a stage id, into one plan."""
    _register(manager, {"backup": [], "deploy": [], "lint": [], "test": ["lint"]}, plugin="ops")
    manager.register_pipeline(
        PipelineSpec("release", ["ops::deploy"], requires={"ops::deploy": ["ops::backup"]})
    )
    pipeline = manager.plan(["ops::test", "release"])
    assert pipeline.name == "ops::test release"
    assert pipeline.order == ("ops::lint", "ops::test", "ops::backup", "ops::deploy")
    assert pipeline.targets == ("ops::test", "ops::deploy")
    assert manager.plan(["release"], name="r").description == ""
    manager.register_pipeline(PipelineSpec("described", ["ops::lint"], description="lint only"))
    assert manager.plan(["described"]).description == "lint only"


def test_plan_reports_every_unknown_target_with_suggestions(manager: StageManager) -> None:
    """Unknown targets of ``plan`` are all reported, matched against pipelines and stage ids."""
    _register(manager, {"deploy": []}, plugin="ops")
    manager.register_pipeline(PipelineSpec("release", ["ops::deploy"]))
    with pytest.raises(PipelineError) as info:
        manager.plan(["relaese", "ops::deploy", "ops::deplyo"])
    problems = info.value.problems
    assert [p.stage_id for p in problems] == ["relaese", "ops::deplyo"]  # type: ignore[attr-defined]
    assert problems[0].suggestions == ("release",)  # type: ignore[attr-defined]
    assert problems[1].suggestions == ("ops::deploy",)  # type: ignore[attr-defined]


def test_dry_run_pipeline_is_the_same_plan(manager: StageManager) -> None:
    """``create_dry_run_pipeline(name, ids, description)`` plans exactly what create_pipeline does."""
    _register(manager, {"a": [], "b": ["a"]})
    dry = manager.create_dry_run_pipeline("p", ["b"], "desc")
    live = manager.create_pipeline("p", ["b"], "desc")
    assert (dry.order, dry.layers, dry.description) == (live.order, live.layers, "desc")


def test_required_by_lists_each_dependent_once(manager: StageManager) -> None:
    """A stage required by many (also twice, and by extra edges) lists each dependent once."""
    _register(manager, {"root": [], "a": ["root", "root"], "b": ["root"], "c": ["root", "a"]})
    pipeline = manager.create_pipeline("p", ["c", "b"], requires={"b": ["root"], "c": ["b"]})
    assert pipeline.required_by["root"] == ("c", "a", "b")
    assert pipeline.requires["a"] == ("root",)
    assert pipeline.requires["c"] == ("root", "a", "b")
    assert pipeline.order == ("root", "a", "b", "c")
    assert pipeline.why("b") == "target; required by c"


def test_wide_fan_in_plans_every_stage(manager: StageManager) -> None:
    """One root required by 2,000 stages and one sink requiring them all: three layers."""
    middle = [f"m{i}" for i in range(2000)]
    _register(manager, {"root": [], **{m: ["root"] for m in middle}, "sink": middle})
    pipeline = manager.create_pipeline("p", ["sink"])
    assert len(pipeline) == 2002
    assert pipeline.layers == (("root",), tuple(middle), ("sink",))
    assert pipeline.required_by["root"] == tuple(middle)
