"""Hostile plugins at boot: every fault is its plugin's, the host stays in control, stdout
stays the host's (one JSON document with --json) and the exit code is the operator's."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from gini_host.testing import CliInvoker, PluginDists
from tests.hostile.plugins import (
    GOOD,
    HANGS_AT_IMPORT,
    HANGS_IN_PREFLIGHT,
    dependent,
    install_boot_hostiles,
)


def _load(names: list[str]) -> list[str]:
    args = ["--no-autoload"]
    for name in names:
        args += ["-p", name]
    return args


@pytest.fixture
def hostiles(plugin_dist: PluginDists) -> list[str]:
    """Every boot-time hostile plugin installed next to a good one; returns their names."""
    return install_boot_hostiles(plugin_dist)


def _statuses(out: str) -> dict[str, tuple[str, str | None]]:
    return {p["name"]: (p["status"], p["reason"]) for p in json.loads(out)}


def test_hostile_plugins_fail_alone_and_json_stays_one_document(
    hostiles: list[str], gini_cli: CliInvoker
) -> None:
    """Prints, KeyboardInterrupt/SystemExit, raising attributes, bad manifests: each fails
    its own plugin with a reason naming the hook; ``plugins --json`` exits 0 with one JSON
    document and no traceback."""
    done = gini_cli(*_load(hostiles), "plugins", "--json")
    assert done.exit_code == 0, done.stderr
    assert "Traceback" not in done.stderr
    status = _statuses(done.stdout)
    assert status["h-good"] == ("active", None)
    assert status["h-printer"] == ("active", None)
    assert status["h-noisy"] == ("active", None)
    expected = {
        "h-ctrlc-import": "import failed: KeyboardInterrupt: raised at import, not by a signal",
        "h-ctrlc": "preflight: gini_preflight raised KeyboardInterrupt: raised by a plugin, "
        "not by a signal",
        "h-exits": "gini_plugin_init raised SystemExit: 4",
        "h-nasty-str": "preflight: gini_preflight raised Nasty: <unprintable Nasty: str() "
        "raised RuntimeError>",
        "h-property": "reading attribute gini_preflight raised RuntimeError: property bomb",
        "h-dir": "listing its attributes (dir) raised RuntimeError: dir bomb",
        "h-commands": "gini_add_commands raised RuntimeError: boom",
    }
    for name, reason in expected.items():
        assert status[name] == ("failed", reason), name
    assert status["h-getattr"] == (
        "failed",
        "reading attribute gini_preflight raised RuntimeError: getattr bomb: gini_preflight",
    )
    assert status["h-priority-word"] == (
        "failed",
        "gini_manifest raised TypeError: priority must be an integer from 0 to 255, "
        "got str 'high'",
    )
    assert status["h-priority-none"][1].startswith(
        "gini_manifest raised TypeError: priority must be an integer from 0 to 255"
    )


def test_what_plugins_print_goes_to_stderr_labelled(
    hostiles: list[str], gini_cli: CliInvoker
) -> None:
    """Output of imports and hooks (gini_add_commands too) reaches stderr, prefixed with the
    plugin's name; ``run --json`` still prints exactly one JSON document."""
    done = gini_cli(*_load(hostiles), "run", "h-good::ok", "h-noisy::quiet", "--json")
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stages"]["h-good::ok"]["status"] == "succeeded"
    for line in (
        "[h-printer] printed at import",
        "[h-noisy] printed in preflight",
        "[h-noisy] printed in init",
        "[h-noisy] printed in register_stages",
        "[h-noisy] printed in add_commands",
        "[h-noisy] printed in shutdown",
    ):
        assert line in done.stderr


