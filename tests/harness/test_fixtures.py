"""plugin_dist and make_host, run as a plugin author runs them: in a pytest session of their own."""

from __future__ import annotations

import pytest

PLUGIN_SOURCE = '''
from gini_host import hookimpl, stage

@stage
def hello(ctx):
    """Say hello."""
    return "hello"

@hookimpl
def gini_register_stages(host):
    return [hello]
'''


def test_a_test_file_using_every_fixture_passes(suite: pytest.Pytester) -> None:
    """plugin_dist, make_host, hook_recorder, run_pipeline and assert_statuses work together."""
    suite.makepyfile(
        f'''
        from gini_host.testing import assert_statuses, run_pipeline

        SOURCE = {PLUGIN_SOURCE!r}

        def test_installed_plugin_runs(plugin_dist, make_host, hook_recorder):
            plugin_dist("greeter", source=SOURCE, requires=["gini-host>=0.1"])
            host = make_host(enable=["greeter"], paths=[str(plugin_dist.site)])
            assert host.plugin("greeter").distribution == "greeter"
            result = run_pipeline(host, "greeter::hello")
            assert_statuses(result, {{"greeter::hello": "succeeded"}})
            assert result["greeter::hello"].value == "hello"
            assert hook_recorder.plugins("gini_register_stages") == ["core", "greeter"]
        '''
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_plugin_dist_writes_what_pip_installs(plugin_dist) -> None:
    """The distribution has METADATA, entry_points.txt, RECORD and the module, on sys.path."""
    import sys

    dist = plugin_dist("disk", source="X = 1\n", version="2.0", requires=["gini-host>=0.1"])
    assert str(dist.site) in sys.path
    names = sorted(p.name for p in dist.dist_info.iterdir())
    assert names == ["INSTALLER", "METADATA", "RECORD", "entry_points.txt"]
    assert "Requires-Dist: gini-host>=0.1" in (dist.dist_info / "METADATA").read_text()
    assert dist.entry_points_file.read_text() == "[gini_host.plugins]\ndisk = disk\n"
    assert (dist.site / "disk.py").read_text() == "X = 1\n"


def test_teardown_restores_sys_path_modules_and_environment(suite: pytest.Pytester) -> None:
    """After a test that imported a plugin, set a variable and grew sys.path, all is as before."""
    suite.makepyfile(
        '''
        import os, sys

        BEFORE = {}

        def environment():
            return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

        def test_1_record():
            BEFORE.update(path=list(sys.path), modules=set(sys.modules), env=environment())

        def test_2_dirty(plugin_dist, make_host):
            dist = plugin_dist("dirty", source="from gini_host import hookimpl\\n")
            BEFORE["site"] = str(dist.site)
            import dirty
            os.environ["GINI_HARNESS_LEAK"] = "1"
            os.environ.pop("HOME", None)
            sys.path.append("/nowhere")
            make_host(enable=["dirty"], paths=[str(dist.site)])
            assert "dirty" in sys.modules

        def test_3_clean():
            assert sys.path == BEFORE["path"]
            assert environment() == BEFORE["env"]
            assert "dirty" not in sys.modules
            leaked = [
                name for name in set(sys.modules) - BEFORE["modules"]
                if (getattr(sys.modules[name], "__file__", None) or "").startswith(BEFORE["site"])
            ]
            assert leaked == []
        '''
    )
    suite.runpytest().assert_outcomes(passed=3)


def test_make_host_shuts_every_host_down_at_teardown(suite: pytest.Pytester) -> None:
    """Each host made by make_host gets gini_shutdown after the test, newest first."""
    suite.makepyfile(
        '''
        from gini_host import hookimpl

        DOWN = []

        class Plugin:
            def __init__(self, name):
                self.gini_name = name

            @hookimpl
            def gini_shutdown(self, host):
                DOWN.append(self.gini_name)

        def test_1_make(make_host):
            make_host(Plugin("first"))
            make_host(Plugin("second"))
            assert DOWN == []

        def test_2_after():
            assert DOWN == ["second", "first"]
        '''
    )
    suite.runpytest().assert_outcomes(passed=2)


def test_make_host_takes_toml_config(make_host) -> None:
    """config= accepts gini.toml text; the plugin's table reaches gini_configure."""
    from gini_host import hookimpl

    seen = {}

    class Configured:
        @hookimpl
        def gini_configure(self, host, config):
            seen.update(config)

    make_host(Configured(), config='[plugin.Configured]\ncolour = "blue"\n')
    assert seen == {"colour": "blue"}


def test_no_gini_host_disables_the_plugin(suite: pytest.Pytester) -> None:
    """-p no:gini_host removes the fixtures: a test asking for make_host errors."""
    suite.makepyfile("def test_it(make_host):\n    pass\n")
    suite.runpytest().assert_outcomes(passed=1)
    result = suite.runpytest("-p", "no:gini_host")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'make_host' not found*"])


def test_the_plugin_is_registered_through_pytest11(suite: pytest.Pytester) -> None:
    """Installing gini-host is enough: the plugin loads under the name gini_host."""
    suite.makepyfile(
        '''
        def test_loaded(pytestconfig):
            plugin = pytestconfig.pluginmanager.get_plugin("gini_host")
            assert plugin is not None and plugin.__name__ == "gini_host.testing"
        '''
    )
    suite.runpytest().assert_outcomes(passed=1)
