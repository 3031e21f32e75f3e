"""run --resume RUN: what did not succeed runs again, what succeeded is taken as recorded;
refused when the run would not be the same."""

from __future__ import annotations

import signal
from pathlib import Path

from gini_host.testing import PluginDists

from .conftest import Cli, count, statuses, wait_until
from .sources import FLAKY, HOSTILE


def test_resume_after_a_failure_reruns_only_what_did_not_succeed(flaky: Path, cli: Cli) -> None:
    """a succeeded and is not run again, yet c reads its recorded value through b; the new
    run names the one it resumed."""
    (flaky / "fail").touch()
    failed = cli("run", "chain", "--json")
    assert failed.exit_code == 1
    (flaky / "fail").unlink()
    resumed = cli("run", "--resume", "last", "--json")
    assert resumed.exit_code == 0, resumed
    out = resumed.json
    first = failed.json["run_id"]
    assert out["resumed_from"] == first
    assert out["run_id"] != first
    assert out["targets"] == ["chain"]
    assert out["stages"]["flaky::a"]["reused_from"] == first
    assert out["stages"]["flaky::b"]["reused_from"] is None
    assert {sid: count(flaky, sid.partition("::")[2]) for sid in out["stages"]} == {
        "flaky::a": 1,
        "flaky::b": 2,
        "flaky::c": 1,
        "flaky::side": 1,
    }
    doc = cli.document(out["run_id"])
    assert doc["resumed_from"] == first
    assert set(statuses(doc).values()) == {"succeeded"}
    c = next(s for s in doc["stages"] if s["stage_id"] == "flaky::c")
    assert c["value"] == {"b saw": {"from": "a", "numbers": [1, 2, 3]}}
    assert [r["run_id"] for r in cli("runs", "--json").json] == [out["run_id"], first]


def test_resume_after_sigint_reruns_the_cancelled_stage(flaky: Path, cli: Cli) -> None:
    """A run interrupted by SIGINT (exit 130) resumes: a is reused, hold runs again."""
    proc = cli.start("run", "held")
    wait_until(lambda: (flaky / "holding").exists(), proc)
    proc.send_signal(signal.SIGINT)
    assert proc.finish().exit_code == 130
    assert statuses(cli.document()) == {"flaky::a": "succeeded", "flaky::hold": "cancelled"}
    (flaky / "release").touch()
    resumed = cli("run", "--resume", "last", "--json")
    assert resumed.exit_code == 0, resumed
    assert resumed.json["stages"]["flaky::hold"]["status"] == "succeeded"
    assert (count(flaky, "a"), count(flaky, "hold")) == (1, 2)


def test_resume_is_refused_after_a_plugin_upgrade_unless_forced(
    flaky: Path, cli: Cli, plugin_dist: PluginDists
) -> None:
    """A plugin version that changed is named, exit 2; --force resumes anyway."""
    (flaky / "fail").touch()
    assert cli("run", "chain").exit_code == 1
    (flaky / "fail").unlink()
    old = next(d for d in plugin_dist.written if d.name == "flaky")
    old.uninstall()
    plugin_dist("flaky", source=FLAKY, version="2.0")
    refused = cli("run", "--resume", "last")
    assert refused.exit_code == 2
    assert "plugin flaky: version 1.0 -> 2.0" in refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert count(flaky, "b") == 1
    forced = cli("run", "--resume", "last", "--force", "--json")
    assert forced.exit_code == 0, forced
    assert (count(flaky, "a"), count(flaky, "b")) == (1, 2)


def test_resume_is_refused_after_a_config_change(flaky: Path, cli: Cli) -> None:
    """A changed config digest is named; the stages do not run."""
    (flaky / "fail").touch()
    assert cli("run", "chain").exit_code == 1
    config = flaky / "gini.toml"
    config.write_text(config.read_text() + '\n[stages."flaky::side"]\nretries = 3\n')
    refused = cli("run", "--resume", "last")
    assert refused.exit_code == 2
    assert "config: digest" in refused.stderr
    assert count(flaky, "b") == 1


def test_resume_needs_a_known_run_and_no_targets(flaky: Path, cli: Cli) -> None:
    """Unknown RUN, RUN with targets, --force alone: each is bad input (exit 2)."""
    assert cli("run", "--resume", "nope").exit_code == 2
    assert "no recorded run 'nope'" in cli("run", "--resume", "nope").stderr
    cli("run", "flaky::side")
    both = cli("run", "flaky::side", "--resume", "last")
    assert both.exit_code == 2
    assert "not both" in both.stderr
    assert cli("run", "flaky::side", "--force").exit_code == 2


def test_values_that_were_not_stored_run_again(
    plugin_dist: PluginDists, gini_cli: object, tmp_path: Path, database: Path
) -> None:
    """A succeeded stage whose value could not be stored is run again on resume; stored ones
    (JSON or pickled) are reused."""
    from gini_host.testing import CliInvoker

    assert isinstance(gini_cli, CliInvoker)
    database.parent.mkdir(mode=0o700)
    plugin_dist("hostile", source=HOSTILE)
    (tmp_path / "gini.toml").write_text(f'[history]\npath = "{database}"\n')
    targets = ["hostile::selfref", "hostile::lock", "hostile::loud", "hostile::tuple"]
    args = ("--no-autoload", "-p", "hostile", "run")
    first = gini_cli(*args, *targets, "hostile::bad_error", "--keep-going", "--json")
    assert first.exit_code == 1, first
    resumed = gini_cli(*args, "--resume", "last", "--json")
    reused = {sid: s["reused_from"] is not None for sid, s in resumed.json["stages"].items()}
    assert reused == {
        "hostile::selfref": True,
        "hostile::lock": False,
        "hostile::loud": False,
        "hostile::tuple": True,
        "hostile::bad_error": False,
    }


def test_a_resumed_run_on_the_terminal_says_what_was_reused(flaky: Path, cli: Cli) -> None:
    """Without --json, the summary names the run each reused result comes from."""
    (flaky / "fail").touch()
    first = cli("run", "chain", "--json").json["run_id"]
    (flaky / "fail").unlink()
    resumed = cli("run", "--resume", first[:6])
    assert resumed.exit_code == 0, resumed
    resumed.fnmatch_lines([f"*flaky::a*succeeded*reused from run {first}*"])


def test_resume_is_refused_when_the_plan_changed(flaky: Path, cli: Cli) -> None:
    """Same plugin version and config, another edge in the plan: named, exit 2."""
    (flaky / "fail").touch()
    assert cli("run", "chain").exit_code == 1
    refused = cli("run", "--resume", "last", env={"FLAKY_C_NEEDS_SIDE": "1"})
    assert refused.exit_code == 2, refused
    assert "plan: the stages' requirements (edges) changed" in refused.stderr
    assert "config" not in refused.stderr and "version" not in refused.stderr
