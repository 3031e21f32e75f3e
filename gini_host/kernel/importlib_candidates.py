"""Distributions the fast scan does not read, through importlib-metadata itself: those in
zip files and eggs on ``sys.path``, and those custom finders on ``sys.meta_path`` provide
(issue 15). importlib-metadata is imported only here, and only when such a place exists:
start-up time is a feature.
"""

from __future__ import annotations

import importlib.machinery
import os
import pathlib
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from gini_host.kernel import metadata_files
from gini_host.kernel.candidates import Candidate, Facts, normalize, stem_name_version
from gini_host.kernel.metadata_files import Refused
from gini_host.logs import logger

__all__ = [
    "DistCandidate",
    "PathDistCandidate",
    "custom_finders",
    "finder_candidates",
    "path_entry_candidates",
]


class _FromImportlib(Candidate):
    """A distribution importlib-metadata found; whether it has metadata is its own test."""

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


#: What importlib-metadata's ``read_text`` takes for "no such file".
_MISSING = (FileNotFoundError, IsADirectoryError, KeyError, NotADirectoryError, PermissionError)


class PathDistCandidate(_FromImportlib):
    """A distribution in a zip file or an egg on ``sys.path``. Found by importlib-metadata,
    read with the fast scan's bounds: a zip member is decompressed only up to the limit, a
    file of an unzipped egg is read as :mod:`gini_host.kernel.metadata_files` reads any."""

    __slots__ = ("folder", "headers")

    def __init__(self, key: str, version: str, path: str, dist: Any, headers: Any) -> None:
        super().__init__(key, version, path, dist)
        self.folder = os.path.basename(path.rstrip("/"))
        self.headers: dict[str, list[str]] | None = headers

    def file(self, filename: str) -> str:
        """The path of one of its metadata files, for messages."""
        return self.path.rstrip("/") + "/" + filename

    def read(self, filename: str, limit: int, *, headers: bool = False) -> bytes | None:
        """The bytes of one of its metadata files (None when there is none); with
        ``headers``, only up to the end of the headers. Raises :class:`Refused`."""
        member = self.dist.locate_file(f"{self.folder}/{filename}")
        until = metadata_files.HEADER_ENDS if headers else ()
        if isinstance(member, pathlib.PurePath):  # an unzipped egg
            read = metadata_files.read_file(str(member), limit, until=until)
            return None if read is None else read[0]
        try:
            with member.open("rb") as stream:
                data: bytes = stream.read(limit + 1)
        except _MISSING:
            return None
        if len(data) > limit and not any(end in data for end in until):
            raise Refused(str(member), f"larger than {limit} bytes")
        return data

    def read_headers(self) -> dict[str, list[str]] | None:
        """Its METADATA (else PKG-INFO) headers, read once."""
        if self.headers is None:
            for filename in ("METADATA", "PKG-INFO"):
                data = self.read(filename, metadata_files.HEADERS_LIMIT, headers=True)
                if data is not None:
                    self.headers = metadata_files.headers_of(data, self.file(filename))
                    break
        return self.headers

    def read_group(self, group: str, stamps: list[Any] | None) -> Sequence[tuple[str, str]]:
        try:
            data = self.read("entry_points.txt", metadata_files.ENTRY_POINTS_LIMIT)
            return metadata_files.parse_group(data.decode("utf-8"), group) if data else ()
        except (Refused, UnicodeDecodeError, OSError) as exc:
            logger.debug("discovery: skipped the entry points of {}: {!r}", self.path, exc)
            return ()

    def facts(self) -> Facts:
        try:
            headers = self.read_headers() or {}
            requires = tuple(headers.get("Requires-Dist", ()))
            if not requires:
                data = self.read("requires.txt", metadata_files.ENTRY_POINTS_LIMIT)
                if data is not None:
                    requires = metadata_files.parse_egg_requires(data, self.file("requires.txt"))
        except (Refused, OSError) as exc:
            problem = f"metadata file refused: {exc}"
            return Facts(self.key, self.version, "", (), problem, self.has_metadata())
        return self.facts_from(headers, requires, self.has_metadata())


