"""Index tests write real distributions with ``plugin_dist`` and keep the index in a cache
directory of their own (``XDG_CACHE_HOME``), so the user's real cache is never touched."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gini_host.kernel import discovery, index
from gini_host.kernel.discovery import Installed
from gini_host.testing import PluginDists


@pytest.fixture
def cache_home(plugin_dist: PluginDists, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's ``XDG_CACHE_HOME`` (plugin_dist restores the environment afterwards).

    Stamps of files written a moment ago are "racy" and would never be stored; tests change
    files on purpose right before scanning, so the window is closed here.
    """
    home = tmp_path / "xdg-cache"
    os.environ["XDG_CACHE_HOME"] = str(home)
    os.environ.pop(index.NO_CACHE_ENV, None)
    monkeypatch.setattr(index, "RACY_WINDOW_NS", 0)
    return home


@pytest.fixture
def site(plugin_dist: PluginDists, cache_home: Path) -> PluginDists:
    """The distribution factory, with the index isolated and trusted."""
    return plugin_dist


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Records every real scan (a call that did not come from the index)."""
    calls: list[tuple[str, ...]] = []
    real = discovery._scan

    def counting(paths: Any, stamps: Any, finders: Any) -> Installed:
        calls.append(tuple(paths))
        return real(paths, stamps, finders)

    monkeypatch.setattr(discovery, "_scan", counting)
    return calls


@pytest.fixture
def scan_site(site: PluginDists) -> Callable[..., Installed]:
    """``scan`` of only this test's site directory."""

    def run(**options: Any) -> Installed:
        return discovery.scan([str(site.site)], **options)

    return run


@pytest.fixture
def capture_debug() -> Iterator[list[str]]:
    """The messages logged (debug level and up) while the test runs."""
    from loguru import logger

    messages: list[str] = []
    handler = logger.add(lambda m: messages.append(str(m)), level="DEBUG", format="{message}")
    try:
        yield messages
    finally:
        logger.remove(handler)
