"""Every run is recorded, and can be listed and shown after the process is gone."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gini_host.builtin.history import load_run_document

from .conftest import Cli, statuses, write_config

#: The keys of the run document (docs/operators.md, "History and resume").
RUN_KEYS = {
    "run_id",
    "targets",
    "status",
    "started_at",
    "finished_at",
    "duration",
    "executor",
    "jobs",
    "dry_run",
    "resumed_from",
    "host_version",
    "plugins",
    "config_digest",
    "plan",
    "counts",
    "stages",
}
STAGE_KEYS = {
    "stage_id",
    "plugin",
    "status",
    "reason",
    "attempts",
    "started_at",
    "finished_at",
    "duration",
    "worker",
    "error",
    "value_stored",
    "value_note",
    "attempt_log",
    "logs",
}


def test_a_failed_run_is_shown_after_the_fact_as_the_run_document(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """runs show last --json: the run, its plan and every stage with value, error, logs."""
    (flaky / "fail").touch()
    ran = cli("run", "chain", "--json")
    assert ran.exit_code == 1, ran
    doc = cli.document("last")
    assert set(doc) >= RUN_KEYS
    assert doc["run_id"] == ran.json["run_id"]
    assert doc["targets"] == ["chain"]
    assert doc["status"] == "failed"
    assert doc["executor"] == "sequential"
    assert doc["plugins"]["flaky"] == "1.0"
    assert doc["plan"]["stages"] == ["flaky::a", "flaky::b", "flaky::c", "flaky::side"]
    assert ["flaky::a", "flaky::b"] in doc["plan"]["edges"]
    assert doc["counts"] == {
        "succeeded": 1,
        "failed": 1,
        "skipped": 2,
        "cancelled": 0,
        "dry_run": 0,
    }
    assert doc["finished_at"] >= doc["started_at"]
    stages = {s["stage_id"]: s for s in doc["stages"]}
    for stage in stages.values():
        assert set(stage) >= STAGE_KEYS, stage
    a, b, c = stages["flaky::a"], stages["flaky::b"], stages["flaky::c"]
    assert a["value"] == {"from": "a", "numbers": [1, 2, 3]}
    assert a["value_stored"] is True
    assert a["worker"] == "MainThread"
    assert [(r["level"], r["message"]) for r in a["logs"]] == [("INFO", "a made its value")]
    assert a["attempt_log"] == [
        {
            "number": 1,
            "started_at": a["started_at"],
            "finished_at": a["finished_at"],
            "status": "succeeded",
            "error": None,
            "worker": "MainThread",
        }
    ]
    assert b["status"] == "failed"
    assert b["error"]["type"] == "RuntimeError"
    assert b["error"]["message"] == "b was told to fail"
    assert "Traceback" in b["error"]["traceback"]
    assert [(r["level"], r["message"]) for r in b["logs"]] == [("WARNING", "b is about to fail")]
    assert c["status"] == "skipped"
    assert c["reason"] == "upstream stage flaky::b failed"
    assert c["attempt_log"] == []
    assert stages["flaky::side"]["status"] == "skipped"


def test_each_attempt_is_recorded_with_its_time_and_error(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """A retried stage has one attempt record per attempt, failed ones with their error."""
    write_config(flaky, database, '[stages."flaky::b"]\nretries = 2\n')
    (flaky / "fail").touch()
    assert cli("run", "flaky::b").exit_code == 1
    b = next(s for s in cli.document()["stages"] if s["stage_id"] == "flaky::b")
    assert b["attempts"] == 3
    log = b["attempt_log"]
    assert [r["number"] for r in log] == [1, 2, 3]
    assert {r["status"] for r in log} == {"failed"}
    assert {r["error"] for r in log} == {"RuntimeError: b was told to fail"}
    assert all(r["started_at"] <= r["finished_at"] for r in log)
    assert log[0]["finished_at"] <= log[1]["started_at"]


def test_runs_lists_newest_first_with_counts_and_filters(flaky: Path, cli: Cli) -> None:
    """runs --json: newest first; --status and --limit narrow it; text has one row each."""
    first = cli("run", "flaky::side", "--json").json["run_id"]
    (flaky / "fail").touch()
    second = cli("run", "chain", "--json").json["run_id"]
    listed = cli("runs", "--json").json
    assert [r["run_id"] for r in listed] == [second, first]
    assert listed[0]["status"] == "failed"
    assert listed[0]["targets"] == ["chain"]
    assert listed[0]["counts"]["skipped"] == 2
    assert listed[1]["counts"] == {
        "succeeded": 1,
        "failed": 0,
        "skipped": 0,
        "cancelled": 0,
        "dry_run": 0,
    }
    assert listed[1]["duration"] >= 0
    assert [r["run_id"] for r in cli("runs", "--status", "succeeded", "--json").json] == [first]
    assert [r["run_id"] for r in cli("runs", "--limit", "1", "--json").json] == [second]
    text = cli("runs")
    assert text.exit_code == 0
    text.fnmatch_lines([f"{second}*chain*failed*", f"{first}*flaky::side*succeeded*"])


def test_run_refs_resolve_by_prefix_and_unknown_or_ambiguous_is_bad_input(
    flaky: Path, cli: Cli
) -> None:
    """RUN is an id, a unique prefix or last; an unknown or ambiguous one exits 2."""
    ids = [cli("run", "flaky::side", "--json").json["run_id"] for _ in range(2)]
    shown = cli("runs", "show", ids[0][:8], "--json")
    assert shown.json["run_id"] == ids[0]
    unknown = cli("runs", "show", "zzzz")
    assert unknown.exit_code == 2
    assert "no recorded run 'zzzz'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    ambiguous = cli("runs", "show", "")
    assert ambiguous.exit_code == 2
    common = ""
    for x, y in zip(*ids, strict=False):
        if x != y:
            break
        common += x
    if common:  # two random ids may share a first character: then it is ambiguous
        clash = cli("runs", "show", common)
        assert clash.exit_code == 2
        assert "ambiguous" in clash.stderr


def test_runs_show_prints_every_stage(flaky: Path, cli: Cli) -> None:
    """The text form has a line per stage with status, value and error."""
    (flaky / "fail").touch()
    cli("run", "chain")
    shown = cli("runs", "show", "last")
    assert shown.exit_code == 0, shown
    shown.fnmatch_lines(
        [
            "status*failed",
            "*stage*status*attempts*",
            'flaky::a*succeeded*1*{"from": "a"*',
            "flaky::b*failed*RuntimeError: b was told to fail",
            "flaky::c*skipped*upstream stage flaky::b failed",
        ]
    )


def test_no_runs_yet_lists_nothing_and_show_is_bad_input(cli: Cli, flaky: Path) -> None:
    """Before any run: an empty list, and runs show last exits 2 with a clear message."""
    assert cli("runs", "--json").json == []
    assert cli("runs").stdout.strip() == "no recorded runs"
    missing = cli("runs", "show", "last")
    assert missing.exit_code == 2
    assert "no recorded run 'last'" in missing.stderr


def test_the_database_is_private_to_the_user(
    flaky: Path, cli: Cli, database: Path, tmp_path: Path, monkeypatch: object
) -> None:
    """The default database is created 0600 in a 0700 directory under XDG_STATE_HOME."""
    (flaky / "gini.toml").write_text(
        "\n".join(f'[stages."flaky::{n}".config]\ndir = "{flaky}"\n' for n in ("a", "side"))
    )
    state = Path(os.environ["XDG_STATE_HOME"])
    assert cli("run", "flaky::side").exit_code == 0
    folder = state / "gini-host"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "history.sqlite3").stat().st_mode) == 0o600
    assert load_run_document(folder / "history.sqlite3", "last")["targets"] == ["flaky::side"]


def test_history_disabled_records_nothing(flaky: Path, cli: Cli, database: Path) -> None:
    """[history] enabled = false, or -p no:history: no database is written."""
    write_config(flaky, database, "")
    assert cli("-p", "no:history", "run", "flaky::side").exit_code == 0
    assert not database.exists()
    config = (
        (flaky / "gini.toml").read_text().replace("[history]\n", "[history]\nenabled = false\n")
    )
    (flaky / "gini.toml").write_text(config)
    assert cli("run", "flaky::side").exit_code == 0
    assert not database.exists()


def test_retention_keeps_the_newest_runs_and_prune_keeps_n(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """[history] keep = 2 keeps two runs; runs prune --keep 1 leaves the newest one."""
    config = (flaky / "gini.toml").read_text().replace("[history]\n", "[history]\nkeep = 2\n")
    (flaky / "gini.toml").write_text(config)
    ids = [cli("run", "flaky::side", "--json").json["run_id"] for _ in range(3)]
    assert [r["run_id"] for r in cli("runs", "--json").json] == ids[:0:-1]
    pruned = cli("runs", "prune", "--keep", "1", "--json")
    assert pruned.json == {"pruned": 1, "kept": 1}
    assert [r["run_id"] for r in cli("runs", "--json").json] == [ids[2]]
    assert cli("runs", "show", ids[1]).exit_code == 2


def test_counts_past_what_sqlite_can_hold_mean_all_runs(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """keep, --limit and prune --keep beyond 2**63: an OverflowError traceback before (and
    with keep, the run went unrecorded); now they mean every run."""
    huge = str(10**20)
    config = (flaky / "gini.toml").read_text().replace("[history]\n", f"[history]\nkeep = {huge}\n")
    (flaky / "gini.toml").write_text(config)
    ran = cli("run", "flaky::side", "--json")
    assert ran.exit_code == 0, ran
    assert "Traceback" not in ran.stderr
    listed = cli("runs", "--limit", huge, "--json")
    assert listed.exit_code == 0, listed
    assert [r["run_id"] for r in listed.json] == [ran.json["run_id"]]
    pruned = cli("runs", "prune", "--keep", huge, "--json")
    assert pruned.json == {"pruned": 0, "kept": 1}


def test_run_json_carries_the_run_id_that_runs_show_knows(flaky: Path, cli: Cli) -> None:
    """run --json has run_id (and resumed_from null); runs show takes that id."""
    ran = cli("run", "flaky::side", "--json").json
    assert ran["resumed_from"] is None
    assert cli.document(ran["run_id"])["run_id"] == ran["run_id"]
    assert json.loads(cli("runs", "show", ran["run_id"], "--json").stdout)["status"] == "succeeded"


def test_dry_runs_are_recorded_as_dry_runs(flaky: Path, cli: Cli) -> None:
    """A dry run is a run too: recorded with dry_run true and dry_run statuses."""
    assert cli("run", "chain", "--dry-run").exit_code == 0
    doc = cli.document()
    assert doc["dry_run"] is True
    assert set(statuses(doc).values()) == {"dry_run"}


def test_load_run_document_names_the_run_and_database_it_did_not_find(tmp_path: Path) -> None:
    """The report's entry point: an unknown RUN, or no database at all, is UnknownRunError."""
    from gini_host.errors import UnknownRunError

    missing = tmp_path / "none.sqlite3"
    with pytest.raises(UnknownRunError) as raised:
        load_run_document(missing, "last")
    assert raised.value.ref == "last"
    assert str(missing) in str(raised.value)
    assert not missing.exists()