class DistCandidate(_FromImportlib):
    """A distribution a custom finder on ``sys.meta_path`` provides, read through the
    Distribution API (a provider may override how its files are read)."""

    __slots__ = ()

    def read_group(self, group: str, stamps: list[Any] | None) -> Sequence[tuple[str, str]]:
        try:
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
            meta = dist.metadata
            found = {k: meta[k] for k in ("Name", "Version", "Summary") if k in meta}
            requires = tuple(meta.get_all("Requires-Dist") or dist.requires or ())
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


def _path_candidate(dist: Any, entry: str) -> PathDistCandidate | None:
    """A distribution in a zip file or an egg. importlib-metadata names it by its folder's
    name, or (a zip member's path ends with "/", so it has no such name; an egg's
    ``EGG-INFO`` neither) by the Name in its metadata; None (logged) when it has none, where
    importlib-metadata would raise for the whole listing. Metadata the host refuses (too
    large) names it by its folder, and its plugin is listed as failed with the reason."""
    path = str(dist)
    name, version = stem_name_version(os.path.basename(path))
    candidate = PathDistCandidate("", version, path, dist, None)
    if candidate.version == "" and path.endswith("/"):
        candidate.version = stem_name_version(candidate.folder)[1]
    if name is not None:
        candidate.key = normalize(name)
        return candidate
    try:
        headers = candidate.read_headers()
    except (Refused, OSError) as exc:
        # Named by its folder, so that its plugin is listed as failed, saying why.
        folder_name = stem_name_version(candidate.folder)[0]
        if folder_name is None:
            logger.debug("discovery: skipped {}: {}", path, exc)
            return None
        candidate.key = normalize(folder_name)
        return candidate
    if not headers or "Name" not in headers:
        logger.debug("discovery: skipped {}: no Name in its metadata", path)
        return None
    candidate.key = normalize(headers["Name"][0])
    return candidate


def _candidate(dist: Any, where: str) -> Candidate | None:
    """A distribution a custom finder yielded; None (logged) when it cannot even be named,
    where importlib-metadata would raise for the whole listing."""
    import importlib.metadata

    import importlib_metadata

    try:
        if isinstance(dist, importlib.metadata.PathDistribution):
            # As importlib-metadata's discovery adapts a standard library one (localize.dist).
            dist = importlib_metadata.PathDistribution(getattr(dist, "_path"))  # noqa: B009
        if type(dist) is importlib_metadata.PathDistribution:
            return _path_candidate(dist, where)
        # The key importlib-metadata's own _unique uses (underscores for our dashes).
        key = str(dist._normalized_name).replace("_", "-")
        return DistCandidate(key, str(dist.version), f"{where}: {dist}", dist)
    except Exception as exc:
        logger.debug("discovery: skipped a distribution from {}: {!r}", where, exc)
        return None


def path_entry_candidates(entry: str) -> list[Candidate]:
    """The distributions importlib-metadata's path finder finds in one ``sys.path`` entry
    (a zip file, an egg)."""
    import importlib_metadata

    context = _context([entry])
    found = importlib_metadata.MetadataPathFinder.find_distributions(context)
    return [c for c in (_path_candidate(d, entry) for d in found) if c is not None]


def _context(paths: list[str]) -> Any:
    """importlib-metadata's search context for ``paths`` (all names)."""
    import importlib_metadata

    make: Any = importlib_metadata.DistributionFinder.Context
    return make(path=paths)


def _is_path_finder(finder: object) -> bool:
    """The standard library's path finder, or an importlib-metadata's (a vendored copy, as in
    setuptools, installs one too): what they find is ``sys.path``'s, which discovery reads
    itself. A second one only finds again what the first found, which changes no answer."""
    if finder is importlib.machinery.PathFinder:
        return True
    kind = type(finder)
    return kind.__name__ == "MetadataPathFinder" and kind.__module__.rpartition(".")[2] in (
        "importlib_metadata",
        "metadata",
    )


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
