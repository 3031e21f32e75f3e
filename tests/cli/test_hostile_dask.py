"""The ``dask`` executor with careless input and chatty clusters: bad scheduler addresses are
bad input, Dask's log lines keep to the operator's level, dry runs check the scheduler."""

from __future__ import annotations

import json
import time

import pytest

from gini_host.testing import CliInvoker, PluginDists
from tests.hostile.leftovers import CHATTY, QUIET, run_args

pytest.importorskip("distributed")

RUN = run_args("quiet", "quiet::hello", "dask")


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("notaurl", "not a scheduler address"),
        ("tcp://127.0.0.1:1", "unreachable"),
        ("foo://127.0.0.1:8786", "not a scheduler address"),
    ],
)
def test_bad_scheduler_address_is_bad_input(
    plugin_dist: PluginDists, gini_cli: CliInvoker, address: str, why: str, dry_run: bool
) -> None:
    """Exit 2 and one line naming the address, within the connect timeout (10 s), no
    traceback. Before: a distributed traceback and exit 1, after a 30 s hang for a port where
    nothing listens; a dry run did not try the address at all (exit 0)."""
    plugin_dist("quiet", source=QUIET)
    args = [*RUN, "--scheduler", address, *(["--dry-run"] if dry_run else [])]
    began = time.monotonic()
    done = gini_cli(*args, subprocess=True, timeout=60)
    assert done.exit_code == 2, done.stderr
    assert time.monotonic() - began < 25  # measured ~11 s for the unreachable port
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"'{address}'" in lines[0]
    assert why in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("quiet", "hidden"), [("-qq", ("debug", "info", "warning")), ("-q", ("debug", "info"))]
)
def test_local_cluster_logs_keep_to_the_console_level(
    plugin_dist: PluginDists, gini_cli: CliInvoker, quiet: str, hidden: tuple[str, ...]
) -> None:
    """With -q / -qq (and --json), no line below the chosen level reaches stderr from the
    local cluster: not the workers' own (a stage's ctx.log, the booted host's DEBUG lines,
    which went out at loguru's default DEBUG before), not Dask's INFO or a nanny's warning."""
    plugin_dist("chatty", source=CHATTY)
    args = run_args("chatty", "chatty::chat", "dask", "--json")
    done = gini_cli(quiet, *args, subprocess=True, timeout=120)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["stages"]["chatty::chat"]["status"] == "succeeded"
    for level in hidden:
        assert f"chatty {level} line" not in done.stderr, done.stderr
    if "warning" not in hidden:
        assert "chatty warning line" in done.stderr  # at the level: it does reach the console
    noise = [
        line
        for line in done.stderr.splitlines()
        if "DEBUG" in line or " INFO " in line or (quiet == "-qq" and "WARNING" in line)
    ]
    assert noise == [], done.stderr
