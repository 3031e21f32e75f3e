"""The stage registry: ids, owners, duplicates, queries, thread safety."""

from __future__ import annotations

import threading

import pytest

from gini_host import DuplicateStageError, Stage, StageContext, StageRegistry, UsageError, stage


def _stage(name: str, **options: object) -> Stage:
    def body(ctx: StageContext) -> None:
        pass

    body.__doc__ = f"Stage {name}."
    return stage(name=name, **options)(body)  # type: ignore[call-overload, no-any-return]


def test_new_registry_is_empty() -> None:
    """A new registry counts 0 stages and lists no ids."""
    registry = StageRegistry()
    assert len(registry) == 0
    assert registry.ids() == []
    assert list(registry) == []


def test_register_one_stage() -> None:
    """A registered stage is counted, found by id and listed."""
    registry = StageRegistry()
    fmt = _stage("format").owned_by("disk")
    assert registry.register(fmt) is fmt
    assert len(registry) == 1
    assert registry.has("disk::format")
    assert "disk::format" in registry
    assert registry.get("disk::format") is fmt
    assert registry.ids() == ["disk::format"]


def test_unknown_id_is_not_found() -> None:
    """``has`` is False and ``get`` raises KeyError for an id nobody registered."""
    registry = StageRegistry()
    registry.register(_stage("format"))
    assert not registry.has("nope")
    with pytest.raises(KeyError):
        registry.get("nope")


def test_ids_keep_registration_order() -> None:
    """Five stages are all registered and listed in the order they were registered."""
    registry = StageRegistry()
    names = ["e", "b", "d", "a", "c"]
    for name in names:
        registry.register(_stage(name))
    assert registry.ids() == names
    assert [s.id for s in registry] == names


def test_duplicate_plugin_stage_error_names_plugins() -> None:
    """Duplicate ``disk::format``: the error names both owners; the first stage stays."""
    registry = StageRegistry()
    first = Stage(name="format", function=lambda c: None, plugin="disk")
    registry.register(first)
    second = Stage(name="format", function=lambda c: None, plugin="disk")
    with pytest.raises(DuplicateStageError) as info:
        registry.register(second)
    error = info.value
    assert isinstance(error, UsageError)
    assert (error.stage_id, error.first_owner, error.second_owner) == (
        "disk::format",
        "disk",
        "disk",
    )
    assert "'disk::format'" in str(error)
    assert str(error).count("plugin 'disk'") == 2
    assert len(registry) == 1
    assert registry.get("disk::format") is first


def test_duplicate_between_plugin_and_host_names_both() -> None:
    """Two stages registered directly by the host clash; the message says so for both."""
    registry = StageRegistry()
    registry.register(_stage("x"))
    clash = Stage(name="x", function=lambda c: None)
    with pytest.raises(DuplicateStageError, match="the host directly and by the host directly"):
        registry.register(clash)


def test_unregister_by_owner_not_prefix() -> None:
    """Removing plugin ``disk`` leaves ``disk-extra``'s stages, even though the id prefix matches."""
    registry = StageRegistry()
    registry.register(_stage("format").owned_by("disk"))
    registry.register(_stage("probe").owned_by("disk"))
    registry.register(_stage("format").owned_by("disk-extra"))
    registry.register(_stage("disk").owned_by("diskette"))
    removed = registry.unregister_plugin("disk")
    assert removed == ["disk::format", "disk::probe"]
    assert registry.ids() == ["disk-extra::format", "diskette::disk"]
    assert registry.unregister_plugin("disk") == []


def test_unregister_then_register_again() -> None:
    """After a plugin's stages are removed, the same ids can be registered again."""
    registry = StageRegistry()
    registry.register(_stage("format").owned_by("disk"))
    registry.unregister_plugin("disk")
    registry.register(_stage("format").owned_by("disk"))
    assert registry.ids() == ["disk::format"]


def test_queries_by_tag_plugin_and_text() -> None:
    """Stages are found by tag, by owning plugin, and by text in id, description or tags."""
    registry = StageRegistry()
    fmt = registry.register(_stage("format", tags=["destructive"]).owned_by("disk"))
    probe = registry.register(_stage("probe", tags=["read-only"]).owned_by("disk"))
    ping = registry.register(_stage("ping", description="Check the NETWORK").owned_by("net"))
    bare = registry.register(_stage("bare"))
    assert registry.by_tag("destructive") == [fmt]
    assert registry.by_tag("nothing") == []
    assert registry.by_plugin("disk") == [fmt, probe]
    assert registry.by_plugin(None) == [bare]
    assert registry.search("network") == [ping]
    assert registry.search("READ") == [probe]
    assert registry.search("disk::") == [fmt, probe]


def test_concurrent_registration_keeps_every_stage() -> None:
    """Sixteen threads registering 100 stages each lose none and index every owner."""
    registry = StageRegistry()
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def register_many(plugin: str) -> None:
        try:
            start.wait()
            for i in range(100):
                registry.register(_stage(f"s{i}").owned_by(plugin))
                registry.ids()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register_many, args=(f"p{n}",)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry) == 1600
    assert all(len(registry.by_plugin(f"p{n}")) == 100 for n in range(16))


def test_concurrent_duplicates_register_exactly_once() -> None:
    """Eight threads racing to register the same id: exactly one wins, seven get the error."""
    registry = StageRegistry()
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        start.wait()
        try:
            registry.register(_stage("format").owned_by("disk"))
            outcome = "won"
        except DuplicateStageError:
            outcome = "duplicate"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["won"]
    assert registry.ids() == ["disk::format"]


def test_manager_unregister_plugin_removes_its_pipelines_too() -> None:
    """StageManager.unregister_plugin drops the plugin's stages and the pipeline specs it declared."""
    from gini_host import PipelineSpec, StageManager

    manager = StageManager()
    manager.register_stage(_stage("format"), plugin="disk")
    manager.register_stage(_stage("format"), plugin="disk-extra")
    manager.register_pipeline(PipelineSpec("wipe", ["disk::format"], source="disk"))
    manager.register_pipeline(PipelineSpec("extra", ["disk-extra::format"], source="disk-extra"))
    assert manager.unregister_plugin("disk") == ["disk::format"]
    assert manager.stage_ids() == ["disk-extra::format"]
    assert [s.name for s in manager.pipeline_specs()] == ["extra"]
