"""``gini-host run`` against hostile plugins (issue 11, items 3-5): stdout holds the host's
output only (exactly one JSON document with ``--json``) on every executor, unprintable values
and errors are shown with placeholders, and a raising observer is named once while the run's
whole output is still printed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gini_host.testing import CliInvoker, PluginDists
from tests.hostile import observers, stages

ONLY = ("--no-autoload", "-p", "hostile")
WATCHED = (*ONLY, "-p", "watcher")
ALL_STAGES = [f"hostile::{name}" for name in stages.STATUSES]


@pytest.fixture
def hostile(plugin_dist: PluginDists) -> PluginDists:
    plugin_dist("hostile", stages.SOURCE)
    return plugin_dist


@pytest.fixture
def watcher(hostile: PluginDists) -> PluginDists:
    hostile(
        "watcher",
        observers.SOURCE,
        entry_points={"gini_host.plugins": {"watcher": "watcher:gini_plugin"}},
    )
    return hostile


@pytest.mark.parametrize("executor", ["sequential", "threads", "async", "processes", "dask"])
def test_run_json_is_one_document_whatever_stages_print_return_or_raise(
    hostile: PluginDists, gini_cli: CliInvoker, executor: str
) -> None:
    """Stages that print, return unprintable or 100,000-deep values and raise unprintable
    errors: stdout is the JSON document alone, statuses are the same on every executor,
    what stages printed is on stderr labelled with the stage, and no traceback is shown."""
    out = gini_cli(
        *ONLY, "run", *ALL_STAGES, "--keep-going", "--json", "--executor", executor,
        subprocess=True, timeout=180,
    )  # fmt: skip
    assert out.exit_code == 1, out
    run = out.json
    assert {sid: r["status"] for sid, r in run["stages"].items()} == {
        f"hostile::{name}": status for name, status in stages.STATUSES.items()
    }
    assert run["stages"]["hostile::raises_unprintable"]["error"] == (
        f"UnprintableError: {stages.UNPRINTABLE_MESSAGE}"
    )
    assert "[hostile::noisy] noisy says hello\n" in out.stderr
    assert "[hostile::noisy] partial line\n" in out.stderr
    assert "[hostile::noisy_async] async noise\n" in out.stderr
    # Unlabelled, a thread's print is two writes (text, then newline) that other output may
    # come between on a busy worker: only where it went is asserted.
    assert "printed from a thread" in out.stderr
    assert "bytes from a stage\n" in out.stderr
    # Dask's own shutdown may log a traceback of its comms (issue 11 item 9); none is ours.
    tracebacks = out.stderr.split("Traceback")[1:]
    assert not [t for t in tracebacks if "gini_host" in t or executor != "dask"], out.stderr


def test_dry_run_json_stays_one_document_when_describers_print(
    hostile: PluginDists, gini_cli: CliInvoker
) -> None:
    """A describer's print goes to stderr labelled; the dry run's JSON is stdout alone."""
    out = gini_cli(*ONLY, "run", "hostile::noisy_describer", "--dry-run", "--json")
    assert out.exit_code == 0, out
    assert out.json["stages"]["hostile::noisy_describer"]["status"] == "dry_run"
    assert "[hostile::noisy_describer] describing\n" in out.stderr


def test_text_output_shows_placeholders_for_what_cannot_be_shown(
    hostile: PluginDists, gini_cli: CliInvoker
) -> None:
    """Target values that are unprintable, self-referential, deep or huge are printed, with
    placeholders; the summary and every other target are there; exit 0."""
    targets = ("unrepresentable", "self_referential", "deep", "huge", "noisy")
    out = gini_cli(*ONLY, "run", *(f"hostile::{t}" for t in targets))
    assert out.exit_code == 0, out
    assert "thing: <unprintable Unrepresentable: repr() raised ValueError>" in out.stdout
    assert "self: <cycle: the dict shown above>" not in out.stdout  # a dict is nested, not inline
    assert "<cycle: the dict shown above>" in out.stdout
    assert "[[[[[[[[[...]]]]]]]]]" in out.stdout
    assert "number: <int of 16610 bits>" in out.stdout
    assert "quiet result" in out.stdout
    assert "noisy says hello" not in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("quiet", [(), ("-q",)])
def test_a_raising_observer_is_named_once_and_the_json_is_printed(
    watcher: PluginDists, gini_cli: CliInvoker, quiet: tuple[str, ...]
) -> None:
    """An observer raising in every hook (at boot too): each plugin and hook named once, no
    traceback, the whole JSON document printed, exit 1 (docs/operators.md)."""
    out = gini_cli(*quiet, *WATCHED, "run", "hostile::noisy", "hostile::self_referential", "--json")
    assert out.exit_code == 1, out
    run = out.json
    assert run["status"] == "succeeded"
    assert set(run["stages"]) == {"hostile::noisy", "hostile::self_referential"}
    for hook in observers.HOOKS:
        assert out.stderr.count(f"plugin watcher: observer hook {hook} raised") == 1, out
    assert "Traceback" not in out.stderr
    assert "watcher was here" not in out.stdout


def test_a_raising_observer_keeps_the_text_output_whole(
    watcher: PluginDists, gini_cli: CliInvoker
) -> None:
    """Without --json: the reporter's summary and the target values are printed; exit 1."""
    out = gini_cli(*WATCHED, "run", "hostile::noisy")
    assert out.exit_code == 1, out
    assert "quiet result" in out.stdout
    assert "hostile::noisy" in out.stdout and "succeeded" in out.stdout
    assert "Traceback" not in out.stderr


