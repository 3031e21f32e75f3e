"""What a plugin or a working directory cannot do: load when disabled, be found by accident,
fake output lines, read another plugin's settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gini_host.authoring.scaffold import host_requirement
from gini_host.testing import CliInvoker, PluginDists
from tests.hostile.plugins import GOOD

MARKS_IMPORT = """
    import os
    from pathlib import Path
    Path(os.environ["HOSTILE_MARKER"]).write_text("imported")
    from gini_host import hookimpl

    @hookimpl
    def gini_preflight(host):
        return None
"""



@pytest.mark.parametrize(
    ("args", "config"),
    [
        (("-p", "no:secret"), ""),
        ((), '[plugins]\ndisable = ["secret"]\n'),
        ((), '[plugins]\nonly = ["good"]\n'),
        (("--no-autoload",), ""),
    ],
)
def test_check_never_imports_a_disabled_plugin(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path, args: tuple[str, ...], config: str
) -> None:
    """``check`` honours -p no:, disable, only and --no-autoload: the disabled plugin is not
    imported, neither when it is the one checked (exit 2) nor to boot the others."""
    plugin_dist("secret", MARKS_IMPORT)
    plugin_dist("good", GOOD, requires=[host_requirement()])
    marker = tmp_path / "imported"
    Path("gini.toml").write_text(config)
    env = {"HOSTILE_MARKER": str(marker)}
    refused = gini_cli(*args, "check", "secret", env=env)
    assert refused.exit_code == 2, refused
    assert "secret" in refused.stderr
    assert not marker.exists()
    other = gini_cli(*args, "-p", "good", "check", "good", env=env)
    assert other.exit_code == 0, other
    assert not marker.exists()


def test_python_m_does_not_discover_the_working_directory(
    gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """A distribution lying in the working directory is not a plugin for ``python -m
    gini_host`` (nor for ``gini-host``): the two discover the same."""
    here = tmp_path / "work"
    here.mkdir()
    PluginDists(here)("stray", MARKS_IMPORT)
    marker = tmp_path / "imported"
    done = gini_cli(
        "plugins", "--json", subprocess=True, cwd=here, env={"HOSTILE_MARKER": str(marker)}
    )
    assert done.exit_code == 0, done.stderr
    assert "stray" not in [p["name"] for p in json.loads(done.stdout)]
    assert not marker.exists()


def test_a_stage_name_cannot_fake_a_line(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """A stage named with a newline or an escape sequence is refused (its plugin fails), and
    what the plugin wrote is shown escaped: no output line is one the plugin made up."""
    plugin_dist(
        "faker",
        """
        from gini_host import hookimpl, stage

        def body(ctx):
            return 1

        @hookimpl
        def gini_register_stages(host):
            return [stage(name="ok\\nsucceeded  faked\\x1b[32m")(body)]
        """,
    )
    for command in ("plugins", "stages"):
        done = gini_cli("--no-autoload", "-p", "faker", command)
        assert done.exit_code == 0, done
        assert "\x1b" not in done.stdout
        assert not any(line.startswith("succeeded") for line in done.stdout.splitlines())
    listed = gini_cli("--no-autoload", "-p", "faker", "plugins").stdout.splitlines()
    faker = [line for line in listed if line.startswith("faker")]
    assert len(faker) == 1
    assert "invalid stage name" in faker[0]


def test_an_empty_plugin_name_is_refused(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """An entry point ``= module`` (no name) is a failed plugin, not a plugin called ''."""
    plugin_dist("nameless", GOOD, entry_points={"gini_host.plugins": {"": "nameless"}})
    done = gini_cli("plugins", "--json")
    assert done.exit_code == 0, done
    nameless = [p for p in done.json if p["distribution"] == "nameless"]
    assert [(p["status"], p["reason"]) for p in nameless] == [
        ("failed", "invalid plugin name '' in nameless's entry points: it must be a non-empty string")
    ]


NOSY = """
    import os
    from pathlib import Path
    from gini_host import hookimpl

    @hookimpl
    def gini_plugin_init(host):
        seen = {name: dict(table) for name, table in host.config.plugin.items()}
        seen["other-by-name"] = dict(host.config.plugin_config("other"))
        Path(os.environ["HOSTILE_MARKER"]).write_text(repr(seen))
"""


def test_host_config_shows_a_plugin_its_own_table_only(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """Through ``host.config`` a plugin reads its own [plugin.NAME] table, not another's."""
    plugin_dist("nosy", NOSY)
    Path("gini.toml").write_text('[plugin.nosy]\nmine = 1\n[plugin.other]\ntoken = "s3cret"\n')
    marker = tmp_path / "seen"
    done = gini_cli("--no-autoload", "-p", "nosy", "plugins", env={"HOSTILE_MARKER": str(marker)})
    assert done.exit_code == 0, done
    assert marker.read_text() == repr({"nosy": {"mine": 1}, "other-by-name": {}})
