"""The plugin's hooks against the real loguru logger."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from loguru import logger

pytest.importorskip("gini_host")

from gini_logging.plugin import LoggingPlugin


def _handler_count() -> int:
    return len(logger._core.handlers)  # type: ignore[attr-defined]


@pytest.fixture
def console() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def plugin(console: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoggingPlugin]:
    monkeypatch.delenv("GINI_LOG_LEVEL", raising=False)
    instance = LoggingPlugin(console=console)
    yield instance
    # Always close what a test opened: an open log file would leak into later tests.
    instance.gini_shutdown(host=None)


@pytest.fixture
def host_sink() -> Iterator[tuple[SimpleNamespace, io.StringIO]]:
    """A stand-in host with its own console sink, as the real host keeps one."""
    stream = io.StringIO()
    handler_id = logger.add(stream, format="{message}", level="DEBUG")
    yield SimpleNamespace(log_handler_id=handler_id), stream
    # The plugin under test may have removed it already.
    with contextlib.suppress(ValueError):
        logger.remove(handler_id)


def test_json_format_writes_json_lines_to_the_file(plugin: LoggingPlugin, tmp_path: Path) -> None:
    """format = "json" makes every line of the file sink one JSON object."""
    log_file = tmp_path / "gini.log"
    plugin.gini_configure(host=None, config={"format": "json", "file": str(log_file)})
    logger.bind(stage="env-check::cpu").info("first")
    logger.warning("second")
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    messages = [record["record"]["message"] for record in records]
    assert messages[-2:] == ["first", "second"]
    assert records[-2]["record"]["extra"]["stage"] == "env-check::cpu"
    assert records[-1]["record"]["level"]["name"] == "WARNING"


def test_console_shows_level_filtered_compact_lines_with_the_stage(
    host_sink: tuple[SimpleNamespace, io.StringIO], plugin: LoggingPlugin, console: io.StringIO
) -> None:
    """The compact console sink filters by level and names the stage that logged."""
    plugin.gini_configure(host=host_sink[0], config={"level": "INFO"})
    logger.debug("hidden")
    logger.bind(stage="env-check::kvm").info("shown")
    output = console.getvalue()
    assert "hidden" not in output
    assert "INFO     [env-check::kvm] shown" in output


def test_env_var_level_reaches_the_sinks(
    host_sink: tuple[SimpleNamespace, io.StringIO],
    plugin: LoggingPlugin,
    console: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GINI_LOG_LEVEL=DEBUG lets debug lines through although the config says ERROR."""
    monkeypatch.setenv("GINI_LOG_LEVEL", "DEBUG")
    plugin.gini_configure(host=host_sink[0], config={"level": "ERROR"})
    logger.debug("now visible")
    assert "now visible" in console.getvalue()


def test_replace_console_removes_only_the_hosts_sink(
    plugin: LoggingPlugin, host_sink: tuple[SimpleNamespace, io.StringIO]
) -> None:
    """The host's console sink is removed by its id; other sinks stay."""
    host, host_stream = host_sink
    other = io.StringIO()
    other_id = logger.add(other, format="{message}")
    try:
        plugin.gini_configure(host=host, config={})
        logger.info("after")
        assert "after" not in host_stream.getvalue()
        assert "after" in other.getvalue()
    finally:
        logger.remove(other_id)


def test_replace_console_false_keeps_the_hosts_sink_and_adds_no_console(
    plugin: LoggingPlugin, console: io.StringIO, host_sink: tuple[SimpleNamespace, io.StringIO]
) -> None:
    """With replace_console = false the console stays the host's: no duplicate lines."""
    host, host_stream = host_sink
    plugin.gini_configure(host=host, config={"replace_console": False})
    logger.info("kept")
    assert "kept" in host_stream.getvalue()
    assert console.getvalue() == ""
    assert plugin.handler_ids == ()


