"""``gini-host plugins | stages | pipelines``, as text and as JSON."""

from __future__ import annotations

from gini_host.testing import CliInvoker, PluginDists

from .sources import BROKEN_IMPORT

PLUGIN_KEYS = {"name", "version", "distribution", "status", "reason", "builtin", "hooks"}
STAGE_KEYS = {"id", "plugin", "requires", "description", "tags"}
PIPELINE_KEYS = {"name", "description", "stages", "source"}


def test_plugins_json_lists_every_plugin_in_load_order_with_the_documented_keys(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """plugins --json: a list of {name, version, distribution, status, reason, builtin, hooks}."""
    out = gini_cli("--no-autoload", "-p", "demo", "plugins", "--json")
    assert out.exit_code == 0, out
    plugins = out.json
    assert [p["name"] for p in plugins if p["status"] == "active"] == [
        "core",
        "history",
        "reporter",
        "demo",
    ]
    assert all(set(p) == PLUGIN_KEYS for p in plugins)
    demo_entry = next(p for p in plugins if p["name"] == "demo")
    assert demo_entry["version"] == "0.1.0"
    assert demo_entry["distribution"] == "demo"
    assert demo_entry["status"] == "active"
    assert demo_entry["reason"] is None
    assert demo_entry["builtin"] is False
    assert "gini_register_stages" in demo_entry["hooks"]
    assert plugins[0]["builtin"] is True


def test_plugins_shows_why_a_plugin_is_not_active(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """A plugin whose import fails is listed as failed with the cause; the rest still load."""
    plugin_dist("broken", source=BROKEN_IMPORT)
    out = gini_cli("--no-autoload", "-p", "broken", "plugins")
    assert out.exit_code == 0, out
    line = next(line for line in out.stdout.splitlines() if line.startswith("broken"))
    assert "failed" in line
    assert "import failed: RuntimeError: cannot import me" in line
    assert "Traceback" not in out.stdout


def test_plugins_verbose_adds_hooks_entry_point_and_import_traceback(
    plugin_dist: PluginDists, demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """plugins -v shows the hooks, the entry point and a failed import's traceback."""
    plugin_dist("broken", source=BROKEN_IMPORT)
    out = gini_cli("-v", "--no-autoload", "-p", "demo", "-p", "broken", "plugins")
    assert out.exit_code == 0, out
    assert "entry point: demo" in out.stdout
    assert "hooks: gini_add_commands, gini_configure" in out.stdout
    assert "Traceback (most recent call last)" in out.stdout
    assert 'raise RuntimeError("cannot import me")' in out.stdout


def test_stages_json_has_the_documented_keys(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """stages --json: a list of {id, plugin, requires, description, tags}."""
    out = gini_cli("--no-autoload", "-p", "demo", "stages", "--plugin", "demo", "--json")
    assert out.exit_code == 0, out
    stages = {s["id"]: s for s in out.json}
    assert all(set(s) == STAGE_KEYS for s in stages.values())
    assert list(stages) == [
        "demo::fetch",
        "demo::build",
        "demo::boom",
        "demo::after_boom",
        "demo::lonely",
    ]
    assert stages["demo::build"] == {
        "id": "demo::build",
        "plugin": "demo",
        "requires": ["demo::fetch"],
        "description": "Build from what was fetched.",
        "tags": [],
    }


def test_stages_filter_by_tag(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """stages --tag T lists only the stages tagged T."""
    out = gini_cli("--no-autoload", "-p", "demo", "stages", "--tag", "risky")
    assert out.exit_code == 0, out
    ids = [line.split()[0] for line in out.stdout.splitlines()[1:]]
    assert ids == ["demo::boom", "demo::lonely"]


def test_stages_unknown_plugin_or_tag_is_bad_input_with_a_suggestion(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """An unknown --plugin or --tag exits 2 and suggests the close name; with nothing close,
    it lists the known ones."""
    out = gini_cli("--no-autoload", "-p", "demo", "stages", "--tag", "zzzz")
    assert out.exit_code == 2
    assert "unknown tag 'zzzz' (known: boot, risky)" in out.stderr
    out = gini_cli("--no-autoload", "-p", "demo", "stages", "--plugin", "dmeo")
    assert out.exit_code == 2
    assert "unknown plugin 'dmeo'; did you mean 'demo'?" in out.stderr
    out = gini_cli("--no-autoload", "-p", "demo", "stages", "--tag", "risk")
    assert out.exit_code == 2
    assert "did you mean 'risky'?" in out.stderr


HOSTILE_TAGS = """
    from gini_host import hookimpl, stage

    @stage(tags=["a\\nerror: fake line", "\\x1b[31mred"])
    def s(ctx):
        return 1

    @hookimpl
    def gini_register_stages(host):
        return [s]
"""


def test_known_tags_in_an_error_are_escaped(
    plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """The known tags an unknown --tag lists are a plugin's text: shown escaped, never obeyed
    (no fake line, no terminal escape)."""
    plugin_dist("hostile", source=HOSTILE_TAGS)
    out = gini_cli("--no-autoload", "-p", "hostile", "stages", "--tag", "zzzz")
    assert out.exit_code == 2
    assert "\\nerror: fake line" in out.stderr
    assert "\\x1b[31mred" in out.stderr
    assert "\x1b" not in out.stderr
    assert not any(line.startswith("error: fake") for line in out.stderr.splitlines())


def test_pipelines_json_names_the_source(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """pipelines --json: {name, description, stages, source}; source is the plugin or config."""
    with open("gini.toml", "w", encoding="utf-8") as fh:
        fh.write('[pipelines.nightly]\ndescription = "Every night"\nstages = ["demo::fetch"]\n')
    out = gini_cli("--no-autoload", "-p", "demo", "pipelines", "--json")
    assert out.exit_code == 0, out
    assert out.json == [
        {
            "name": "demo",
            "description": "Fetch and build",
            "stages": ["demo::build"],
            "source": "demo",
        },
        {
            "name": "nightly",
            "description": "Every night",
            "stages": ["demo::fetch"],
            "source": "config",
        },
    ]
    assert all(set(p) == PIPELINE_KEYS for p in out.json)


def test_pipelines_text_lists_name_source_and_stages(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """pipelines prints one aligned row per pipeline."""
    out = gini_cli("--no-autoload", "-p", "demo", "pipelines")
    assert out.exit_code == 0, out
    assert out.stdout.splitlines() == [
        "name  source  stages       description",
        "demo  demo    demo::build  Fetch and build",
    ]
