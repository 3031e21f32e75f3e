"""Isolation: a broken plugin is reported with its name, distribution and cause; the rest run."""

from __future__ import annotations

import pytest

from gini_host import UsageError

GOOD = """
from gini_host import hookimpl, stage

@stage
def ok(ctx):
    return 1

@hookimpl
def gini_register_stages(host):
    return [ok]
"""


def test_import_error_fails_only_that_plugin(plugin_dist, boot):
    """A plugin whose import raises sits between two good ones; both good ones stay active."""
    plugin_dist("alpha", GOOD)
    plugin_dist("broken", "raise RuntimeError('no database configured')\n", version="0.3")
    plugin_dist("gamma", GOOD)
    host = boot()
    broken = host.plugin("broken")
    assert broken.status.value == "failed"
    assert broken.reason == "import failed: RuntimeError: no database configured"
    assert (broken.distribution, broken.version) == ("broken", "0.3")
    assert "RuntimeError" in (broken.traceback or "")
    assert host.plugin("alpha").active
    assert host.plugin("gamma").active
    assert {"alpha::ok", "gamma::ok"} <= {s.id for s in host.stages}


def test_missing_attribute_in_entry_point_fails_plugin(plugin_dist, boot):
    """An entry point naming an attribute the module lacks fails with the AttributeError."""
    plugin_dist("alpha", GOOD, entry_points={"gini_host.plugins": {"alpha": "alpha:nothing"}})
    reason = boot().plugin("alpha").reason
    assert reason is not None
    assert reason.startswith("import failed: AttributeError:")


def test_unmarked_hook_function_fails_plugin(plugin_dist, boot):
    """A gini_* function without @hookimpl would never run: the plugin is failed, saying so."""
    plugin_dist("alpha", "def gini_preflight(host):\n    return ['x']\n")
    info = boot().plugin("alpha")
    assert info.status.value == "failed"
    assert (
        info.reason
        == "gini_preflight is not marked with @gini_host.hookimpl, so it would never run"
    )


def test_unknown_hook_name_fails_plugin_with_suggestion(plugin_dist, boot):
    """A misspelt hook name is reported with the closest real hook."""
    plugin_dist(
        "alpha",
        "from gini_host import hookimpl\n@hookimpl\ndef gini_prefligt(host):\n    pass\n",
    )
    info = boot().plugin("alpha")
    assert info.status.value == "failed"
    assert info.reason == "gini_prefligt is not a gini-host hook; did you mean 'gini_preflight'?"


def test_hookimpl_with_unknown_argument_fails_validation(plugin_dist, boot):
    """pluggy's validation error (an argument the hook does not have) fails the plugin."""
    plugin_dist(
        "alpha",
        "from gini_host import hookimpl\n@hookimpl\ndef gini_preflight(host, extra):\n    pass\n",
    )
    info = boot().plugin("alpha")
    assert info.status.value == "failed"
    assert info.reason is not None
    assert info.reason.startswith("invalid hook implementation:")
    assert "extra" in info.reason


def test_imported_gini_host_module_is_not_a_hook(plugin_dist, boot):
    """``import gini_host`` in a plugin module is not mistaken for a hook function."""
    plugin_dist("alpha", "import gini_host\n" + GOOD)
    assert boot().plugin("alpha").active


def test_strict_mode_turns_load_failures_into_bad_input(plugin_dist, boot):
    """plugins.strict = true: any plugin that fails to load stops the host (exit 2)."""
    plugin_dist("broken", "raise ImportError('nope')\n")
    plugin_dist("alpha", GOOD)
    with pytest.raises(
        UsageError,
        match=r"strict mode .*1 plugin\(s\) failed to load:\n  - broken \(broken 0.1.0\): import failed: ImportError: nope",
    ):
        boot(config={"plugins": {"strict": True}})


def test_class_entry_point_is_instantiated(plugin_dist, boot):
    """An entry point naming a class gets an instance, whose methods are the hooks."""
    plugin_dist(
        "alpha",
        """
        from gini_host import hookimpl, stage

        class Plugin:
            def __init__(self):
                self.greeting = "hi"

            @hookimpl
            def gini_register_stages(self, host):
                @stage
                def greet(ctx):
                    return self.greeting
                return [greet]
        """,
        entry_points={"gini_host.plugins": {"alpha": "alpha:Plugin"}},
    )
    host = boot()
    assert host.run(["alpha::greet"])["alpha::greet"].value == "hi"


def test_two_distributions_claiming_one_plugin_name(plugin_dist, boot):
    """A second distribution with the same plugin name is failed, naming the first; which
    is first is importlib-metadata's order (the folder's listing order, not sorted)."""
    plugin_dist("alpha", GOOD, distribution="gini-alpha")
    plugin_dist(
        "alpha2",
        GOOD,
        distribution="other-alpha",
        entry_points={"gini_host.plugins": {"alpha": "alpha2"}},
    )
    import importlib_metadata

    first, second = (
        ep.dist.name for ep in importlib_metadata.entry_points(group="gini_host.plugins", name="alpha")
    )
    host = boot()
    states = [(p.distribution, p.status.value, p.reason) for p in host.plugins if p.name == "alpha"]
    assert states == [
        (first, "active", None),
        (second, "failed", f"plugin name 'alpha' is already taken by alpha ({first} 0.1.0)"),
    ]
