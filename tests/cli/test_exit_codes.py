"""Exit codes through a real ``python -m gini_host``: 0 ok, 1 a stage failed, 2 bad input
(never with a traceback unless -v), and the bad-input cases that come from the kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from gini_host.testing import CliInvoker, PluginDists

from .sources import BROKEN_IMPORT

NO_DEMO = ("--no-autoload", "-p", "demo")

GREEDY = """
    from gini_host import hookimpl
    from gini_host.kernel.plugins import PluginManifest

    @hookimpl
    def gini_manifest():
        return PluginManifest(conflicts_with=("demo",))
"""


def test_subprocess_exit_codes_0_1_2(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """python -m gini_host exits 0 on success, 1 on a failed stage, 2 on bad input."""
    ok = gini_cli(*NO_DEMO, "run", "demo", "--json", subprocess=True)
    assert ok.exit_code == 0, ok
    assert ok.json["status"] == "succeeded"
    failed = gini_cli(*NO_DEMO, "run", "demo::boom", "--json", subprocess=True)
    assert failed.exit_code == 1, failed
    assert failed.json["stages"]["demo::boom"]["error"] == "ValueError: nope"
    bad = gini_cli(*NO_DEMO, "run", "demo::bild", subprocess=True)
    assert bad.exit_code == 2
    assert "did you mean 'demo::build'?" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert bad.stdout == ""


def test_subprocess_preflight_failure_exits_1(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """python -m gini_host preflight exits 1 when a plugin cannot load."""
    plugin_dist("broken", source=BROKEN_IMPORT)
    out = gini_cli("--no-autoload", "-p", "broken", "preflight", subprocess=True)
    assert out.exit_code == 1, out


def test_no_command_shows_help_and_exits_2(gini_cli: CliInvoker) -> None:
    """gini-host with no command prints the usage and exits 2."""
    out = gini_cli(subprocess=True)
    assert out.exit_code == 2
    assert "Usage: gini-host" in out.stdout + out.stderr


def test_verbose_shows_the_traceback_of_bad_input(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """-v adds the traceback to a bad-input error; the exit code stays 2."""
    out = gini_cli("-v", *NO_DEMO, "run", "nope")
    assert out.exit_code == 2
    assert "Traceback (most recent call last)" in out.stderr
    assert "PipelineError" in out.stderr


def test_strict_mode_failure_is_bad_input(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """plugins.strict = true: a plugin that fails to load exits 2, naming it and the cause."""
    plugin_dist("broken", source=BROKEN_IMPORT)
    Path("gini.toml").write_text("[plugins]\nstrict = true\n")
    out = gini_cli(*NO_DEMO, "-p", "broken", "plugins")
    assert out.exit_code == 2
    assert "strict mode" in out.stderr
    assert "broken" in out.stderr
    assert "cannot import me" in out.stderr


def test_blocking_conflict_is_bad_input_with_the_ways_out(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """A critical conflict exits 2 and says how to resolve it; disable-later resolves it."""
    plugin_dist("greedy", source=GREEDY)
    out = gini_cli(*NO_DEMO, "-p", "greedy", "run", "demo")
    assert out.exit_code == 2
    assert "plugins conflict, refusing to start" in out.stderr
    assert "-p no:" in out.stderr
    Path("gini.toml").write_text('[plugins]\non_conflict = "disable-later"\n')
    assert gini_cli(*NO_DEMO, "-p", "greedy", "plugins").exit_code == 0


def test_cycle_in_a_config_pipeline_is_bad_input(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """Extra requires edges that close a loop: run exits 2 naming the cycle in order."""
    Path("gini.toml").write_text(
        "[pipelines.loop]\n"
        'stages = ["demo::build"]\n'
        'requires = { "demo::fetch" = ["demo::build"] }\n'
    )
    out = gini_cli(*NO_DEMO, "run", "loop")
    assert out.exit_code == 2
    assert "dependency cycle: demo::build -> demo::fetch -> demo::build" in out.stderr


GRUMPY = """
    from gini_host import hookimpl

    @hookimpl
    def gini_shutdown(host):
        raise RuntimeError("disk full")
"""

SULKY = """
    from gini_host import hookimpl

    @hookimpl
    def gini_shutdown(host):
        raise ValueError("lock still held")
"""


@pytest.mark.parametrize("logging", ["logging", "no:logging"])
def test_failing_shutdown_hooks_are_printed_and_fail_the_command(
    plugin_dist: PluginDists, gini_cli: CliInvoker, logging: str
) -> None:
    """Each failing gini_shutdown is one error line on stderr, gini-logging or not; exit 1."""
    plugin_dist("grumpy", source=GRUMPY)
    plugin_dist("sulky", source=SULKY)
    out = gini_cli("-p", logging, "-p", "grumpy", "-p", "sulky", "plugins", "--json")
    assert out.exit_code == 1, out
    statuses = {p["name"]: p["status"] for p in out.json}
    assert statuses["logging"] == ("active" if logging == "logging" else "disabled")
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: plugin sulky: gini_shutdown raised ValueError: lock still held",
        "error: plugin grumpy: gini_shutdown raised RuntimeError: disk full",
    ]
    assert "Traceback" not in out.stderr


def test_a_failing_shutdown_hook_keeps_the_exit_code_of_a_failed_command(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """A command that already failed keeps its own exit code; the shutdown error is still shown."""
    plugin_dist("grumpy", source=GRUMPY)
    out = gini_cli(*NO_DEMO, "-p", "grumpy", "run", "demo::bild")
    assert out.exit_code == 2
    assert "error: plugin grumpy: gini_shutdown raised RuntimeError: disk full" in out.stderr
    failed = gini_cli(*NO_DEMO, "-p", "grumpy", "run", "demo::boom")
    assert failed.exit_code == 1
    assert "error: plugin grumpy: gini_shutdown raised RuntimeError: disk full" in failed.stderr
