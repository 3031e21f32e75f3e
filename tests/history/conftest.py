"""History tests run ``gini-host`` (in-process or as subprocesses) against real plugin
distributions, with the history database in the test's own state directory."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gini_host.testing import CliInvoker, CliProcess, CliResult, PluginDists

from .sources import FLAKY

STAGES = ("a", "b", "c", "side", "hold")


@pytest.fixture(autouse=True)
def _isolated(isolated_cli: None) -> None:
    """Every history test runs ``gini-host`` isolated (tests/conftest.py)."""


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Where the history of this test's runs goes (``[history] path`` in its gini.toml)."""
    return tmp_path / "state" / "history.sqlite3"


def write_config(folder: Path, database: Path, extra: str = "") -> Path:
    """gini.toml: every flaky stage gets ``dir`` = ``folder``; history at ``database``."""
    lines = [f'[history]\npath = "{database}"\n']
    for name in STAGES:
        lines.append(f'[stages."flaky::{name}".config]\ndir = "{folder}"\n')
    config = folder / "gini.toml"
    config.write_text("\n".join(lines) + extra, encoding="utf-8")
    return config


@pytest.fixture
def flaky(plugin_dist: PluginDists, tmp_path: Path, database: Path) -> Path:
    """The flaky plugin installed and configured; returns the folder of its control files."""
    database.parent.mkdir(mode=0o700)
    plugin_dist("flaky", source=FLAKY, version="1.0")
    write_config(tmp_path, database)
    return tmp_path


def count(folder: Path, stage: str) -> int:
    """How many times ``flaky::stage`` ran."""
    path = folder / f"count-{stage}"
    return int(path.read_text()) if path.exists() else 0


class Cli:
    """``gini-host --no-autoload -p flaky ...`` for these tests."""

    def __init__(self, gini_cli: CliInvoker) -> None:
        self.gini_cli = gini_cli

    def __call__(self, *args: str, **kwargs: Any) -> CliResult:
        __tracebackhide__ = True
        result = self.gini_cli("--no-autoload", "-p", "flaky", *args, **kwargs)
        if result.exception is not None:
            raise result.exception
        return result

    def start(self, *args: str) -> CliProcess:
        return self.gini_cli.start("--no-autoload", "-p", "flaky", *args)

    def document(self, ref: str = "last") -> dict[str, Any]:
        shown = self("runs", "show", ref, "--json")
        assert shown.exit_code == 0, shown
        doc: dict[str, Any] = shown.json
        return doc


@pytest.fixture
def cli(gini_cli: CliInvoker) -> Cli:
    return Cli(gini_cli)


def wait_until(
    condition: Callable[[], bool], proc: CliProcess | None = None, timeout: float = 60
) -> None:
    """Poll ``condition`` (a marker file, a row in the database) with a generous bound."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and not proc.running:
            pytest.fail(f"gini-host exited early:\n{proc.finish()}")
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.02)


def recorded_stage(database: Path, stage_id: str) -> bool:
    """Whether some run's result of ``stage_id`` is committed in ``database`` (read as
    another process would: a separate connection)."""
    if not database.exists():
        return False
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            row = connection.execute(
                "SELECT count(*) FROM stages WHERE stage_id = ?", (stage_id,)
            ).fetchone()
    except sqlite3.OperationalError:
        return False  # the schema is not there yet
    return bool(row[0])


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {s["stage_id"]: s["status"] for s in doc["stages"]}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2)
