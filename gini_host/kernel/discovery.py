"""Finding plugin distributions: a direct scan of ``sys.path`` for installed metadata.

Reading ``entry_points.txt`` ourselves, rather than through ``importlib.metadata``, costs one
``open`` per installed distribution and parses only the files that declare plugins; the
stdlib path builds a Distribution object per dist and costs about 3x that (issue 6 measured
it). Only the METADATA of plugin-providing distributions is read.

A scan's result is kept in the entry-point index (:mod:`gini_host.kernel.index`) and reused while
nothing it was read from has changed; :class:`IndexMode` says whether to use it.
"""

from __future__ import annotations

import enum
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from packaging.utils import canonicalize_name

from gini_host.kernel import index
from gini_host.logs import logger

__all__ = ["ENTRY_POINT_GROUP", "IndexMode", "Installed", "PluginEntryPoint", "scan"]

#: The entry-point group plugins are declared in.
ENTRY_POINT_GROUP = "gini_host.plugins"

_SECTION = "[" + ENTRY_POINT_GROUP + "]"
_SECTION_BYTES = _SECTION.encode()
_META_SUFFIXES = (".dist-info", ".egg-info")
# ``name-version.dist-info``: the name never holds a dash once the installer normalized it.
# An egg-info may carry more tags after the version (``name-0.1-py3.11.egg-info``), which
# importlib.metadata accepts too: it takes the name up to the first dash.
_DIR_RE = re.compile(r"^(?P<name>[^-]+)(?:-(?P<version>[^-]+)(?:-[^-]+)*)?\.(?:dist|egg)-info$")
# ``mod:attr [extra1, extra2]``: the extras an entry point may name are not part of its object.
_EXTRAS_RE = re.compile(r"\s*\[[^\[\]]*\]$")


@attrs.frozen(slots=True)
class PluginEntryPoint:
    """One ``gini_host.plugins`` entry point with the facts of its distribution."""

    name: str
    value: str
    distribution: str
    version: str
    summary: str
    requires: tuple[str, ...]
    path: str


@attrs.frozen(slots=True)
class Installed:
    """What a scan found: plugin entry points, and every installed distribution's version."""

    entry_points: tuple[PluginEntryPoint, ...]
    versions: dict[str, str]  # canonical distribution name -> version


class IndexMode(enum.Enum):
    """How :func:`scan` uses the entry-point index."""

    USE = "use"  #: read it when it is valid, else scan and store
    REFRESH = "refresh"  #: scan, ignoring what is stored, and store (``--refresh-plugins``)
    OFF = "off"  #: scan; neither read nor write (``GINI_HOST_NO_CACHE=1``)


def scan(paths: Sequence[str] | None = None, *, mode: IndexMode = IndexMode.USE) -> Installed:
    """Scan ``paths`` (default ``sys.path``); the first distribution of a name wins, as pip's
    resolution and ``importlib.metadata`` agree.

    With the index warm this reads no distribution at all; ``GINI_HOST_NO_CACHE=1`` turns
    the index off whatever ``mode`` says.
    """
    paths = list(sys.path if paths is None else paths)
    if mode is not IndexMode.OFF and index.disabled_by_environment():
        mode = IndexMode.OFF
    if mode is IndexMode.USE:
        payload = index.load(paths)
        if payload is not None:
            try:
                return _from_payload(payload)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                logger.debug("entry-point index: ignoring a malformed payload: {!r}", exc)
    if mode is IndexMode.OFF:
        return _scan(paths, None)
    stamps: list[index.Stamp] = []
    installed = _scan(paths, stamps)
    index.store(paths, _to_payload(installed), stamps)
    return installed


def _scan(paths: Sequence[str], stamps: list[index.Stamp] | None) -> Installed:
    """The scan itself; ``stamps`` (when given) receives what the result depends on: each
    folder stamped before it is listed, each plugin's ``entry_points.txt`` while it is open
    (see :mod:`gini_host.kernel.index` for why that is safe)."""
    entry_points: list[PluginEntryPoint] = []
    versions: dict[str, str] = {}
    with_stat = stamps is not None
    for meta_dir, canonical, version in _metadata_dirs(paths, stamps):
        if canonical in versions:
            continue
        versions[canonical] = version
        ep_file = meta_dir + os.sep + "entry_points.txt"
        read = _read_entry_points(ep_file, with_stat)
        if read is None:
            continue
        try:
            eps = _parse_group(read[0].decode("utf-8"))
        except UnicodeDecodeError:
            continue
        if not eps:
            continue
        if stamps is not None:
            stamps.append(index.stamp(ep_file, read[1]))
        headers = _read_metadata(meta_dir)
        dist_name = headers.get("Name", [canonical])[0]
        dist_version = headers.get("Version", [version])[0]
        summary = headers.get("Summary", [""])[0]
        requires = tuple(headers.get("Requires-Dist", ()))
        if not requires and meta_dir.endswith(".egg-info"):
            requires = _egg_requires(meta_dir)
        versions[canonical] = dist_version
        for name, value in eps:
            entry_points.append(
                PluginEntryPoint(name, value, dist_name, dist_version, summary, requires, meta_dir)
            )
    return Installed(tuple(entry_points), versions)


def _to_payload(installed: Installed) -> dict[str, Any]:
    return {
        "entry_points": [
            [e.name, e.value, e.distribution, e.version, e.summary, list(e.requires), e.path]
            for e in installed.entry_points
        ],
        "versions": installed.versions,
    }


