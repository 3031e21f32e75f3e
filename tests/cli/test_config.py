"""The config file from the command line: where it is found, and how its errors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from gini_host.kernel.config import ConfigError, merge_tables, parse_set_options
from gini_host.testing import CliInvoker, PluginDists

NO_DEMO = ("--no-autoload", "-p", "demo")


def test_malformed_toml_names_file_line_and_column(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A TOML syntax error exits 2 with file:line:col and no traceback."""
    Path("gini.toml").write_text('[run]\njobs = 2\nexecutor = "threads\n')
    out = gini_cli(*NO_DEMO, "stages")
    assert out.exit_code == 2
    assert "gini.toml:3:20: invalid TOML: Illegal character" in out.stderr
    assert "Traceback" not in out.stderr


def test_wrong_type_names_the_key_path(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A value of the wrong type exits 2 naming its key path."""
    Path("gini.toml").write_text('[stages."demo::build"]\nretries = "three"\n')
    out = gini_cli(*NO_DEMO, "run", "demo")
    assert out.exit_code == 2
    assert 'gini.toml: stages."demo::build".retries: expected an integer, got a string' in (
        out.stderr
    )


def test_unknown_key_suggests_the_known_one(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """An unknown key exits 2 with a suggestion."""
    Path("gini.toml").write_text("[run]\nkeep_goign = true\n")
    out = gini_cli(*NO_DEMO, "plugins")
    assert out.exit_code == 2
    assert "run.keep_goign: unknown key; did you mean 'keep_going'?" in out.stderr


def test_config_option_and_environment_variable_choose_the_file(
    demo: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """--config PATH wins over GINI_HOST_CONFIG, which wins over ./gini.toml."""
    local = tmp_path / "gini.toml"
    local.write_text('[pipelines.local]\nstages = ["demo::fetch"]\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[pipelines.from-env]\nstages = ["demo::fetch"]\n')
    flag_file = tmp_path / "flag.toml"
    flag_file.write_text('[pipelines.from-flag]\nstages = ["demo::fetch"]\n')

    def config_pipelines(*extra: str, env: dict[str, str] | None = None) -> list[str]:
        out = gini_cli(*extra, *NO_DEMO, "pipelines", "--json", env=env)
        assert out.exit_code == 0, out
        return [p["name"] for p in out.json if p["source"] == "config"]

    assert config_pipelines() == ["local"]
    assert config_pipelines(env={"GINI_HOST_CONFIG": str(env_file)}) == ["from-env"]
    assert config_pipelines(
        "--config", str(flag_file), env={"GINI_HOST_CONFIG": str(env_file)}
    ) == ["from-flag"]


def test_missing_config_file_is_bad_input(gini_cli: CliInvoker) -> None:
    """--config naming a missing file exits 2."""
    out = gini_cli("--config", "nowhere.toml", "plugins")
    assert out.exit_code == 2
    assert "nowhere.toml: file not found" in out.stderr


def test_config_file_that_is_not_utf8_is_bad_input(gini_cli: CliInvoker, tmp_path: Path) -> None:
    """A config file that is not UTF-8 exits 2 with one line naming the file, no traceback."""
    bad = tmp_path / "b.toml"
    bad.write_bytes(b"\xff\xfe[x]\n")
    out = gini_cli("--config", bad, "plugins")
    assert out.exit_code == 2, out
    assert out.stderr.splitlines() == [f"error: {bad}: not UTF-8 text (byte 0: 0xff)"]


def test_plugin_tables_reach_the_plugin(
    demo: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """[plugin.NAME] is given to that plugin's gini_configure."""
    marker = tmp_path / "down"
    Path("gini.toml").write_text(f'[plugin.demo]\nshutdown_marker = "{marker}"\n')
    out = gini_cli(*NO_DEMO, "stages")
    assert out.exit_code == 0, out
    assert marker.read_text() == "shut down"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("p::s.k=4", {"p::s": {"k": 4}}),
        ("p::s.k=2.5", {"p::s": {"k": 2.5}}),
        ("p::s.k=false", {"p::s": {"k": False}}),
        ('p::s.k="4"', {"p::s": {"k": "4"}}),
        ("p::s.k=web-01", {"p::s": {"k": "web-01"}}),
        ('p::s.k=["a", "b"]', {"p::s": {"k": ["a", "b"]}}),
        ("p::s.a.b=1", {"p::s": {"a": {"b": 1}}}),
        ("p::s.k=", {"p::s": {"k": ""}}),
    ],
)
def test_set_values_are_toml(option: str, expected: dict[str, object]) -> None:
    """--set values are TOML values; a bare word that is not TOML is a string."""
    assert parse_set_options([option]) == expected


@pytest.mark.parametrize(
    "option",
    ["p::s=1", "p::s.=1", "s.k=1", "p::s.k", '{p::s.k="x', "p::s.k={a=", "::s.k=1", 'p::s.k="a'],
)
def test_malformed_set_options_are_config_errors_naming_the_flag(option: str) -> None:
    """A malformed --set raises a ConfigError whose message starts with --set."""
    with pytest.raises(ConfigError) as info:
        parse_set_options([option])
    assert str(info.value).startswith("--set: ")


def test_merge_tables_merges_nested_tables_key_by_key() -> None:
    """An override replaces scalars and merges tables, leaving other keys alone."""
    base = {"a": 1, "t": {"x": 1, "y": 2}}
    assert merge_tables(base, {"t": {"y": 3}, "b": 2}) == {"a": 1, "b": 2, "t": {"x": 1, "y": 3}}
    assert base == {"a": 1, "t": {"x": 1, "y": 2}}


TYPED = """
    import attrs
    from gini_host import PluginManifest, hookimpl, stage

    @attrs.frozen
    class Settings:
        paths: list[str] = attrs.field(factory=list)

    @attrs.frozen
    class Count:
        count: int = 1

    @stage(config=Count)
    def twice(ctx):
        return ctx.config.count * 2

    @hookimpl
    def gini_manifest():
        return PluginManifest(config=Settings)

    @hookimpl
    def gini_register_stages(host):
        return [twice]
"""


@pytest.mark.parametrize(
    ("toml", "args", "message"),
    [
        (
            '[plugin.typed]\npaths = "/srv"\n',
            ("plugins",),
            "gini.toml: plugin.typed.paths: expected an array of strings, got a string ('/srv')",
        ),
        (
            '[stages."typed::twice".config]\ncount = "2"\n',
            ("run", "typed::twice"),
            'gini.toml: stages."typed::twice".config.count: expected an integer, got a string',
        ),
        (
            '[stages."typed::twice".config]\ncount = 2\n',
            ("run", "typed::twice", "--set", 'typed::twice.count="many"'),
            'gini.toml with --set: stages."typed::twice".config.count: expected an integer',
        ),
        (
            '[stages."typed::twice".config]\ncuont = 2\n',
            ("show", "typed::twice"),
            "config.cuont: unknown key; did you mean 'count'?",
        ),
    ],
)
def test_typed_config_errors_exit_2_naming_file_key_and_type(
    plugin_dist: PluginDists, gini_cli: CliInvoker, toml: str, args: tuple[str, ...], message: str
) -> None:
    """A table that does not fit its schema: exit 2, one line, no traceback, nothing run."""
    plugin_dist("typed", source=TYPED)
    Path("gini.toml").write_text(toml)
    out = gini_cli("--no-autoload", "-p", "typed", *args)
    assert out.exit_code == 2, out
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert "succeeded" not in out.stdout
