"""Reading one installed distribution's metadata files: safely, and as importlib-metadata
parses them.

Safely (issue 11): a metadata file is read only when it is a regular file, opened without
blocking (an ``entry_points.txt`` that is a FIFO, or a symlink to ``/dev/zero``, used to
hang discovery), up to a size limit, in time linear in what is read (METADATA was read
4 KiB at a time and re-searched from the start each time: an 8 MiB METADATA took 15 s).
What is refused raises :class:`Refused`, which says why; discovery names it.

As importlib-metadata parses them (issue 15): :func:`parse_group` follows its
``Sectioned`` reader line for line, so the fast directory scan and importlib-metadata
agree on every entry point; ``tests/kernel/test_discovery_oracle.py`` holds them to it.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Final

__all__ = [
    "ENTRY_POINTS_LIMIT",
    "HEADERS_LIMIT",
    "HEADER_ENDS",
    "Refused",
    "egg_requires",
    "headers_of",
    "parse_egg_requires",
    "parse_group",
    "parse_headers",
    "read_entry_points",
    "read_file",
    "read_headers",
    "strip_extras",
]

#: The largest ``entry_points.txt`` (and ``requires.txt``) read; real ones hold a few KiB.
ENTRY_POINTS_LIMIT: Final = 1 << 20
#: The most of a METADATA file read to find the end of its headers (the body, the long
#: description, is never read); real headers are well under 64 KiB.
HEADERS_LIMIT: Final = 1 << 20
#: The first read's size: most headers and every entry_points.txt fit in it, and a larger
#: first read costs more than it saves (the buffer is allocated, then shrunk).
_CHUNK: Final = 4096
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A metadata file discovery will not read; ``why`` says what is wrong with it."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


def read_file(
    path: str, limit: int, *, until: tuple[bytes, ...] = ()
) -> tuple[bytes, os.stat_result] | None:
    """The bytes of the regular file ``path`` and its stat; None when there is no such file
    (missing, a directory, or unreadable, as importlib-metadata treats them).

    With ``until``, reading stops at the first occurrence of one of its byte strings (the
    bytes read so far are returned, that one included); the file may then be larger than
    ``limit``, but more than ``limit`` bytes before it is refused. Raises :class:`Refused`
    for a file that is not regular (FIFO, device, socket) or too large.
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            _refuse_unless_directory(path, st)
            return None
        if not until:
            if st.st_size > limit:
                raise Refused(path, f"larger than {limit} bytes ({st.st_size})")
            data = _read_up_to(fd, limit + 1)
            if len(data) > limit:
                raise Refused(path, f"larger than {limit} bytes (it grew while read)")
            return data, st
        return _read_until(fd, path, limit, until), st
    except OSError:
        return None
    finally:
        os.close(fd)


