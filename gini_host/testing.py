"""gini-host's pytest plugin: test plugins against real installed distributions.

Loaded through the ``pytest11`` entry point wherever gini-host is installed (disable with
``-p no:gini_host``). Fixtures:

- ``plugin_dist``: write installed plugin distributions (dist-info and module) into a temp
  dir on ``sys.path``; ``sys.path``, ``sys.modules`` and ``os.environ`` are restored after.
- ``make_host``: booted in-process hosts from plugin objects; shut down at teardown.
- ``hook_recorder``: every hook call of every host the test creates.
- ``gini_cli``: run ``gini-host`` in-process or as a subprocess (``gini_cli.start``: one to
  signal while it runs; killed at teardown if still running).

Helpers: :func:`run_pipeline`, :func:`assert_statuses`, :func:`check_plugin`.
See ``docs/testing.md``.

pytest imports this module in every run wherever gini-host is installed, so it registers the
fixtures and imports nothing of the host: a fixture imports what it needs when a test first
uses it, and the helpers resolve on first use (PEP 562). An unrelated one-test run took
0.71-0.77 s against 0.32-0.34 s with ``-p no:gini_host`` when this module imported the host
(issue 13).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from gini_host._lazy import lazy_names

if TYPE_CHECKING:
    from gini_host._testing.assertions import assert_statuses, status_diff
    from gini_host._testing.cli import CliInvoker, CliProcess, CliResult
    from gini_host._testing.dists import PluginDist, PluginDists
    from gini_host._testing.hosts import HostFactory, run_pipeline
    from gini_host._testing.recorder import HookCall, HookRecorder
    from gini_host.authoring.checks import check_plugin

#: Helper name -> the module that defines it (imported when the name is first used).
_LAZY: dict[str, str] = {
    "assert_statuses": "gini_host._testing.assertions",
    "status_diff": "gini_host._testing.assertions",
    "CliInvoker": "gini_host._testing.cli",
    "CliProcess": "gini_host._testing.cli",
    "CliResult": "gini_host._testing.cli",
    "PluginDist": "gini_host._testing.dists",
    "PluginDists": "gini_host._testing.dists",
    "HostFactory": "gini_host._testing.hosts",
    "run_pipeline": "gini_host._testing.hosts",
    "HookCall": "gini_host._testing.recorder",
    "HookRecorder": "gini_host._testing.recorder",
    "check_plugin": "gini_host.authoring.checks",
}

__all__ = [
    "CliInvoker",
    "CliProcess",
    "CliResult",
    "HookCall",
    "HookRecorder",
    "HostFactory",
    "PluginDist",
    "PluginDists",
    "assert_statuses",
    "check_plugin",
    "gini_cli",
    "hook_recorder",
    "make_host",
    "plugin_dist",
    "run_pipeline",
    "status_diff",
]

# No __dir__ listing the lazy names: pytest's fixture scan getattr()s every name dir() gives,
# which would import the host in every run.
__getattr__ = lazy_names(__name__, _LAZY, __all__)[0]


@pytest.fixture
def plugin_dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginDists]:
    """Write real installed plugin distributions into a temp dir on ``sys.path``."""
    from gini_host._testing.dists import PluginDists, Snapshot

    snapshot = Snapshot.take()
    site = tmp_path_factory.mktemp("site")
    sys.path.insert(0, str(site))
    # The entry-point index of this test's paths goes to a cache directory of the test's own,
    # and the history of its runs to a state directory of its own, never into the user's
    # (the snapshot restores the variables).
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    try:
        yield PluginDists(site)
    finally:
        snapshot.restore(site)


@contextlib.contextmanager
def _own_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hosts record their runs in ``$XDG_STATE_HOME``: point it at a directory of the
    test's own for the test, unless ``plugin_dist`` already did."""
    saved = os.environ.get("XDG_STATE_HOME")
    if saved is not None and saved.startswith(str(tmp_path_factory.getbasetemp())):
        yield
        return
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = saved


@pytest.fixture
def make_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostFactory]:
    """Build booted hosts from plugin objects; every one is shut down at teardown. Their
    runs are recorded in a state directory of the test's own."""
    from gini_host._testing.hosts import HostFactory

    factory = HostFactory()
    with _own_state_home(tmp_path_factory):
        try:
            yield factory
        finally:
            factory.close()


@pytest.fixture
def hook_recorder() -> Iterator[HookRecorder]:
    """Record every hook call of every host created while the test runs.

    Hosts from ``make_host``, from an in-process ``gini_cli`` and from ``gini_host.Host``
    itself are all seen; subprocesses are not.
    """
    from gini_host._testing.recorder import HookRecorder, watch_hosts

    recorder = HookRecorder()
    with watch_hosts(recorder.attach):
        try:
            yield recorder
        finally:
            recorder.detach()


@pytest.fixture
def gini_cli(request: pytest.FixtureRequest) -> Iterator[CliInvoker]:
    """Run ``gini-host`` in-process (default) or as a subprocess (``subprocess=True``), or
    start a subprocess to act on while it runs (``gini_cli.start``).

    When the test also uses ``plugin_dist``, its distributions are visible to both: on
    ``sys.path`` in-process, on ``PYTHONPATH`` in the subprocess. Started subprocesses that
    are still running at teardown are killed.
    """
    from gini_host._testing.cli import CliInvoker

    site = None
    if "plugin_dist" in request.fixturenames:
        dists: PluginDists = request.getfixturevalue("plugin_dist")
        site = dists.site
    invoker = CliInvoker(site)
    with _own_state_home(request.getfixturevalue("tmp_path_factory")):
        try:
            yield invoker
        finally:
            invoker.close()
