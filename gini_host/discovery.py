"""Finding plugin distributions: a direct scan of ``sys.path`` for installed metadata.

Reading ``entry_points.txt`` ourselves, rather than through ``importlib.metadata``, costs one
``open`` per installed distribution and parses only the files that declare plugins; the
stdlib path builds a Distribution object per dist and costs about 3x that (issue 6 measured
it). Only the METADATA of plugin-providing distributions is read.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence

import attrs
from packaging.utils import canonicalize_name

__all__ = ["ENTRY_POINT_GROUP", "Installed", "PluginEntryPoint", "scan"]

#: The entry-point group plugins are declared in.
ENTRY_POINT_GROUP = "gini_host.plugins"

_SECTION = "[" + ENTRY_POINT_GROUP + "]"
_META_SUFFIXES = (".dist-info", ".egg-info")
# ``name-version.dist-info``: the name never holds a dash once the installer normalized it.
_DIR_RE = re.compile(r"^(?P<name>[^-]+)(?:-(?P<version>[^-]+))?\.(?:dist|egg)-info$")


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


def scan(paths: Sequence[str] | None = None) -> Installed:
    """Scan ``paths`` (default ``sys.path``); the first distribution of a name wins, as pip's
    resolution and ``importlib.metadata`` agree."""
    entry_points: list[PluginEntryPoint] = []
    versions: dict[str, str] = {}
    for meta_dir, canonical, version in _metadata_dirs(sys.path if paths is None else paths):
        if canonical in versions:
            continue
        versions[canonical] = version
        text = _read(os.path.join(meta_dir, "entry_points.txt"))
        if text is None or _SECTION not in text:
            continue
        eps = _parse_group(text)
        if not eps:
            continue
        headers = _read_metadata(meta_dir)
        dist_name = headers.get("Name", [canonical])[0]
        dist_version = headers.get("Version", [version])[0]
        versions[canonical] = dist_version
        for name, value in eps:
            entry_points.append(
                PluginEntryPoint(
                    name=name,
                    value=value,
                    distribution=dist_name,
                    version=dist_version,
                    summary=headers.get("Summary", [""])[0],
                    requires=tuple(headers.get("Requires-Dist", ())),
                    path=meta_dir,
                )
            )
    return Installed(tuple(entry_points), versions)


def _metadata_dirs(paths: Iterable[str]) -> Iterable[tuple[str, str, str]]:
    seen: set[str] = set()
    for entry in paths:
        base = entry or "."
        if base in seen:
            continue
        seen.add(base)
        try:
            names = sorted(os.listdir(base))  # sorted: results must not depend on the disk
        except OSError:
            continue  # zip files, missing dirs: nothing installed there for us
        for name in names:
            if not name.endswith(_META_SUFFIXES):
                continue
            match = _DIR_RE.match(name)
            if match is None:
                continue
            yield (
                os.path.join(base, name),
                canonicalize_name(match["name"]),
                match["version"] or "",
            )


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        return None


def _parse_group(text: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of our section of an entry_points.txt (INI-style)."""
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
            out.append((name.strip(), value.strip()))
    return out


def _read_metadata(meta_dir: str) -> dict[str, list[str]]:
    """The headers of METADATA (or PKG-INFO): only up to the first blank line, the body is
    the long description and can be large."""
    headers: dict[str, list[str]] = {}
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(meta_dir, filename), encoding="utf-8") as fh:
                _parse_headers(fh, headers)
        except (OSError, UnicodeDecodeError):
            continue
        break
    return headers


def _parse_headers(lines: Iterable[str], headers: dict[str, list[str]]) -> None:
    last: str | None = None
    for line in lines:
        if line in ("\n", "\r\n"):
            break
        if line[:1] in (" ", "\t") and last is not None:
            headers[last][-1] += " " + line.strip()  # folded header line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip()
        headers.setdefault(last, []).append(value.strip())
