"""Typed configuration: schemas for ``[plugin.NAME]`` and stage config tables, checked before
anything runs; configure before preflight; unknown plugin tables."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import pytest

from gini_host import Host, PluginManifest, StageContext, hookimpl, stage
from gini_host.kernel.config import ConfigError
from gini_host.testing import HostFactory, run_pipeline


@attrs.frozen
class Limits:
    low: int = 1
    high: int = attrs.field(default=10, validator=attrs.validators.le(100))


@attrs.frozen
class Settings:
    """A plugin's table: paths to check, a ratio and nested limits."""

    paths: list[str] = attrs.field(factory=lambda: ["/"])
    ratio: float = 0.5
    strict: bool = False
    limits: Limits = Limits()


@attrs.frozen
class Needs:
    """A stage's table with a required key."""

    count: int


SEEN: dict[str, Any] = {}


@stage(config=Needs)
def counted(ctx: StageContext) -> int:
    """Return the configured count."""
    SEEN["counted"] = ctx.config
    return int(ctx.config.count) * 2


@stage(config=Limits)
def limited(ctx: StageContext) -> int:
    """Return the high limit."""
    return int(ctx.config.high)


class Typed:
    """A plugin declaring a schema; records what its hooks saw, in order."""

    gini_name = "typed"

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    @hookimpl
    def gini_manifest(self) -> PluginManifest:
        return PluginManifest(config=Settings)

    @hookimpl
    def gini_configure(self, host: Host, config: object) -> None:
        self.events.append(("configure", config))

    @hookimpl
    def gini_preflight(self, host: Host) -> None:
        self.events.append(("preflight", host.plugin_config("typed")))

    @hookimpl
    def gini_register_stages(self, host: Host) -> list[object]:
        return [counted, limited]


def config_error(make_host: HostFactory, toml: str, *plugins: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        make_host(*(plugins or (Typed(),)), config=toml)
    return caught.value


def test_configure_runs_before_preflight_with_the_typed_defaulted_object(
    make_host: HostFactory,
) -> None:
    """gini_configure gets an instance of the schema (defaults filled in), before preflight,
    which can read the same object from the host."""
    plugin = Typed()
    make_host(plugin, config='[plugin.typed]\npaths = ["/srv"]\n[plugin.typed.limits]\nhigh = 50\n')
    expected = Settings(paths=["/srv"], limits=Limits(high=50))
    assert plugin.events == [("configure", expected), ("preflight", expected)]


def test_without_a_table_the_plugin_gets_the_defaults(make_host: HostFactory) -> None:
    """No [plugin.typed] table: the schema's defaults."""
    plugin = Typed()
    host = make_host(plugin)
    assert host.plugin_config("typed") == Settings()


def test_a_plugin_without_a_schema_gets_its_table(make_host: HostFactory) -> None:
    """Without a schema the table is passed as a mapping, as before."""

    class Plain:
        gini_name = "plain"
        seen: object = None

        @hookimpl
        def gini_configure(self, host: Host, config: object) -> None:
            Plain.seen = config

    make_host(Plain(), config="[plugin.plain]\nanything = 1\n")
    assert Plain.seen == {"anything": 1}


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        ('ratio = "half"', "plugin.typed.ratio", "expected a number, got a string ('half')"),
        ("strict = 1", "plugin.typed.strict", "expected a boolean (true or false), got an integer"),
        ('paths = "/srv"', "plugin.typed.paths", "expected an array of strings, got a string"),
        ('paths = ["/", 3]', "plugin.typed.paths[1]", "expected a string, got an integer (3)"),
        ("limits = 3", "plugin.typed.limits", "expected a table"),
        ("limits = { low = true }", "plugin.typed.limits.low", "expected an integer, got a boolean"),
        ("pths = []", "plugin.typed.pths", "unknown key; did you mean 'paths'?"),
        ("limits = { high = 500 }", "plugin.typed.limits", "'high' must be <= 100: 500"),
    ],
)
def test_a_table_that_does_not_fit_stops_the_boot_naming_the_key(
    make_host: HostFactory, toml: str, key: str, message: str
) -> None:
    """Exit-2 errors (ConfigError) naming the file, the key path and the expected type."""
    error = config_error(make_host, f"[plugin.typed]\n{toml}\n")
    assert error.key == key
    assert error.source == "<string>"
    assert message in str(error)
    assert str(error).startswith(f"<string>: {key}: ")


