"""The entry-point index: what discovery found, cached per interpreter and ``sys.path``.

Start-up is the host's most-felt speed (issue 6). Scanning every installed distribution
costs one ``open`` each; a warm index costs one ``stat`` per ``sys.path`` entry, one per
plugin-providing distribution's ``entry_points.txt`` (an in-place edit does not change the
directory's mtime) and one small JSON read, and never imports ``importlib.metadata``.

The index knows nothing of what it stores: :mod:`gini_host.kernel.discovery` hands it a JSON-able
payload and the stamps (mtime, size, inode) that make the payload valid. A folder is stamped
before it is listed; a file is stamped while it is open, right after it is read, and a scan
whose stamps are younger than :data:`RACY_WINDOW_NS` is not stored, so a change made during a
scan can never hide behind an unchanged stamp.

JSON, not marshal, although marshal loads this payload about twice as fast: marshal trusts
the lengths it reads, and a corrupt length made it allocate 16 GB and spend a minute before
failing (measured); a corrupt JSON file fails at once.

Trust: the file lives in ``$XDG_CACHE_HOME/gini-host/`` (default ``~/.cache/gini-host/``),
in a directory created private to the user, and is written atomically (a temporary file in
the same directory, then ``os.replace``). A file that is unreadable, corrupt, of another
format version, owned by someone else or writable by others is ignored and rebuilt, never
trusted; the reason is logged at debug level. See ``docs/performance.md``.

Known blind spot, by design (N stats, not one per installed distribution): a distribution
that provided no plugin and gains one by an in-place edit of its ``entry_points.txt`` is not
seen until something else changes; ``--refresh-plugins`` rebuilds the index.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
import zlib
from collections.abc import Sequence
from typing import Any, Final

from gini_host.logs import logger

__all__ = [
    "FORMAT_VERSION",
    "NO_CACHE_ENV",
    "Stamp",
    "cache_dir",
    "index_file",
    "load",
    "stamp",
    "store",
]

#: Bump when the payload or the stamps change shape, or when discovery reads the same files
#: differently (2: egg-info names with tags after the version, entry-point extras dropped);
#: other versions are rebuilt.
FORMAT_VERSION: Final = 2
#: ``GINI_HOST_NO_CACHE=1`` neither reads nor writes the index.
NO_CACHE_ENV: Final = "GINI_HOST_NO_CACHE"
#: How many index files (one per interpreter and ``sys.path``) to keep; the oldest go first.
MAX_FILES: Final = 16
#: A stamp this close to the time of the scan is "racy": a second change within the
#: filesystem's timestamp granularity (ext4 ticks, FAT's 2 s) would leave the mtime as it
#: was, so such a scan is not stored (git's racily-clean rule). Tests set it to 0.
RACY_WINDOW_NS = 2_000_000_000

_PREFIX = "index-"
_SUFFIX = ".json"
_MISSING = -1

#: ``[path, st_mtime_ns, st_size, st_ino]``; a missing path is ``[path, -1, -1, -1]``.
Stamp = list[Any]


def cache_dir() -> str:
    """``$XDG_CACHE_HOME/gini-host`` (an empty or relative value is ignored, as the XDG
    spec says), else ``~/.cache/gini-host``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gini-host")


def disabled_by_environment() -> bool:
    from gini_host.kernel.limits import env_flag

    return env_flag(NO_CACHE_ENV)


def _key(paths: Sequence[str]) -> list[Any]:
    # Relative entries ("" is the current directory) are keyed absolute, so a run from
    # another directory gets its own index.
    return [
        FORMAT_VERSION,
        sys.executable,
        sys.version,
        [os.path.abspath(p or ".") for p in paths],
    ]


def index_file(paths: Sequence[str]) -> str:
    """The file that holds (or would hold) the index of ``paths``. The name is a checksum of
    the key; the key itself is stored and compared, so a collision only costs a rebuild."""
    text = json.dumps(_key(paths))
    return os.path.join(cache_dir(), f"{_PREFIX}{zlib.crc32(text.encode()):08x}{_SUFFIX}")


def stamp(path: str, st: os.stat_result | None = None) -> Stamp:
    """What must not change for an index to stay valid; pass ``st`` when already at hand."""
    if st is None:
        try:
            st = os.stat(path)
        except OSError:
            return [path, _MISSING, _MISSING, _MISSING]
    return [path, st.st_mtime_ns, st.st_size, st.st_ino]


