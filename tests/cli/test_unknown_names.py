"""Every place a name is looked up says why it is unknown: the plugin failed (its reason), is
disabled (by what), its distribution declares no entry point, or nothing is installed."""

from __future__ import annotations

import textwrap

import pytest

from gini_host import Host, PipelineError, UsageError
from gini_host.errors import InactivePluginsError, UnknownNameError
from gini_host.testing import CliInvoker, HostFactory, PluginDists, run_pipeline

CERTS = """
    from gini_host import PipelineSpec, hookimpl, stage

    @stage
    def report(ctx):
        return "ok"

    @hookimpl
    def gini_register_stage(host):  # misspelt: the plugin fails to load
        return [report]
"""

GOOD = """
    from gini_host import PipelineSpec, hookimpl, stage

    @stage
    def report(ctx):
        return "ok"

    @hookimpl
    def gini_register_stages(host):
        return [report]

    @hookimpl
    def gini_register_pipelines(host):
        return [PipelineSpec("disk-space", ["disk-space::report"])]
"""

LOOKUPS = [
    ("run", "{target}"),
    ("show", "{target}"),
    ("validate", "{target}"),
    ("graph", "{target}"),
]


@pytest.fixture
def site(plugin_dist: PluginDists) -> PluginDists:
    plugin_dist("disk-certs", source=CERTS)
    plugin_dist("disk-space", source=GOOD)
    plugin_dist("disk-quota", source=GOOD.replace("disk-space", "disk-quota"), entry_points={})
    return plugin_dist


def lookup(gini_cli: CliInvoker, command: str, target: str, *options: str) -> str:
    out = gini_cli(*options, command, target)
    assert out.exit_code == 2, out
    assert "Traceback" not in out.stderr
    return " ".join(out.stderr.split())


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "show", "validate", "graph"])
def test_a_plugin_that_failed_to_load_is_named_with_its_reason(
    gini_cli: CliInvoker, command: str
) -> None:
    """Its stage is unknown because the plugin failed: the message says so, and why."""
    err = lookup(gini_cli, command, "disk-certs::report")
    assert "unknown pipeline or stage 'disk-certs::report': plugin 'disk-certs' is failed:" in err
    assert "gini_register_stage" in err


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "show", "validate", "graph"])
def test_a_disabled_plugin_says_by_what(gini_cli: CliInvoker, command: str) -> None:
    """-p no:NAME: the stage is unknown because the operator disabled the plugin."""
    err = lookup(gini_cli, command, "disk-space::report", "-p", "no:disk-space")
    assert "plugin 'disk-space' is disabled: disabled by -p no:disk-space" in err


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "show"])
def test_a_pipeline_of_a_disabled_plugin_says_so(gini_cli: CliInvoker, command: str) -> None:
    """A bare target named like the plugin (its pipeline) is explained as well."""
    err = lookup(gini_cli, command, "disk-space", "--no-autoload")
    assert "unknown pipeline or stage 'disk-space': plugin 'disk-space' is disabled: autoload" in (
        err
    )


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "show", "validate", "graph"])
def test_a_distribution_without_an_entry_point_is_named(gini_cli: CliInvoker, command: str) -> None:
    """Installed, but no gini_host.plugins entry point: no plugin, and the message says so."""
    err = lookup(gini_cli, command, "disk-quota::report")
    assert (
        "distribution disk-quota 0.1.0 declares no 'gini_host.plugins' entry point, so gini-host "
        "does not discover it" in err
    )


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "show", "graph"])
def test_an_unknown_target_is_not_called_an_invalid_pipeline(
    gini_cli: CliInvoker, command: str
) -> None:
    """A name that is no pipeline is not "pipeline 'X' is invalid": the plan cannot be made."""
    err = lookup(gini_cli, command, "nosuch")
    assert "pipeline 'nosuch' is invalid" not in err
    assert "cannot plan 'nosuch' (1 problem): - unknown pipeline or stage 'nosuch'" in err


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_active_plugin_without_that_stage_lists_its_stages(
    gini_cli: CliInvoker, command: str
) -> None:
    """The plugin is active but has no such stage, and no id is close: say which it has."""
    err = lookup(gini_cli, command, "disk-space::zzzzzz")
    assert (
        "unknown pipeline or stage 'disk-space::zzzzzz': plugin 'disk-space' has no stage "
        "'zzzzzz'; its stages: disk-space::report"
    ) in err
    none = lookup(gini_cli, command, "reporter::x")
    assert "plugin 'reporter' has no stage 'x'; it registers none" in none