def test_a_dependency_chain_sorting_against_its_order_is_disabled_whole(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """a-top needs b-middle needs c-base (names sort against the dependency order): when
    c-base fails at import, both dependents are disabled, each naming its dependency."""
    plugin_dist("c-base", "raise RuntimeError('no base')\n")
    plugin_dist("b-middle", dependent("mid"), requires=["c-base"])
    plugin_dist("a-top", requires=["b-middle"])
    done = gini_cli(*_load(["a-top", "b-middle", "c-base"]), "plugins", "--json")
    assert done.exit_code == 0, done.stderr
    status = _statuses(done.stdout)
    assert status["c-base"][0] == "failed"
    assert status["b-middle"] == ("disabled", "requires plugin c-base (c-base 0.1.0), which is failed")
    assert status["a-top"] == (
        "disabled",
        "requires plugin b-middle (b-middle 0.1.0), which is disabled",
    )


def test_a_hook_past_its_time_limit_is_abandoned(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """A plugin that hangs at import or in preflight is failed after plugins.hook_timeout,
    naming the hook; its dependent is disabled; the good plugin's stage runs; exit 0."""
    plugin_dist("h-good", GOOD)
    plugin_dist("h-hang-import", HANGS_AT_IMPORT)
    plugin_dist("h-hang", HANGS_IN_PREFLIGHT)
    plugin_dist("h-after", dependent("later"), requires=["h-hang"])
    (tmp_path / "gini.toml").write_text("[plugins]\nhook_timeout = 0.5\n")
    names = ["h-good", "h-hang-import", "h-hang", "h-after"]
    done = gini_cli(*_load(names), "plugins", "--json", subprocess=True, cwd=tmp_path, timeout=60)
    assert done.exit_code == 0, done.stderr
    status = _statuses(done.stdout)
    assert status["h-good"] == ("active", None)
    assert status["h-hang-import"][0] == "failed"
    assert status["h-hang-import"][1].startswith("import timed out after 0.5s")
    assert status["h-hang"][0] == "failed"
    assert status["h-hang"][1].startswith("preflight: gini_preflight timed out after 0.5s")
    assert status["h-after"][0] == "disabled"
    run = gini_cli(*_load(names), "run", "h-good::ok", "--json", subprocess=True, cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["stages"]["h-good::ok"]["status"] == "succeeded"


def test_ctrl_c_while_a_hook_hangs_exits_130_at_once(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """SIGINT while a preflight hangs (far from its 60 s limit) ends the command with 130."""
    plugin_dist("h-hang", HANGS_IN_PREFLIGHT)
    marker = tmp_path / "in-preflight"
    proc = gini_cli.start(
        *_load(["h-hang"]), "plugins", env={"HOSTILE_MARKER": str(marker)}, cwd=tmp_path
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.running, proc.finish()
        assert time.monotonic() < deadline, "the preflight never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    done = proc.finish(timeout=30)  # half the hook's limit: the signal ended it, not the limit
    assert done.exit_code == 130, done.stderr
    assert "interrupted by SIGINT" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("timeout", ["inf", "nan", "-1", "1e300", '"60"'])
def test_hook_timeout_out_of_range_is_bad_input(
    timeout: str, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """plugins.hook_timeout must be a number of seconds from 0 to a week."""
    (tmp_path / "gini.toml").write_text(f"[plugins]\nhook_timeout = {timeout}\n")
    done = gini_cli("--no-autoload", "plugins")
    assert done.exit_code == 2
    assert "plugins.hook_timeout" in done.stderr
    assert "Traceback" not in done.stderr


FAKE_LINES = """
    from gini_host import hookimpl, stage

    @stage
    def s(ctx):
        return 1

    @hookimpl
    def gini_preflight(host):
        return ["broken\\nerror: fake line \\x1b[31mred"]

    @hookimpl
    def gini_register_stages(host):
        return [s]
"""


def test_a_plugins_reason_cannot_fake_a_line_on_stderr(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """A failed plugin's reason is its own text: the boot warning, the warning about its stage
    table and the unknown-name error show it escaped, never a line or escape of its making."""
    plugin_dist("liar", source=FAKE_LINES)
    (tmp_path / "gini.toml").write_text('[stages."liar::s"]\nretries = 1\n')
    done = gini_cli(
        "--config", str(tmp_path / "gini.toml"), "--no-autoload", "-p", "liar", "run", "liar::s"
    )
    assert done.exit_code == 2, done.stderr
    assert "preflight: broken\\nerror: fake line \\x1b[31mred" in done.stderr
    assert "\x1b" not in done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("error: fake")]
    plugin_dist("importliar", source='raise RuntimeError("x \\x1b[31mred\\nerror: fake line")')
    listed = gini_cli("--no-autoload", "-p", "importliar", "plugins")
    assert "import failed: RuntimeError: x \\x1b[31mred" in listed.stderr
    assert "\x1b" not in listed.stderr
    assert not [line for line in listed.stderr.splitlines() if line.startswith("error: fake")]
