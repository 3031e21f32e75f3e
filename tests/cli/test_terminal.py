"""The terminal reporter: live display on a terminal, plain lines elsewhere, the summary
table, colour only when allowed (NO_COLOR), silence until attached and under --json."""

from __future__ import annotations

import io

import pytest

from gini_host import Host, hookimpl, stage
from gini_host.builtin.reporter import ReporterPlugin
from gini_host.logs import color_enabled, level_for
from gini_host.testing import CliInvoker, HostFactory, PluginDists


class FakeTerminal(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@stage
def ok(ctx: object) -> int:
    """Succeeds."""
    return 1


@stage
def bad(ctx: object) -> None:
    """Fails."""
    raise RuntimeError("broken\nsecond line")


@stage(requires=["bad"])
def blocked(ctx: object) -> None:
    """Never runs."""


class Plugin:
    gini_name = "t"

    @hookimpl
    def gini_register_stages(self, host: object) -> list[object]:
        return [ok, bad, blocked]


def _reporter(host: Host) -> ReporterPlugin:
    reporter = host.plugin_manager.get_plugin("reporter")
    assert isinstance(reporter, ReporterPlugin)
    return reporter


def test_reporter_is_silent_until_attached(
    make_host: HostFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """An embedded host prints nothing: the reporter reports only once attached."""
    host = make_host(Plugin())
    host.run(["t::ok", "t::blocked"], keep_going=True)
    assert capsys.readouterr() == ("", "")


def test_unattached_reporter_costs_no_hook_call(make_host: HostFactory) -> None:
    """Until attached, the reporter implements no observer hook, so runs call none for it."""
    host = make_host(Plugin())
    hook = host.plugin_manager.hook

    def reporting() -> list[object]:
        impls = hook.gini_stage_finish.get_hookimpls()
        return [i.plugin for i in impls if i.plugin_name.startswith("reporter")]

    assert reporting() == []
    reporter = _reporter(host)
    terminal = reporter.attach(host, io.StringIO())
    assert reporting() == [terminal]
    reporter.detach()
    assert reporting() == []


def test_summary_table_has_status_duration_attempts_and_error(make_host: HostFactory) -> None:
    """The summary lists every stage with status, duration, attempts and error or reason."""
    host = make_host(Plugin())
    stream = io.StringIO()
    _reporter(host).attach(host, stream)
    host.run(["t::ok", "t::blocked"], keep_going=True)
    text = stream.getvalue()
    header = next(line for line in text.splitlines() if line.startswith("stage"))
    assert header.split() == ["stage", "status", "duration", "attempts", "error", "/", "reason"]
    statuses = {"succeeded", "failed", "skipped"}
    split = [line.split() for line in text.splitlines()]
    rows = {parts[0]: parts for parts in split if len(parts) > 1 and parts[1] in statuses}
    assert rows["t::ok"][1] == "succeeded"
    assert rows["t::ok"][2].endswith("s")
    assert rows["t::ok"][3] == "1"
    assert rows["t::bad"][1] == "failed"
    assert "RuntimeError: broken" in " ".join(rows["t::bad"])
    assert "second line" not in text
    assert rows["t::blocked"][1:4] == ["skipped", "-", "-"]
    assert "t::ok t::blocked: failed (1 succeeded, 1 failed, 1 skipped) in" in text


def test_live_display_on_a_terminal_with_colour(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the reporter draws a live display and colours statuses."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    host = make_host(Plugin())
    terminal = FakeTerminal()
    _reporter(host).attach(host, terminal)
    host.run(["t::ok"])
    text = terminal.getvalue()
    assert "\x1b[?25l" in text  # the live display hides the cursor while it runs
    assert "\x1b[32m" in text or "\x1b[1;32m" in text
    assert "succeeded  t::ok (" not in text  # no plain lines on a terminal


def test_no_color_turns_colour_off_on_a_terminal(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR set: no colour codes, even on a terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    host = make_host(Plugin())
    terminal = FakeTerminal()
    _reporter(host).attach(host, terminal)
    host.run(["t::ok", "t::blocked"], keep_going=True)
    text = terminal.getvalue()
    assert "t::blocked" in text
    assert "\x1b[3" not in text  # no foreground colour
    assert "\x1b[1;3" not in text


def test_color_enabled_needs_a_terminal_and_no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colour only on a terminal and only when NO_COLOR is unset or empty."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_enabled(FakeTerminal())
    assert not color_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "")
    assert color_enabled(FakeTerminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_enabled(FakeTerminal())


def test_no_color_reaches_the_command_line(
    demo: PluginDists, gini_cli: CliInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With NO_COLOR the whole output of a failing run has no escape codes."""
    out = gini_cli("--no-autoload", "-p", "demo", "run", "demo::boom", env={"NO_COLOR": "1"})
    assert out.exit_code == 1
    assert "\x1b[" not in out.stdout + out.stderr


def test_reporter_is_off_under_json(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """run --json prints the JSON document and nothing else on stdout."""
    out = gini_cli("--no-autoload", "-p", "demo", "run", "demo::after_boom", "--json")
    assert out.stdout.lstrip().startswith("{")
    assert out.json["status"] == "failed"


def test_verbosity_maps_to_levels() -> None:
    """-qq ERROR, -q WARNING, default INFO, -v DEBUG, -vv TRACE, clamped beyond."""
    assert [level_for(v) for v in (-3, -2, -1, 0, 1, 2, 3)] == [
        "ERROR",
        "ERROR",
        "WARNING",
        "INFO",
        "DEBUG",
        "TRACE",
        "TRACE",
    ]


LONG = "x" * 150


@stage
def long_error(ctx: object) -> None:
    """Fails with a long message."""
    raise RuntimeError(f"disk full: {LONG}")


class LongPlugin:
    gini_name = "long"

    @hookimpl
    def gini_register_stages(self, host: object) -> list[object]:
        return [long_error]


def test_off_a_terminal_a_long_error_goes_whole_below_its_stage(make_host: HostFactory) -> None:
    """No folded column: the stage's row is one line, its long error whole on the next."""
    host = make_host(LongPlugin())
    stream = io.StringIO()
    _reporter(host).attach(host, stream)
    host.run(["long::long_error"])
    lines = stream.getvalue().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("long::long_error "))
    assert lines[row].split()[1] == "failed"
    assert lines[row + 1] == f"    RuntimeError: disk full: {LONG}"
    assert lines[row + 2].startswith("long::long_error: failed (1 failed) in ")


class Gate(io.StringIO):
    """A stream that sets ``seen`` once a heartbeat line is written to it."""

    def __init__(self) -> None:
        super().__init__()
        import threading

        self.seen = threading.Event()

    def write(self, text: str) -> int:
        if "still running:" in text:
            self.seen.set()
        return super().write(text)


def test_off_a_terminal_a_long_stage_gets_heartbeat_lines(make_host: HostFactory) -> None:
    """'still running: ID (time)' while a stage runs past the interval; none after the run."""
    stream = Gate()

    @stage
    def slow(ctx: object) -> str:
        assert stream.seen.wait(20), "no heartbeat line while the stage ran"
        return "done"

    class SlowPlugin:
        gini_name = "slow"

        @hookimpl
        def gini_register_stages(self, host: object) -> list[object]:
            return [slow]

    host = make_host(SlowPlugin())
    terminal = _reporter(host).attach(host, stream, heartbeat=0.05)
    result = host.run(["slow::slow"])
    assert result.ok
    beats = [line for line in stream.getvalue().splitlines() if line.startswith("still")]
    assert beats and all(line.startswith("still running: slow::slow (") for line in beats)
    assert beats[0].endswith("s)")
    terminal.close()  # the heartbeat stopped with the run: nothing more is written
    after = stream.getvalue()
    assert after.rstrip().splitlines()[-1].startswith("slow::slow: succeeded")


def test_no_heartbeat_on_a_terminal(make_host: HostFactory) -> None:
    """The live display shows running stages; no heartbeat lines there."""
    stream = FakeTerminal()
    host = make_host(Plugin())
    _reporter(host).attach(host, stream, heartbeat=0.01)
    host.run(["t::ok"])
    assert "still running" not in stream.getvalue()


def test_elapsed_reads_as_a_log_reader_wants() -> None:
    """Seconds, minutes and seconds, hours and minutes."""
    from gini_host.builtin.heartbeat import elapsed

    assert [elapsed(s) for s in (5.7, 90, 3725)] == ["5s", "1m30s", "1h02m"]


def test_a_failed_run_hints_at_minus_v(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """One hint line on stderr says how to see the traceback; -v shows it instead."""
    out = gini_cli("--no-autoload", "-p", "demo", "run", "demo::boom")
    assert out.exit_code == 1
    hints = [line for line in out.stderr.splitlines() if line.startswith("hint:")]
    assert hints == ["hint: run again with -v to see the traceback of each failed stage"]
    verbose = gini_cli("--no-autoload", "-p", "demo", "-v", "run", "demo::boom")
    assert "hint:" not in verbose.stderr
    assert "demo::boom traceback:" in verbose.stderr
    ok = gini_cli("--no-autoload", "-p", "demo", "run", "demo::fetch")
    assert "hint:" not in ok.stderr