def read_entry_points(path: str, section: bytes) -> tuple[bytes, os.stat_result] | None:
    """The bytes of an ``entry_points.txt`` that holds ``section`` (our ``[group]``), and its
    stat; None for the many that do not, and when there is no such file. Raises
    :class:`Refused` as :func:`read_file` does, for a file that would be used.

    Most distributions declare no plugin: for a short file without ``section`` one
    non-blocking read is all (no stat: one per distribution made this read 40% slower,
    measured); whatever the file is, that read neither blocks nor reads more than a few KiB.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        try:
            first = os.read(fd, _CHUNK)
        except BlockingIOError:
            first = b""  # a FIFO with a writer and nothing written: refused below
        short = 0 < len(first) < _CHUNK  # the whole file, as it is a regular one
        if short and section not in first:
            return None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            _refuse_unless_directory(path, st)
            return None
        if short:
            return first, st  # a plugin's entry_points.txt, nearly always
        if st.st_size > ENTRY_POINTS_LIMIT:
            raise Refused(path, f"larger than {ENTRY_POINTS_LIMIT} bytes ({st.st_size})")
        data = first + _read_up_to(fd, ENTRY_POINTS_LIMIT)
        if len(data) > ENTRY_POINTS_LIMIT:
            raise Refused(path, f"larger than {ENTRY_POINTS_LIMIT} bytes (it grew while read)")
        return (data, st) if section in data else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _refuse_unless_directory(path: str, st: os.stat_result) -> None:
    """A file that is not regular is refused, unless it is a directory (where
    importlib-metadata finds nothing either, silently)."""
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(path, f"not a regular file ({stat.filemode(st.st_mode)})")


def _read_up_to(fd: int, size: int) -> bytes:
    """At most ``size`` bytes: one read for most files, more only if a read comes back short."""
    first = os.read(fd, min(size, _CHUNK))
    if len(first) < _CHUNK or len(first) == size:
        return first
    parts = [first]
    got = len(first)
    while got < size:
        more = os.read(fd, size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _read_until(fd: int, path: str, limit: int, until: tuple[bytes, ...]) -> bytes:
    """Read until one of ``until`` or the end; each byte is searched once (linear), and the
    reads double in size."""
    first = os.read(fd, _CHUNK)
    if len(first) < _CHUNK or any(end in first for end in until):
        return first  # nearly every METADATA: its headers end in the first read
    overlap = max(len(end) for end in until) - 1
    parts = [first]
    got = len(first)
    size = _CHUNK
    tail = first[-overlap:] if overlap else b""
    while True:
        chunk = os.read(fd, size)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        got += len(chunk)
        # The new chunk, with the previous one's last bytes: a match may straddle them.
        window = tail + chunk
        if any(end in window for end in until):
            return b"".join(parts)
        tail = chunk[-overlap:] if overlap else b""
        if got > limit:
            raise Refused(path, f"no end of headers in its first {limit} bytes")
        size = min(size * 2, 1 << 20)


#: Where the headers of a METADATA file end: its first blank line (LF or CRLF).
HEADER_ENDS: Final = (b"\n\n", b"\n\r\n")


def read_headers(meta_dir: str) -> dict[str, list[str]] | None:
    """The headers discovery needs from ``METADATA`` (else ``PKG-INFO``), read only up to the
    first blank line: the body is the long description and can be large. None when the
    distribution has neither file; :class:`Refused` for one discovery will not read."""
    for filename in ("METADATA", "PKG-INFO"):
        path = meta_dir + os.sep + filename
        read = read_file(path, HEADERS_LIMIT, until=HEADER_ENDS)
        if read is not None:
            return headers_of(read[0], path)
    return None


def headers_of(data: bytes, path: str) -> dict[str, list[str]]:
    """The headers in the first bytes of a METADATA file (``path`` names it if it is not
    UTF-8: :class:`Refused`)."""
    end = data.find(b"\n\n")
    head = data[:end] if end >= 0 else data
    try:
        if b"\r" in head:  # CRLF line ends
            return parse_headers(data.decode("utf-8"))
        return _parse_block(head.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Refused(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None


_KEYS: Final = {key.lower(): key for key in ("Name", "Version", "Summary", "Requires-Dist")}
#: The headers a plugin's facts come from, with folded continuation lines. Case-insensitive,
#: as the email parser importlib-metadata uses is: character classes, 35% faster than
#: IGNORECASE (measured).
_HEADER_RE: Final = re.compile(
    "^("
    + "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in key) for key in _KEYS
    )
    + r"):[ \t]*(.*(?:\n[ \t].*)*)",
    re.MULTILINE,
)


def parse_headers(text: str) -> dict[str, list[str]]:
    """Our headers from the text of a METADATA file, searched only up to the first blank
    line (the body may hold anything, "Name:" lines included)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    end = text.find("\n\n")
    return _parse_block(text[:end] if end >= 0 else text)


def _parse_block(text: str) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for key, value in _HEADER_RE.findall(text):
        if "\n" in value:
            value = " ".join(part.strip() for part in value.split("\n"))
        headers.setdefault(_KEYS[key.lower()], []).append(value.strip())
    return headers


def parse_group(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` pairs of ``group`` in an entry_points.txt, as importlib-metadata's
    ``Sectioned`` reads them: stripped lines, ``#`` comments, a section is a line that starts
    with ``[`` and ends with ``]`` (its name stripped of brackets), a section may appear more
    than once. A value's trailing ``[extras]`` is dropped (the host imports the object;
    extras are the installer's business), and a line without ``=``, which makes
    importlib-metadata raise TypeError for the whole listing, is skipped."""
    out: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[" and line[-1] == "]":
            inside = line.strip("[]") == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), strip_extras(value.strip())))
    return out


def strip_extras(value: str) -> str:
    """An entry point's value without its ``[extras]`` (``mod:attr [extra1, extra2]``): the
    object reference alone."""
    return re.sub(r"\s*\[.*\]$", "", value) if value.endswith("]") else value


def egg_requires(meta_dir: str) -> tuple[str, ...]:
    """Requirements of an ``.egg-info`` (a source checkout's build leaves one), which keeps
    them in ``requires.txt`` rather than in PKG-INFO. :class:`Refused` for a file discovery
    will not read."""
    path = meta_dir + os.sep + "requires.txt"
    read = read_file(path, ENTRY_POINTS_LIMIT)
    return () if read is None else parse_egg_requires(read[0], path)


def parse_egg_requires(data: bytes, path: str) -> tuple[str, ...]:
    """The lines of a ``requires.txt`` as requirements: top-level lines apply always,
    ``[:MARKER]`` sections under that marker, and ``[extra]`` sections are extras, skipped as
    extras are for dist-info."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise Refused(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    out: list[str] = []
    marker: str | None = ""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, cond = line[1:-1].partition(":")
            marker = cond.strip() if not extra.strip() else None
            continue
        if marker is None:
            continue
        out.append(f"{line}; {marker}" if marker else line)
    return tuple(out)
