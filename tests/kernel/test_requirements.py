"""Requirements: Requires-Dist on gini-host and on other plugins' distributions."""

from __future__ import annotations

from gini_host import __version__

EMPTY = ""


def test_host_version_mismatch_makes_plugin_incompatible(plugin_dist, boot):
    """Requiring a gini-host this host is not: incompatible, with both versions named."""
    plugin_dist("alpha", EMPTY, requires=["gini-host>=2"])
    info = boot().plugin("alpha")
    assert info.status.value == "incompatible"
    assert info.reason == f"requires gini-host>=2, this is {__version__}"


def test_host_version_match_is_active(plugin_dist, boot):
    """A satisfied gini-host requirement leaves the plugin active."""
    plugin_dist("alpha", EMPTY, requires=["gini-host>=0.1,<1"])
    assert boot().plugin("alpha").active


def test_dependency_on_plugin_distribution_orders_it_first(plugin_dist, boot):
    """A plugin requiring another plugin's distribution loads after it, whatever the names."""
    plugin_dist("aardvark", EMPTY, requires=["zebra-dist>=1"])
    plugin_dist("zebra", EMPTY, distribution="zebra-dist", version="1.5")
    host = boot()
    assert [p.name for p in host.plugins if not p.builtin] == ["zebra", "aardvark"]
    assert host.plugin("aardvark").depends_on == ("zebra",)


def test_dependency_version_mismatch_is_incompatible(plugin_dist, boot):
    """The dependency's installed version is checked against the specifier."""
    plugin_dist("alpha", EMPTY, requires=["beta>=2"])
    plugin_dist("beta", EMPTY, version="1.0")
    info = boot().plugin("alpha")
    assert info.status.value == "incompatible"
    assert info.reason == "requires beta>=2, installed is 1.0"


def test_missing_requirement_disables_plugin(plugin_dist, boot):
    """A required distribution that is not installed at all disables the plugin."""
    plugin_dist("alpha", EMPTY, requires=["no-such-dist-anywhere>=1"])
    info = boot().plugin("alpha")
    assert info.status.value == "disabled"
    assert info.reason == "requires no-such-dist-anywhere, which is not installed"


def test_requirement_on_installed_library_is_fine(plugin_dist, boot):
    """Requiring an ordinary installed library (not a plugin) is pip's business, not ours."""
    plugin_dist("alpha", EMPTY, requires=["attrs>=20", "pluggy"])
    assert boot().plugin("alpha").active


def test_extra_only_requirement_is_ignored(plugin_dist, boot):
    """A requirement behind an extra marker does not count unless that extra is wanted."""
    plugin_dist("alpha", EMPTY, requires=['no-such-dist-anywhere; extra == "fancy"'])
    assert boot().plugin("alpha").active


def test_disabled_dependency_cascades_with_names(plugin_dist, boot, statuses):
    """Disabling a plugin disables its dependents and theirs, each naming its own cause."""
    plugin_dist("base", EMPTY)
    plugin_dist("middle", EMPTY, requires=["base"])
    plugin_dist("top", EMPTY, requires=["middle"])
    plugin_dist("other", EMPTY)
    host = boot(disable=["base"])
    assert statuses(host) == {
        "core": ("active", None),
        "history": ("active", None),
        "reporter": ("active", None),
        "base": ("disabled", "disabled by -p no:base"),
        "middle": ("disabled", "requires plugin base (base 0.1.0), which is disabled"),
        "top": ("disabled", "requires plugin middle (middle 0.1.0), which is disabled"),
        "other": ("active", None),
    }


def test_failed_dependency_disables_dependent(plugin_dist, boot, statuses):
    """A dependency that fails to import disables its dependent, naming it as failed."""
    plugin_dist("base", "raise ValueError('bad')\n")
    plugin_dist("top", EMPTY, requires=["base"])
    assert statuses(boot())["top"] == (
        "disabled",
        "requires plugin base (base 0.1.0), which is failed",
    )


def test_incompatible_dependency_disables_dependent(plugin_dist, boot, statuses):
    """A dependency that is incompatible with the host disables its dependent."""
    plugin_dist("base", EMPTY, requires=["gini-host>=99"])
    plugin_dist("top", EMPTY, requires=["base"])
    assert statuses(boot())["top"] == (
        "disabled",
        "requires plugin base (base 0.1.0), which is incompatible",
    )


def test_dependency_cycle_fails_every_plugin_on_it(plugin_dist, boot, statuses):
    """Plugins requiring each other in a loop all fail, with the loop in order."""
    plugin_dist("a", EMPTY, requires=["b"])
    plugin_dist("b", EMPTY, requires=["c"])
    plugin_dist("c", EMPTY, requires=["a"])
    plugin_dist("d", EMPTY, requires=["a"])
    plugin_dist("free", EMPTY)
    s = statuses(boot())
    for name in "abc":
        assert s[name] == ("failed", "plugin dependency cycle: a -> b -> c -> a")
    assert s["d"] == ("disabled", "requires plugin a (a 0.1.0), which is failed")
    assert s["free"] == ("active", None)


def test_egg_info_requirements_are_read(plugin_dist, boot):
    """An .egg-info keeps requirements in requires.txt: they are checked like Requires-Dist."""
    written = plugin_dist("alpha", EMPTY)
    egg = written.site / "alpha.egg-info"
    written.dist_info.rename(egg)
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: alpha\nVersion: 0.1.0\n\n")
    (egg / "requires.txt").write_text(
        "gini-host>=99\n\n[fancy]\nno-such-dist-anywhere\n\n[:python_version < '3']\nnope\n"
    )
    info = boot(refresh_plugins=True).plugin("alpha")
    assert info.status.value == "incompatible"
    assert info.reason == f"requires gini-host>=99, this is {__version__}"
