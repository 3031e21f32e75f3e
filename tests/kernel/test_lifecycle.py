"""The boot pipeline: preflight, init, stages, pipelines, post-init, each per plugin."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from gini_host import Host, PipelineSpec, UsageError, hookimpl, stage


class Plugin:
    """A configurable test plugin object."""

    def __init__(self, name: str, **behaviour: object) -> None:
        self.gini_name = name
        self.behaviour = behaviour
        self.configured: object = None

    @hookimpl
    def gini_preflight(self, host: Host) -> object:
        problem = self.behaviour.get("preflight")
        if isinstance(problem, Exception):
            raise problem
        return problem

    @hookimpl
    def gini_configure(self, host: Host, config: object) -> None:
        self.configured = config

    @hookimpl
    def gini_register_stages(self, host: Host) -> object:
        return self.behaviour.get("stages", [])

    @hookimpl
    def gini_register_pipelines(self, host: Host) -> object:
        return self.behaviour.get("pipelines", [])

    @hookimpl
    def gini_post_init(self, host: Host) -> None:
        if self.behaviour.get("post_init_fails"):
            raise RuntimeError("late failure")


@stage
def work(ctx):
    """Do the work."""
    return ctx.config.get("answer", 0)


def test_boot_runs_the_core_stages_in_order(make_host):
    """Boot is a pipeline of core stages, each succeeded."""
    host = make_host()
    assert host.boot_result is not None
    assert list(host.boot_result) == [
        "core::discover", "core::configure", "core::preflight", "core::plugin_init",
        "core::register_stages", "core::register_pipelines", "core::post_init",
    ]
    assert host.boot_result.ok


def test_preflight_problems_fail_the_plugin(make_host):
    """Problems returned by gini_preflight fail the plugin; its stages never register."""
    host = make_host(Plugin("gpu", preflight=["no GPU found", "driver too old"], stages=[work]))
    info = host.plugin("gpu")
    assert (info.status.value, info.reason) == ("failed", "preflight: no GPU found; driver too old")
    assert "gpu::work" not in [s.id for s in host.stages]
    assert host.boot_result is not None
    verdicts = host.boot_result["core::preflight"].value
    assert verdicts["gpu"] == ["no GPU found", "driver too old"]
    assert verdicts["core"] == []


def test_preflight_raising_fails_the_plugin(make_host):
    """A preflight that raises is a failed preflight, with the exception as the problem."""
    host = make_host(Plugin("net", preflight=OSError("no route")))
    assert host.plugin("net").reason == "preflight: gini_preflight raised OSError: no route"


def test_preflight_failure_disables_dependents(plugin_dist, boot, statuses):
    """A dependent of a plugin that failed preflight is disabled, naming it."""
    plugin_dist(
        "base",
        "from gini_host import hookimpl\n@hookimpl\ndef gini_preflight(host):\n    return ['nope']\n",
    )
    plugin_dist("top", "", requires=["base"])
    s = statuses(boot())
    assert s["base"] == ("failed", "preflight: nope")
    assert s["top"] == ("disabled", "requires plugin base (base 0.1.0), which is failed")


def test_plugin_config_reaches_configure(make_host):
    """Each plugin gets its own [plugin.NAME] table through gini_configure."""
    plugin = Plugin("disk")
    make_host(plugin, config="[plugin.disk]\nroot = '/srv'\n")
    assert dict(plugin.configured) == {"root": "/srv"}


def test_stage_table_config_and_overrides_apply(make_host):
    """[stages."p::s"] sets retries/timeout on the registered stage and its ctx.config."""
    host = make_host(
        Plugin("calc", stages=[work]),
        config='[stages."calc::work"]\nretries = 2\ntimeout = 5\nconfig = { answer = 42 }\n',
    )
    registered = host.stage_manager.get_stage("calc::work")
    assert (registered.retries, registered.timeout) == (2, 5)
    assert host.run(["calc::work"])["calc::work"].value == 42


def test_duplicate_stage_fails_the_later_plugin_wholly(make_host):
    """A plugin registering an id already taken is failed and keeps none of its stages."""

    @stage(name="work")
    def other_work(ctx):
        return "other"

    @stage
    def extra(ctx):
        return 1

    first = Plugin("calc", stages=[work])
    second = Plugin("calc2", stages=[extra, other_work, other_work])  # calc2::work twice
    host = make_host(first, second)
    info = host.plugin("calc2")
    assert info.status.value == "failed"
    assert "registered twice" in (info.reason or "")
    assert [s.id for s in host.stages if s.plugin == "calc2"] == []
    assert host.plugin("calc").active


def test_non_stage_return_fails_plugin(make_host):
    """Returning something that is not a Stage fails the plugin with a clear reason."""
    host = make_host(Plugin("odd", stages=["not a stage"]))
    assert host.plugin("odd").reason == (
        "gini_register_stages: TypeError: expected stages made with @stage, got 'not a stage'"
    )


def test_pipelines_from_plugins_and_config(make_host):
    """Pipelines come from plugins (source = plugin name) and the config (source = config)."""
    host = make_host(
        Plugin("calc", stages=[work], pipelines=[PipelineSpec("compute", ["calc::work"], "Compute")]),
        config="[pipelines.again]\nstages = ['calc::work']\ndescription = 'Again'\n",
    )
    assert {(p.name, p.source) for p in host.pipelines} == {("compute", "calc"), ("again", "config")}
    assert host.run(["compute"]).ok


def test_post_init_failure_removes_the_plugin_stages(make_host):
    """A plugin failing gini_post_init is failed and its stages are taken out."""
    host = make_host(Plugin("late", stages=[work], post_init_fails=True))
    assert host.plugin("late").reason == "gini_post_init raised RuntimeError: late failure"
    assert not host.stage_manager.has_stage("late::work")


def test_boot_stages_cannot_be_run_again(make_host):
    """Running a boot stage after boot is bad input."""
    host = make_host()
    with pytest.raises(UsageError, match="core::discover is a boot stage"):
        host.run(["core::discover"])


def test_essential_builtin_cannot_be_disabled():
    """-p no:core is refused: the host cannot boot without it."""
    with pytest.raises(UsageError, match="essential"):
        Host(disable=["core"], autoload=False).boot()


def test_unknown_enable_name_is_bad_input_with_suggestion(plugin_dist, boot):
    """-p NAME naming nothing is bad input, with close plugin names suggested."""
    plugin_dist("alpha", "")
    with pytest.raises(UsageError, match=r"-p alpah: 'alpah' is no plugin or importable module; did you mean 'alpha'\?"):
        Host(autoload=False, enable=["alpah"], paths=[str(plugin_dist.site)]).boot()
    # The harness names what the test used, not the command line's flag.
    with pytest.raises(UsageError, match=r"make_host\(enable=\['alpah'\]\): 'alpah' is no plugin"):
        boot(autoload=False, enable=["alpah"])


def test_observer_hooks_see_every_stage(make_host):
    """gini_stage_finish is called once per stage of a run, by every active plugin."""
    seen: list[tuple[str, str]] = []

    class Observer:
        gini_name = "observer"

        @hookimpl
        def gini_stage_finish(self, stage, result):
            seen.append((stage.id, result.status.value))

    host = make_host(Plugin("calc", stages=[work]), Observer())
    seen.clear()  # the boot pipeline is observed too
    host.run(["calc::work"])
    assert seen == [("calc::work", "succeeded")]


def test_failed_plugin_stops_observing(make_host):
    """A plugin that fails is unregistered from pluggy: its observer hooks no longer run."""
    seen: list[str] = []

    class Flaky(Plugin):
        @hookimpl
        def gini_stage_finish(self, stage, result):
            seen.append(stage.id)

    host = make_host(Flaky("flaky", preflight=["broken"]), Plugin("calc", stages=[work]))
    host.run(["calc::work"])
    assert "calc::work" not in seen


def test_interrupt_during_boot_reaches_the_caller():
    """A real Ctrl-C (SIGINT) while a plugin initializes is not swallowed, even while the
    hook is stuck: boot raises KeyboardInterrupt at once, shutdown still runs."""
    calls: list[str] = []
    never = threading.Event()

    class Slow:
        gini_name = "slow"

        @hookimpl
        def gini_plugin_init(self, host):
            os.kill(os.getpid(), signal.SIGINT)  # the operator's Ctrl-C, not a raise
            never.wait()

        @hookimpl
        def gini_shutdown(self, host):
            calls.append("shutdown")

    try:
        with pytest.raises(KeyboardInterrupt), Host([Slow()], autoload=False):
            pass
    finally:
        never.set()  # let the abandoned hook thread end
    assert calls == ["shutdown"]


def test_keyboard_interrupt_raised_by_a_plugin_is_its_failure():
    """KeyboardInterrupt or SystemExit raised by plugin code fails that plugin, not the host."""

    class Ctrl:
        gini_name = "ctrl"

        @hookimpl
        def gini_plugin_init(self, host):
            raise KeyboardInterrupt("not a signal")

    class Exits:
        gini_name = "exits"

        @hookimpl
        def gini_preflight(self, host):
            raise SystemExit(3)

    with Host([Ctrl(), Exits()], autoload=False) as host:
        assert host.plugin("ctrl").reason == "gini_plugin_init raised KeyboardInterrupt: not a signal"
        assert host.plugin("exits").reason == "preflight: gini_preflight raised SystemExit: 3"
        assert not host.plugin("ctrl").active


def test_dependent_of_a_plugin_failing_mid_boot_gets_no_more_hooks(plugin_dist, boot, statuses):
    """When a plugin fails init, its dependent (later in the same loop) is neither initialized
    nor shut down, and keeps no stages."""
    plugin_dist(
        "base",
        """
        from gini_host import hookimpl
        @hookimpl
        def gini_plugin_init(host):
            raise RuntimeError("no disk")
        """,
    )
    plugin_dist(
        "top",
        """
        from gini_host import hookimpl, stage
        CALLS = []
        @stage
        def t(ctx):
            return 1
        @hookimpl
        def gini_plugin_init(host):
            CALLS.append("init")
        @hookimpl
        def gini_register_stages(host):
            return [t]
        @hookimpl
        def gini_shutdown(host):
            CALLS.append("shutdown")
        """,
        requires=["base"],
    )
    host = boot()
    import top

    assert statuses(host)["top"] == ("disabled", "requires plugin base (base 0.1.0), which is failed")
    assert not host.stage_manager.has_stage("top::t")
    host.shutdown()
    assert top.CALLS == []


def test_dependent_of_a_plugin_failing_stage_registration_keeps_no_stages(plugin_dist, boot):
    """A dependent disabled while stages are collected keeps none of its stages."""
    plugin_dist(
        "base",
        "from gini_host import hookimpl\n@hookimpl\ndef gini_register_stages(host):\n    return ['bad']\n",
    )
    plugin_dist(
        "top",
        """
        from gini_host import hookimpl, stage
        @stage
        def t(ctx):
            return 1
        @hookimpl
        def gini_register_stages(host):
            return [t]
        """,
        requires=["base"],
    )
    host = boot()
    assert host.plugin("top").status.value == "disabled"
    assert not host.stage_manager.has_stage("top::t")


@pytest.mark.parametrize(
    "hook", ["gini_manifest", "gini_preflight", "gini_configure", "gini_plugin_init",
             "gini_register_stages", "gini_register_pipelines", "gini_post_init"],
)
def test_system_exit_in_a_hook_fails_only_that_plugin(make_host, hook):
    """A plugin calling sys.exit() in any boot hook is failed; the host and others go on."""

    class Exiter:
        gini_name = "exiter"

    def raise_exit(*args, **kwargs):
        raise SystemExit(3)

    setattr(Exiter, hook, hookimpl(raise_exit))
    host = make_host(Exiter(), Plugin("calc", stages=[work]))
    info = host.plugin("exiter")
    assert info.status.value == "failed"
    assert "SystemExit: 3" in (info.reason or "")
    assert host.plugin("calc").active


def test_configure_failure_names_the_configure_hook(make_host):
    """A raising gini_configure is reported as such, not as an init failure."""

    class BadConfig:
        gini_name = "badconfig"

        @hookimpl
        def gini_configure(self, host, config):
            raise ValueError("plugin.badconfig.level: expected a string")

    reason = make_host(BadConfig()).plugin("badconfig").reason
    assert reason == "gini_configure raised ValueError: plugin.badconfig.level: expected a string"


def test_strict_mode_counts_a_failing_manifest(make_host):
    """A manifest hook that raises is a load failure, so strict mode stops the host."""

    class BadManifest:
        gini_name = "badmanifest"

        @hookimpl
        def gini_manifest(self):
            raise RuntimeError("no manifest")

    with pytest.raises(UsageError, match="badmanifest: gini_manifest raised RuntimeError: no manifest"):
        make_host(BadManifest(), config={"plugins": {"strict": True}})


def test_stage_config_from_run_is_merged_deeply(make_host):
    """Host.run(stage_config=...) lays nested tables over the config file's, key by key."""

    @stage
    def show(ctx):
        return dict(ctx.config["db"])

    host = make_host(
        Plugin("calc", stages=[show]),
        config='[stages."calc::show".config]\ndb = { host = "a", port = 1 }\n',
    )
    result = host.run(["calc::show"], stage_config={"calc::show": {"db": {"port": 2}}})
    assert result["calc::show"].value == {"host": "a", "port": 2}


