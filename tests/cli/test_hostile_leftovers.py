"""Plugins that leave things behind or block (tests/hostile/leftovers.py), through the real
``gini-host``: threads a stage leaves running, processes it starts in a worker, a worker ended
for a timeout, a slow worker boot, a coroutine blocking the event loop. None may keep the host
from ending, or cost the operator the run's result."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import time
from pathlib import Path

import pytest

from gini_host.testing import CliInvoker, PluginDists
from tests.hostile.leftovers import (
    BLOCKING_COROUTINE,
    BROKEN_WORKER_BOOT,
    LEAKY_THREADS,
    QUIET,
    SLOW_WITH_SHUTDOWN,
    SLOW_WORKER_BOOT,
    SPAWNER,
    run_args,
)
from tests.hostile.waiting import gone, until, wait_for_file

NEEDS_DASK = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="needs gini-host[dask]"
)


@pytest.mark.parametrize(
    ("executor", "target"),
    [
        ("sequential", "leaky::leak"),
        ("threads", "leaky::leak"),
        ("async", "leaky::leak_async"),
        ("processes", "leaky::leak"),
        pytest.param("dask", "leaky::leak", marks=NEEDS_DASK),
    ],
)
def test_host_exits_after_its_result_despite_leftover_threads(
    plugin_dist: PluginDists, gini_cli: CliInvoker, executor: str, target: str
) -> None:
    """The result is printed, the exit code is the run's, and the leftover thread is named
    with its stage in a warning (in the host; a worker's thread goes with its worker)."""
    plugin_dist("leaky", source=LEAKY_THREADS)
    proc = gini_cli.start(*run_args("leaky", target, executor))
    # Before, the process never exited: the interpreter joined the spinning thread.
    done = proc.finish(timeout=60)
    assert done.exit_code == 0, done.stderr
    assert "leaked" in done.stdout
    if executor in ("sequential", "threads", "async"):
        assert "'leaked-spinner'" in done.stderr
        assert f"started by stage {target}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("then_sleep", [False, True], ids=["returns", "times-out"])
def test_processes_a_stage_starts_go_with_its_worker(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path, then_sleep: bool
) -> None:
    """A child process a stage leaves behind is ended with the worker: when the run's pool
    closes, or when the stage times out and its worker is ended."""
    plugin_dist("spawner", source=SPAWNER)
    pid_file = tmp_path / "child"
    config = f'[stages."spawner::spawn".config]\npid_file = "{pid_file}"\n'
    if then_sleep:
        config += 'then_sleep = true\n[stages."spawner::spawn"]\ntimeout = 1\n'
    (tmp_path / "gini.toml").write_text(config)
    done = gini_cli(
        *run_args("spawner", "spawner::spawn", "processes"),
        subprocess=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.exit_code == (1 if then_sleep else 0), done.stderr
    child = int(pid_file.read_text())
    try:
        assert until(lambda: gone(child)), "the stage's child process outlived its worker"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_worker_ended_for_a_timeout_runs_gini_shutdown(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """SIGTERM, not SIGKILL, first: the worker's plugins shut down within the grace period."""
    plugin_dist("sd", source=SLOW_WITH_SHUTDOWN)
    (tmp_path / "gini.toml").write_text(
        f'[plugin.sd]\ndir = "{tmp_path}"\n[stages."sd::slow"]\ntimeout = 1\n'
    )
    done = gini_cli(
        *run_args("sd", "sd::slow", "processes"),
        subprocess=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.exit_code == 1, done.stderr
    assert "timed out after 1s" in done.stdout + done.stderr
    (started,) = tmp_path.glob("started-*")
    worker = started.name.removeprefix("started-")
    assert (tmp_path / f"shutdown-{worker}").exists(), "the timed-out worker never shut down"


def test_sigint_while_workers_boot_ends_the_run_with_its_json(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """Ctrl-C while a worker's gini_plugin_init takes a minute: the run ends within the grace
    period, every stage ``cancelled``, the JSON document printed, exit 130."""
    plugin_dist("slowboot", source=SLOW_WORKER_BOOT)
    (tmp_path / "gini.toml").write_text(f'[plugin.slowboot]\ndir = "{tmp_path}"\n')
    proc = gini_cli.start(
        *run_args("slowboot", "slowboot::quick", "processes", "--json"),
        cwd=tmp_path,
    )
    booting = wait_for_file(proc, tmp_path, "booting-*")
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    done = proc.finish(timeout=45)  # before: the boot's own minute, then BOOT_TIMEOUT
    elapsed = time.monotonic() - began
    assert done.exit_code == 130, done.stderr
    result = json.loads(done.stdout)
    assert result["stages"]["slowboot::quick"]["status"] == "cancelled"
    assert elapsed < 30  # measured ~2.5 s: the grace period and shutting down
    worker = int(booting.name.removeprefix("booting-"))
    assert until(lambda: gone(worker)), "the booting worker was left running"


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "run"])
def test_a_worker_that_cannot_boot_refuses_dry_runs_too(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path, dry_run: bool
) -> None:
    """A dry run boots a worker, as docs/operators.md says: it tells whether the run would."""
    plugin_dist("nogpu", source=BROKEN_WORKER_BOOT)
    args = run_args("nogpu", "nogpu::quick", "processes", *(["--dry-run"] if dry_run else []))
    done = gini_cli(*args, subprocess=True, timeout=120)
    assert done.exit_code == 2, done.stderr
    # The worker's host disabled the plugin its init failed: the worker lacks it.
    assert "lacks plugin(s) nogpu" in done.stderr


def test_dry_run_under_processes_still_runs_no_stage(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """The worker a dry run boots runs nothing: the stage is described, exit 0."""
    plugin_dist("quiet", source=QUIET)
    done = gini_cli(
        *run_args("quiet", "quiet::hello", "processes", "--dry-run"),
        subprocess=True,
        timeout=120,
    )
    assert done.exit_code == 0, done.stderr
    assert "would run quiet::hello" in done.stdout


def test_sigint_during_a_blocked_loop_prints_the_partial_json(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """Ctrl-C while a coroutine blocks the loop: exit 130 with the JSON document, at once."""
    plugin_dist("blocking", source=BLOCKING_COROUTINE)
    (tmp_path / "gini.toml").write_text(f'[plugin.blocking]\ndir = "{tmp_path}"\n')
    proc = gini_cli.start(
        *run_args("blocking", "blocking::block", "async", "--json"),
        cwd=tmp_path,
    )
    wait_for_file(proc, tmp_path, "started")
    proc.send_signal(signal.SIGINT)
    done = proc.finish(timeout=40)  # before: the stage's whole minute
    assert done.exit_code == 130, done.stderr
    assert json.loads(done.stdout)["stages"]["blocking::block"]["status"] == "cancelled"
    assert "Traceback" not in done.stderr
