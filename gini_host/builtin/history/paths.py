"""Where the history database lives, and the checks that make it safe to trust.

The database holds stage return values, some of them pickled, so it is loaded only from a
place nobody else can write: its directory is created private to the user (mode 0700), the
file private (0600), and before use the directory, the file and its WAL/SHM companions are
checked with ``lstat`` (a symbolic link is refused, never followed), for their owner (this
user) and their mode (not writable by group or others). These are the rules of the
entry-point cache (``gini_host.index``), applied to the state directory.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from typing import Final

from gini_host.errors import HistoryError
from gini_host.kernel.index import ownership_problem

__all__ = [
    "DATABASE_NAME",
    "default_path",
    "ensure_private_location",
    "history_path",
    "trust_problem",
]

#: The database's file name inside ``$XDG_STATE_HOME/gini-host/``.
DATABASE_NAME: Final = "history.sqlite3"
#: The files SQLite keeps beside a database in WAL mode.
COMPANIONS: Final = ("-wal", "-shm")


def default_path() -> str:
    """``$XDG_STATE_HOME/gini-host/history.sqlite3`` (an empty or relative value is ignored,
    as the XDG spec says), else ``~/.local/state/gini-host/history.sqlite3``."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "gini-host", DATABASE_NAME)


def history_path(path: str | None, config_source: str | None = None) -> str:
    """The database for ``[history] path`` (None: the default); a relative path is taken
    relative to the config file that gave it, ``~`` is expanded."""
    if path is None:
        return default_path()
    full = os.path.expanduser(path)
    if not os.path.isabs(full) and config_source and not config_source.startswith("<"):
        full = os.path.join(os.path.dirname(os.path.abspath(config_source)), full)
    return os.path.abspath(full)


def trust_problem(st: os.stat_result, what: str) -> str | None:
    """Why a file or directory (stat'ed without following links) must not be trusted: the
    cache's rules (:func:`gini_host.kernel.index.ownership_problem`), and no symbolic link."""
    if stat.S_ISLNK(st.st_mode):
        return f"{what} is a symbolic link"
    problem = ownership_problem(st)
    return f"{what} is {problem}" if problem is not None else None


def ensure_private_location(path: str, *, create: bool = True) -> bool:
    """Check (and with ``create``, make) the database's directory and file private.

    Returns whether the database file exists. Raises :class:`HistoryError` naming the
    problem when the place is not safe; never follows a symbolic link.
    """
    directory = os.path.dirname(path)
    if create:
        try:
            os.makedirs(os.path.dirname(directory), exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(directory, 0o700)
        except OSError as exc:
            raise HistoryError(path, f"cannot create its directory: {exc}") from None
    if not _check(path, directory, f"its directory {directory}", stat.S_ISDIR):
        return False
    exists = _check(path, path, "the database file")
    for suffix in COMPANIONS:
        _check(path, path + suffix, f"its {suffix[1:].upper()} file")
    if not exists and create:
        _create_private(path)
        exists = True
    return exists


def _check(database: str, path: str, what: str, kind: Callable[[int], bool] = stat.S_ISREG) -> bool:
    """Whether ``path`` exists; :class:`HistoryError` (about ``database``) when it must not
    be trusted or is not of the ``kind`` expected."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise HistoryError(database, f"cannot read {what}: {exc}") from None
    problem = trust_problem(st, what)
    if problem is None and not kind(st.st_mode):
        problem = f"{what} is not a {'directory' if kind is stat.S_ISDIR else 'regular file'}"
    if problem is not None:
        raise HistoryError(database, problem)
    return True


def _create_private(path: str) -> None:
    """Create the empty database file 0600 before SQLite opens it: SQLite would create it
    with the umask's mode, and gives its WAL and SHM files the database file's mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, 0o600))
    except FileExistsError:
        _check(path, path, "the database file")  # another host created it meanwhile
    except OSError as exc:
        raise HistoryError(path, f"cannot create the database file: {exc}") from None
