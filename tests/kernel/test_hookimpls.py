"""Per-plugin hooks are called through pluggy's own HookImpls: ``specname``, ``tryfirst`` /
``trylast`` and wrappers behave as pluggy defines them, for every per-plugin hook."""

from __future__ import annotations

import click
import pytest

from gini_host import Host, PluginManifest, hookimpl, stage
from gini_host.cli.session import CliSession, GlobalOptions

PER_PLUGIN_HOOKS = (
    "gini_manifest",
    "gini_configure",
    "gini_preflight",
    "gini_plugin_init",
    "gini_register_stages",
    "gini_register_pipelines",
    "gini_post_init",
    "gini_shutdown",
)


@stage
def made(ctx):
    """A stage registered through a specname implementation."""
    return "made"


class Renamed:
    """Implements every per-plugin hook under another name."""

    gini_name = "renamed"

    def __init__(self) -> None:
        self.called: list[str] = []

    @hookimpl(specname="gini_manifest")
    def manifest(self):
        self.called.append("gini_manifest")
        return PluginManifest(priority=120)

    @hookimpl(specname="gini_configure")
    def configure(self, host, config):
        self.called.append("gini_configure")

    @hookimpl(specname="gini_preflight")
    def check(self, host):
        self.called.append("gini_preflight")

    @hookimpl(specname="gini_plugin_init")
    def start(self, host):
        self.called.append("gini_plugin_init")

    @hookimpl(specname="gini_register_stages")
    def stages(self, host):
        self.called.append("gini_register_stages")
        return [made]

    @hookimpl(specname="gini_register_pipelines")
    def pipelines(self, host):
        self.called.append("gini_register_pipelines")
        return [{"name": "renamed-pipeline", "stages": ["renamed::made"]}]

    @hookimpl(specname="gini_post_init")
    def ready(self, host):
        self.called.append("gini_post_init")

    @hookimpl(specname="gini_shutdown")
    def stop(self, host):
        self.called.append("gini_shutdown")

    @hookimpl(specname="gini_add_commands")
    def commands(self, cli):
        self.called.append("gini_add_commands")

        @cli.command("renamed-hello")
        def hello() -> None:
            """Say hello."""


def test_specname_implementations_of_every_per_plugin_hook_are_called():
    """Each per-plugin hook implemented under another name runs, with its result used."""
    plugin = Renamed()
    with Host([plugin], autoload=False) as host:
        info = host.plugin("renamed")
        assert info.active
        assert info.manifest.priority == 120
        assert host.stage_manager.has_stage("renamed::made")
        assert "renamed-pipeline" in [p.name for p in host.pipelines]
        assert "gini_add_commands" in info.hooks
    assert sorted(plugin.called) == sorted(PER_PLUGIN_HOOKS)  # each once
    assert plugin.called[0] == "gini_manifest"
    assert plugin.called[-1] == "gini_shutdown"


def test_specname_add_commands_is_called_by_the_cli():
    """The command line's gini_add_commands goes through the same per-plugin call."""
    plugin = Renamed()
    session = CliSession(GlobalOptions(), root=click.Group("gini-host"))
    host = Host([plugin], autoload=False)
    session.host = host
    host.boot()
    session._add_plugin_commands(host)
    try:
        assert "gini_add_commands" in plugin.called
        assert "renamed-hello" in session.plugin_commands
    finally:
        host.shutdown()


def test_specname_preflight_problems_fail_the_plugin():
    """A problem returned by a specname preflight fails the plugin (it used to be ignored)."""

    class Picky:
        gini_name = "picky"

        @hookimpl(specname="gini_preflight")
        def check(self, host):
            return ["no disk"]

    with Host([Picky()], autoload=False) as host:
        assert host.plugin("picky").reason == "preflight: no disk"


def test_a_wrapper_wraps_the_plugins_own_implementation():
    """A plugin's hook wrapper sees its own implementation's result and may replace it."""

    class Wrapped:
        gini_name = "wrapped"

        @hookimpl(wrapper=True)
        def gini_register_stages(self, host):
            stages = yield
            return [*stages, made]

        @hookimpl(specname="gini_register_stages", tryfirst=True)
        def base(self, host):
            return []

    with Host([Wrapped()], autoload=False) as host:
        assert host.stage_manager.has_stage("wrapped::made")


def test_a_raising_add_commands_reason_is_not_nested():
    """The reason of a failing gini_add_commands has the one format of every hook."""

    class Boom:
        gini_name = "boom"

        @hookimpl
        def gini_add_commands(self, cli):
            raise RuntimeError("boom")

    session = CliSession(GlobalOptions(), root=click.Group("gini-host"))
    host = Host([Boom()], autoload=False).boot()
    try:
        session._add_plugin_commands(host)
        assert host.plugin("boom").reason == "gini_add_commands raised RuntimeError: boom"
    finally:
        host.shutdown()


@pytest.mark.parametrize("priority", ["high", None, -1, 256, True])
def test_an_invalid_manifest_fails_only_its_plugin(priority):
    """A manifest with a bad priority names the field and fails its plugin, not the host."""

    class Bad:
        gini_name = "bad"

        @hookimpl
        def gini_manifest(self):
            return PluginManifest(priority=priority)

    class Fine:
        gini_name = "fine"

    with Host([Bad(), Fine()], autoload=False) as host:
        assert host.plugin("fine").active
        reason = host.plugin("bad").reason or ""
        assert reason.startswith("gini_manifest raised ")
        assert "priority must be an integer from 0 to 255" in reason
