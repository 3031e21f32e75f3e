"""Discovery: entry points of installed distributions become plugins with their metadata."""

from __future__ import annotations

import sys

from gini_host import Host
from gini_host.kernel.discovery import scan

GOOD = """
from gini_host import hookimpl, stage

@stage
def hello(ctx):
    '''Say hello.'''
    return "hello"

@hookimpl
def gini_register_stages(host):
    return [hello]
"""


def test_plugin_metadata_comes_from_the_distribution(plugin_dist, boot):
    """Name is the entry point's; distribution, version, summary come from METADATA."""
    plugin_dist("alpha", GOOD, version="1.2.3", distribution="gini-alpha", summary="Alpha!")
    host = boot()
    info = host.plugin("alpha")
    assert (info.distribution, info.version, info.summary) == ("gini-alpha", "1.2.3", "Alpha!")
    assert info.status.value == "active"
    assert info.entry_point == "alpha"
    assert "gini_register_stages" in info.hooks


def test_stage_ids_are_prefixed_with_the_plugin_name(plugin_dist, boot):
    """A stage declared as ``hello`` in plugin ``alpha`` is ``alpha::hello``."""
    plugin_dist("alpha", GOOD)
    host = boot()
    assert "alpha::hello" in [s.id for s in host.stages]
    result = host.run(["alpha::hello"])
    assert result["alpha::hello"].value == "hello"


def test_builtins_come_first_and_are_marked(plugin_dist, boot):
    """The host's own plugins are registered first and flagged builtin."""
    plugin_dist("aaa", GOOD)
    host = boot()
    assert host.plugins[0].name == "core"
    assert host.plugins[0].builtin and host.plugins[0].essential
    assert not host.plugin("aaa").builtin


def test_disabled_plugin_module_is_never_imported(plugin_dist, boot):
    """A plugin the operator disabled is not even imported."""
    plugin_dist("noisy", "import sys\nsys.modules['noisy_was_imported'] = True\n")
    host = boot(disable=["noisy"])
    assert "noisy_was_imported" not in sys.modules
    assert host.plugin("noisy").status.value == "disabled"
    assert host.plugin("noisy").reason == "disabled by -p no:noisy"


def test_order_does_not_depend_on_creation_order(plugin_dist, make_host, tmp_path):
    """Load order is identical whatever order the files were written in."""
    names = ["delta", "alpha", "charlie", "bravo"]
    for name in names:
        plugin_dist(name, GOOD)
    first = [p.name for p in make_host(autoload=True, paths=[str(plugin_dist.site)]).plugins]
    assert first == ["core", "history", "reporter", "alpha", "bravo", "charlie", "delta"]
    second = [p.name for p in make_host(autoload=True, paths=[str(plugin_dist.site)]).plugins]
    assert first == second


def test_first_distribution_on_the_path_wins(plugin_dist, tmp_path):
    """Two copies of one distribution: the earlier sys.path entry wins, like importlib."""
    plugin_dist("alpha", GOOD, version="2.0")
    other = tmp_path / "later"
    other.mkdir()
    (other / "alpha-1.0.dist-info").mkdir()
    (other / "alpha-1.0.dist-info" / "entry_points.txt").write_text(
        "[gini_host.plugins]\nalpha = alpha\n"
    )
    found = scan([str(plugin_dist.site), str(other)])
    assert [(e.name, e.version) for e in found.entry_points] == [("alpha", "2.0")]


def test_distributions_without_plugins_are_only_versioned(plugin_dist):
    """Unrelated distributions are counted (for requirement checks), not loaded."""
    plugin_dist("lib", "", entry_points={"console_scripts": {"lib": "lib:main"}}, version="3.1")
    found = scan([str(plugin_dist.site)])
    assert found.entry_points == ()
    assert found.versions == {"lib": "3.1"}


def test_autoload_off_loads_only_enabled_plugins(plugin_dist, boot):
    """--no-autoload: only built-ins and -p plugins load; others say how to enable them."""
    plugin_dist("alpha", GOOD)
    plugin_dist("beta", GOOD)
    host = boot(autoload=False, enable=["beta"])
    assert host.plugin("beta").active
    alpha = host.plugin("alpha")
    assert alpha.status.value == "disabled"
    assert alpha.reason == "autoload is off (--no-autoload); enable it with -p alpha"


def test_only_list_restricts_plugins(plugin_dist, boot):
    """plugins.only keeps every other discovered plugin disabled, saying why."""
    plugin_dist("alpha", GOOD)
    plugin_dist("beta", GOOD)
    host = boot(config={"plugins": {"only": ["alpha"]}})
    assert host.plugin("alpha").active
    assert host.plugin("beta").reason == "not listed in plugins.only in config"


def test_config_disable_names_the_config(plugin_dist, boot):
    """plugins.disable in config disables, and the reason says so."""
    plugin_dist("alpha", GOOD)
    host = boot(config="[plugins]\ndisable = ['alpha']\n")
    assert host.plugin("alpha").reason == "disabled by plugins.disable in config"


def test_enable_flag_imports_a_module_by_name(plugin_dist, boot):
    """-p NAME naming no entry point loads the importable module NAME, as in pytest."""
    plugin_dist("modonly", GOOD, entry_points={})
    host = boot(autoload=False, enable=["modonly"])
    assert host.plugin("modonly").active
    assert "modonly::hello" in [s.id for s in host.stages]


def test_explicit_plugin_objects_are_loaded():
    """Plugin objects passed to Host load without any distribution."""

    class Greeter:
        gini_name = "greeter"

    with Host([Greeter()], autoload=False) as host:
        assert host.plugin("greeter").active
        assert host.plugin("greeter").distribution is None


def test_egg_info_with_a_python_tag_after_the_version_is_found(plugin_dist):
    """``name-0.1-py3.11.egg-info`` is a distribution, as importlib.metadata reads it."""
    written = plugin_dist("gini_x", GOOD, version="0.1")
    egg = written.site / "gini_x-0.1-py3.11.egg-info"
    written.dist_info.rename(egg)
    (egg / "METADATA").rename(egg / "PKG-INFO")
    found = scan([str(plugin_dist.site)])
    assert [(e.name, e.value, e.version) for e in found.entry_points] == [
        ("gini_x", "gini_x", "0.1")
    ]
    assert found.versions == {"gini-x": "0.1"}


def test_entry_point_extras_are_not_part_of_the_value(plugin_dist):
    """``mod:attr [extra1]`` names the object ``mod:attr``; the extras spec is dropped."""
    plugin_dist(
        "alpha",
        GOOD,
        entry_points={
            "gini_host.plugins": {"alpha": "alpha:hello [fancy]", "beta": "alpha [a, b]"}
        },
    )
    found = scan([str(plugin_dist.site)])
    assert [(e.name, e.value) for e in found.entry_points] == [
        ("alpha", "alpha:hello"),
        ("beta", "alpha"),
    ]