def ownership_problem(st: os.stat_result) -> str | None:
    """Why a file or directory the host keeps for its user (this cache, the run history)
    must not be trusted: owned by another user, or writable by others; None when it may."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return f"owned by uid {st.st_uid}, not by this user ({getuid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by others (mode {stat.filemode(st.st_mode)})"
    return None


def load(paths: Sequence[str]) -> Any | None:
    """The payload stored for ``paths`` when every stamp still holds; None otherwise."""
    path = index_file(paths)
    try:
        dir_problem = ownership_problem(os.stat(os.path.dirname(path)))
    except OSError:
        logger.debug("entry-point index: no cache directory yet")
        return None
    if dir_problem is not None:
        logger.debug("entry-point index: ignoring {}: directory {}", path, dir_problem)
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        logger.debug("entry-point index: {} does not exist yet", path)
        return None
    except OSError as exc:
        logger.debug("entry-point index: ignoring {}: cannot open: {}", path, exc)
        return None
    try:
        problem = ownership_problem(os.fstat(fd))
        if problem is not None:
            logger.debug("entry-point index: ignoring {}: {}", path, problem)
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read()
    except OSError as exc:
        logger.debug("entry-point index: ignoring {}: cannot read: {}", path, exc)
        return None
    finally:
        os.close(fd)
    try:
        data = json.loads(raw)
    except ValueError as exc:
        logger.debug("entry-point index: ignoring {}: corrupt: {}", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        logger.debug(
            "entry-point index: ignoring {}: format {!r}, not {}", path, found, FORMAT_VERSION
        )
        return None
    if data.get("key") != _key(paths):
        logger.debug("entry-point index: ignoring {}: made for another interpreter or path", path)
        return None
    stamps = data.get("stamps")
    if not isinstance(stamps, list):
        logger.debug("entry-point index: ignoring {}: corrupt: no stamps", path)
        return None
    stale = _first_stale(stamps)
    if stale is not None:
        logger.debug("entry-point index: ignoring {}: {}", path, stale)
        return None
    return data.get("payload")


def _first_stale(stamps: list[Any]) -> str | None:
    """Why the first stamp that no longer holds does not (None when all hold). The warm
    path's main cost: one stat per ``sys.path`` entry and per plugin distribution."""
    for old in stamps:
        if type(old) is not list or len(old) != 4 or type(old[0]) is not str:
            return f"corrupt stamp {old!r}"
        path, mtime, size, ino = old
        try:
            st = os.stat(path)
        except OSError:
            if mtime != _MISSING:
                return f"stale: {path} is gone"
            continue
        if st.st_mtime_ns != mtime or st.st_size != size or st.st_ino != ino:
            return f"stale: {path} changed"
    return None


def store(paths: Sequence[str], payload: Any, stamps: Sequence[Stamp]) -> bool:
    """Write the index of ``paths`` atomically; False (logged) when it was not written."""
    floor = time.time_ns() - RACY_WINDOW_NS
    racy = next((s[0] for s in stamps if s[1] > floor), None)
    if racy is not None:
        logger.debug("entry-point index: not stored: {} changed too recently to trust", racy)
        return False
    path = index_file(paths)
    directory = os.path.dirname(path)
    try:
        _ensure_private_dir(directory)
        document = {
            "format": FORMAT_VERSION,
            "key": _key(paths),
            "stamps": list(stamps),
            "payload": payload,
        }
        text = json.dumps(document, separators=(",", ":"), check_circular=False)
        _write_atomically(directory, path, text.encode())
        _prune(directory)
    except (OSError, _UntrustedDirectory) as exc:
        logger.debug("entry-point index: not stored in {}: {}", directory, exc)
        return False
    return True


class _UntrustedDirectory(Exception):
    pass


def _ensure_private_dir(directory: str) -> None:
    os.makedirs(os.path.dirname(directory), exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    problem = ownership_problem(os.stat(directory))
    if problem is not None:
        raise _UntrustedDirectory(f"directory {problem}")


def _write_atomically(directory: str, path: str, data: bytes) -> None:
    # A unique name in the same directory (so os.replace is atomic), created exclusively
    # and private; cheaper than importing tempfile on a start-up path.
    tmp = os.path.join(directory, f".index-{os.getpid()}-{time.time_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _prune(directory: str) -> None:
    """Keep the newest :data:`MAX_FILES` index files (each path configuration has one)."""
    files = [n for n in os.listdir(directory) if n.startswith(_PREFIX) and n.endswith(_SUFFIX)]
    if len(files) <= MAX_FILES:
        return
    aged = []
    for name in files:
        full = os.path.join(directory, name)
        try:
            aged.append((os.stat(full).st_mtime_ns, full))
        except OSError:
            continue
    for _, full in sorted(aged)[: len(aged) - MAX_FILES]:
        with contextlib.suppress(OSError):
            os.unlink(full)
