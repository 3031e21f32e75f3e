"""The history's writer thread: records leave the scheduling thread at once, and reach the
database in batches, one transaction at least every :data:`FLUSH_INTERVAL` seconds.

The scheduling thread only appends a small tuple to a deque (about 0.1 µs); encoding values
(JSON or pickle), SQL and commits happen here. So a stage that finished more than a second
before the process was killed (SIGKILL: nothing runs at exit) is in the database, and a run
of no-op stages barely notices the history.

Nothing here may fail a run: a database that cannot be opened or written is reported once
with a warning, and what could not be written is dropped.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from loguru import logger

from gini_host.errors import HistoryError

__all__ = ["FLUSH_INTERVAL", "HistoryWriter", "Operation", "RowWrite"]

#: The longest a record waits before its transaction commits (seconds).
FLUSH_INTERVAL: Final = 0.5
#: How long a write batch is retried while another host holds the database.
_RETRY_FOR: Final = 30.0

if TYPE_CHECKING:  # the store imports sqlite3: only the writer thread needs it at run time
    from gini_host.builtin.history.store import HistoryStore


class RowWrite(Protocol):
    """A write of one row of ``table``, made by :meth:`row` on the writer thread (so the
    scheduling thread only builds this small object). Consecutive ones of a table go to
    the database in one statement: a run of 1,000 stages is one ``executemany``."""

    table: str

    def row(self) -> Mapping[str, Any]: ...


#: One write: a :class:`RowWrite`, or a callable called with the open store, inside the
#: batch's transaction.
Operation = RowWrite | Callable[["HistoryStore"], None]


class HistoryWriter:
    """A daemon thread that owns one connection to the database at ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._queue: collections.deque[Operation] = collections.deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._written = 0  # batches committed (or given up), guarded by _idle
        self._closing = False
        self._failed: str | None = None
        self._thread = threading.Thread(target=self._main, name="gini-host history", daemon=True)
        self._thread.start()

    @property
    def failed(self) -> str | None:
        """Why the writer stopped recording, or None."""
        return self._failed

    def submit(self, operation: Operation) -> None:
        """Queue one write; cheap and safe from any thread."""
        self._queue.append(operation)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until what was queued before the call is committed; False on timeout."""
        if not self._thread.is_alive():
            return not self._queue
        with self._idle:
            target = self._written + 2  # the batch in progress may predate the call
            self._wake.set()
            deadline = time.monotonic() + timeout
            while self._written < target and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, FLUSH_INTERVAL))
                self._wake.set()
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued and stop; False when that took longer than ``timeout`` (the
        daemon thread is then abandoned, with a warning)."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning(
                "history: {} record(s) not written to {} within {:g}s; giving up on them",
                len(self._queue),
                self.path,
                timeout,
            )
            return False
        return True

    # -- the thread -----------------------------------------------------------------------

    def _main(self) -> None:
        from gini_host.builtin.history.store import HistoryStore

        store: HistoryStore | None = None
        try:
            store = HistoryStore.open(self.path)
        except HistoryError as exc:
            self._give_up(str(exc))
        except Exception as exc:
            self._give_up(f"history database {self.path}: cannot be opened: {exc}")
        try:
            while True:
                self._wake.wait(FLUSH_INTERVAL)
                self._wake.clear()
                closing = self._closing
                batch = self._take()  # taken even when recording failed: dropped, as warned
                if batch and store is not None:
                    store = self._write(store, batch)
                with self._idle:
                    self._written += 1
                    self._idle.notify_all()
                if closing and not self._queue:
                    return
        finally:
            if store is not None:
                store.close()

    def _take(self) -> list[Operation]:
        batch: list[Operation] = []
        queue = self._queue
        while queue:
            batch.append(queue.popleft())
        return batch

    def _write(self, store: HistoryStore, batch: list[Operation]) -> HistoryStore | None:
        """Commit ``batch`` in one transaction, retrying while the database is busy; a corrupt
        database is moved aside and the batch written to a fresh one."""
        import sqlite3

        from gini_host.builtin.history.store import HistoryStore, is_corruption, move_aside

        deadline = time.monotonic() + _RETRY_FOR
        while True:
            try:
                with store.transaction():
                    _apply(store, batch)
                return store
            except sqlite3.DatabaseError as exc:
                if is_corruption(exc):
                    store.close()
                    try:
                        move_aside(self.path, exc)
                        fresh = HistoryStore.open(self.path)
                    except Exception as again:
                        self._give_up(f"history database {self.path}: {again}")
                        return None
                    if fresh is None:
                        return None
                    store = fresh
                    continue
                busy = "locked" in str(exc) or "busy" in str(exc)
                if busy and time.monotonic() < deadline:
                    continue
                self._give_up(f"history database {self.path}: cannot write: {exc}")
                return None
            except Exception as exc:  # an operation's own bug: lose the batch, not the run
                logger.opt(exception=exc).warning(
                    "history: could not record {} item(s) in {}: {}", len(batch), self.path, exc
                )
                return store

    def _give_up(self, reason: str) -> None:
        if self._failed is None:
            self._failed = reason
            logger.warning("{}; runs are not recorded (the run itself goes on)", reason)


def _apply(store: HistoryStore, batch: list[Operation]) -> None:
    """Make the writes of ``batch`` in order, rows of one table in a row in one statement."""
    table = ""
    rows: list[Mapping[str, Any]] = []
    for operation in batch:
        if not callable(operation):  # a RowWrite
            if operation.table != table and rows:
                store.insert_rows(table, rows)
                rows = []
            table = operation.table
            rows.append(operation.row())
            continue
        if rows:
            store.insert_rows(table, rows)
            rows = []
        operation(store)
    if rows:
        store.insert_rows(table, rows)
