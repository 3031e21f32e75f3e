"""The history survives what happens to the process: SIGKILL, another host writing at the
same time, a damaged or untrusted database. A run never fails because of the history."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

from gini_host.testing import CliInvoker

from .conftest import Cli, recorded_stage, statuses, wait_until, write_config


def test_sigkill_mid_run_keeps_finished_stages_and_the_next_start_says_interrupted(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """Killed with SIGKILL while a stage runs: the stage that finished before is in the
    history with its value, and the next start shows the run as interrupted."""
    proc = cli.start("run", "held")
    wait_until(lambda: (flaky / "holding").exists(), proc)
    # The writer commits within half a second of a stage's end: wait for a's row to be
    # committed (read through another connection, as any other process would).
    wait_until(lambda: recorded_stage(database, "flaky::a"), proc)
    proc.popen.send_signal(signal.SIGKILL)
    assert proc.finish().exit_code == -signal.SIGKILL
    listed = cli("runs", "--json").json
    assert [r["status"] for r in listed] == ["interrupted"]
    assert listed[0]["counts"]["succeeded"] == 1
    doc = cli.document()
    assert doc["status"] == "interrupted"
    assert doc["finished_at"] is None
    assert statuses(doc) == {"flaky::a": "succeeded", "flaky::hold": "interrupted"}
    a = doc["stages"][0]
    assert a["value"] == {"from": "a", "numbers": [1, 2, 3]}
    assert [log["message"] for log in a["logs"]] == ["a made its value"]


def test_a_running_host_s_run_is_not_marked_interrupted_by_another(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """While one host runs, another reading the history sees that run as running."""
    proc = cli.start("run", "held")
    wait_until(lambda: (flaky / "holding").exists(), proc)
    wait_until(lambda: recorded_stage(database, "flaky::a"), proc)
    assert [r["status"] for r in cli("runs", "--json").json] == ["running"]
    hold = next(s for s in cli.document()["stages"] if s["stage_id"] == "flaky::hold")
    assert hold["status"] == "running"
    (flaky / "release").touch()
    assert proc.finish().exit_code == 0
    assert [r["status"] for r in cli("runs", "--json").json] == ["succeeded"]


def test_two_hosts_recording_at_once_both_record_everything(
    flaky: Path, gini_cli: CliInvoker, database: Path, tmp_path: Path
) -> None:
    """Two gini-host processes run at the same time on one database; both runs are whole."""
    procs = []
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
        write_config(folder, database)
        procs.append(
            gini_cli.start(
                "--no-autoload", "-p", "flaky", "run", "held", "chain", "--keep-going", cwd=folder
            )
        )
    for folder, proc in zip(folders, procs, strict=True):
        wait_until(lambda folder=folder: (folder / "holding").exists(), proc)
    for folder in folders:  # both runs are live now: release them together
        (folder / "release").touch()
    for proc in procs:
        done = proc.finish()
        assert done.exit_code == 0, done
    runs = Cli(gini_cli)("runs", "--json").json
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    for run in runs:
        doc = Cli(gini_cli).document(run["run_id"])
        assert set(statuses(doc).values()) == {"succeeded"}
        assert len(doc["stages"]) == 5
        assert doc["counts"]["succeeded"] == 5


def test_a_corrupt_database_is_moved_aside_with_one_message_and_the_run_goes_on(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """Garbage in the database file: one warning naming both files, a fresh database,
    the run succeeds and is recorded."""
    database.write_bytes(b"this is not a database, " * 200)
    database.chmod(0o600)
    ran = cli("run", "flaky::side", "--json")
    assert ran.exit_code == 0, ran
    assert ran.stderr.count("is corrupt") == 1, ran.stderr
    assert "moved it to" in ran.stderr and "started a fresh one" in ran.stderr
    aside = [p for p in database.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"this is not a database")
    assert [r["run_id"] for r in cli("runs", "--json").json] == [ran.json["run_id"]]


def test_a_database_in_a_place_others_can_write_is_not_used(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """A state directory writable by others: the run succeeds with a warning saying runs are
    not recorded; reading the history is bad input naming the problem."""
    database.parent.chmod(0o777)
    ran = cli("run", "flaky::side")
    assert ran.exit_code == 0, ran
    assert "writable by others" in ran.stderr
    assert "not recorded" in ran.stderr
    assert not database.exists()
    listed = cli("runs")
    assert listed.exit_code == 2
    assert "writable by others" in listed.stderr


def test_a_symlinked_database_is_refused(flaky: Path, cli: Cli, database: Path) -> None:
    """The database file is never followed through a symbolic link."""
    elsewhere = flaky / "elsewhere.sqlite3"
    elsewhere.touch(mode=0o600)
    database.symlink_to(elsewhere)
    ran = cli("run", "flaky::side")
    assert ran.exit_code == 0, ran
    assert "symbolic link" in ran.stderr
    assert elsewhere.stat().st_size == 0


def test_a_database_from_a_newer_gini_host_is_left_alone(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """A schema version this host does not know: not written, a message says why."""
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA user_version = 99")
    database.chmod(0o600)
    ran = cli("run", "flaky::side")
    assert ran.exit_code == 0, ran
    assert "schema version 99 is newer" in ran.stderr
    listed = cli("runs")
    assert listed.exit_code == 2
    assert "schema version 99 is newer" in listed.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 99


def test_the_suite_never_writes_the_user_state_directory() -> None:
    """The test session's XDG_STATE_HOME is a temporary directory (tests/conftest.py)."""
    state = os.environ["XDG_STATE_HOME"]
    assert not state.startswith(os.path.expanduser("~"))


def test_damaged_pages_are_one_clear_message_not_a_traceback(
    flaky: Path, cli: Cli, database: Path
) -> None:
    """A database that opens but whose pages are damaged: reading it says so (exit 2) and
    moves it aside; the next run records into a fresh one."""
    for _ in range(3):
        assert cli("run", "chain", "--keep-going").exit_code == 0
    data = bytearray(database.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page : len(data)] = b"\xff" * (len(data) - page)  # every page but the header's
    database.write_bytes(bytes(data))
    shown = cli("runs", "show", "last")
    assert shown.exit_code == 2, shown
    assert "Traceback" not in shown.stderr
    assert "history database" in shown.stderr
    ran = cli("run", "flaky::side", "--json")
    assert ran.exit_code == 0, ran
    assert [r["run_id"] for r in cli("runs", "--json").json] == [ran.json["run_id"]]
