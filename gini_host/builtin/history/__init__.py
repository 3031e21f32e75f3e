"""The ``history`` built-in plugin: every run recorded in an embedded SQLite database.

What is recorded (runs, stage results with their values, attempts, workers, errors and the
run's log records at INFO and above), where (``[history] path``, default
``$XDG_STATE_HOME/gini-host/history.sqlite3``, private to the user) and how it is read back
(``gini-host runs``, ``runs show``, ``run --resume``, ``report``): docs/operators.md,
"History and resume".

Public for other commands (the report): :func:`load_run_document`, the run document of one
recorded run, and :func:`history_path_for`, the database a host's config names. Importing
this package is cheap: sqlite3 is imported when a run is recorded or read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from gini_host.builtin.history.recorder import HistoryPlugin

if TYPE_CHECKING:
    from gini_host.builtin.history.store import HistoryStore

__all__ = ["HistoryPlugin", "history_path_for", "load_run_document"]


def history_path_for(config: Any) -> str:
    """The history database named by ``config`` (a :class:`gini_host.kernel.config.HostConfig`)."""
    from gini_host.builtin.history.paths import history_path

    return history_path(config.history.path, config.source)


def load_run_document(
    store_or_path: HistoryStore | str | os.PathLike[str], run_ref: str
) -> dict[str, Any]:
    """The run document of ``run_ref`` (a run id, a unique prefix of one, or ``last``) in
    the history at ``store_or_path`` (an open store or the database's path): exactly what
    ``gini-host runs show RUN --json`` prints. Raises :class:`gini_host.errors.UnknownRunError`
    (unknown or ambiguous RUN) or :class:`gini_host.errors.HistoryError` (unusable database),
    both usage errors (exit 2)."""
    from gini_host.builtin.history import document

    return document.load_run_document(store_or_path, run_ref)