def test_every_problem_is_listed(make_host: HostFactory) -> None:
    """Two wrong keys: both named in one error."""
    error = config_error(make_host, '[plugin.typed]\nratio = "x"\nstrict = "y"\n')
    assert "plugin.typed.ratio: expected a number" in str(error)
    assert "plugin.typed.strict: expected a boolean" in str(error)


def test_a_bad_plugin_table_stops_the_boot_before_any_preflight(make_host: HostFactory) -> None:
    """The check comes before any plugin's hooks of that boot step run."""
    plugin = Typed()
    with pytest.raises(ConfigError):
        make_host(plugin, config='[plugin.typed]\nratio = "x"\n')
    assert plugin.events == []


def test_a_schema_must_be_an_attrs_class() -> None:
    """A plain class is refused where it is declared, naming what was given."""
    with pytest.raises(TypeError, match="config must be an attrs class"):
        PluginManifest(config=dict)
    with pytest.raises(TypeError, match="config must be an attrs class"):
        stage(config=dict)(lambda ctx: None)


def test_stage_config_is_typed_and_defaulted(make_host: HostFactory) -> None:
    """ctx.config is an instance of the stage's schema; absent keys take its defaults."""
    host = make_host(Typed(), config='[stages."typed::counted".config]\ncount = 4\n')
    result = run_pipeline(host, "typed::counted", "typed::limited")
    assert result["typed::counted"].value == 8
    assert SEEN["counted"] == Needs(count=4)
    assert result["typed::limited"].value == 10


@pytest.mark.parametrize("executor", ["sequential", "threads", "async", "processes"])
def test_stage_config_reaches_the_stage_on_every_executor(
    make_host: HostFactory, executor: str
) -> None:
    """The typed object crosses to worker processes too."""
    # The class, not an instance: a worker process rebuilds the plugin set by name.
    host = make_host(Typed, config='[stages."typed::limited".config]\nhigh = 7\n')
    result = run_pipeline(host, "typed::limited", executor=executor)
    assert result["typed::limited"].value == 7


def test_a_bad_stage_table_fails_the_plan_before_anything_runs(make_host: HostFactory) -> None:
    """Planning (show, validate, run) finds the wrong type; no stage has run."""
    SEEN.clear()
    host = make_host(Typed(), config='[stages."typed::counted".config]\ncount = "4"\n')
    with pytest.raises(ConfigError) as caught:
        host.plan(["typed::counted"])
    assert caught.value.key == 'stages."typed::counted".config.count'
    assert "expected an integer, got a string ('4')" in str(caught.value)
    assert SEEN == {}


def test_a_required_stage_key_that_is_missing_is_named(make_host: HostFactory) -> None:
    """A schema field without a default must be given."""
    host = make_host(Typed())
    with pytest.raises(ConfigError, match=r"config.count: required key missing \(expected an"):
        run_pipeline(host, "typed::counted")


def test_overrides_are_checked_like_the_file(make_host: HostFactory) -> None:
    """stage_config (what --set gives) is laid over the table, then checked."""
    host = make_host(Typed(), config='[stages."typed::counted".config]\ncount = 4\n')
    assert run_pipeline(
        host, "typed::counted", stage_config={"typed::counted": {"count": 5}}
    )["typed::counted"].value == 10
    with pytest.raises(ConfigError, match="count: expected an integer"):
        run_pipeline(host, "typed::counted", stage_config={"typed::counted": {"count": "x"}})