DESCRIPTOR_WRITER = """
    import os
    import subprocess
    import sys

    from gini_host import hookimpl, stage


    @stage
    def raw(ctx):
        os.write(1, b"written to descriptor 1\\n")
        subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
        return "done"


    @hookimpl
    def gini_register_stages(host):
        return [raw]
"""


def test_worker_processes_send_descriptor_1_to_stderr(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """Under processes, even writes to file descriptor 1 (os.write, child processes) reach
    stderr: a worker's stdout is not the host's to share."""
    plugin_dist("raw", DESCRIPTOR_WRITER)
    out = gini_cli(
        "--no-autoload", "-p", "raw", "run", "raw::raw", "--json", "--executor", "processes",
        subprocess=True, timeout=120,
    )  # fmt: skip
    assert out.exit_code == 0, out
    assert out.json["stages"]["raw::raw"]["status"] == "succeeded"
    assert "written to descriptor 1" in out.stderr
    assert "from a child process" in out.stderr


def test_a_stage_replacing_sys_stdout_does_not_take_the_hosts_output(
    hostile: PluginDists, gini_cli: CliInvoker
) -> None:
    """A stage that swaps sys.stdout for its own stream (never put back): the JSON document
    still reaches the real stdout."""
    out = gini_cli(
        *ONLY, "run", "hostile::replaces_stdout", "hostile::noisy", "--json", subprocess=True
    )
    assert out.exit_code == 0, out
    assert out.json["stages"]["hostile::replaces_stdout"]["status"] == "succeeded"


@pytest.fixture
def short_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Showing or storing a value may take 0.2 s here (5 s in the product); the hostile
    module's hanging values are released when the test ends."""
    import sys

    from gini_host.builtin.history import values
    from gini_host.cli import output

    monkeypatch.setattr(output, "SHOW_LIMIT", 0.2)
    monkeypatch.setattr(values, "ENCODE_LIMIT", 0.2)
    try:
        yield
    finally:
        module = sys.modules.get("hostile")
        if module is not None:
            module.RELEASE.set()


@pytest.mark.parametrize("as_json", [False, True])
def test_a_value_whose_repr_hangs_cannot_hang_the_output(
    hostile: PluginDists, gini_cli: CliInvoker, short_limits: None, as_json: bool
) -> None:
    """A target value whose repr() never returns hung `run` after its summary (no values, no
    JSON, no shutdown hooks, no exit). Now it is a placeholder and the rest is printed."""
    targets = ("hostile::hangs_when_shown", "hostile::noisy")
    out = gini_cli(*ONLY, "run", *targets, *(("--json",) if as_json else ()))
    assert out.exit_code == 0, out
    placeholder = "<not shown: showing this HangsWhenShown took longer than 0.2s>"
    if as_json:
        stage = out.json["stages"]["hostile::hangs_when_shown"]
        assert (stage["value"], stage["value_repr"]) == (None, placeholder)
        assert out.json["stages"]["hostile::noisy"]["value"] == "quiet result"
    else:
        assert f"  {placeholder}\n" in out.stdout
        assert "quiet result" in out.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_a_keyboard_interrupt_from_a_values_items_is_not_a_ctrl_c(
    hostile: PluginDists, gini_cli: CliInvoker, as_json: bool
) -> None:
    """Showing a dict whose items() raises KeyboardInterrupt: a placeholder, not exit 130."""
    targets = ("hostile::interrupting_items", "hostile::noisy")
    out = gini_cli(*ONLY, "run", *targets, *(("--json",) if as_json else ()))
    assert out.exit_code == 0, out
    assert "Traceback" not in out.stderr
    if as_json:
        assert out.json["stages"]["hostile::noisy"]["value"] == "quiet result"
        assert out.json["stages"]["hostile::interrupting_items"]["value"] is None
    else:
        assert "quiet result" in out.stdout


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_a_value_whose_unpickling_hangs_in_the_host_times_out(
    hostile: PluginDists, gini_cli: CliInvoker, executor: str
) -> None:
    """The host unpickles a worker's value (its __setstate__ is plugin code): one that never
    returned held the run forever, past the stage's timeout (1 s). It is that timeout now."""
    targets = ("hostile::hangs_when_loaded", "hostile::noisy")
    out = gini_cli(
        *ONLY, "run", *targets, "--executor", executor, "--keep-going", "--json", subprocess=True
    )
    assert out.exit_code == 1, out
    stages = out.json["stages"]
    assert stages["hostile::hangs_when_loaded"]["status"] == "failed"
    assert stages["hostile::hangs_when_loaded"]["error"].startswith("StageTimeoutError")
    assert stages["hostile::noisy"]["status"] == "succeeded"
