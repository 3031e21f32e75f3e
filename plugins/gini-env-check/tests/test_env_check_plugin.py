"""The installed plugin, discovered through its entry point and run by a real host
(gini-host's test harness: make_host, run_pipeline, assert_statuses, check_plugin)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("gini_host")

from gini_env_check.plugin import PIPELINE_DESCRIPTION
from gini_env_check.stages import STAGES
from gini_env_check.verdict import CHECKS

from gini_host import Host, StageStatus, UsageError
from gini_host.stages import RunState
from gini_host.testing import (
    CliInvoker,
    HostFactory,
    assert_statuses,
    check_plugin,
    run_pipeline,
)

ALL_STAGES = [f"env-check::{name}" for name in (*CHECKS, "report")]


@pytest.fixture
def host(make_host: HostFactory) -> Host:
    """A host with only env-check enabled, loaded from its installed entry point."""
    return make_host(enable=["env-check"])


def test_gini_host_check_finds_no_problem() -> None:
    """Hooks, stage requires and the gini-host requirement are all in order."""
    assert check_plugin("env-check") == []


def test_preflight_refuses_other_platforms(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off Linux, preflight fails the plugin with one problem naming the platform."""
    monkeypatch.setattr(sys, "platform", "darwin")
    host = make_host(enable=["env-check"])
    info = host.plugin("env-check")
    assert (info.status.value, info.reason) == (
        "failed",
        "preflight: env-check needs Linux (/proc and /sys); this is darwin",
    )
    assert host.stage_manager.registry.by_plugin("env-check") == []


def test_preflight_passes_on_linux(host: Host) -> None:
    """On Linux the plugin boots active, with every stage registered."""
    assert host.plugin("env-check").active
    assert [s.id for s in host.stage_manager.registry.by_plugin("env-check")] == [
        f"env-check::{s.name}" for s in STAGES
    ]


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


def test_pipeline_spec(host: Host) -> None:
    """The env-check pipeline targets the report stage."""
    (spec,) = [s for s in host.pipelines if s.source == "env-check"]
    assert spec.name == "env-check"
    assert spec.stages == ("env-check::report",)
    assert spec.description == PIPELINE_DESCRIPTION


def test_pipeline_runs_on_this_machine_in_parallel(host: Host) -> None:
    """On the real machine every stage succeeds and the report is a complete verdict."""
    result = run_pipeline(
        host,
        "env-check",
        executor="threads",
        max_workers=4,
        stage_config={"env-check::executables": {"required": ["sh", "no-such-program-xyz"]}},
    )
    assert_statuses(result, dict.fromkeys(ALL_STAGES, "succeeded"))
    verdict = result["env-check::report"].value
    assert set(verdict) == {"ready", "verdict", "reasons", "warnings", "checks"}
    assert set(verdict["checks"]) == set(CHECKS)
    assert "required executable 'no-such-program-xyz' is not on PATH" in verdict["reasons"]
    assert verdict["ready"] is False
    assert verdict["verdict"] == "not ready"


def test_report_stage_with_a_minimal_context(host: Host) -> None:
    """The report reads earlier results by full id and its config's min_memory_gib."""
    huge = {"status": "ok", "total_bytes": 1024**3, "available_bytes": 1024**3}
    run = RunState("test")
    run.values["env-check::memory"] = huge
    result = host.stage_manager.execute_stage(
        "env-check::report", context=run, config={"min_memory_gib": 8}
    )
    assert result.status is StageStatus.SUCCEEDED
    verdict = result.value
    assert "only 1.0 GiB of memory; at least 8.0 GiB is required" in verdict["reasons"]
    # The other facts never ran: unknown, so warnings rather than passes.
    assert "kvm: unknown (stage env-check::kvm produced no result)" in verdict["warnings"]


def test_dry_run_describes_what_each_stage_would_read(host: Host) -> None:
    """A dry run calls each describer and reads nothing."""
    result = run_pipeline(host, "env-check", dry_run=True)
    assert_statuses(result, dict.fromkeys(ALL_STAGES, "dry_run"))
    assert result["env-check::cpu"].value == "would read /proc/cpuinfo"
    assert "qemu-img" in result["env-check::executables"].value
    assert "minimum memory 2 GiB" in result["env-check::report"].value


def test_bad_stage_config_is_refused_before_the_run_naming_the_key(
    make_host: HostFactory,
) -> None:
    """A bad [stages."env-check::executables".config] is bad input, found when the plan is
    built (the stage's schema), before any stage runs: the key and the expected type named."""
    config = '[stages."env-check::executables".config]\nrequired = "qemu-img"\n'
    host = make_host(enable=["env-check"], config=config)
    with pytest.raises(UsageError) as caught:
        run_pipeline(host, "env-check")
    assert str(caught.value) == (
        '<string>: stages."env-check::executables".config.required: expected an array of '
        "strings, got a string ('qemu-img')"
    )


NOT_READY = '[stages."env-check::executables".config]\nrequired = ["no-such-program-xyz"]\n'


def test_not_ready_is_a_report_by_default(make_host: HostFactory) -> None:
    """Without strict, "not ready" is the report's value and the stage succeeds."""
    host = make_host(enable=["env-check"], config=NOT_READY)
    result = run_pipeline(host, "env-check")
    assert result["env-check::report"].status is StageStatus.SUCCEEDED
    assert result["env-check::report"].value["verdict"] == "not ready"


def test_strict_not_ready_fails_the_report(make_host: HostFactory) -> None:
    """[plugin.env-check] strict = true: "not ready" fails the report, naming the reasons,
    and the exception keeps the verdict."""
    host = make_host(enable=["env-check"], config="[plugin.env-check]\nstrict = true\n" + NOT_READY)
    result = run_pipeline(host, "env-check")
    report = result["env-check::report"]
    assert report.status is StageStatus.FAILED
    assert report.error is not None
    assert report.error.one_line().startswith(
        "NotReady: not ready: required executable 'no-such-program-xyz' is not on PATH"
    )
    assert getattr(report.exception, "verdict", {}).get("verdict") == "not ready"


def test_strict_must_be_a_boolean(make_host: HostFactory) -> None:
    """The plugin's table is checked at boot against its schema: the key and type named."""
    from gini_host.kernel.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_host(enable=["env-check"], config='[plugin.env-check]\nstrict = "yes"\n')
    assert caught.value.key == "plugin.env-check.strict"
    assert "expected a boolean (true or false), got a string ('yes')" in str(caught.value)


def test_the_verdict_is_readable_from_run_json(gini_cli: CliInvoker, tmp_path: Path) -> None:
    """run --json carries the verdict: the report's value, or its error under strict."""
    config = tmp_path / "gini.toml"
    config.write_text(NOT_READY)
    out = gini_cli("--config", str(config), "-p", "env-check", "run", "env-check", "--json")
    assert out.exit_code == 0, out
    assert out.json["stages"]["env-check::report"]["value"]["verdict"] == "not ready"
    config.write_text("[plugin.env-check]\nstrict = true\n" + NOT_READY)
    out = gini_cli("--config", str(config), "-p", "env-check", "run", "env-check", "--json")
    assert out.exit_code == 1, out
    report = out.json["stages"]["env-check::report"]
    assert report["status"] == "failed"
    assert report["error"].startswith("NotReady: not ready: required executable")
