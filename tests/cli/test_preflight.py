"""``gini-host preflight``: each plugin's verdict; exit 1 when any plugin failed."""

from __future__ import annotations

from gini_host.testing import CliInvoker, PluginDists

from .sources import BROKEN_IMPORT, PICKY

PREFLIGHT_KEYS = {"name", "version", "distribution", "status", "reason", "verdict", "problems"}


def test_preflight_passes_and_exits_0(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """All plugins passing preflight: verdict passed for each, exit 0."""
    out = gini_cli("--no-autoload", "-p", "demo", "preflight", "--json")
    assert out.exit_code == 0, out
    verdicts = {p["name"]: p for p in out.json}
    assert all(set(p) == PREFLIGHT_KEYS for p in out.json)
    assert verdicts["demo"]["verdict"] == "passed"
    assert verdicts["demo"]["problems"] == []
    assert verdicts["core"]["verdict"] == "passed"


def test_preflight_failure_exits_1_with_every_problem(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """A plugin whose preflight reports problems fails it: its problems listed, exit 1."""
    plugin_dist("picky", source=PICKY)
    out = gini_cli("--no-autoload", "-p", "demo", "-p", "picky", "preflight", "--json")
    assert out.exit_code == 1, out
    picky = next(p for p in out.json if p["name"] == "picky")
    assert picky["verdict"] == "failed"
    assert picky["status"] == "failed"
    assert picky["problems"] == ["needs a unicorn", "needs a rainbow"]
    text = gini_cli("--no-autoload", "-p", "picky", "preflight")
    assert text.exit_code == 1
    line = next(line for line in text.stdout.splitlines() if line.startswith("picky"))
    assert "failed" in line
    assert "needs a unicorn; needs a rainbow" in line


def test_preflight_counts_broken_plugins_as_failed(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """A plugin that cannot even load fails preflight (exit 1); a disabled one is not checked."""
    plugin_dist("broken", source=BROKEN_IMPORT)
    plugin_dist("sleepy", source="")
    out = gini_cli("--no-autoload", "-p", "broken", "preflight", "--json")
    assert out.exit_code == 1
    verdicts = {p["name"]: (p["verdict"], p["problems"]) for p in out.json}
    assert verdicts["broken"][0] == "failed"
    assert "import failed: RuntimeError: cannot import me" in verdicts["broken"][1][0]
    assert verdicts["sleepy"] == ("not checked", [])


def test_plugins_listing_reflects_preflight(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """Every command boots the host, so plugins shows a preflight failure with its problems."""
    plugin_dist("picky", source=PICKY)
    out = gini_cli("--no-autoload", "-p", "picky", "-p", "demo", "plugins")
    line = next(line for line in out.stdout.splitlines() if line.startswith("picky"))
    assert "preflight: needs a unicorn; needs a rainbow" in line
