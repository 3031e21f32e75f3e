"""One start-up sample, run as a script in a fresh process: ``python _startup_probe.py KIND SITE``.

Prints the CPU seconds (then the wall seconds) the measured work took, timed inside the
process (CPU time: see ``docs/performance.md``), so interpreter start-up
and the imports every variant shares (``gini_host``, which the plugins import, and pluggy)
are outside the figure. What each variant must import on its own (``importlib.metadata``
for pluggy's loader, stevedore itself) is inside it. Every variant discovers over
``[SITE]``: the host and the floor are given that list; the peers, which always read
``sys.path``, get ``sys.path`` cut down to ``SITE`` and the standard library first.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from typing import Any

GROUP = "gini_host.plugins"
SECTION = f"[{GROUP}]"


def floor_scan(paths: list[str]) -> list[tuple[str, str]]:
    """The least a scan can do: list each folder, read each dist-info's entry_points.txt,
    keep our section's ``name = value`` lines."""
    found: list[tuple[str, str]] = []
    for entry in paths:
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            try:
                with open(os.path.join(entry, name, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            if SECTION not in text:
                continue
            inside = False
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("["):
                    inside = line == SECTION
                elif inside and "=" in line:
                    key, _, value = line.partition("=")
                    found.append((key.strip(), value.strip()))
    return found


def resolve(value: str) -> Any:
    """``module`` or ``module:attr.attr``, as entry points say."""
    module, _, attrs = value.partition(":")
    obj: Any = importlib.import_module(module.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def floor_load(paths: list[str]) -> int:
    """Floor of discovery + load: the scan, an import per plugin, a bare PluginManager."""
    import pluggy

    pm = pluggy.PluginManager("gini_host")
    for name, value in floor_scan(paths):
        pm.register(resolve(value), name=name)
    return len(pm.get_plugins())


def _only(site: str) -> None:
    """``sys.path`` as the peers should see it: the site, then the standard library."""
    stdlib = [p for p in sys.path if p and "-packages" not in p and p != sys.path[0]]
    sys.path[:] = [site, *stdlib]


def run(kind: str, site: str) -> Any:
    paths = [site]
    if kind == "floor":
        return floor_load(paths)
    if kind == "host":  # GINI_HOST_NO_CACHE=1 in the environment turns the index off
        from gini_host import Host

        host = Host(autoload=True, paths=paths).boot()
        count = len(host.active_plugins())
        host.shutdown()
        return count
    if kind == "pluggy":
        import pluggy

        _only(site)
        pm = pluggy.PluginManager("gini_host")
        return pm.load_setuptools_entrypoints(GROUP)
    if kind == "stevedore":
        import pluggy
        from stevedore import ExtensionManager

        _only(site)
        pm = pluggy.PluginManager("gini_host")
        for ext in ExtensionManager(GROUP, invoke_on_load=False):
            pm.register(ext.plugin, name=ext.name)
        return len(pm.get_plugins())
    if kind == "scan-floor":
        return len(floor_scan(paths))
    if kind.startswith("scan-"):
        from gini_host.kernel.discovery import IndexMode, scan

        mode = {"scan-cold": IndexMode.REFRESH, "scan-warm": IndexMode.USE}[kind]
        return len(scan(paths, mode=mode).entry_points)
    if kind == "importlib-metadata-package":
        # First, with what it imports on first use (lazily): not in the standard library, it
        # would silently find nothing in a zip once sys.path is cut down.
        import importlib_metadata
        import importlib_metadata._adapters
        import zipp.compat.overlay  # noqa: F401

        _only(site)

        return len(importlib_metadata.entry_points(group=GROUP))
    if kind == "importlib-metadata":
        _only(site)
        import importlib.metadata

        return len(importlib.metadata.entry_points(group=GROUP))
    raise SystemExit(f"unknown kind {kind!r}")


def main() -> None:
    kind, site = sys.argv[1], sys.argv[2]
    import pluggy  # noqa: F401  (shared by every variant: outside the figure)
    from loguru import logger

    # The host's own modules stay outside the figure, as they were while ``import gini_host``
    # imported the whole package (before issue 13 made its names lazy): these figures measure
    # discovery and loading, the light-import figures are in bench/startup.py.
    import gini_host.kernel.discovery
    import gini_host.kernel.host  # noqa: F401

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    cpu, wall = time.process_time(), time.perf_counter()
    result = run(kind, site)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{cpu:.9f} {wall:.9f} {result}")


if __name__ == "__main__":
    main()