def test_an_unknown_plugin_table_is_warned_about_with_a_suggestion(
    make_host: HostFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """[plugin.typo] names no plugin: a warning with the closest name; the boot goes on."""
    from loguru import logger

    handler = logger.add(caplog.handler, level="WARNING", format="{message}")
    try:
        with caplog.at_level(logging.WARNING):
            make_host(Typed(), config="[plugin.typd]\nx = 1\n")
    finally:
        logger.remove(handler)
    assert "plugin.typd names no installed plugin; did you mean 'typed'?" in caplog.text


def test_an_unknown_plugin_table_is_an_error_in_strict_mode(make_host: HostFactory) -> None:
    """plugins.strict = true: the same mistake stops the host (exit 2)."""
    error = config_error(make_host, "[plugins]\nstrict = true\n[plugin.typd]\nx = 1\n")
    assert error.key == "plugin.typd"
    assert "no plugin is called 'typd'; did you mean 'typed'? (strict mode)" in str(error)


def test_a_table_for_a_disabled_plugin_is_not_unknown(
    make_host: HostFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin that is discovered but disabled still owns its table."""
    from loguru import logger

    handler = logger.add(caplog.handler, level="WARNING", format="{message}")
    try:
        make_host(Typed(), disable=["typed"], config="[plugin.typed]\nratio = 1\n")
    finally:
        logger.remove(handler)
    assert "names no installed plugin" not in caplog.text


def _exits(instance: object, attribute: object, value: object) -> None:
    raise SystemExit(3)


@attrs.frozen
class Hostile:
    """A schema whose validator exits: plugin code, misbehaving while it is checked."""

    level: int = attrs.field(default=0, validator=_exits)


def test_a_schema_that_raises_fails_its_plugin_not_the_host(make_host: HostFactory) -> None:
    """SystemExit out of a plugin's schema fails that plugin, with the cause; others boot."""

    class Broken:
        gini_name = "broken"

        @hookimpl
        def gini_manifest(self) -> PluginManifest:
            return PluginManifest(config=Hostile)

    host = make_host(Broken(), Typed(), config="[plugin.broken]\nlevel = 1\n")
    info = host.plugin("broken")
    assert info.status.value == "failed"
    assert info.reason is not None and "config schema" in info.reason
    assert "SystemExit(3)" in info.reason
    assert host.plugin("typed").active


def test_a_stage_schema_that_raises_is_attributed(make_host: HostFactory) -> None:
    """The same for a stage's schema: an error naming the key path and the schema."""
    from gini_host.errors import SchemaError

    @stage(config=Hostile)
    def hostile(ctx: StageContext) -> None:
        """Never runs."""

    class Owner:
        gini_name = "owner"

        @hookimpl
        def gini_register_stages(self, host: Host) -> list[object]:
            return [hostile]

    host = make_host(Owner())
    with pytest.raises(SchemaError, match=r'stages\."owner::hostile"\.config: config schema'):
        host.plan(["owner::hostile"])


def test_a_boot_without_tables_does_not_import_cattrs() -> None:
    """Start-up is a feature: a declared schema with no table costs no cattrs import."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        import attrs
        from gini_host import Host, PluginManifest, hookimpl

        @attrs.frozen
        class Settings:
            level: int = 1

        class P:
            gini_name = "p"

            @hookimpl
            def gini_manifest(self):
                return PluginManifest(config=Settings)

        with Host([P()], autoload=False) as host:
            assert host.plugin_config("p") == Settings()
        print("cattrs" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_schema_that_hangs_fails_its_plugin_at_the_time_limit() -> None:
    """hook_timeout covers a plugin's schema too: the plugin fails, the host boots. In a
    subprocess: an abandoned call keeps the process's stdout guard for good."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import threading
        import attrs
        from gini_host import Host, PluginManifest, hookimpl

        def hangs(instance, attribute, value):
            threading.Event().wait(60)

        @attrs.frozen
        class Hanging:
            level: int = attrs.field(default=0, validator=hangs)

        class Slow:
            gini_name = "slow"

            @hookimpl
            def gini_manifest(self):
                return PluginManifest(config=Hanging)

        class Fine:
            gini_name = "fine"

        config = "[plugins]\\nhook_timeout = 0.2\\n[plugin.slow]\\nlevel = 1\\n"
        with Host([Slow(), Fine()], autoload=False, config=config) as host:
            print(host.plugin("slow").status.value, host.plugin("fine").status.value)
            print(host.plugin("slow").reason)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    status, reason = done.stdout.splitlines()[:2]
    assert status == "failed active", done.stderr
    assert reason.startswith("config schema timed out after 0.2s"), reason