def _from_payload(payload: Any) -> Installed:
    """The inverse of :func:`_to_payload`; raises on anything that is not its output."""
    entry_points = []
    for name, value, dist, version, summary, requires, path in payload["entry_points"]:
        requires = tuple(requires)
        if not (
            type(name) is str
            and type(value) is str
            and type(dist) is str
            and type(version) is str
            and type(summary) is str
            and type(path) is str
            and all(type(r) is str for r in requires)
        ):
            raise TypeError(f"entry point {name!r}: every field must be a string")
        entry_points.append(
            PluginEntryPoint(name, value, dist, version, summary, requires, path)
        )
    versions = payload["versions"]
    if type(versions) is not dict:
        raise TypeError("versions must be a mapping")
    for key, version in versions.items():
        if type(version) is not str:
            raise TypeError(f"version of {key!r} is not a string")
    return Installed(tuple(entry_points), versions)


def _metadata_dirs(
    paths: Iterable[str], stamps: list[index.Stamp] | None
) -> Iterable[tuple[str, str, str]]:
    seen: set[str] = set()
    for entry in paths:
        base = os.fspath(entry) or "."
        if base in seen:
            continue
        seen.add(base)
        if stamps is not None:
            stamps.append(index.stamp(base))  # before listing: a later change makes it stale
        try:
            names = sorted(os.listdir(base))  # sorted: results must not depend on the disk
        except OSError:
            continue  # zip files, missing dirs: nothing installed there for us
        prefix = base + os.sep
        for name in names:
            if not name.endswith(_META_SUFFIXES):
                continue
            match = _DIR_RE.match(name)
            if match is None:
                continue
            yield prefix + name, _canonical(match["name"]), match["version"] or ""


def _canonical(name: str) -> str:
    """``canonicalize_name`` with a fast path for what installers write (``my_dist``)."""
    if name.isalnum():
        return name.lower()
    if "-" not in name and "." not in name and "__" not in name:
        return name.replace("_", "-").lower()
    return canonicalize_name(name)


def _read_entry_points(
    path: str, with_stat: bool
) -> tuple[bytes, os.stat_result | None] | None:
    """The bytes of an entry_points.txt that mentions our group (None for the many that do
    not, or when unreadable) and, when asked, its stat.

    Raw ``os`` calls, no file object: most distributions turn out to be of no interest, and
    this loop is the whole cost of a cold discovery. The stat is taken after the read; an
    edit in between leaves an mtime of "just now", which the index refuses to store
    (:data:`gini_host.kernel.index.RACY_WINDOW_NS`).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = _read_fd(fd)
        if _SECTION_BYTES not in data:
            return None
        return data, (os.fstat(fd) if with_stat else None)
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_fd(fd: int, until: bytes | None = None) -> bytes:
    """Everything ``fd`` holds, or (with ``until``) at least up to the first ``until``."""
    data = os.read(fd, _CHUNK)
    while len(data) % _CHUNK == 0 and data:
        if until is not None and until in data:
            break
        more = os.read(fd, _CHUNK)
        if not more:
            break
        data += more
    return data


def _parse_group(text: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of our section of an entry_points.txt (INI-style); a
    value's trailing ``[extras]`` is dropped."""
    out: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            inside = line == _SECTION
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            value = value.strip()
            if value.endswith("]"):
                value = _EXTRAS_RE.sub("", value)
            out.append((name.strip(), value))
    return out


def _read_metadata(meta_dir: str) -> dict[str, list[str]]:
    """The headers discovery needs from METADATA (or PKG-INFO), read only up to the first
    blank line: the body is the long description and can be large."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            fd = os.open(meta_dir + os.sep + filename, os.O_RDONLY)
        except OSError:
            continue
        try:
            data = _read_fd(fd, until=b"\n\n")
        except OSError:
            continue
        finally:
            os.close(fd)
        try:
            return _parse_headers(data)
        except UnicodeDecodeError:
            continue
    return {}


def _egg_requires(meta_dir: str) -> tuple[str, ...]:
    """Requirements of an ``.egg-info`` (a source checkout's build leaves one), which keeps
    them in ``requires.txt`` rather than in PKG-INFO: top-level lines apply always,
    ``[:MARKER]`` sections under that marker, and ``[extra]`` sections are extras, skipped
    as extras are for dist-info."""
    try:
        with open(meta_dir + os.sep + "requires.txt", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return ()
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


#: Most METADATA headers and every entry_points.txt fit in one read of this size; a
#: larger first read costs more than it saves (the buffer is allocated, then shrunk).
_CHUNK = 4096
#: The headers a plugin's facts come from, with folded continuation lines.
_HEADER_RE = re.compile(
    rb"^(Name|Version|Summary|Requires-Dist):[ \t]*(.*(?:\n[ \t].*)*)", re.MULTILINE
)


def _parse_headers(data: bytes) -> dict[str, list[str]]:
    """Our headers from the bytes of a METADATA file, searched only up to the first blank
    line (the body may hold anything, "Name:" lines included)."""
    end = len(data)
    for blank in (b"\n\n", b"\n\r\n"):
        at = data.find(blank, 0, end)
        if at >= 0:
            end = at
    headers: dict[str, list[str]] = {}
    for key, value in _HEADER_RE.findall(data, 0, end):
        text = value.decode()
        if "\n" in text:
            text = " ".join(part.strip() for part in text.split("\n"))
        headers.setdefault(key.decode(), []).append(text.strip())
    return headers
