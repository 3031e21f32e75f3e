"""The reliability suite: hostile plugins (``plugins.py``) against the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gini_host.testing import PluginDists

from .plugins import BOOT_HOSTILES, GOOD, object_entry_point


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user index, config or autoload setting leaks in; the bundled plugins stay out of
    the way (tests name the plugins they load, or install only hostile ones)."""
    monkeypatch.setenv("GINI_HOST_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GINI_HOST_CONFIG", raising=False)
    monkeypatch.delenv("GINI_HOST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def hostiles(plugin_dist: PluginDists) -> list[str]:
    """Every boot-time hostile plugin installed next to a good one; returns their names."""
    plugin_dist("h-good", GOOD)
    for name, (source, is_object) in BOOT_HOSTILES.items():
        plugin_dist(name, source, entry_points=object_entry_point(name) if is_object else None)
    return ["h-good", *BOOT_HOSTILES]
