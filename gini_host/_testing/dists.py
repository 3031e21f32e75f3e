"""Installed plugin distributions written for a test: what ``plugin_dist`` builds.

Each distribution is what pip would have installed (a dist-info folder with METADATA,
entry_points.txt and RECORD, next to the plugin's module) in one per-test ``site``
directory on ``sys.path``, so discovery, requirements and ordering are tested for real.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from gini_host.kernel.discovery import ENTRY_POINT_GROUP

__all__ = ["PluginDist", "PluginDists", "Snapshot"]


def _module_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _dist_dir_name(dist: str, version: str) -> str:
    # The installer's normalisation: runs of -_. become one underscore.
    return f"{re.sub(r'[-_.]+', '_', dist)}-{version}.dist-info"


@attrs.define
class PluginDist:
    """One distribution written by :class:`PluginDists`."""

    name: str
    distribution: str
    version: str
    module: str
    site: Path
    dist_info: Path

    @property
    def entry_points_file(self) -> Path:
        return self.dist_info / "entry_points.txt"

    def uninstall(self) -> None:
        """Remove the distribution and its module, as ``pip uninstall`` would."""
        for path in (self.dist_info, self.site / self.module, self.site / f"{self.module}.py"):
            if path.is_dir():
                for child in sorted(path.rglob("*"), reverse=True):
                    child.unlink() if child.is_file() else child.rmdir()
                path.rmdir()
            elif path.exists():
                path.unlink()
        sys.modules.pop(self.module, None)
        importlib.invalidate_caches()


class PluginDists:
    """Factory fixture: ``plugin_dist(name, source=..., version=..., requires=...)``.

    Every distribution goes into one ``site`` directory per test (like site-packages),
    prepended to ``sys.path``; give ``site`` to subprocesses through ``PYTHONPATH``.
    """

    def __init__(self, site: Path) -> None:
        self.site = site
        self.written: list[PluginDist] = []

    def __call__(
        self,
        name: str,
        source: str = "",
        version: str = "0.1.0",
        requires: Sequence[str] = (),
        entry_points: Mapping[str, Mapping[str, str]] | None = None,
        *,
        distribution: str | None = None,
        module: str | None = None,
        summary: str = "",
    ) -> PluginDist:
        """Write distribution ``distribution`` (default ``name``) holding module ``module``
        (default ``name`` made an identifier) with ``source``; by default one entry point
        ``name = module`` in the ``gini_host.plugins`` group."""
        dist = distribution or name
        mod = module or _module_name(name)
        if entry_points is None:
            entry_points = {ENTRY_POINT_GROUP: {name: mod}}
        (self.site / f"{mod}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = self.site / _dist_dir_name(dist, version)
        info.mkdir(exist_ok=True)
        meta = [
            "Metadata-Version: 2.1",
            f"Name: {dist}",
            f"Version: {version}",
            f"Summary: {summary}",
            *(f"Requires-Dist: {r}" for r in requires),
        ]
        (info / "METADATA").write_text("\n".join(meta) + "\n\n", encoding="utf-8")
        eps = []
        for group, items in entry_points.items():
            eps.append(f"[{group}]")
            eps.extend(f"{k} = {v}" for k, v in items.items())
            eps.append("")
        (info / "entry_points.txt").write_text("\n".join(eps), encoding="utf-8")
        (info / "INSTALLER").write_text("gini-host-testing\n", encoding="utf-8")
        record = [
            f"{mod}.py,,",
            *(
                f"{info.name}/{f},,"
                for f in ("METADATA", "entry_points.txt", "INSTALLER", "RECORD")
            ),
        ]
        (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
        sys.modules.pop(mod, None)
        importlib.invalidate_caches()
        written = PluginDist(name, dist, version, mod, self.site, info)
        self.written.append(written)
        return written


@attrs.define
class Snapshot:
    """What a test may change and must get back."""

    path: list[str]
    modules: set[str]
    environ: dict[str, str]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(list(sys.path), set(sys.modules), dict(os.environ))

    def restore(self, site: Path) -> None:
        """Undo: only modules imported from ``site`` are dropped, so the host's own modules
        (imported lazily during a test) keep their identity for later tests."""
        sys.path[:] = self.path
        root = str(site) + os.sep  # with the separator: site1 is not inside site10
        for name in set(sys.modules) - self.modules:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file.startswith(root):
                del sys.modules[name]
        os.environ.clear()
        os.environ.update(self.environ)
        importlib.invalidate_caches()
