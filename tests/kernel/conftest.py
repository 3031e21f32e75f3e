"""Kernel tests build real distributions with the ``plugin_dist`` fixture and discover only
the temporary site directory, so the bundled plugins installed in the venv stay out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gini_host import Host
from gini_host.testing import HostFactory, PluginDists


@pytest.fixture
def boot(plugin_dist: PluginDists, make_host: HostFactory) -> Callable[..., Host]:
    """A booted host discovering only this test's distributions."""

    def build(*plugins: object, **options: Any) -> Host:
        options.setdefault("autoload", True)
        options.setdefault("paths", [str(plugin_dist.site)])
        return make_host(*plugins, **options)

    return build


@pytest.fixture
def statuses() -> Callable[[Host], dict[str, tuple[str, str | None]]]:
    """Plugin name -> (status, reason), in load order."""

    def read(host: Host) -> dict[str, tuple[str, str | None]]:
        return {p.name: (p.status.value, p.reason) for p in host.plugins}

    return read
