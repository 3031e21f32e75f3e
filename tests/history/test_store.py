"""The database itself: schema versions and migrations, run references, pruning."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from gini_host.builtin.history import store as store_module
from gini_host.builtin.history.store import HistoryStore
from gini_host.errors import UnknownRunError


def _open(path: Path) -> HistoryStore:
    opened = HistoryStore.open(str(path))
    assert opened is not None
    return opened


def _run(store: HistoryStore, run_id: str, started_at: float) -> None:
    with store.transaction():
        store.begin_run({"run_id": run_id, "status": "running", "started_at": started_at})
        store.finish_run(run_id, "succeeded", started_at + 1, {"succeeded": 0})


def test_a_new_database_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state" / "h.sqlite3"
    with _open(path) as store:
        version = store.connection.execute("PRAGMA user_version").fetchone()[0]
        mode = store.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert (version, mode) == (store_module.SCHEMA_VERSION, "wal")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_an_older_database_is_migrated_in_order_keeping_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at version 1 opened by a host whose schema is version 2: the migration
    runs once, and the recorded runs are still there."""
    path = tmp_path / "h.sqlite3"
    with _open(path) as store:
        _run(store, "aaaa", 1.0)
    migrations = {**store_module.MIGRATIONS, 2: ("ALTER TABLE runs ADD COLUMN note TEXT",)}
    monkeypatch.setattr(store_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    with _open(path) as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == 2
        store.connection.execute("UPDATE runs SET note = 'kept' WHERE run_id = 'aaaa'")
        assert [r["run_id"] for r in store.list_runs()] == ["aaaa"]
    with _open(path) as store:  # opened again: nothing to migrate
        assert store.connection.execute("SELECT note FROM runs").fetchone()[0] == "kept"


def test_run_references_are_ids_unique_prefixes_or_last(tmp_path: Path) -> None:
    """A prefix's % and _ are literal; unknown and ambiguous references say so."""
    with _open(tmp_path / "h.sqlite3") as store:
        _run(store, "ab_1", 1.0)
        _run(store, "abx2", 2.0)
        _run(store, "c%d", 3.0)
        assert store.resolve("last") == "c%d"
        assert store.resolve("ab_") == "ab_1"
        assert store.resolve("c%") == "c%d"
        assert store.resolve("abx2") == "abx2"
        with pytest.raises(UnknownRunError, match="ambiguous") as ambiguous:
            store.resolve("ab")
        assert set(ambiguous.value.matches) == {"ab_1", "abx2"}
        with pytest.raises(UnknownRunError, match="no recorded run 'zz'"):
            store.resolve("zz")


def test_prune_keeps_the_newest_runs_with_their_stages(tmp_path: Path) -> None:
    with _open(tmp_path / "h.sqlite3") as store:
        for n in range(5):
            _run(store, f"run{n}", float(n))
            with store.transaction():
                store.put_stages([{"run_id": f"run{n}", "stage_id": "p::a", "status": "succeeded"}])
        assert store.prune(2) == 3
        assert [r["run_id"] for r in store.list_runs()] == ["run4", "run3"]
        left = store.connection.execute("SELECT DISTINCT run_id FROM stages").fetchall()
        assert sorted(r[0] for r in left) == ["run3", "run4"]


def test_an_empty_database_file_is_set_up(tmp_path: Path) -> None:
    """A zero-byte file (made by another host a moment ago) is a valid empty database."""
    path = tmp_path / "h.sqlite3"
    path.touch(mode=0o600)
    with _open(path) as store:
        assert store.list_runs() == []
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_a_running_run_of_a_reused_pid_is_interrupted(tmp_path: Path) -> None:
    """A run left running by a process whose pid a live process has now (containers reuse
    low pids) is interrupted; one of the live process itself stays running."""
    import os

    from gini_host.builtin.history.store import process_start

    path = tmp_path / "h.sqlite3"
    with _open(path) as store, store.transaction():
        store.begin_run({"run_id": "mine", "status": "running", "started_at": 1.0})
        store.begin_run({"run_id": "ghost", "status": "running", "started_at": 2.0})
        store.connection.execute("UPDATE runs SET pid_start = 'earlier' WHERE run_id = 'ghost'")
    with _open(path) as store:
        statuses = {r["run_id"]: r["status"] for r in store.list_runs()}
    if process_start(os.getpid()) is None:
        pytest.skip("no /proc: a pid's start time is unknown here")
    assert statuses == {"mine": "running", "ghost": "interrupted"}
