"""The installed plugin inside a real host: [plugin.logging] from the config reaches it, and the
host's shutdown closes what it opened (gini-host's test harness: make_host, hook_recorder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loguru import logger

pytest.importorskip("gini_host")

from gini_host.testing import HookRecorder, HostFactory, check_plugin


def test_gini_host_check_finds_no_problem() -> None:
    """Hooks and the gini-host requirement are in order."""
    assert check_plugin("logging") == []


def test_config_table_configures_a_booted_host(
    make_host: HostFactory, hook_recorder: HookRecorder, tmp_path: Path
) -> None:
    """gini.toml's [plugin.logging] is what gini_configure receives; the file gets JSON lines."""
    log_file = tmp_path / "gini.log"
    config = f'[plugin.logging]\nformat = "json"\nfile = "{log_file}"\nlevel = "DEBUG"\n'
    host = make_host(enable=["logging"], config=config)
    assert host.plugin("logging").active
    call = hook_recorder.call("gini_configure")
    assert (call.plugin, dict(call.config)) == (
        "logging",
        {"format": "json", "file": str(log_file), "level": "DEBUG"},
    )
    logger.info("through the host")
    records = [json.loads(line)["record"] for line in log_file.read_text().splitlines()]
    assert records[-1]["message"] == "through the host"


def test_host_shutdown_closes_the_log_file(make_host: HostFactory, tmp_path: Path) -> None:
    """After the host shuts down nothing more reaches the plugin's file."""
    log_file = tmp_path / "gini.log"
    host = make_host(enable=["logging"], config={"plugin": {"logging": {"file": str(log_file)}}})
    host.shutdown()
    logger.info("after shutdown")
    assert "after shutdown" not in log_file.read_text()


def test_bad_config_fails_the_plugin_naming_the_key(make_host: HostFactory) -> None:
    """A bad table fails the plugin at boot, with the key in the reason; the host goes on."""
    host = make_host(enable=["logging"], config={"plugin": {"logging": {"format": "xml"}}})
    info = host.plugin("logging")
    assert info.status.value == "failed"
    assert "plugin.logging.format: expected one of compact, pretty, json, got 'xml'" in (
        info.reason or ""
    )
