"""Distributions the fast scan does not read, through importlib-metadata itself: those in
zip files and eggs on ``sys.path``, and those custom finders on ``sys.meta_path`` provide
(issue 15). importlib-metadata is imported only here, and only when such a place exists:
start-up time is a feature.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from gini_host.kernel import metadata_files
from gini_host.kernel.candidates import Candidate, Facts, stem_name_version
from gini_host.logs import logger

__all__ = [
    "DistCandidate",
    "custom_finders",
    "finder_candidates",
    "path_entry_candidates",
]


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
            version = stem_name_version(os.path.basename(path))[1]
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
