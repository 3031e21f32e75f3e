"""Finding plugin distributions: exactly what importlib-metadata finds, fast where it can be.

What is installed is what ``importlib_metadata.entry_points(group="gini_host.plugins")``
says (issue 15): every finder on ``sys.meta_path``, every kind of ``sys.path`` entry, the
same winner when a name is there twice. The rules it follows are written down in
:mod:`gini_host.kernel.candidates`, and ``tests/kernel/test_discovery_oracle.py`` checks on
generated layouts that this module gives its answer.

Plain directories, nearly all of any real ``sys.path``, are read directly: one ``open`` per
installed distribution, parsing only the files that declare plugins, and only the METADATA
of plugin-providing distributions. importlib-metadata builds a Distribution object per
distribution and costs about 2.6x that (issues 6 and 15 measured it). Zip files, eggs and
custom finders go through importlib-metadata itself, imported only then.

A scan's result is kept in the entry-point index (:mod:`gini_host.kernel.index`) and reused while
nothing it was read from has changed (a zip file is stamped like a directory);
:class:`IndexMode` says whether to use it. Custom finders are asked every time: what they
provide has no stamp.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Sequence
from typing import Any

import attrs

from gini_host.kernel import candidates, importlib_candidates, index
from gini_host.kernel.candidates import Candidate
from gini_host.logs import logger

__all__ = ["ENTRY_POINT_GROUP", "IndexMode", "Installed", "PluginEntryPoint", "scan"]

#: The entry-point group plugins are declared in.
ENTRY_POINT_GROUP = "gini_host.plugins"


@attrs.frozen(slots=True)
class PluginEntryPoint:
    """One ``gini_host.plugins`` entry point with the facts of its distribution.

    ``problem`` names a metadata file of the distribution the host refused to read (not a
    regular file, too large, not UTF-8); the plugin is then listed as failed, with it.
    """

    name: str
    value: str
    distribution: str
    version: str
    summary: str
    requires: tuple[str, ...]
    path: str
    problem: str | None = None


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
    """The plugins installed on ``paths`` (default ``sys.path``) and by the custom finders
    on ``sys.meta_path``, as importlib-metadata finds them.

    With the index warm this reads no distribution at all; ``GINI_HOST_NO_CACHE=1`` turns
    the index off whatever ``mode`` says, and so does a custom finder.
    """
    paths = list(sys.path if paths is None else paths)
    if mode is not IndexMode.OFF and index.disabled_by_environment():
        mode = IndexMode.OFF
    finders = importlib_candidates.custom_finders()
    if finders is not None and mode is not IndexMode.OFF:
        logger.debug("entry-point index: not used: a custom finder provides distributions")
        mode = IndexMode.OFF
    if mode is IndexMode.USE:
        payload = index.load(paths)
        if payload is not None:
            try:
                return _from_payload(payload)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                logger.debug("entry-point index: ignoring a malformed payload: {!r}", exc)
    if mode is IndexMode.OFF:
        return _scan(paths, None, finders)
    stamps: list[index.Stamp] = []
    installed = _scan(paths, stamps, None)
    index.store(paths, _to_payload(installed), stamps)
    return installed


def _scan(
    paths: Sequence[str], stamps: list[index.Stamp] | None, finders: list[object | None] | None
) -> Installed:
    """The scan itself: every candidate distribution in importlib-metadata's order (the
    path finder's where it stands among ``finders``), its winners, their plugins.
    ``stamps`` (when given) receives what the result depends on: each path entry stamped
    before it is listed, each plugin's ``entry_points.txt`` while it is open (see
    :mod:`gini_host.kernel.index` for why that is safe)."""
    on_paths = _path_candidates(paths, stamps)
    found: list[Candidate] = []
    for finder in finders or (None,):
        if finder is None:
            found += on_paths
        else:
            found += importlib_candidates.finder_candidates(finder, paths)
    entry_points: list[PluginEntryPoint] = []
    without_metadata: list[PluginEntryPoint] = []
    versions: dict[str, str] = {}
    for winner in _winners(found):
        canonical = winner.key
        versions[canonical] = winner.version
        pairs = winner.read_group(ENTRY_POINT_GROUP, stamps)
        if not pairs:
            continue
        facts = winner.facts()
        versions[canonical] = facts.version
        # importlib-metadata lists distributions without metadata after all the others.
        into = entry_points if facts.has_metadata else without_metadata
        for name, value in pairs:
            into.append(
                PluginEntryPoint(
                    name,
                    value,
                    facts.name,
                    facts.version,
                    facts.summary,
                    facts.requires,
                    winner.path,
                    facts.problem,
                )
            )
    return Installed(tuple(entry_points + without_metadata), versions)


def _winners(found: Sequence[Candidate]) -> list[Candidate]:
    """One distribution per name, in the order found: the first that has metadata, else
    the first (importlib-metadata's ``_unique(_prefer_valid(...))``). Whether one has
    metadata is asked only where a name is found twice."""
    if len({candidate.key for candidate in found}) == len(found):
        return list(found)  # the usual case: every name once
    by_key: dict[str, list[int]] = {}
    for at, candidate in enumerate(found):
        by_key.setdefault(candidate.key, []).append(at)
    chosen: list[int] = []
    for positions in by_key.values():
        if len(positions) == 1:
            chosen.append(positions[0])
            continue
        valid = (at for at in positions if found[at].has_metadata())
        chosen.append(next(valid, positions[0]))
    return [found[at] for at in sorted(chosen)]


def _path_candidates(paths: Sequence[str], stamps: list[index.Stamp] | None) -> list[Candidate]:
    """The distributions on ``paths``: plain directories by the fast scan, anything else
    (zip files, eggs) through importlib-metadata."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for entry in paths:
        base = os.fspath(entry)
        if base in seen:
            continue  # importlib-metadata looks again, and finds the same first
        seen.add(base)
        if stamps is not None:
            stamps.append(index.stamp(base or "."))  # before listing: a later change is seen
        if candidates.is_plain_directory(base):
            out += candidates.directory_candidates(base) or ()
        elif os.path.exists(base or "."):
            if stamps is not None and os.path.isdir(base):
                # An unzipped egg: its metadata folder can change without changing it.
                egg_info = os.path.join(base, "EGG-INFO")
                stamps += [index.stamp(egg_info), index.stamp(egg_info + "/entry_points.txt")]
            out += importlib_candidates.path_entry_candidates(base)
    return out


def _to_payload(installed: Installed) -> dict[str, Any]:
    return {
        "entry_points": [
            [
                e.name,
                e.value,
                e.distribution,
                e.version,
                e.summary,
                list(e.requires),
                e.path,
                e.problem,
            ]
            for e in installed.entry_points
        ],
        "versions": installed.versions,
    }


def _from_payload(payload: Any) -> Installed:
    """The inverse of :func:`_to_payload`; raises on anything that is not its output."""
    entry_points = []
    for name, value, dist, version, summary, requires, path, problem in payload["entry_points"]:
        requires = tuple(requires)
        if not (
            type(name) is str
            and type(value) is str
            and type(dist) is str
            and type(version) is str
            and type(summary) is str
            and type(path) is str
            and all(type(r) is str for r in requires)
            and (problem is None or type(problem) is str)
        ):
            raise TypeError(f"entry point {name!r}: every field must be a string")
        entry_points.append(
            PluginEntryPoint(name, value, dist, version, summary, requires, path, problem)
        )
    versions = payload["versions"]
    if type(versions) is not dict:
        raise TypeError("versions must be a mapping")
    for key, version in versions.items():
        if type(version) is not str:
            raise TypeError(f"version of {key!r} is not a string")
    return Installed(tuple(entry_points), versions)


