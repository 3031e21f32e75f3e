"""Bad input of every kind is exit 2 with one message naming where, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gini_host.kernel.config import MAX_DEPTH, ConfigError, config_from_toml, parse_set_options
from gini_host.kernel.limits import MAX_JOBS
from gini_host.testing import CliInvoker, PluginDists

NO_DEMO = ("--no-autoload", "-p", "demo")


def _bad(done, *needles: str) -> None:
    assert done.exit_code == 2, done
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    for needle in needles:
        assert needle in done.stderr


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ('stages."demo::fetch"', "retry_delay", "inf"),
        ('stages."demo::fetch"', "retry_delay", "1e300"),
        ('stages."demo::fetch"', "retry_delay", "nan"),
        ('stages."demo::fetch"', "retry_delay", "-1"),
        ('stages."demo::fetch"', "timeout", "inf"),
        ('stages."demo::fetch"', "timeout", "1e10"),
        ('stages."demo::fetch"', "timeout", "0"),
        ('stages."demo::fetch"', "retries", "100000"),
        ("run.limits", "io", "9223372036854775807"),
        ("run.limits", "io", "0"),
        ("run", "jobs", "100000"),
        ("plugins", "hook_timeout", "-inf"),
    ],
)
def test_numbers_out_of_their_documented_range(
    demo: PluginDists, gini_cli: CliInvoker, table: str, key: str, value: str
) -> None:
    """Delays, timeouts, counts and limits outside their range name the key; exit 2."""
    Path("gini.toml").write_text(f"[{table}]\n{key} = {value}\n")
    _bad(gini_cli(*NO_DEMO, "run", "demo::fetch"), f"{key}: must be")


@pytest.mark.parametrize("jobs", ["1025", "100000000", str(2**70)])
def test_jobs_flag_has_the_range_of_run_jobs(
    demo: PluginDists, gini_cli: CliInvoker, jobs: str
) -> None:
    """-j had no upper bound while [run] jobs stops at 1024: `-j 100000 --executor processes`
    would start a worker process per ready stage, up to that many."""
    _bad(gini_cli(*NO_DEMO, "run", "demo::fetch", "-j", jobs), f"1<=x<={MAX_JOBS}")


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_nesting_deeper_than_the_limit_in_a_file(gini_cli: CliInvoker, depth: int) -> None:
    """A value nested deeper than the limit is bad input (it used to be a RecursionError)."""
    Path("gini.toml").write_text(f"[plugin.demo]\nx = {_nested(depth)}\n")
    _bad(gini_cli("--no-autoload", "plugins"), "gini.toml", f"nested deeper than {MAX_DEPTH}")


def test_nesting_at_the_limit_is_accepted() -> None:
    """The limit is the documented one, counted from the file's top level: here the top
    level, [plugin] and [plugin.demo] are three levels, the arrays the rest."""
    config = config_from_toml(f"[plugin.demo]\nx = {_nested(MAX_DEPTH - 3)}\n")
    assert "demo" in config.plugin
    with pytest.raises(ConfigError, match="nested deeper"):
        config_from_toml(f"[plugin.demo]\nx = {_nested(MAX_DEPTH - 2)}\n")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000])
def test_nesting_deeper_than_the_limit_in_set(depth: int) -> None:
    """``--set`` values have the same limit, and the error names the flag."""
    with pytest.raises(ConfigError, match=f"--set.*nested deeper than {MAX_DEPTH}"):
        parse_set_options([f"p::s.k={_nested(depth)}"])


def test_deep_set_value_on_the_command_line(demo: PluginDists, gini_cli: CliInvoker) -> None:
    _bad(
        gini_cli(*NO_DEMO, "run", "demo::fetch", "--set", f"demo::fetch.k={_nested(2000)}"),
        "--set",
    )


@pytest.mark.parametrize("kind", ["directory", "dangling", "loop", "fifo"])
def test_default_config_that_is_not_a_regular_file(gini_cli: CliInvoker, kind: str) -> None:
    """A ./gini.toml that is there but not a file is bad input, not silently no config."""
    path = Path("gini.toml")
    if kind == "directory":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to("nowhere.toml")
    elif kind == "loop":
        path.symlink_to("gini.toml")
    else:
        os.mkfifo(path)  # reading it would block forever
    _bad(gini_cli("--no-autoload", "plugins"), "gini.toml")


def test_a_utf8_byte_order_mark_is_accepted(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """Editors on Windows write a BOM; the file's settings still apply."""
    Path("gini.toml").write_bytes(b'\xef\xbb\xbf[plugins]\ndisable = ["demo"]\n')
    done = gini_cli("-p", "demo", "plugins", "--json")
    assert done.exit_code == 0, done
    status = {p["name"]: p["status"] for p in done.json}
    assert status["demo"] == "disabled"


@pytest.mark.parametrize(
    ("value", "autoload"),
    [
        ("1", False),
        ("true", False),
        ("YES", False),
        (" on ", False),
        ("0", True),
        ("false", True),
        ("no", True),
        (" 0", True),
        ("", True),
    ],
)
def test_autoload_variable_is_read_as_pytest_reads_it(
    demo: PluginDists, gini_cli: CliInvoker, value: str, autoload: bool
) -> None:
    """1/true/yes/on turn autoload off; 0/false/no/off (or empty) leave it on."""
    done = gini_cli("plugins", "--json", env={"GINI_HOST_DISABLE_PLUGIN_AUTOLOAD": value})
    assert done.exit_code == 0, done
    status = {p["name"]: p["status"] for p in done.json}
    assert (status["demo"] == "active") is autoload


@pytest.mark.parametrize("variable", ["GINI_HOST_DISABLE_PLUGIN_AUTOLOAD", "GINI_HOST_NO_CACHE"])
@pytest.mark.parametrize("value", ["maybe", "2", "enable"])
def test_an_unreadable_boolean_variable_is_bad_input(
    gini_cli: CliInvoker, variable: str, value: str
) -> None:
    _bad(gini_cli("plugins", env={variable: value}), variable, repr(value))


def test_new_plugin_into_an_unusable_directory(gini_cli: CliInvoker) -> None:
    _bad(gini_cli("new-plugin", "foo", "--dir", "/proc/gini-host-test/foo"), "/proc/gini-host-test")


SIGNALS_IN_SHUTDOWN = """
    import os
    import signal
    from pathlib import Path

    from gini_host import hookimpl

    @hookimpl
    def gini_shutdown(host):
        os.kill(os.getpid(), signal.SIGTERM)  # pending at once: it lands while hooks run
        Path(os.environ["HOSTILE_MARKER"]).write_text("shutdown finished")
"""


def test_a_signal_during_shutdown_hooks_exits_130(
    plugin_dist: PluginDists, gini_cli: CliInvoker, tmp_path: Path
) -> None:
    """A SIGTERM while shutdown hooks run lets them finish, then exits 130 (it was 0)."""
    plugin_dist("waiter", SIGNALS_IN_SHUTDOWN)
    marker = tmp_path / "marker"
    done = gini_cli(
        "--no-autoload",
        "-p",
        "waiter",
        "plugins",
        env={"HOSTILE_MARKER": str(marker)},
        subprocess=True,
        cwd=tmp_path,
    )
    assert done.exit_code == 130, done.stderr
    assert marker.read_text() == "shutdown finished"
    assert "interrupted by SIGTERM" in done.stderr
    assert "Traceback" not in done.stderr
