"""Choosing plugins from the command line, and the commands plugins add."""

from __future__ import annotations

from pathlib import Path

from gini_host.testing import CliInvoker, PluginDists

WATCHED = """
    from pathlib import Path

    Path("imported").write_text("yes", encoding="utf-8")
"""


def _statuses(out_json: list[dict[str, object]]) -> dict[object, tuple[object, object]]:
    return {p["name"]: (p["status"], p["reason"]) for p in out_json}


def test_p_no_name_disables_a_plugin_and_says_so(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """-p no:NAME disables the plugin; plugins shows it disabled with the flag as reason."""
    out = gini_cli("-p", "no:demo", "plugins", "--json")
    assert out.exit_code == 0, out
    assert _statuses(out.json)["demo"] == ("disabled", "disabled by -p no:demo")


def test_p_no_reporter_works_because_the_reporter_is_not_essential(gini_cli: CliInvoker) -> None:
    """The reporter is a non-essential built-in: -p no:reporter disables it."""
    out = gini_cli("--no-autoload", "-p", "no:reporter", "plugins", "--json")
    assert out.exit_code == 0, out
    assert _statuses(out.json)["reporter"][0] == "disabled"


def test_disabling_an_essential_plugin_is_bad_input(gini_cli: CliInvoker) -> None:
    """-p no:core exits 2: the core plugin cannot be disabled."""
    out = gini_cli("-p", "no:core", "plugins")
    assert out.exit_code == 2
    assert "plugin 'core' is essential" in out.stderr


def test_no_autoload_loads_only_builtins_and_p_plugins(
    demo: PluginDists, plugin_dist: PluginDists, gini_cli: CliInvoker
) -> None:
    """--no-autoload (or GINI_HOST_DISABLE_PLUGIN_AUTOLOAD=1) loads built-ins and -p names."""
    plugin_dist("other", source="")
    flag = _statuses(gini_cli("--no-autoload", "-p", "demo", "plugins", "--json").json)
    env = _statuses(
        gini_cli(
            "-p", "demo", "plugins", "--json", env={"GINI_HOST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        ).json
    )
    for statuses in (flag, env):
        assert statuses["demo"] == ("active", None)
        assert statuses["other"][0] == "disabled"
        assert "autoload is off" in str(statuses["other"][1])
        assert statuses["core"][0] == statuses["reporter"][0] == "active"
    autoload = _statuses(gini_cli("plugins", "--json").json)
    assert autoload["other"] == ("active", None)


def test_p_unknown_name_is_bad_input_with_a_suggestion(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """-p naming no plugin and no module exits 2 and suggests the close plugin name."""
    out = gini_cli("-p", "dmeo", "plugins")
    assert out.exit_code == 2
    assert "-p dmeo: 'dmeo' is no plugin or importable module; did you mean 'demo'?" in (out.stderr)


def test_unknown_names_in_plugins_enable_and_disable_name_the_file(
    demo: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """An unknown name in [plugins] enable or disable is bad input naming the config file, the
    same way for both keys (enable used to say only "in config")."""
    for key in ("enable", "disable"):
        config = tmp_path / f"{key}.toml"
        config.write_text(f'[plugins]\n{key} = ["dmeo"]\n')
        out = gini_cli("--config", str(config), "plugins")
        assert out.exit_code == 2, out.stderr
        assert f"plugins.{key} in {config}: 'dmeo' is no " in out.stderr
        assert "did you mean 'demo'?" in out.stderr


def test_a_stage_table_of_a_disabled_plugin_says_why_its_stage_is_missing(
    demo: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """[stages."demo::fetch"] with demo disabled: the warning says the plugin is disabled and
    by what, and quotes the id as the file does, rather than only "names no registered stage"."""
    config = tmp_path / "gini.toml"
    config.write_text('[stages."demo::fetch"]\nretries = 1\n[stages."demo::fecth"]\nretries = 1\n')
    out = gini_cli("--config", str(config), "-p", "no:demo", "plugins")
    assert out.exit_code == 0, out.stderr
    assert (
        'stages."demo::fetch" names no registered stage: '
        "plugin 'demo' is disabled: disabled by -p no:demo"
    ) in out.stderr
    typo = gini_cli("--config", str(config), "plugins")
    assert typo.exit_code == 0, typo.stderr
    assert """stages."demo::fecth" names no registered stage; did you mean 'demo::fetch'?""" in (
        typo.stderr
    )


def test_p_no_without_a_name_is_a_usage_error(gini_cli: CliInvoker) -> None:
    """-p no: with nothing after it is a click usage error (exit 2)."""
    out = gini_cli("-p", "no:", "plugins")
    assert out.exit_code == 2
    assert "give a plugin name after 'no:'" in out.stderr


def test_plugins_add_commands_that_reach_the_host(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A command added by gini_add_commands runs with the booted host (current_host())."""
    out = gini_cli("--no-autoload", "-p", "demo", "demo-hello", "world")
    assert out.exit_code == 0, out
    assert out.stdout.startswith("hello world: ")
    assert int(out.stdout.split(": ")[1].split()[0]) >= 11


def test_plugin_commands_do_not_outlive_their_host(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A plugin's command exists only in invocations where that plugin is active."""
    assert gini_cli("--no-autoload", "-p", "demo", "demo-hello", "x").exit_code == 0
    out = gini_cli("-p", "no:demo", "demo-hello", "x")
    assert out.exit_code == 2
    assert "No such command 'demo-hello'" in out.stderr


def test_unknown_command_suggests_built_in_and_plugin_commands(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """An unknown command exits 2 and suggests close command names, plugin ones included."""
    assert "Did you mean 'run'" in gini_cli("rnu").stderr
    out = gini_cli("--no-autoload", "-p", "demo", "demo-helo")
    assert out.exit_code == 2
    assert "demo-hello" in out.stderr


def test_help_does_not_boot_the_host(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """--help (top level and per command) imports no plugin: the host is not booted."""
    plugin_dist("watched", source=WATCHED)
    for args in (["--help"], ["run", "--help"], ["plugins", "--help"]):
        out = gini_cli(*args)
        assert out.exit_code == 0, out
        assert "Usage: " in out.stdout
    assert not Path("imported").exists()
    assert gini_cli("plugins").exit_code == 0
    assert Path("imported").read_text() == "yes"


def test_version_option(gini_cli: CliInvoker) -> None:
    """--version prints the host's version."""
    from gini_host import __version__

    out = gini_cli("--version")
    assert out.exit_code == 0
    assert out.stdout.strip() == f"gini-host, version {__version__}"


def test_refresh_plugins_reaches_the_host(gini_cli: CliInvoker) -> None:
    """--refresh-plugins makes the host rescan instead of trusting the entry-point index."""
    from gini_host.kernel.host import HOST_CREATED, Host

    seen: list[Host] = []
    token = HOST_CREATED.set((seen.append,))
    try:
        assert gini_cli("--refresh-plugins", "--no-autoload", "plugins").exit_code == 0
        assert gini_cli("--no-autoload", "plugins").exit_code == 0
    finally:
        HOST_CREATED.reset(token)
    assert [h.refresh_plugins for h in seen] == [True, False]
