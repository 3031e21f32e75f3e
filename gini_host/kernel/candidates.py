"""Installed distributions as discovery meets them, one kind per place they come from.

Which distributions are installed is what importlib-metadata says (issue 15). Its
``entry_points()`` walks the finders on ``sys.meta_path`` in order; the path finder walks
``sys.path`` in order, and in each entry lists the ``*.dist-info`` and ``*.egg-info`` names
(any case) grouped by name as first seen in the listing, then a ``.egg``'s ``EGG-INFO``.
Of the distributions of one name the first that has metadata wins, else the first; and
those with metadata come before those without.

A :class:`Candidate` is one such distribution. :class:`DirCandidate` reads a plain
directory's metadata files itself (the fast path: one ``open`` per distribution, measured
2.6x faster than importlib-metadata for a directory install); :class:`DistCandidate` wraps
an importlib-metadata distribution, for everything else (zip files, eggs, custom finders).
importlib-metadata is imported only when such a place exists: start-up time is a feature.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.machinery
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from gini_host.kernel import metadata_files
from gini_host.kernel.metadata_files import Refused
from gini_host.logs import logger

__all__ = [
    "Candidate",
    "DirCandidate",
    "DistCandidate",
    "Facts",
    "custom_finders",
    "directory_candidates",
    "finder_candidates",
    "is_plain_directory",
    "path_entry_candidates",
]

_META_SUFFIXES: Final = (".dist-info", ".egg-info")


class Facts(NamedTuple):
    """What a plugin's listing says of its distribution; ``problem`` names a metadata file
    the host refused to read (the plugin is then listed as failed, with it as reason).
    A NamedTuple: one is made per plugin on the cold start-up path, at a third of the cost
    of an attrs instance (measured)."""

    name: str
    version: str
    summary: str
    requires: tuple[str, ...]
    problem: str | None
    has_metadata: bool  # importlib-metadata lists distributions without metadata last


class Candidate:
    """One installed distribution: its key (its canonical name, PEP 503, which is
    importlib-metadata's normalized name with dashes for underscores), its
    version as far as it is known without reading metadata, and lazy reads of the rest."""

    __slots__ = ("key", "path", "version")

    def __init__(self, key: str, version: str, path: str) -> None:
        self.key = key
        self.version = version
        self.path = path

    def has_metadata(self) -> bool:
        """Whether a METADATA (or PKG-INFO) is there: importlib-metadata prefers those."""
        raise NotImplementedError

    def read_group(self, group: str, stamps: list[Any] | None) -> Sequence[tuple[str, str]]:
        """The ``(name, value)`` entry points of ``group``; appends what they were read from
        to ``stamps`` when it is given (see :mod:`gini_host.kernel.index`)."""
        raise NotImplementedError

    def facts(self) -> Facts:
        """The facts of a plugin-providing distribution."""
        raise NotImplementedError


def normalize(name: str) -> str:
    """The PEP 503 canonical name (``canonicalize_name``): importlib-metadata's
    ``Prepared.normalize`` with dashes for its underscores. A fast path for what installers
    write (``my_dist``)."""
    if name.isalnum():
        return name.lower()
    if "-" not in name and "." not in name and "__" not in name:
        return name.replace("_", "-").lower()
    return re.sub(r"[-_.]+", "-", name).lower()


def _stem_name_version(stem: str) -> tuple[str | None, str]:
    """The name importlib-metadata reads from a metadata folder's name (None when the suffix
    is not exactly ``.dist-info``/``.egg-info``: it then reads Name from METADATA), and the
    version after the first dash (an egg-info may carry more tags after it)."""
    filename, ext = os.path.splitext(stem)
    name, _, rest = filename.partition("-")
    return (name if ext in _META_SUFFIXES else None), rest.partition("-")[0]


# -- plain directories: the fast path ------------------------------------------------------


def is_plain_directory(entry: str) -> bool:
    """Whether the fast scan reads ``entry``: a directory that is not an ``.egg``."""
    return not entry.lower().endswith(".egg") and os.path.isdir(entry or ".")


@functools.cache
def _section(group: str) -> bytes:
    return f"[{group}]".encode()


class DirCandidate(Candidate):
    """A ``*.dist-info``/``*.egg-info`` folder of a plain directory, read with raw ``os``
    calls (:mod:`gini_host.kernel.metadata_files`)."""

    __slots__ = ()

    def has_metadata(self) -> bool:
        meta = self.path
        return (
            os.path.exists(meta + os.sep + "METADATA")
            or os.path.exists(meta + os.sep + "PKG-INFO")
            or os.path.isfile(meta)
        )

    def read_group(self, group: str, stamps: list[Any] | None) -> Sequence[tuple[str, str]]:
        path = self.path + os.sep + "entry_points.txt"
        try:
            read = metadata_files.read_entry_points(path, _section(group))
        except Refused as exc:
            logger.debug("discovery: skipped {}: {}", exc.path, exc.why)
            return ()
        if read is None:
            return ()  # most distributions: no plugin of ours
        try:
            pairs = metadata_files.parse_group(read[0].decode("utf-8"), group)
        except UnicodeDecodeError as exc:
            logger.debug("discovery: skipped {}: not UTF-8 ({})", path, exc.reason)
            return ()
        if pairs and stamps is not None:
            stamps.append([path, read[1].st_mtime_ns, read[1].st_size, read[1].st_ino])
        return pairs

    def facts(self) -> Facts:
        # Without readable headers, the folder's name and version (as the index always did).
        try:
            headers = metadata_files.read_headers(self.path)
            if headers is None:
                return Facts(self.key, self.version, "", (), None, self.has_metadata())
            requires = tuple(headers.get("Requires-Dist", ()))
            if not requires and self.path.lower().endswith(".egg-info"):
                requires = metadata_files.egg_requires(self.path)
        except Refused as exc:
            problem = f"metadata file refused: {exc}"
            return Facts(self.key, self.version, "", (), problem, self.has_metadata())
        return Facts(
            headers["Name"][0] if "Name" in headers else self.key,
            headers["Version"][0] if "Version" in headers else self.version,
            headers["Summary"][0] if "Summary" in headers else "",
            requires,
            None,
            True,
        )


def directory_candidates(base: str) -> list[Candidate] | None:
    """The distributions of a plain directory in importlib-metadata's order (its
    ``Lookup``: grouped by lower-cased name as first listed; the listing is not sorted, so
    that a name found twice in one folder wins as it does there); None when ``base`` cannot
    be listed. This loop is most of a cold discovery: the usual names take the short way."""
    try:
        names = os.listdir(base or ".")
    except OSError:
        return None
    prefix = (base or ".") + os.sep
    # A name's group is its candidate, or a list when the name is listed twice: a list per
    # distribution made the garbage collector run within a cold scan (measured: +7%).
    groups: dict[str, Candidate | list[Candidate]] = {}
    for child in names:
        if child.endswith(".dist-info"):
            stem = child[:-10]
        elif child.endswith(".egg-info"):
            stem = child[:-9]
        elif child.lower().endswith(_META_SUFFIXES):
            stem = ""  # the suffix in another case: the long way
        else:
            continue
        if stem.lstrip("."):
            # The folder's name names it; Lookup's group is the same normalized name.
            name, _, rest = stem.partition("-")
            key = name.lower() if name.isalnum() else normalize(name)
            group = key
            version = rest.partition("-")[0]
        else:
            group = normalize(child.lower().rpartition(".")[0].partition("-")[0])
            name_or_none, version = _stem_name_version(child)
            if name_or_none is not None:
                key = normalize(name_or_none)
            else:
                key = _key_from_metadata(prefix + child, child)
        candidate = DirCandidate(key, version, prefix + child)
        seen = groups.get(group)
        if seen is None:
            groups[group] = candidate
        elif isinstance(seen, list):
            seen.append(candidate)
        else:
            groups[group] = [seen, candidate]
    out: list[Candidate] = []
    for grouped in groups.values():
        if isinstance(grouped, list):
            out += grouped
        else:
            out.append(grouped)
    return out


def _key_from_metadata(meta: str, child: str) -> str:
    """A folder named ``X.DIST-INFO`` (suffix not in lower case): importlib-metadata keys it
    by the Name in its METADATA (and raises when there is none; the host uses the folder's
    name then)."""
    with contextlib.suppress(Refused):
        headers = metadata_files.read_headers(meta)
        if headers and "Name" in headers:
            return normalize(headers["Name"][0])
    return normalize(child.rpartition(".")[0].partition("-")[0])


# -- everything else: through importlib-metadata ------------------------------------------


class DistCandidate(Candidate):
    """A distribution importlib-metadata found: in a zip file or an egg on ``sys.path``, or
    provided by a custom finder on ``sys.meta_path``."""

    __slots__ = ("dist",)

    def __init__(self, key: str, version: str, path: str, dist: Any) -> None:
        super().__init__(key, version, path)
        self.dist = dist

    def has_metadata(self) -> bool:
        import importlib_metadata

        # importlib-metadata's own test, so that the preference is exactly its own (the
        # fallback is what it does for a distribution of a foreign class).
        own = getattr(importlib_metadata, "_safe_has_metadata", None)
        try:
            if own is not None:
                return bool(own(self.dist))
            return bool(self.dist.read_text("METADATA") or self.dist.read_text("PKG-INFO"))
        except Exception as exc:
            logger.debug("discovery: {}: cannot tell whether it has metadata: {!r}", self, exc)
            return False

    def read_group(self, group: str, stamps: list[Any] | None) -> Sequence[tuple[str, str]]:
        try:
            if _is_path_distribution(self.dist):
                text = self.dist.read_text("entry_points.txt")
                return metadata_files.parse_group(text or "", group)
            return [
                (ep.name, metadata_files.strip_extras(ep.value))
                for ep in self.dist.entry_points
                if ep.group == group
            ]
        except Exception as exc:
            logger.debug("discovery: skipped the entry points of {}: {!r}", self.path, exc)
            return ()

    def facts(self) -> Facts:
        dist = self.dist
        try:
            if _is_path_distribution(dist):
                text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
                headers = metadata_files.parse_headers(text or "")
                found = {k: v[0] for k, v in headers.items() if k != "Requires-Dist"}
                requires = tuple(headers.get("Requires-Dist", ()))
            else:
                meta = dist.metadata
                found = {k: meta[k] for k in ("Name", "Version", "Summary") if k in meta}
                requires = tuple(meta.get_all("Requires-Dist") or ())
            if not requires:
                requires = tuple(dist.requires or ())
        except Exception as exc:
            problem = f"metadata of {self.path} unreadable: {type(exc).__name__}"
            return Facts(self.key, self.version, "", (), problem, self.has_metadata())
        return Facts(
            str(found.get("Name", self.key)),
            str(found.get("Version", self.version)),
            str(found.get("Summary", "")),
            requires,
            None,
            self.has_metadata(),
        )


def _is_path_distribution(dist: Any) -> bool:
    import importlib_metadata

    return type(dist) is importlib_metadata.PathDistribution


def _candidate(dist: Any, where: str) -> DistCandidate | None:
    """A distribution importlib-metadata yielded; None (logged) when it cannot even be
    named, where importlib-metadata would raise for the whole listing."""
    import importlib.metadata

    import importlib_metadata

    try:
        if isinstance(dist, importlib.metadata.PathDistribution):
            # As importlib-metadata's discovery adapts a standard library one (localize.dist).
            dist = importlib_metadata.PathDistribution(getattr(dist, "_path"))  # noqa: B009
        # The key importlib-metadata's own _unique uses (underscores for our dashes).
        key = str(dist._normalized_name).replace("_", "-")
        path = str(dist)
        if _is_path_distribution(dist):
            version = _stem_name_version(os.path.basename(path))[1]
        else:
            path = f"{where}: {path}"
            version = str(dist.version)
    except Exception as exc:
        logger.debug("discovery: skipped a distribution from {}: {!r}", where, exc)
        return None
    return DistCandidate(key, version, path, dist)


def path_entry_candidates(entry: str) -> list[Candidate]:
    """The distributions importlib-metadata's path finder finds in one ``sys.path`` entry
    (a zip file, an egg)."""
    import importlib_metadata

    context = _context([entry])
    found = importlib_metadata.MetadataPathFinder.find_distributions(context)
    return [c for c in (_candidate(d, entry) for d in found) if c is not None]


def _context(paths: list[str]) -> Any:
    """importlib-metadata's search context for ``paths`` (all names)."""
    import importlib_metadata

    make: Any = importlib_metadata.DistributionFinder.Context
    return make(path=paths)


