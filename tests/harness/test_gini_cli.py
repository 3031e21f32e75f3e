"""gini_cli: gini-host run in-process or as a subprocess, with exit code, output, JSON and line matching."""

from __future__ import annotations

import signal
import time

import pytest

from gini_host.testing import CliInvoker

SOURCE = '''
import click

from gini_host import hookimpl, stage

@stage
def hello(ctx):
    """Say hello."""
    return "hello"

@hookimpl
def gini_register_stages(host):
    return [hello]

@click.command("explode")
def explode():
    raise RuntimeError("kaboom")

@hookimpl
def gini_add_commands(cli):
    cli.add_command(explode)
'''

HOST_OK = ["gini-host>=0.1,<1"]


@pytest.fixture
def greeter(plugin_dist):
    """An installed plugin ``greeter``; runs use --no-autoload -p greeter (the venv's bundled
    plugins stay out)."""
    return plugin_dist("greeter", source=SOURCE, requires=HOST_OK)


@pytest.mark.parametrize("subprocess", [False, True], ids=["in-process", "subprocess"])
def test_json_output_is_parsed(gini_cli, greeter, subprocess):
    """--json output is available parsed, in-process and in a subprocess alike."""
    result = gini_cli("--no-autoload", "-p", "greeter", "plugins", "--json", subprocess=subprocess)
    assert result.exit_code == 0, result
    statuses = {p["name"]: p["status"] for p in result.json}
    assert statuses["greeter"] == "active"


@pytest.mark.parametrize("subprocess", [False, True], ids=["in-process", "subprocess"])
def test_exit_code_and_lines_of_a_run(gini_cli, greeter, subprocess):
    """A run's exit code and output; fnmatch_lines matches stdout lines in order."""
    result = gini_cli("--no-autoload", "-p", "greeter", "stages", subprocess=subprocess)
    assert result.exit_code == 0, result
    result.fnmatch_lines(["*id*description*", "greeter::hello*Say hello."])


def test_unknown_pipeline_exits_2_with_one_message_on_stderr(gini_cli, greeter):
    """Bad input: exit 2 and the message on stderr, matched with stderr=True."""
    result = gini_cli("--no-autoload", "-p", "greeter", "run", "greeter::helo")
    assert result.exit_code == 2
    result.fnmatch_lines(["*unknown pipeline or stage 'greeter::helo'*did you mean 'greeter::hello'*"], stderr=True)
    assert result.exception is None


def test_a_crash_in_process_keeps_the_exception_and_traceback(gini_cli, greeter):
    """An unexpected exception is exit 1 with the traceback on stderr, as a subprocess shows it."""
    result = gini_cli("--no-autoload", "-p", "greeter", "explode")
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert "RuntimeError: kaboom" in result.stderr.splitlines()[-1]


def test_json_needs_the_json_flag(gini_cli, greeter):
    """Reading .json of a run without --json is a mistake in the test, said so."""
    result = gini_cli("--no-autoload", "-p", "greeter", "plugins")
    with pytest.raises(ValueError, match="needs --json"):
        _ = result.json


def test_hook_recorder_sees_the_cli_host(gini_cli, greeter, hook_recorder):
    """The host an in-process command boots is recorded, including gini_add_commands."""
    result = gini_cli("--no-autoload", "-p", "greeter", "run", "greeter::hello")
    assert result.exit_code == 0, result
    assert len(hook_recorder.hosts) == 1
    assert "greeter" in hook_recorder.plugins("gini_add_commands")
    (finish,) = hook_recorder.calls("gini_stage_finish")
    assert finish.result.value == "hello"


