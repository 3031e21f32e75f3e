"""CLI tests run ``gini-host`` through the harness's ``gini_cli`` against real plugin
distributions written by ``plugin_dist`` (sources in ``sources.py``).

Runs use ``--no-autoload -p NAME`` where the bundled plugins installed in the venv would get
in the way (gini-logging takes over the console log sink).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gini_host.testing import CliInvoker, CliResult, PluginDists

from .sources import DEMO


@pytest.fixture(autouse=True)
def _no_plugin_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads or writes the user's entry-point index or picks up a stray config."""
    monkeypatch.setenv("GINI_HOST_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GINI_HOST_CONFIG", raising=False)
    monkeypatch.delenv("GINI_HOST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)


class _NoCrash(CliInvoker):
    """``gini_cli`` whose in-process crashes fail the test: the CLI answers every input with
    an exit code and a message, never an uncaught exception."""

    def __call__(self, *args: Any, **kwargs: Any) -> CliResult:
        __tracebackhide__ = True
        result = super().__call__(*args, **kwargs)
        if result.exception is not None:
            raise result.exception
        return result


@pytest.fixture
def gini_cli(gini_cli: CliInvoker) -> Iterator[CliInvoker]:
    """The harness's ``gini_cli``; an in-process crash is re-raised into the test."""
    strict = _NoCrash(gini_cli.site)
    try:
        yield strict
    finally:
        strict.close()


@pytest.fixture
def demo(plugin_dist: PluginDists) -> PluginDists:
    """The ``demo`` plugin distribution installed; returns the site to add more to."""
    plugin_dist("demo", source=DEMO, summary="A demo plugin")
    return plugin_dist
