"""CLI tests run ``gini-host`` against real plugin distributions written by ``plugin_dist``:
in-process through click's CliRunner (``gini``), or as ``python -m gini_host`` (``gini_proc``).

Runs use ``--no-autoload -p NAME`` where the bundled plugins installed in the venv would get
in the way (gini-logging takes over the console log sink).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from gini_host.cli import cli
from gini_host.testing import PluginDists

from .harness import DEMO, Gini, Outcome, subprocess_env


@pytest.fixture(autouse=True)
def _no_plugin_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads or writes the user's entry-point index or picks up a stray config."""
    monkeypatch.setenv("GINI_HOST_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GINI_HOST_CONFIG", raising=False)
    monkeypatch.delenv("GINI_HOST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def demo(plugin_dist: PluginDists) -> PluginDists:
    """The ``demo`` plugin distribution installed; returns the site to add more to."""
    plugin_dist("demo", source=DEMO, summary="A demo plugin")
    return plugin_dist


@pytest.fixture
def gini() -> Gini:
    """``gini("run", "x", env={...})``: in-process through CliRunner; crashes re-raised."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def gini_proc(plugin_dist: PluginDists, tmp_path: Path) -> Callable[..., Outcome]:
    """``gini_proc(args)``: ``python -m gini_host`` with the test's site on PYTHONPATH."""

    def run(args: Sequence[str], env: dict[str, str] | None = None) -> Outcome:
        done = subprocess.run(
            [sys.executable, "-m", "gini_host", *args],
            env=subprocess_env(plugin_dist, env),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    return run
