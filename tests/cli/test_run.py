"""``gini-host run``: results, the JSON shape, exit codes, dry runs, --set, executors."""

from __future__ import annotations

from pathlib import Path

from gini_host.testing import CliInvoker, PluginDists

NO_DEMO = ("--no-autoload", "-p", "demo")
RUN_KEYS = {"run_id", "resumed_from", "targets", "status", "duration_s", "stages"}
STAGE_RESULT_KEYS = {
    "status",
    "plugin",
    "duration_s",
    "attempts",
    "error",
    "reason",
    "reused_from",
    "value",
    "value_repr",
    "description",
}


def test_run_json_has_the_documented_shape(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """run --json: {run_id, targets, status, duration_s, stages: {id: {status, plugin, ...}}}."""
    out = gini_cli(*NO_DEMO, "run", "demo", "--json")
    assert out.exit_code == 0, out
    run = out.json
    assert set(run) == RUN_KEYS
    assert run["targets"] == ["demo"]
    assert run["status"] == "succeeded"
    assert isinstance(run["run_id"], str) and run["run_id"]
    assert run["duration_s"] >= 0
    assert list(run["stages"]) == ["demo::fetch", "demo::build"]
    build = run["stages"]["demo::build"]
    assert set(build) == STAGE_RESULT_KEYS
    assert build["status"] == "succeeded"
    assert build["plugin"] == "demo"
    assert build["attempts"] == 1
    assert build["error"] is None
    assert build["reason"] is None


def test_failed_stage_exits_1_with_a_one_line_error_and_skips_dependents(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """A failed stage makes the run exit 1; error is one line; its dependents are skipped."""
    out = gini_cli(*NO_DEMO, "run", "demo::after_boom", "--json")
    assert out.exit_code == 1, out
    run = out.json
    assert run["status"] == "failed"
    boom = run["stages"]["demo::boom"]
    assert boom["status"] == "failed"
    assert boom["error"] == "ValueError: nope"
    after = run["stages"]["demo::after_boom"]
    assert after["status"] == "skipped"
    assert after["reason"] == "upstream stage demo::boom failed"
    assert after["error"] is None


def test_keep_going_runs_independent_stages_after_a_failure(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """Without --keep-going a failure stops the run; with it, independent stages still run."""
    stopped = gini_cli(*NO_DEMO, "run", "demo::boom", "demo::lonely", "--json")
    assert stopped.exit_code == 1
    assert stopped.json["stages"]["demo::lonely"]["status"] == "skipped"
    going = gini_cli(*NO_DEMO, "run", "demo::boom", "demo::lonely", "--keep-going", "--json")
    assert going.exit_code == 1
    assert going.json["stages"]["demo::lonely"]["status"] == "succeeded"


def test_run_prints_the_targets_return_values(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A text run ends with the return value of each target stage, pretty-printed."""
    out = gini_cli(*NO_DEMO, "run", "demo")
    assert out.exit_code == 0, out
    tail = out.stdout.splitlines()[-4:]
    assert tail == ["demo::build", "  built: 3", "  config: {}", ""] or tail[-3:] == [
        "demo::build",
        "  built: 3",
        "  config: {}",
    ]


def test_reporter_prints_one_line_per_stage_and_a_summary_when_not_a_terminal(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """Off a terminal the reporter writes a plain line per finished stage, then a summary."""
    out = gini_cli(*NO_DEMO, "run", "demo::after_boom", "demo::lonely", "--keep-going")
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert lines[0].startswith("failed     demo::boom (")
    assert lines[0].endswith("): ValueError: nope")
    assert "skipped    demo::after_boom: upstream stage demo::boom failed" in lines
    assert any(line.startswith("succeeded  demo::lonely (") for line in lines)
    summary = [line for line in lines if line.startswith("demo::after_boom demo::lonely: failed")]
    assert summary, out.stdout
    assert "\x1b[" not in out.stdout


def test_dry_run_describes_each_stage_and_runs_none(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """--dry-run prints each stage's description and executes no stage body."""
    out = gini_cli(*NO_DEMO, "run", "demo::after_boom", "--dry-run")
    assert out.exit_code == 0, out
    assert "dry run of demo::after_boom: nothing was executed" in out.stdout
    assert "  demo::boom: would run demo::boom (plugin demo): Always fails. [required by " in (
        out.stdout
    )
    json_out = gini_cli(*NO_DEMO, "run", "demo", "--dry-run", "--json")
    assert {s["status"] for s in json_out.json["stages"].values()} == {"dry_run"}


def test_dry_run_uses_the_stage_describer(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A stage's own dry-run describer is what --dry-run prints for it."""
    out = gini_cli(*NO_DEMO, "run", "demo::fetch", "--dry-run")
    assert "  demo::fetch: would fetch from the shelf" in out.stdout.splitlines()


def test_set_overrides_stage_config_with_toml_values(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """--set plugin::stage.key=value reaches ctx.config, values parsed as TOML (bare = string)."""
    Path("gini.toml").write_text(
        '[stages."demo::build".config]\nkeep = "from file"\nnested = { a = 1, b = 2 }\n'
    )
    out = gini_cli(
        *NO_DEMO,
        "run",
        "demo",
        "--set",
        "demo::fetch.count=7",
        "--set",
        "demo::build.flag=true",
        "--set",
        "demo::build.word=hello",
        "--set",
        "demo::build.nested.b=3",
    )
    assert out.exit_code == 0, out
    text = out.stdout
    assert "  built: 7" in text
    assert "    keep: from file" in text
    assert "    flag: true" in text
    assert "    word: hello" in text
    assert "      a: 1" in text
    assert "      b: 3" in text


def test_set_errors_name_the_flag(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """A malformed --set, a bad TOML value or an unknown stage exits 2 naming --set."""
    bad = gini_cli(*NO_DEMO, "run", "demo", "--set", "demo::fetch=3")
    assert bad.exit_code == 2
    assert "--set: demo::fetch=3: expected plugin::stage.key=value" in bad.stderr
    bad_value = gini_cli(*NO_DEMO, "run", "demo", "--set", "demo::fetch.names=[1,")
    assert bad_value.exit_code == 2
    assert "--set: demo::fetch.names=[1,: invalid TOML value" in bad_value.stderr
    unknown = gini_cli(*NO_DEMO, "run", "demo", "--set", "demo::fecth.count=1")
    assert unknown.exit_code == 2
    assert "--set: unknown stage 'demo::fecth'; did you mean 'demo::fetch'?" in unknown.stderr


def test_jobs_above_one_selects_threads(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """-j 2 with no executor chosen runs stages on worker threads; -j 1 runs them inline."""
    threaded = gini_cli(*NO_DEMO, "run", "demo::lonely", "demo::fetch", "-j", "2")
    assert threaded.exit_code == 0, threaded
    assert "  gini-stage-" in threaded.stdout
    inline = gini_cli(*NO_DEMO, "run", "demo::lonely", "demo::fetch")
    assert "  MainThread" in inline.stdout


def test_unknown_executor_is_bad_input(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """--executor with an unknown name exits 2 and lists the known executors."""
    out = gini_cli(*NO_DEMO, "run", "demo", "--executor", "quantum")
    assert out.exit_code == 2
    assert "unknown executor 'quantum'" in out.stderr
    assert "sequential" in out.stderr


def test_jobs_must_be_positive(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """-j 0 is a click usage error: exit 2."""
    out = gini_cli(*NO_DEMO, "run", "demo", "-j", "0")
    assert out.exit_code == 2


def test_run_needs_a_target(gini_cli: CliInvoker) -> None:
    """run without a TARGET is a usage error: exit 2."""
    out = gini_cli("--no-autoload", "run")
    assert out.exit_code == 2
    assert "Missing argument 'TARGET...'" in out.stderr


def test_boot_stages_cannot_be_run(demo: PluginDists, gini_cli: CliInvoker) -> None:
    """Running a boot stage is bad input (exit 2), never a second boot."""
    out = gini_cli(*NO_DEMO, "run", "core::discover")
    assert out.exit_code == 2
    assert "is a boot stage" in out.stderr


def test_without_the_reporter_the_outcome_still_shows(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """-p no:reporter drops progress and table; failures and the end status go to stderr."""
    out = gini_cli(*NO_DEMO, "-p", "no:reporter", "run", "demo::boom")
    assert out.exit_code == 1
    assert out.stdout == ""
    assert "failed: demo::boom: ValueError: nope" in out.stderr
    assert "demo::boom: failed (run " in out.stderr


def test_verbose_run_prints_failed_stage_tracebacks(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """-v adds each failed stage's traceback on stderr."""
    out = gini_cli("-v", *NO_DEMO, "run", "demo::boom")
    assert out.exit_code == 1
    assert "demo::boom traceback:" in out.stderr
    assert 'raise ValueError("nope\\nsecond line")' in out.stderr


def test_run_config_jobs_default_comes_from_the_config(
    demo: PluginDists, gini_cli: CliInvoker
) -> None:
    """[run] jobs = 2 in gini.toml selects threads like -j 2."""
    Path("gini.toml").write_text("[run]\njobs = 2\n")
    out = gini_cli(*NO_DEMO, "run", "demo::lonely", "demo::fetch")
    assert out.exit_code == 0, out
    assert "  gini-stage-" in out.stdout