def test_host_without_a_handler_id_keeps_its_console(
    plugin: LoggingPlugin, console: io.StringIO
) -> None:
    """No published handler (the operator chose -v/-q/--log-json): no console sink is added."""
    before = _handler_count()
    plugin.gini_configure(host=SimpleNamespace(log_handler_id=None), config={})
    plugin.gini_configure(host=object(), config={})
    assert _handler_count() == before
    logger.info("not ours")
    assert console.getvalue() == ""


def test_console_left_alone_still_gets_the_file_sink(plugin: LoggingPlugin, tmp_path: Path) -> None:
    """With the console not up for grabs, the file sink is still added and written."""
    log_file = tmp_path / "gini.log"
    plugin.gini_configure(host=SimpleNamespace(log_handler_id=None), config={"file": str(log_file)})
    logger.info("to the file")
    assert "to the file" in log_file.read_text()
    assert len(plugin.handler_ids) == 1


def test_shutdown_removes_the_sinks_it_added(
    plugin: LoggingPlugin, tmp_path: Path, host_sink: tuple[SimpleNamespace, io.StringIO]
) -> None:
    """After gini_shutdown the plugin's sinks are gone and nothing more reaches its file."""
    before = _handler_count()
    log_file = tmp_path / "gini.log"
    plugin.gini_configure(host=host_sink[0], config={"file": str(log_file)})
    assert _handler_count() == before + 1  # file + console added, the host's console removed
    plugin.gini_shutdown(host=None)
    assert _handler_count() == before - 1  # only the host's console was not ours to restore
    logger.info("after shutdown")
    assert "after shutdown" not in log_file.read_text()


def test_configure_twice_replaces_instead_of_stacking(
    host_sink: tuple[SimpleNamespace, io.StringIO], plugin: LoggingPlugin
) -> None:
    """A second configure removes the first one's sinks."""
    before = _handler_count()
    plugin.gini_configure(host=host_sink[0], config={})
    plugin.gini_configure(host=host_sink[0], config={"format": "pretty"})
    assert _handler_count() == before  # one console of ours in place of the host's


def test_bad_rotation_fails_cleanly(
    plugin: LoggingPlugin, tmp_path: Path, host_sink: tuple[SimpleNamespace, io.StringIO]
) -> None:
    """A rotation loguru cannot parse names the key and leaves every sink as it was."""
    host, host_stream = host_sink
    before = _handler_count()
    with pytest.raises(ValueError, match=r"^plugin\.logging\.rotation: "):
        plugin.gini_configure(
            host=host, config={"file": str(tmp_path / "x.log"), "rotation": "sometimes"}
        )
    assert _handler_count() == before
    logger.info("host still logs")
    assert "host still logs" in host_stream.getvalue()


def test_unopenable_file_names_the_file_key(plugin: LoggingPlugin, tmp_path: Path) -> None:
    """A log file that cannot be created is reported against plugin.logging.file."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"^plugin\.logging\.file: cannot open"):
        plugin.gini_configure(host=None, config={"file": str(blocker / "gini.log")})


def test_tracebacks_never_show_local_variables(
    host_sink: tuple[SimpleNamespace, io.StringIO],
    plugin: LoggingPlugin,
    console: io.StringIO,
    tmp_path: Path,
) -> None:
    """diagnose is off on every sink: a secret in a local variable is not printed."""
    log_file = tmp_path / "gini.log"
    plugin.gini_configure(host=host_sink[0], config={"file": str(log_file)})

    def connect() -> None:
        password = "hunter2-secret"
        # With diagnose on, loguru would print the value of every name on this line.
        raise RuntimeError(f"connection refused ({len(password)} character password)")

    try:
        connect()
    except RuntimeError:
        logger.exception("could not connect")
    assert "connection refused" in console.getvalue()
    assert "hunter2-secret" not in console.getvalue()
    assert "hunter2-secret" not in log_file.read_text()
