"""The history database: SQLite through the standard library, in WAL mode.

One :class:`HistoryStore` is one connection. WAL lets readers (``gini-host runs``) and one
writer at a time work side by side, and a busy timeout makes two hosts recording at once
take turns instead of failing. The schema carries its version in ``PRAGMA user_version``;
:data:`MIGRATIONS` brings an older database up to date in one transaction, and a database
written by a newer gini-host is left alone (:class:`~gini_host.errors.HistoryError`).

A file that SQLite says is not a database, or whose pages are damaged, is moved aside once,
with one warning naming both files, and a fresh database is started: the history is a
convenience and must never stop a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from loguru import logger

from gini_host.builtin.history.paths import COMPANIONS, ensure_private_location
from gini_host.errors import HistoryError, UnknownRunError

__all__ = ["SCHEMA_VERSION", "HistoryStore", "is_corruption"]

#: How long a write waits for another host's transaction before giving up (seconds).
BUSY_TIMEOUT: Final = 15.0

_SCHEMA_1: Final = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL DEFAULT '',
        targets TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        executor TEXT,
        jobs INTEGER,
        dry_run INTEGER NOT NULL DEFAULT 0,
        resumed_from TEXT,
        host_version TEXT,
        plugins TEXT NOT NULL DEFAULT '{}',
        config_digest TEXT,
        plan TEXT NOT NULL DEFAULT '{"stages": [], "edges": []}',
        counts TEXT,
        hostname TEXT,
        pid INTEGER,
        pid_start TEXT
    )""",
    "CREATE INDEX runs_by_start ON runs (started_at DESC)",
    """CREATE TABLE stages (
        run_id TEXT NOT NULL,
        stage_id TEXT NOT NULL,
        position INTEGER,
        plugin TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        started_at REAL,
        duration REAL,
        worker TEXT,
        error TEXT,
        value_kind TEXT NOT NULL DEFAULT 'none',
        value BLOB,
        value_repr TEXT,
        value_note TEXT,
        attempt_log TEXT,
        reused_from TEXT,
        PRIMARY KEY (run_id, stage_id)
    )""",
    """CREATE TABLE logs (
        run_id TEXT NOT NULL,
        stage_id TEXT,
        time REAL NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    "CREATE INDEX logs_by_run ON logs (run_id)",
)

#: Statements that take a database from version N-1 to N, by N.
MIGRATIONS: Final[Mapping[int, Sequence[str]]] = {1: _SCHEMA_1}
SCHEMA_VERSION: Final = max(MIGRATIONS)

_RUN_COLUMNS: Final = (
    "run_id",
    "pipeline",
    "targets",
    "status",
    "started_at",
    "finished_at",
    "executor",
    "jobs",
    "dry_run",
    "resumed_from",
    "host_version",
    "plugins",
    "config_digest",
    "plan",
    "counts",
    "hostname",
    "pid",
    "pid_start",
)
_STAGE_COLUMNS: Final = (
    "run_id",
    "stage_id",
    "position",
    "plugin",
    "status",
    "reason",
    "attempts",
    "started_at",
    "duration",
    "worker",
    "error",
    "value_kind",
    "value",
    "value_repr",
    "value_note",
    "attempt_log",
    "reused_from",
)
_LOG_COLUMNS: Final = ("run_id", "stage_id", "time", "level", "message")


def _insert_sql(table: str, columns: Sequence[str]) -> tuple[str, Sequence[str]]:
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    return f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})", columns


_INSERTS: Final = {
    "runs": _insert_sql("runs", _RUN_COLUMNS),
    "stages": _insert_sql("stages", _STAGE_COLUMNS),
    "logs": _insert_sql("logs", _LOG_COLUMNS),
}
_LISTED: Final = (
    "run_id, targets, status, started_at, finished_at, counts, resumed_from, dry_run, pipeline"
)


def is_corruption(exc: BaseException) -> bool:
    """Whether SQLite says the file is damaged ("file is not a database", "database disk
    image is malformed"): a plain ``DatabaseError``, not a busy or locked one."""
    return type(exc) is sqlite3.DatabaseError


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as the kernel counts it (Linux ``/proc``); with the pid,
    it names one process: a pid is reused, its start time is not. None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read().decode(errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def _still_running(pid: int | None, started: str | None) -> bool:
    """Whether the process that recorded a run (``pid``, started at ``started``) lives."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # alive, but someone else's
    # A pid that was reused (containers start their processes at low pids, so a new host
    # may even get the pid of the one that died) is another process.
    return started is None or process_start(pid) in (started, None)


class HistoryStore:
    """One connection to the history database at ``path``.

    :meth:`open` creates what is missing, migrates, moves a corrupt file aside and marks the
    runs of processes that died ``interrupted``. Use as a context manager to close it.
    """

    def __init__(self, path: str, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, create: bool = True) -> HistoryStore | None:
        """The store at ``path``; None when it does not exist and ``create`` is False.

        Raises :class:`HistoryError` when the place is not private or the schema is newer.
        """
        if not ensure_private_location(path, create=create):
            return None
        try:
            return cls._connect(path)
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise HistoryError(path, f"cannot be opened: {exc}") from None
            move_aside(path, exc)
            ensure_private_location(path, create=True)
            try:
                return cls._connect(path)
            except sqlite3.DatabaseError as again:
                raise HistoryError(path, f"cannot be opened: {again}") from None

    @classmethod
    def _connect(cls, path: str) -> HistoryStore:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        store = cls(path, connection)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives the process being killed (SIGKILL);
            # only a power loss may undo the last ones.
            connection.execute("PRAGMA synchronous=NORMAL")
            store._migrate()
            store.mark_interrupted()
        except BaseException:
            connection.close()
            raise
        return store

    def _migrate(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                self.path,
                f"schema version {version} is newer than this gini-host knows "
                f"({SCHEMA_VERSION}); upgrade gini-host or set [history] path",
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            # Read again inside the write lock: another host may have migrated meanwhile.
            version = self.connection.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    self.connection.execute(statement)
            self.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[HistoryStore]:
        """``with store.reading():`` what SQLite raises while reading becomes one
        :class:`HistoryError` naming the database; a damaged file is moved aside first."""
        try:
            yield self
        except sqlite3.DatabaseError as exc:
            if is_corruption(exc):
                self.close()
                aside = move_aside(self.path, exc)
                raise HistoryError(self.path, f"is corrupt ({exc}); moved it to {aside}") from None
            raise HistoryError(self.path, f"cannot be read: {exc}") from None

    def transaction(self) -> _Transaction:
        """``with store.transaction():`` one write transaction (BEGIN IMMEDIATE ... COMMIT)."""
        return _Transaction(self.connection)

    # -- writing --------------------------------------------------------------------------

    def begin_run(self, row: Mapping[str, Any]) -> None:
        pid = os.getpid()
        values = {
            **row,
            "hostname": socket.gethostname(),
            "pid": pid,
            "pid_start": process_start(pid),
        }
        self.insert_rows("runs", [values])

    def finish_run(
        self, run_id: str, status: str, finished_at: float, counts: Mapping[str, int]
    ) -> None:
        self.connection.execute(
            "UPDATE runs SET status = ?, finished_at = ?, counts = ? WHERE run_id = ?",
            (status, finished_at, json.dumps(dict(counts)), run_id),
        )

    def put_stages(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.insert_rows("stages", rows)

    def insert_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert (or replace) ``rows`` of ``table`` (``runs``, ``stages``, ``logs``) in one
        statement; missing columns are NULL."""
        sql, columns = _INSERTS[table]
        self.connection.executemany(sql, [tuple(map(row.get, columns)) for row in rows])

    def mark_interrupted(self) -> int:
        """Runs left ``running`` by a process of this machine that is gone become
        ``interrupted``; returns how many. Another live host's runs are left alone."""
        rows = self.connection.execute(
            "SELECT run_id, pid, pid_start FROM runs WHERE status = 'running' AND hostname = ?",
            (socket.gethostname(),),
        ).fetchall()
        dead = [run_id for run_id, pid, started in rows if not _still_running(pid, started)]
        if dead:
            with self.transaction():
                self.connection.executemany(
                    "UPDATE runs SET status = 'interrupted' WHERE run_id = ? "
                    "AND status = 'running'",
                    [(run_id,) for run_id in dead],
                )
        return len(dead)

    def prune(self, keep: int) -> int:
        """Delete all but the newest ``keep`` runs (and their stages and logs); returns how
        many runs went. Call inside a transaction or alone (it makes its own)."""
        own = not self.connection.in_transaction
        if own:
            self.connection.execute("BEGIN IMMEDIATE")
        try:
            old = [
                r[0]
                for r in self.connection.execute(
                    "SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC "
                    "LIMIT -1 OFFSET ?",
                    (_sql_count(keep),),
                )
            ]
            for table in ("logs", "stages", "runs"):
                self.connection.executemany(
                    f"DELETE FROM {table} WHERE run_id = ?", [(r,) for r in old]
                )
            if own:
                self.connection.execute("COMMIT")
        except BaseException:
            if own and self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise
        return len(old)

    # -- reading --------------------------------------------------------------------------

    def list_runs(
        self, limit: int | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Runs newest first, as rows of the listing (no stages read)."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        params: list[Any] = list(args)
        sql = f"SELECT {_LISTED} FROM runs {where} ORDER BY started_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(_sql_count(limit))
        cursor = self.connection.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def resolve(self, ref: str) -> str:
        """The run id ``ref`` names: an id, a unique prefix of one, or ``last``."""
        if ref == "last":
            row = self.connection.execute(
                "SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise UnknownRunError(ref, path=self.path)
            return str(row[0])
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = [
            r[0]
            for r in self.connection.execute(
                "SELECT run_id FROM runs WHERE run_id = ? OR run_id LIKE ? ESCAPE '\\' "
                "ORDER BY started_at DESC LIMIT 50",
                (ref, escaped + "%"),
            )
        ]
        if ref in matches:
            return ref
        if len(matches) == 1 and ref:
            return str(matches[0])
        raise UnknownRunError(ref, matches if ref else (), path=self.path)

    def run_row(self, run_id: str) -> dict[str, Any]:
        cursor = self.connection.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise UnknownRunError(run_id, path=self.path)
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def stage_rows(self, run_id: str) -> list[dict[str, Any]]:
        cursor = self.connection.execute(
            "SELECT * FROM stages WHERE run_id = ? ORDER BY position, rowid", (run_id,)
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def log_rows(self, run_id: str) -> list[tuple[str | None, float, str, str]]:
        return [
            (r[0], r[1], r[2], r[3])
            for r in self.connection.execute(
                "SELECT stage_id, time, level, message FROM logs WHERE run_id = ? "
                "ORDER BY time, rowid",
                (run_id,),
            )
        ]

    def stage_counts(self, run_id: str) -> dict[str, int]:
        """How many recorded stages of ``run_id`` ended in each status."""
        return {
            str(status): int(n)
            for status, n in self.connection.execute(
                "SELECT status, count(*) FROM stages WHERE run_id = ? GROUP BY status",
                (run_id,),
            )
        }

    def count_runs(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM runs").fetchone()[0])


class _Transaction:
    """BEGIN IMMEDIATE (take the write lock now, waiting up to the busy timeout) ... COMMIT,
    or ROLLBACK when the block raises."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute("ROLLBACK")


def move_aside(path: str, exc: BaseException) -> str:
    """Rename a corrupt database (and its WAL and SHM files) out of the way, with one
    warning; returns the new name."""
    aside = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    for suffix in ("", *COMPANIONS):
        try:
            os.replace(path + suffix, aside + suffix)
        except FileNotFoundError:
            continue
        except OSError:
            if suffix:
                continue
            raise
    logger.warning(
        "history database {} is corrupt ({}); moved it to {} and started a fresh one",
        path,
        exc,
        aside,
    )
    return aside


#: The largest integer SQLite takes: a count above it means "all of them".
_SQL_MAX_INT: Final = 2**63 - 1


def _sql_count(n: int) -> int:
    """A row count the operator gave (``--limit``, ``keep``), which Python lets grow past
    what SQLite can bind (OverflowError, a traceback, and with ``keep`` the run unrecorded);
    any count that large means every row."""
    return min(n, _SQL_MAX_INT)
