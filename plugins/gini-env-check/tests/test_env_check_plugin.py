"""The plugin object and its stages, run through gini-host's own stage engine."""

from __future__ import annotations

import sys

import pytest

gini_host = pytest.importorskip("gini_host")

from gini_env_check.plugin import PIPELINE_DESCRIPTION, plugin  # noqa: E402
from gini_env_check.stages import STAGES  # noqa: E402
from gini_env_check.verdict import CHECKS  # noqa: E402

from gini_host import PipelineSpec, StageManager, StageStatus  # noqa: E402


def _manager() -> StageManager:
    manager = StageManager()
    for stage in plugin.gini_register_stages(host=None):
        manager.register_stage(stage, plugin="env-check")
    for spec in plugin.gini_register_pipelines(host=None):
        manager.register_pipeline(spec)
    return manager


def test_preflight_refuses_other_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off Linux, preflight returns one problem naming the platform."""
    monkeypatch.setattr(sys, "platform", "darwin")
    assert plugin.gini_preflight(host=None) == [
        "env-check needs Linux (/proc and /sys); this is darwin"
    ]


def test_preflight_passes_on_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux, preflight has nothing to say."""
    monkeypatch.setattr(sys, "platform", "linux")
    assert plugin.gini_preflight(host=None) is None


def test_stages_are_independent_facts_and_one_report() -> None:
    """Every check is its own stage with no requirements; only report requires them all."""
    stages = {stage.name: stage for stage in STAGES}
    assert set(stages) == {*CHECKS, "report"}
    for name in CHECKS:
        assert stages[name].requires == ()
        assert stages[name].tags == ("env",)
        assert stages[name].describer is not None
        assert stages[name].description
    assert set(stages["report"].requires) == set(CHECKS)


def test_pipeline_spec() -> None:
    """The env-check pipeline targets the report stage."""
    (spec,) = plugin.gini_register_pipelines(host=None)
    assert isinstance(spec, PipelineSpec)
    assert spec.name == "env-check"
    assert spec.stages == ("env-check::report",)
    assert spec.description == PIPELINE_DESCRIPTION


def test_pipeline_runs_on_this_machine_in_parallel() -> None:
    """On the real machine every stage succeeds and the report is a complete verdict."""
    manager = _manager()
    result = manager.execute_pipeline(
        manager.build("env-check"),
        executor="threads",
        max_workers=4,
        stage_config={"env-check::executables": {"required": ["sh", "no-such-program-xyz"]}},
    )
    assert result.ok, result.failures
    assert set(result) == {f"env-check::{name}" for name in (*CHECKS, "report")}
    verdict = result["env-check::report"].value
    assert set(verdict) == {"ready", "verdict", "reasons", "warnings", "checks"}
    assert set(verdict["checks"]) == set(CHECKS)
    assert "required executable 'no-such-program-xyz' is not on PATH" in verdict["reasons"]
    assert verdict["ready"] is False
    assert verdict["verdict"] == "not ready"


def test_report_stage_with_a_minimal_context() -> None:
    """The report reads earlier results by full id and its config's min_memory_gib."""
    manager = _manager()
    huge = {"status": "ok", "total_bytes": 1024**3, "available_bytes": 1024**3}
    from gini_host.stages import RunState

    run = RunState("test")
    run.values["env-check::memory"] = huge
    result = manager.execute_stage("env-check::report", context=run, config={"min_memory_gib": 8})
    assert result.status is StageStatus.SUCCEEDED
    verdict = result.value
    assert "only 1.0 GiB of memory; at least 8.0 GiB is required" in verdict["reasons"]
    # The other facts never ran: unknown, so warnings rather than passes.
    assert "kvm: unknown (stage env-check::kvm produced no result)" in verdict["warnings"]


def test_dry_run_describes_what_each_stage_would_read() -> None:
    """A dry run calls each describer and reads nothing."""
    manager = _manager()
    result = manager.execute_pipeline(manager.build("env-check"), dry_run=True)
    assert {result[stage_id].status for stage_id in result} == {StageStatus.DRY_RUN}
    assert result["env-check::cpu"].value == "would read /proc/cpuinfo"
    assert "qemu-img" in result["env-check::executables"].value
    assert "minimum memory 2 GiB" in result["env-check::report"].value


def test_bad_stage_config_fails_the_stage_naming_the_key() -> None:
    """A bad executables config fails that stage with the key in the message."""
    manager = _manager()
    result = manager.execute_stage("env-check::executables", config={"required": "qemu-img"})
    assert result.status is StageStatus.FAILED
    assert result.error is not None
    assert "config.required" in result.error.message
