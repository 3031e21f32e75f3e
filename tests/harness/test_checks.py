"""check_plugin: one line per problem an author can fix, against real installed distributions."""

from __future__ import annotations

import pytest

from gini_host import hookimpl
from gini_host.authoring.checks import UnknownPluginError
from gini_host.testing import check_plugin

HOST_OK = ("gini-host>=0.1,<1",)

CLEAN = '''
from gini_host import hookimpl, stage

@stage
def fetch(ctx):
    return 1

@stage(requires=["fetch"])
def report(ctx):
    return 2

@hookimpl
def gini_register_stages(host):
    return [fetch, report]
'''


@pytest.fixture
def check(plugin_dist):
    """check_plugin looking only at this test's distributions."""

    def run(target):
        return check_plugin(target, paths=[str(plugin_dist.site)])

    return run


def test_a_clean_plugin_has_no_problem(plugin_dist, check):
    """A plugin with marked hooks, resolvable requires and a gini-host requirement is clean."""
    plugin_dist("clean", source=CLEAN, requires=HOST_OK)
    assert check("clean") == []


def test_hook_mistakes_are_one_line_each(plugin_dist, check):
    """Unmarked gini_ functions, unknown hook names and extra arguments are each reported."""
    plugin_dist(
        "sloppy",
        source='''
        from gini_host import hookimpl

        def gini_plugin_init(host):
            pass

        @hookimpl
        def gini_preflite(host):
            pass

        @hookimpl
        def gini_shutdown(host, reason):
            pass
        ''',
        requires=HOST_OK,
    )
    assert check("sloppy") == [
        "gini_plugin_init is not marked with @gini_host.hookimpl, so it would never run",
        "gini_preflite is not a gini-host hook; did you mean 'gini_preflight'?",
        "gini_shutdown(host, reason): 'reason' is not an argument of gini_shutdown, which passes (host)",
    ]


def test_requires_that_point_nowhere_are_reported(plugin_dist, check):
    """A require of a missing own stage suggests the close one; another plugin's must be installed."""
    plugin_dist(
        "other",
        source='''
        from gini_host import hookimpl, stage

        @stage
        def base(ctx):
            pass

        @hookimpl
        def gini_register_stages(host):
            return [base]
        ''',
        requires=HOST_OK,
    )
    plugin_dist(
        "needy",
        source='''
        from gini_host import hookimpl, stage

        @stage
        def fetch(ctx):
            pass

        @stage(requires=["fetchh", "other::base", "ghost::stage"])
        def report(ctx):
            pass

        @hookimpl
        def gini_register_stages(host):
            return [fetch, report]

        @hookimpl
        def gini_register_pipelines(host):
            return [{"name": "needy", "stages": ["needy::report", "needy::nope"]}]
        ''',
        requires=HOST_OK,
    )
    assert check("needy") == [
        "stage needy::report requires needy::fetchh, which plugin needy does not register; "
        "did you mean 'needy::fetch'?",
        "stage needy::report requires ghost::stage, which no installed plugin provides",
        "pipeline needy: unknown stage 'needy::nope'",
    ]


def test_stages_requiring_each_other_are_a_loop(check):
    """A cycle among the plugin's own stages is named in order."""
    from gini_host import stage

    @stage(requires=["b"])
    def a(ctx):
        pass

    @stage(requires=["a"])
    def b(ctx):
        pass

    class Loop:
        @hookimpl
        def gini_register_stages(self, host):
            return [a, b]

    assert check(Loop) == ["stages require each other in a loop: Loop::a -> Loop::b -> Loop::a"]


def test_missing_gini_host_requirement(plugin_dist, check):
    """A distribution that does not require gini-host is told what to add."""
    plugin_dist("loose", source=CLEAN)
    assert check("loose") == [
        'distribution loose does not require gini-host: add "gini-host>=0.1,<1" to its dependencies'
    ]


def test_incompatible_gini_host_requirement_is_reported_once(plugin_dist, check):
    """A requirement this host does not meet is one line (not also a would-not-load line)."""
    plugin_dist("future", source=CLEAN, requires=["gini-host>=9"])
    (line,) = check("future")
    assert line.startswith("distribution future requires gini-host>=9, this gini-host is 0.")


def test_a_plugin_that_cannot_load_here_says_why(plugin_dist, check):
    """A preflight that fails on this machine is reported with the host's reason."""
    plugin_dist(
        "picky",
        source='''
        from gini_host import hookimpl

        @hookimpl
        def gini_preflight(host):
            return ["needs a quantum computer"]
        ''',
        requires=HOST_OK,
    )
    assert check("picky") == [
        "plugin picky would not load here: failed: preflight: needs a quantum computer"
    ]


def test_module_names_and_entry_point_values_are_accepted(plugin_dist, check):
    """The target may be the entry point's module; a module without an entry point is told so."""
    plugin_dist("pretty-name", source=CLEAN, requires=HOST_OK, module="pretty_module")
    assert check("pretty_module") == []
    plugin_dist("helpers", source=CLEAN, requires=HOST_OK, entry_points={})
    assert check("helpers") == [
        "distribution helpers declares no 'gini_host.plugins' entry point, "
        "so gini-host does not discover it"
    ]


def test_a_module_of_no_distribution_is_reported_when_named(plugin_dist, check):
    """By name, a module nobody installed is a problem; as an object in a test it is not."""
    (plugin_dist.site / "loose_module.py").write_text(CLEAN)
    assert check("loose_module") == [
        "module loose_module belongs to no installed distribution: "
        "declare it in a pyproject.toml and pip install it"
    ]

    class InTest:
        @hookimpl
        def gini_preflight(self, host):
            return None

    assert check(InTest) == []


def test_an_entry_point_that_fails_to_import(plugin_dist, check):
    """An import error is the one line."""
    plugin_dist("broken", source="raise ImportError('no numpy here')\n", requires=HOST_OK)
    assert check("broken") == [
        "plugin broken: importing broken failed: ImportError: no numpy here"
    ]


def test_unknown_names_raise_with_suggestions(plugin_dist, check):
    """A name that is no plugin and no module raises UnknownPluginError (exit 2 in the CLI)."""
    plugin_dist("clean", source=CLEAN, requires=HOST_OK)
    with pytest.raises(UnknownPluginError, match=r"'claen'; did you mean 'clean'\?"):
        check("claen")


def test_nothing_implemented_is_a_problem(plugin_dist, check):
    """A module with no hook at all cannot be a plugin."""
    plugin_dist("empty", source="X = 1\n", requires=HOST_OK)
    assert check("empty") == [
        "empty implements no gini-host hook (mark them with @gini_host.hookimpl)"
    ]


def test_bundled_plugins_are_clean():
    """The plugins shipped in plugins/ pass their own host's check."""
    assert check_plugin("env-check") == []
    assert check_plugin("logging") == []


def test_a_distribution_name_is_accepted(plugin_dist, check):
    """check takes the distribution's name too (gini-clean for plugin clean)."""
    plugin_dist("clean", source=CLEAN, requires=HOST_OK, distribution="gini-clean")
    assert check("gini-clean") == []


def test_a_distribution_without_entry_point_is_named_not_unknown(plugin_dist, check):
    """Installed, no entry point, no module of that name: said, rather than 'no such name'."""
    plugin_dist("disk-certs", source=CLEAN, requires=HOST_OK, entry_points={})
    assert check("disk-certs") == [
        "distribution disk-certs 0.1.0 declares no 'gini_host.plugins' entry point, "
        "so gini-host does not discover it"
    ]
