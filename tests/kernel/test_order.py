"""Order: dependencies first, then priority, then name; shutdown in reverse."""

from __future__ import annotations

import pytest

from gini_host import PRIORITY_CORE, PRIORITY_THIRD_PARTY_LOW, Host, PluginManifest, hookimpl


def named(name: str, priority: int | None = None, log: list[str] | None = None, fail: str = "") -> object:
    """A plugin object recording its hook calls into ``log``."""

    class Plugin:
        gini_name = name

        @hookimpl
        def gini_manifest(self) -> PluginManifest | None:
            return PluginManifest(priority=priority) if priority is not None else None

        @hookimpl
        def gini_plugin_init(self, host: Host) -> None:
            if log is not None:
                log.append(f"init {name}")
            if fail == "init":
                raise RuntimeError(f"{name} cannot start")

        @hookimpl
        def gini_shutdown(self, host: Host) -> None:
            if log is not None:
                log.append(f"shutdown {name}")
            if fail == "shutdown":
                raise RuntimeError(f"{name} cannot stop")

    return Plugin()


def test_priority_then_name(make_host):
    """Among ready plugins, lower priority first, then name."""
    host = make_host(
        named("zeta", PRIORITY_CORE), named("alpha"), named("beta", PRIORITY_THIRD_PARTY_LOW),
        named("aaa", PRIORITY_CORE),
    )
    active = [p.name for p in host.plugins if p.active]
    assert active == ["core", "history", "reporter", "aaa", "zeta", "alpha", "beta"]


def test_per_plugin_hooks_follow_the_order_and_shutdown_reverses_it():
    """Init runs in load order; shutdown in reverse, for every initialized plugin."""
    log: list[str] = []
    with Host([named("b", log=log), named("a", log=log), named("c", PRIORITY_CORE, log=log)], autoload=False):
        assert log == ["init c", "init a", "init b"]
    assert log[3:] == ["shutdown b", "shutdown a", "shutdown c"]


def test_shutdown_continues_past_errors_and_reports_all():
    """Every plugin is shut down even if some raise; all errors come back as one group."""
    log: list[str] = []
    host = Host(
        [named("a", log=log, fail="shutdown"), named("b", log=log), named("c", log=log, fail="shutdown")],
        autoload=False,
    ).boot()
    group = host.shutdown()
    assert log[3:] == ["shutdown c", "shutdown b", "shutdown a"]
    assert group is not None
    assert sorted(str(e) for e in group.exceptions) == [
        "plugin a: gini_shutdown raised RuntimeError: a cannot stop",
        "plugin c: gini_shutdown raised RuntimeError: c cannot stop",
    ]
    assert host.shutdown() is None  # idempotent


def test_context_manager_shuts_down_after_an_error():
    """Leaving the ``with`` block by an exception still runs every shutdown hook."""
    log: list[str] = []
    with pytest.raises(KeyError), Host([named("a", log=log)], autoload=False):
        raise KeyError("boom")
    assert log == ["init a", "shutdown a"]


def test_plugin_failing_init_is_still_shut_down():
    """A plugin whose init raised is failed but still gets its shutdown call."""
    log: list[str] = []
    with Host([named("a", log=log, fail="init"), named("b", log=log)], autoload=False) as host:
        assert host.plugin("a").status.value == "failed"
        assert host.plugin("a").reason == "gini_plugin_init raised RuntimeError: a cannot start"
        assert host.plugin("b").active
    assert log[-2:] == ["shutdown b", "shutdown a"]
