"""A ``KeyboardInterrupt`` or ``SystemExit`` raised by a stage body is that stage's failure
(issue 11 item 2): the run goes on (with ``--keep-going``), the exit code is 1, and only a
real SIGINT/SIGTERM means 130 (tested in test_signals.py)."""

from __future__ import annotations

import pytest

from gini_host.testing import CliInvoker, PluginDists

SOURCE = '''
from gini_host import hookimpl, stage

@stage
def ctrl_c(ctx):
    raise KeyboardInterrupt("raised by the stage, not by a signal")

@stage
def exits(ctx):
    raise SystemExit(3)

@stage
def fine(ctx):
    return "fine"

@stage(requires=["ctrl_c"])
def after(ctx):
    return "never"

@hookimpl
def gini_register_stages(host):
    return [ctrl_c, exits, fine, after]
'''


@pytest.mark.parametrize("executor", ["sequential", "threads", "async", "processes", "dask"])
def test_an_interrupt_raised_by_a_stage_fails_that_stage_only(
    plugin_dist: PluginDists, gini_cli: CliInvoker, executor: str
) -> None:
    """``raise KeyboardInterrupt`` in a body: the stage failed with that error, its
    dependent skipped, the independent stages ran, exit 1 (not 130), nothing cancelled."""
    plugin_dist("brat", SOURCE)
    out = gini_cli(
        "--no-autoload", "-p", "brat", "run", "brat::after", "brat::exits", "brat::fine",
        "--keep-going", "--json", "--executor", executor, subprocess=True, timeout=180,
    )  # fmt: skip
    assert out.exit_code == 1, out
    stages = out.json["stages"]
    assert {sid: r["status"] for sid, r in stages.items()} == {
        "brat::ctrl_c": "failed",
        "brat::after": "skipped",
        "brat::exits": "failed",
        "brat::fine": "succeeded",
    }, out
    assert stages["brat::ctrl_c"]["error"] == (
        "KeyboardInterrupt: raised by the stage, not by a signal"
    )
    assert stages["brat::exits"]["error"] == "SystemExit: 3"
    assert "Traceback" not in out.stderr