def test_unknown_disable_name_is_bad_input(plugin_dist, boot):
    """-p no:NAME for a plugin that does not exist is a typo: exit 2 with a suggestion."""
    plugin_dist("alpha", "")
    with pytest.raises(UsageError, match=r"make_host\(disable=\['alpah'\]\): 'alpah' is no discovered plugin; did you mean 'alpha'\?"):
        boot(disable=["alpah"])


@pytest.mark.parametrize("key", ["disable", "only"])
def test_unknown_names_in_plugin_lists_are_bad_input(plugin_dist, boot, key):
    """plugins.disable / plugins.only naming no plugin are typos: exit 2 naming the key."""
    plugin_dist("alpha", "")
    with pytest.raises(UsageError, match=rf"plugins.{key} in config: 'alpah' is no discovered plugin"):
        boot(config={"plugins": {key: ["alpah"]}})


def test_config_enable_imports_a_module_like_p(plugin_dist, boot):
    """plugins.enable naming no entry point loads the importable module, as -p does."""
    plugin_dist("modonly", "", entry_points={})
    host = boot(autoload=False, config={"plugins": {"enable": ["modonly"]}})
    assert host.plugin("modonly").active


def test_autoload_off_still_lists_installed_plugins(plugin_dist, boot):
    """--no-autoload alone: installed plugins are listed, disabled, saying how to enable."""
    plugin_dist("alpha", "")
    host = boot(autoload=False)
    assert host.plugin("alpha").reason == "autoload is off (--no-autoload); enable it with -p alpha"
