"""Dry run: every stage is described, none is executed."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from gini_host import PipelineResult, StageContext, StageManager, StageStatus, stage
from gini_host.errors import ExecutorError


def _body_must_not_run(ctx: StageContext) -> None:
    raise AssertionError(f"{ctx.stage_id} body ran in a dry run")


#: What the bodies of the disk plugin ran (in this process; none runs in a dry run anyway).
RAN: list[str] = []


@pytest.fixture
def ran() -> Iterator[list[str]]:
    RAN.clear()
    yield RAN
    RAN.clear()


# The disk plugin: probe -> format -> mount, plus ``fsck`` that cannot be dry-run; and
# ``report`` after fsck. Module-level, so that processes and dask can find them too.


@stage
def probe(ctx: StageContext) -> None:
    """Find the disks."""
    RAN.append("probe")


@stage(requires="probe")
def format(ctx: StageContext) -> None:
    RAN.append("format")


@format.dry_run
def describe_format(ctx: StageContext) -> str:
    assert ctx.dry_run
    return f"would format {ctx.config.get('device', '?')}"


@stage(requires="format")
def mount(ctx: StageContext) -> None:
    RAN.append("mount")


@stage(requires="probe", supports_dry_run=False)
def fsck(ctx: StageContext) -> None:
    RAN.append("fsck")


@stage(requires="fsck")
def report(ctx: StageContext) -> None:
    RAN.append("report")


def _disk_plugin(manager: StageManager, ran: list[str]) -> None:
    for s in (probe, format, mount, fsck):
        manager.register_stage(s, plugin="disk")


@stage
def shaky(ctx: StageContext) -> None:
    _body_must_not_run(ctx)


@shaky.dry_run
def describe_shaky(ctx: StageContext) -> str:
    raise LookupError("no device configured")


@stage(requires="shaky")
def after_shaky(ctx: StageContext) -> None:
    _body_must_not_run(ctx)


@stage
def quits(ctx: StageContext) -> None:
    _body_must_not_run(ctx)


@quits.dry_run
def describe_quits(ctx: StageContext) -> str:
    sys.exit("describer quit")


def _dry(manager: StageManager, targets: list[str], executor: str) -> PipelineResult:
    return manager.execute_pipeline(
        manager.create_pipeline("p", targets),
        executor=executor,
        dry_run=True,
        stage_config={"disk::format": {"device": "/dev/sdz"}},
    )


def test_dry_run_executes_no_body(manager: StageManager, ran: list[str], executor: str) -> None:
    """No stage body runs in a dry run; described stages are ``dry_run`` and the run is ok."""
    _disk_plugin(manager, ran)
    result = _dry(manager, ["disk::mount", "disk::fsck"], executor)
    assert ran == []
    assert result.dry_run
    assert result.ok
    assert result["disk::probe"].status is StageStatus.DRY_RUN
    assert result["disk::mount"].status is StageStatus.DRY_RUN


def test_live_run_executes_bodies_in_order(manager: StageManager, ran: list[str]) -> None:
    """The control case: the same pipeline run live executes every body in order."""
    _disk_plugin(manager, ran)
    result = manager.execute_pipeline(manager.create_pipeline("p", ["disk::mount"]))
    assert result.ok
    assert not result.dry_run
    assert ran == ["probe", "format", "mount"]


def test_describer_is_called_with_the_stage_context(
    manager: StageManager, ran: list[str], executor: str
) -> None:
    """A stage's describer gives its dry-run text, seeing its own config and ``ctx.dry_run``."""
    _disk_plugin(manager, ran)
    result = _dry(manager, ["disk::format"], executor)
    assert result["disk::format"].value == "would format /dev/sdz"


def test_default_description_names_stage_plugin_and_why(
    manager: StageManager, ran: list[str], executor: str
) -> None:
    """Without a describer, the text names the stage, its plugin, its description and why."""
    _disk_plugin(manager, ran)
    result = _dry(manager, ["disk::mount"], executor)
    assert result["disk::probe"].value == (
        "would run disk::probe (plugin disk): Find the disks. [required by disk::format]"
    )
    assert result["disk::mount"].value == "would run disk::mount (plugin disk) [target]"


def test_default_description_of_host_stage(manager: StageManager, executor: str) -> None:
    """A stage registered by the host directly is described without a plugin."""
    manager.register_stage(stage(name="solo")(_body_must_not_run))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["solo"]), executor=executor, dry_run=True
    )
    assert result["solo"].value == "would run solo [target]"


def test_unsupported_stage_is_skipped_with_reason(
    manager: StageManager, ran: list[str], executor: str
) -> None:
    """A stage with supports_dry_run=False is skipped, saying why, and blocks nobody."""
    _disk_plugin(manager, ran)
    manager.register_stage(report, plugin="disk")
    result = _dry(manager, ["disk::report"], executor)
    assert result["disk::fsck"].status is StageStatus.SKIPPED
    assert result["disk::fsck"].reason == "not supported in dry run"
    assert result["disk::report"].status is StageStatus.DRY_RUN
    assert result.ok
    assert ran == []


def test_failing_describer_fails_the_stage(manager: StageManager, executor: str) -> None:
    """A describer that raises fails its stage; its dependents are skipped."""
    manager.register_stage(shaky)
    manager.register_stage(after_shaky)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["after_shaky"]), executor=executor, dry_run=True
    )
    assert result["shaky"].status is StageStatus.FAILED
    assert result["shaky"].error is not None
    assert result["shaky"].error.message == "no device configured"
    assert result["after_shaky"].status is StageStatus.SKIPPED
    assert not result.ok


def test_dry_run_never_retries_or_times_out(manager: StageManager, executor: str) -> None:
    """Retry and timeout options do not make a body run in a dry run."""
    manager.register_stage(stage(name="s", retries=3, timeout=1)(_body_must_not_run))
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["s"]), executor=executor, dry_run=True
    )
    assert result["s"].status is StageStatus.DRY_RUN


def test_dry_run_pipeline_runs_dry(manager: StageManager, ran: list[str], executor: str) -> None:
    """A plan from create_dry_run_pipeline, run with dry_run=True, executes nothing."""
    _disk_plugin(manager, ran)
    pipeline = manager.create_dry_run_pipeline("p", ["disk::mount"], "check disks")
    result = manager.execute_pipeline(pipeline, executor=executor, dry_run=True)
    assert [r.status for r in result.values()] == [StageStatus.DRY_RUN] * 3
    assert ran == []


def test_describer_calling_sys_exit_fails_its_stage(manager: StageManager, executor: str) -> None:
    """A describer that calls sys.exit() fails its stage instead of ending the host."""
    manager.register_stage(quits)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["quits"]), executor=executor, dry_run=True
    )
    assert result["quits"].status is StageStatus.FAILED
    assert result["quits"].error is not None
    assert result["quits"].error.message == "describer quit"


@pytest.mark.parametrize("executor", ["processes", "dask"], indirect=True)
def test_dry_run_refuses_what_the_live_run_refuses(manager: StageManager, executor: str) -> None:
    """Under processes or dask, a dry run checks the plan as the live run does."""
    manager.register_stage(stage(name="local")(lambda ctx: None))
    with pytest.raises(ExecutorError, match="'local': its function .* is not importable"):
        _dry(manager, ["local"], executor)
