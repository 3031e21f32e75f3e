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
in a directory created private to the user and opened without following symlinks (its
parent checked too; everything else is done relative to that descriptor), and is written
atomically (a temporary file in
the same directory, then ``os.replace``). A file that is unreadable, corrupt, of another
format version, owned by someone else or writable by others is ignored and rebuilt, never
trusted; the reason is logged at debug level. See ``docs/performance.md``.

Known blind spot, by design (N stats, not one per installed distribution): a distribution
that provided no plugin and gains one by an in-place edit of its ``entry_points.txt`` is not
seen until something else changes; ``--refresh-plugins`` rebuilds the index.
"""

from __future__ import annotations

import contextlib
import errno
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
#: differently (2: egg-info names with tags after the version, entry-point extras dropped;
#: 3: importlib-metadata's order and winners, zip files, a refused file's problem);
#: other versions are rebuilt.
FORMAT_VERSION: Final = 3
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
        dir_fd = _open_private_dir(os.path.dirname(path), create=False)
    except FileNotFoundError:
        logger.debug("entry-point index: no cache directory yet")
        return None
    except (OSError, _UntrustedDirectory) as exc:
        logger.debug("entry-point index: ignoring {}: {}", path, exc)
        return None
    try:
        raw = _read_private_file(dir_fd, path)
    finally:
        os.close(dir_fd)
    if raw is None:
        return None
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
        dir_fd = _ensure_private_dir(directory)
    except (OSError, _UntrustedDirectory) as exc:
        logger.debug("entry-point index: not stored in {}: {}", directory, exc)
        return False
    try:
        document = {
            "format": FORMAT_VERSION,
            "key": _key(paths),
            "stamps": list(stamps),
            "payload": payload,
        }
        text = json.dumps(document, separators=(",", ":"), check_circular=False)
        _write_atomically(dir_fd, path, text.encode())
        _prune(dir_fd)
    except OSError as exc:
        logger.debug("entry-point index: not stored in {}: {}", directory, exc)
        return False
    finally:
        os.close(dir_fd)
    return True


class _UntrustedDirectory(Exception):
    pass


_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY: Final = getattr(os, "O_DIRECTORY", 0)


def _read_private_file(dir_fd: int, path: str) -> bytes | None:
    """The bytes of the index file in the (trusted) directory ``dir_fd``, opened without
    following a symlink; None (logged) when it is missing or not to be trusted."""
    try:
        fd = os.open(os.path.basename(path), os.O_RDONLY | _NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        logger.debug("entry-point index: {} does not exist yet", path)
        return None
    except OSError as exc:
        logger.debug("entry-point index: ignoring {}: cannot open: {}", path, exc)
        return None
    try:
        st = os.fstat(fd)
        problem = ownership_problem(st)
        if problem is None and not stat.S_ISREG(st.st_mode):
            problem = "not a regular file"
        if problem is not None:
            logger.debug("entry-point index: ignoring {}: {}", path, problem)
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        logger.debug("entry-point index: ignoring {}: cannot read: {}", path, exc)
        return None
    finally:
        os.close(fd)


def _check_parent(parent: str) -> None:
    """The cache root (``$XDG_CACHE_HOME``, ``~/.cache``) may be a symlink (a home on
    another disk), but where it leads must be a directory owned by this user (or root) that
    others cannot write to, unless it is sticky (``/tmp``-like: then no one else can rename
    or remove what this user created in it)."""
    st = os.stat(parent)
    getuid = getattr(os, "getuid", None)
    if not stat.S_ISDIR(st.st_mode):
        raise _UntrustedDirectory(f"{parent} is not a directory")
    if getuid is not None and st.st_uid not in (getuid(), 0):
        raise _UntrustedDirectory(f"{parent} is owned by uid {st.st_uid}, not by this user")
    shared = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if shared and not st.st_mode & stat.S_ISVTX:
        raise _UntrustedDirectory(
            f"{parent} is writable by others (mode {stat.filemode(st.st_mode)})"
        )


def _open_private_dir(directory: str, *, create: bool) -> int:
    """A file descriptor of the host's own cache directory, opened without following a
    symlink (``O_NOFOLLOW``: another user's symlink named ``gini-host`` in a shared cache
    root must not send the index, or its pruning, into their folder). The directory must
    be owned by this user and private; its parent is checked too. Every later operation is
    relative to the descriptor, so the directory cannot be swapped between check and use."""
    parent = os.path.dirname(directory)
    if create:
        os.makedirs(parent, exist_ok=True)
    _check_parent(parent)
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o700)
    try:
        fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _UntrustedDirectory(f"{directory} is not a directory (a symlink?)") from None
        raise
    try:
        st = os.fstat(fd)
        problem = ownership_problem(st)
        if problem is None and not stat.S_ISDIR(st.st_mode):
            problem = "not a directory"
        if problem is not None:
            raise _UntrustedDirectory(f"directory {directory} {problem}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _ensure_private_dir(directory: str) -> int:
    return _open_private_dir(directory, create=True)


def _write_atomically(dir_fd: int, path: str, data: bytes) -> None:
    # A unique name in the same directory (so os.replace is atomic), created exclusively
    # and private; cheaper than importing tempfile on a start-up path.
    tmp = f".index-{os.getpid()}-{time.time_ns()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, os.path.basename(path), src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _ours(name: str) -> bool:
    """A name the host gives its index files: ``index-`` + 8 hex digits + ``.json``."""
    middle = name[len(_PREFIX) : -len(_SUFFIX)]
    return (
        name.startswith(_PREFIX)
        and name.endswith(_SUFFIX)
        and len(middle) == 8
        and all(c in "0123456789abcdef" for c in middle)
    )


def _prune(dir_fd: int) -> None:
    """Keep the newest :data:`MAX_FILES` index files (each path configuration has one).

    Only files the host made itself go: named as it names them, regular files (not
    symlinks) owned by this user."""
    aged = []
    for name in os.listdir(dir_fd):
        if not _ours(name):
            continue
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and ownership_problem(st) is None:
            aged.append((st.st_mtime_ns, name))
    for _, name in sorted(aged)[: max(0, len(aged) - MAX_FILES)]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