def test_env_is_set_for_the_run_only(gini_cli, greeter):
    """env= entries apply to the command, not to the test afterwards."""
    import os

    result = gini_cli("plugins", "--json", env={"GINI_HOST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    loaded = [p["name"] for p in result.json if not p["builtin"] and p["status"] == "active"]
    assert loaded == []
    assert "GINI_HOST_DISABLE_PLUGIN_AUTOLOAD" not in os.environ


def test_check_command_exit_codes(gini_cli, plugin_dist):
    """gini-host check: 0 clean, 1 one line per problem, 2 for an unknown name."""
    plugin_dist("greeter", source=SOURCE, requires=HOST_OK)
    plugin_dist("sloppy", source="from gini_host import hookimpl\n\ndef gini_preflight(host):\n    pass\n")
    assert gini_cli("check", "greeter").exit_code == 0
    sloppy = gini_cli("check", "sloppy")
    assert sloppy.exit_code == 1
    assert sloppy.stdout.splitlines() == [
        "gini_preflight is not marked with @gini_host.hookimpl, so it would never run",
        'distribution sloppy does not require gini-host: add "gini-host>=0.1,<1" to its dependencies',
    ]
    unknown = gini_cli("check", "slopy")
    assert unknown.exit_code == 2
    unknown.fnmatch_lines(["error: no installed plugin or importable module named 'slopy'*"], stderr=True)


def test_new_plugin_command_writes_the_project(gini_cli, tmp_path):
    """gini-host new-plugin NAME --dir DIR lists the files it wrote; a bad name exits 2."""
    result = gini_cli("new-plugin", "disk-check", "--dir", tmp_path / "disk")
    assert result.exit_code == 0, result
    assert (tmp_path / "disk" / "gini_disk_check" / "plugin.py").is_file()
    result.fnmatch_lines(["*pyproject.toml", "*README.md"])
    assert gini_cli("new-plugin", "Disk", "--dir", tmp_path / "x").exit_code == 2


def test_cwd_needs_a_subprocess(gini_cli, tmp_path):
    """In-process runs share the test's working directory; cwd= is for subprocesses."""
    with pytest.raises(TypeError, match="cwd= needs subprocess=True"):
        gini_cli("plugins", cwd=tmp_path)


SLEEPY = '''
import time
from pathlib import Path

from gini_host import hookimpl, stage

@stage
def nap(ctx):
    """Sleep until interrupted."""
    Path("started").write_text("yes", encoding="utf-8")
    time.sleep(60)

@hookimpl
def gini_register_stages(host):
    return [nap]
'''


def _wait_until_started(proc, path):
    deadline = time.monotonic() + 30
    while not path.exists():
        assert proc.running, proc.finish()
        assert time.monotonic() < deadline, "the stage did not start"
        time.sleep(0.02)


def test_start_runs_a_subprocess_the_test_can_signal(gini_cli, plugin_dist, tmp_path):
    """gini_cli.start returns at once; send_signal reaches the command, finish gives its CliResult."""
    plugin_dist("sleepy", source=SLEEPY, requires=HOST_OK)
    proc = gini_cli.start("--no-autoload", "-p", "sleepy", "run", "sleepy::nap", cwd=tmp_path)
    _wait_until_started(proc, tmp_path / "started")
    proc.send_signal(signal.SIGINT)
    result = proc.finish(timeout=30)
    assert not proc.running
    assert result.exit_code == 130, result
    assert result.args == ("--no-autoload", "-p", "sleepy", "run", "sleepy::nap")
    result.fnmatch_lines(["*interrupted by SIGINT*"], stderr=True)


def test_started_processes_still_running_are_killed_at_teardown(plugin_dist, tmp_path):
    """What a test started and left running is killed when the fixture is torn down."""
    plugin_dist("sleepy", source=SLEEPY, requires=HOST_OK)
    invoker = CliInvoker(plugin_dist.site)
    proc = invoker.start("--no-autoload", "-p", "sleepy", "run", "sleepy::nap", cwd=tmp_path)
    _wait_until_started(proc, tmp_path / "started")
    invoker.close()
    assert not proc.running
    assert proc.popen.returncode == -signal.SIGKILL
