"""The console log sink: human lines or JSON on stderr, levels, and what it never prints."""

from __future__ import annotations

import json

import pytest
from loguru import logger

from gini_host.testing import CliInvoker, PluginDists

NO_DEMO = ("--no-autoload", "-p", "demo")

LEAKY = """
    from gini_host import hookimpl, stage

    @stage
    def login(ctx):
        "Log in."
        token = ctx.config["token"]
        try:
            raise ValueError(len(token))
        except ValueError:
            ctx.log.exception("login failed")
        ctx.log.debug("debug detail")
        return "ok"

    @hookimpl
    def gini_register_stages(host):
        return [login]
"""

QUIET_TAKEOVER = """
    from loguru import logger

    from gini_host import hookimpl

    @hookimpl
    def gini_configure(host, config):
        logger.remove(host.log_handler_id)
"""


def test_logs_are_human_lines_on_stderr_naming_the_stage(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """By default a stage's log line goes to stderr with level and stage id; stdout is clean."""
    out = gini_cli(*NO_DEMO, "run", "demo::fetch", "--json")
    assert out.exit_code == 0, out
    line = next(line for line in out.stderr.splitlines() if "fetching" in line)
    assert line.split(" ", 1)[1] == "INFO     [demo::fetch] fetching 3 items"
    assert json.loads(out.stdout)["status"] == "succeeded"


def test_log_json_writes_one_object_per_line_bound_to_run_and_stage(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """--log-json: each stderr line is a JSON object; stage lines carry run_id, plugin, stage."""
    out = gini_cli("--log-json", *NO_DEMO, "run", "demo::fetch", "--json")
    assert out.exit_code == 0, out
    records = [json.loads(line)["record"] for line in out.stderr.splitlines()]
    fetching = next(r for r in records if r["message"] == "fetching 3 items")
    assert fetching["extra"] == {
        "run_id": out.json["run_id"],
        "stage": "demo::fetch",
        "plugin": "demo",
    }
    assert fetching["level"]["name"] == "INFO"


def test_log_json_reports_bad_input_as_a_json_record(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """Under --log-json even the bad-input message is a JSON log record."""
    out = gini_cli("--log-json", *NO_DEMO, "run", "nope")
    assert out.exit_code == 2
    record = json.loads(out.stderr.splitlines()[-1])["record"]
    assert record["level"]["name"] == "ERROR"
    assert "unknown pipeline or stage 'nope'" in record["message"]


def test_quiet_and_verbose_set_the_level(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """-q hides INFO, the default hides DEBUG, -v shows DEBUG."""
    plugin_dist("leaky", source=LEAKY)
    args = ("--no-autoload", "-p", "leaky", "run", "leaky::login", "--set", "leaky::login.token=x")
    assert "debug detail" not in gini_cli(*args).stderr
    assert "debug detail" in gini_cli("-v", *args).stderr
    quiet = gini_cli("-q", *args).stderr
    assert "login failed" in quiet  # ERROR still shows
    assert "INFO" not in quiet


def test_tracebacks_never_show_local_values(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """Logged exceptions print no local variable values (loguru diagnose is off)."""
    plugin_dist("leaky", source=LEAKY)
    out = gini_cli(
        "-v",
        "--no-autoload",
        "-p",
        "leaky",
        "run",
        "leaky::login",
        "--set",
        "leaky::login.token=hunter2-secret",
    )
    assert out.exit_code == 0, out
    assert "ValueError: 14" in out.stderr
    assert "hunter2-secret" not in out.stderr


def test_log_handler_id_is_the_console_sink(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """host.log_handler_id is the console sink: a plugin that removes it silences the console."""
    plugin_dist("takeover", source=QUIET_TAKEOVER)
    loud = gini_cli(*NO_DEMO, "run", "demo::fetch")
    assert "fetching 3 items" in loud.stderr
    silenced = gini_cli(*NO_DEMO, "-p", "takeover", "run", "demo::fetch")
    assert silenced.exit_code == 0, silenced
    assert "fetching 3 items" not in silenced.stderr


def test_in_process_command_leaves_loguru_handlers_as_it_found_them(
    demo: PluginDists, gini_cli: CliInvoker, capfd: pytest.CaptureFixture[str]
) -> None:
    """An in-process command puts loguru's default stderr handler back: same handlers after."""
    before = len(logger._core.handlers)  # type: ignore[attr-defined]
    assert gini_cli(*NO_DEMO, "run", "demo::fetch").exit_code == 0
    assert gini_cli(*NO_DEMO, "plugins").exit_code == 0
    assert len(logger._core.handlers) == before  # type: ignore[attr-defined]
    capfd.readouterr()
    logger.warning("logged after the command")
    assert "logged after the command" in capfd.readouterr().err