def _is_path_finder(finder: object) -> bool:
    if finder is importlib.machinery.PathFinder:
        return True
    kind = type(finder)
    return kind.__module__ == "importlib_metadata" and kind.__name__ == "MetadataPathFinder"


def custom_finders() -> list[object | None] | None:
    """The finders on ``sys.meta_path`` that provide distributions, in order, with None
    where the path finder stands; None when there is no finder but the path finder (the
    usual case: nothing imported, nothing to merge)."""
    found = [f for f in list(sys.meta_path) if _finds_distributions(f)]
    if all(_is_path_finder(f) for f in found):
        return None
    import importlib_metadata  # noqa: F401  (puts its path finder in place, as for the oracle)

    order: list[object | None] = []
    for finder in list(sys.meta_path):
        if not _finds_distributions(finder):
            continue
        if not _is_path_finder(finder):
            order.append(finder)
        elif None not in order:
            order.append(None)
    if None not in order:
        order.append(None)
    return order


def _finds_distributions(finder: object) -> bool:
    try:
        return callable(getattr(finder, "find_distributions", None))
    except Exception:
        return False


def finder_candidates(finder: object, paths: Sequence[str]) -> list[Candidate]:
    """The distributions a custom finder provides for ``paths``; a finder that raises
    provides none (logged)."""

    where = f"finder {type(finder).__qualname__}"
    context = _context(list(paths))
    try:
        found: Iterable[Any] = list(finder.find_distributions(context))  # type: ignore[attr-defined]
    except Exception as exc:
        logger.debug("discovery: {} failed: {!r}", where, exc)
        return []
    return [c for c in (_candidate(d, where) for d in found) if c is not None]
