"""A custom finder on ``sys.meta_path`` that misbehaves costs only what it provides: the
plugins on ``sys.path`` are still discovered (issue 15; such a finder may come from any
package of the environment)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import importlib_metadata
import pytest

from gini_host.kernel.discovery import IndexMode, scan
from gini_host.testing import PluginDists


class _Broken(importlib_metadata.Distribution):
    """A distribution whose every read raises."""

    def read_text(self, filename: Any) -> str | None:
        raise OSError(f"cannot read {filename}")

    def locate_file(self, path: Any) -> Any:
        return path


class _Finder:
    def __init__(self, provide: Any) -> None:
        self.provide = provide

    def find_spec(self, *args: Any) -> None:
        return None

    def find_distributions(self, context: Any = None) -> Any:
        return self.provide()


@pytest.fixture
def meta_path() -> Iterator[list[object]]:
    saved = sys.meta_path[:]
    try:
        yield sys.meta_path
    finally:
        sys.meta_path[:] = saved


def _raise() -> Any:
    raise RuntimeError("finder broke")


@pytest.mark.parametrize(
    "provide",
    [_raise, lambda: [_Broken()], lambda: [object()], lambda: 42],
    ids=["find_distributions raises", "its distribution cannot be read", "not a distribution", "not iterable"],
)
def test_a_broken_custom_finder_costs_only_its_own_plugins(
    provide: Any, plugin_dist: PluginDists, meta_path: list[object]
) -> None:
    """The plugins on the path are found whatever a custom finder does wrong."""
    plugin_dist("good")
    meta_path.insert(0, _Finder(provide))
    found = scan([str(plugin_dist.site)], mode=IndexMode.USE)
    assert [e.name for e in found.entry_points] == ["good"]


def test_a_vendored_importlib_metadata_path_finder_is_not_a_custom_finder(
    plugin_dist: PluginDists, meta_path: list[object]
) -> None:
    """A vendored importlib-metadata (setuptools has one) installs its own path finder; it
    finds what sys.path holds, so the index stays in use."""
    from gini_host.kernel import importlib_candidates

    vendored = type("MetadataPathFinder", (), {"find_distributions": lambda self, c=None: []})
    vendored.__module__ = "setuptools._vendor.importlib_metadata"
    meta_path.append(vendored())
    assert importlib_candidates.custom_finders() is None