@pytest.mark.usefixtures("site")
def test_nothing_installed_suggests_close_plugins(gini_cli: CliInvoker) -> None:
    """A plugin part that matches nothing: nothing installed, and the closest names."""
    err = lookup(gini_cli, "run", "disk-spice::report")
    assert "no plugin 'disk-spice' is installed; did you mean 'disk-space'" in err


@pytest.mark.usefixtures("site")
def test_a_stage_requiring_a_stage_of_a_failed_plugin_says_why(plugin_dist: PluginDists) -> None:
    """The required id is explained too, through the public API."""
    plugin_dist(
        "user",
        source="""
        from gini_host import hookimpl, stage

        @stage(requires=["disk-certs::report"])
        def use(ctx):
            return 1

        @hookimpl
        def gini_register_stages(host):
            return [use]
        """,
    )
    with Host(paths=[str(plugin_dist.site)]) as host, pytest.raises(PipelineError) as caught:
        host.plan(["user::use"])
    (problem,) = caught.value.problems
    assert problem.cause is not None and problem.cause.startswith("plugin 'disk-certs' is failed")
    assert "(required by user::use): plugin 'disk-certs' is failed" in str(problem)


@pytest.mark.usefixtures("site")
def test_minus_p_naming_a_distribution_without_entry_point_says_so(gini_cli: CliInvoker) -> None:
    """-p disk-quota: the distribution is installed but is no plugin."""
    out = gini_cli("-p", "disk-quota", "plugins")
    assert out.exit_code == 2, out
    assert "-p disk-quota: 'disk-quota' is no plugin or importable module (distribution " in (
        out.stderr
    )


# -- the test harness ---------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_make_host_raises_at_once_for_a_plugin_that_failed_to_load(
    make_host: HostFactory, plugin_dist: PluginDists
) -> None:
    """enable=[a plugin whose hooks are wrong]: InactivePluginsError names it and why."""
    with pytest.raises(InactivePluginsError) as caught:
        make_host(enable=["disk-certs", "disk-space"], paths=[str(plugin_dist.site)])
    assert list(caught.value.plugins) == ["disk-certs"]
    assert caught.value.plugins["disk-certs"].startswith("plugin 'disk-certs' is failed: ")
    assert str(caught.value).startswith("make_host(enable=['disk-certs', 'disk-space']): 1 plugin")


@pytest.mark.usefixtures("site")
def test_make_host_names_enable_for_a_distribution_without_entry_point(
    make_host: HostFactory, plugin_dist: PluginDists
) -> None:
    """The message talks about enable=, what the test used, and names the real cause."""
    with pytest.raises(UnknownNameError) as caught:
        make_host(enable=["disk-quota"], paths=[str(plugin_dist.site)])
    message = str(caught.value)
    assert message.startswith("make_host(enable=['disk-quota']): 'disk-quota' is no plugin")
    assert "declares no 'gini_host.plugins' entry point" in message
    assert "-p" not in message


@pytest.mark.usefixtures("site")
def test_make_host_returns_a_plugin_that_failed_its_own_preflight(
    make_host: HostFactory, plugin_dist: PluginDists
) -> None:
    """A plugin that loaded and failed preflight is the test's to check: no raise."""
    plugin_dist(
        "picky",
        source="""
        from gini_host import hookimpl

        @hookimpl
        def gini_preflight(host):
            return ["not here"]
        """,
    )
    host = make_host(enable=["picky"], paths=[str(plugin_dist.site)])
    assert host.plugin("picky").reason == "preflight: not here"
    with pytest.raises(PipelineError, match="plugin 'picky' is failed: preflight: not here"):
        run_pipeline(host, "picky::anything")


def test_harness_frames_are_hidden_from_the_traceback(pytester: pytest.Pytester) -> None:
    """A bad target in run_pipeline fails the test with the message, not host internals."""
    pytester.makepyfile(
        test_bad_target=textwrap.dedent(
            """
            from gini_host.testing import run_pipeline

            def test_it(make_host):
                host = make_host()
                run_pipeline(host, "nowhere::stage")
            """
        )
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "no plugin 'nowhere' is installed" in text
    for internal in ("_testing/hosts.py", "kernel/host.py", "stages/manager.py"):
        assert internal not in text


def test_run_pipeline_usage_errors_keep_their_type(make_host: HostFactory) -> None:
    """The shortened error is still the host's error type."""
    with pytest.raises(UsageError):
        run_pipeline(make_host(), "core::discover")
