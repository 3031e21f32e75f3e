"""Hostile plugins at boot: sources for ``plugin_dist`` (``plugin_dist(name, SOURCE)``).

Each one does one thing a careless or hostile plugin author might, at boot (import, hooks,
``gini_add_commands``). A hang waits on an event nobody sets (it never returns; the host must
abandon it), never on a sleep. Plugins whose hook attribute is not a plain function are
objects: install them with ``entry_points=object_entry_point(name)``.
"""

from __future__ import annotations

from typing import Any

from gini_host.kernel.discovery import ENTRY_POINT_GROUP

GOOD = """
    from gini_host import hookimpl, stage

    @stage()
    def ok(ctx):
        return 1

    @hookimpl
    def gini_register_stages(host):
        return [ok]
"""



def dependent(stage: str) -> str:
    """A plugin with one stage ``stage``; install it with ``requires=[...]``: it must be
    disabled when what it requires fails."""
    return GOOD.replace("def ok(", f"def {stage}(").replace("[ok]", f"[{stage}]")

PRINTS_AT_IMPORT = """
    print("printed at import")
    from gini_host import hookimpl
"""

PRINTS_IN_EVERY_HOOK = """
    import click
    from gini_host import hookimpl, stage

    @stage()
    def quiet(ctx):
        return 2

    @hookimpl
    def gini_preflight(host):
        print("printed in preflight")

    @hookimpl
    def gini_plugin_init(host):
        print("printed in init")

    @hookimpl
    def gini_register_stages(host):
        print("printed in register_stages")
        return [quiet]

    @hookimpl
    def gini_add_commands(cli):
        print("printed in add_commands")

    @hookimpl
    def gini_shutdown(host):
        print("printed in shutdown")
"""

HANGS_AT_IMPORT = """
    import threading
    threading.Event().wait()
"""

HANGS_IN_PREFLIGHT = """
    import os, threading
    from gini_host import hookimpl

    @hookimpl
    def gini_preflight(host):
        marker = os.environ.get("HOSTILE_MARKER")
        if marker:
            open(marker, "w").close()
        threading.Event().wait()
"""

CTRL_C_AT_IMPORT = """
    raise KeyboardInterrupt("raised at import, not by a signal")
"""

CTRL_C_IN_PREFLIGHT = """
    from gini_host import hookimpl

    @hookimpl
    def gini_preflight(host):
        raise KeyboardInterrupt("raised by a plugin, not by a signal")
"""

EXITS_IN_INIT = """
    from gini_host import hookimpl

    @hookimpl
    def gini_plugin_init(host):
        raise SystemExit(4)
"""

RAISING_STR_IN_PREFLIGHT = """
    from gini_host import hookimpl

    class Nasty(Exception):
        def __str__(self):
            raise RuntimeError("no message for you")

    @hookimpl
    def gini_preflight(host):
        raise Nasty()
"""

PROPERTY_BOMB = """
    class Bomb:
        @property
        def gini_preflight(self):
            raise RuntimeError("property bomb")

    plugin = Bomb()
"""

GETATTR_BOMB = """
    class Bomb:
        def __dir__(self):
            return ["gini_preflight"]

        def __getattr__(self, name):
            raise RuntimeError(f"getattr bomb: {name}")

    plugin = Bomb()
"""

DIR_BOMB = """
    class Bomb:
        def __dir__(self):
            raise RuntimeError("dir bomb")

    plugin = Bomb()
"""

MANIFEST_PRIORITY_WORD = """
    from gini_host import PluginManifest, hookimpl

    @hookimpl
    def gini_manifest():
        return PluginManifest(priority="high")
"""

MANIFEST_PRIORITY_NONE = """
    from gini_host import PluginManifest, hookimpl

    @hookimpl
    def gini_manifest():
        return PluginManifest(priority=None)
"""

ADD_COMMANDS_RAISES = """
    from gini_host import hookimpl

    @hookimpl
    def gini_add_commands(cli):
        raise RuntimeError("boom")
"""

#: (source, is an object plugin): what the reliability suite installs side by side.
BOOT_HOSTILES: dict[str, tuple[str, bool]] = {
    "h-printer": (PRINTS_AT_IMPORT, False),
    "h-noisy": (PRINTS_IN_EVERY_HOOK, False),
    "h-ctrlc-import": (CTRL_C_AT_IMPORT, False),
    "h-ctrlc": (CTRL_C_IN_PREFLIGHT, False),
    "h-exits": (EXITS_IN_INIT, False),
    "h-nasty-str": (RAISING_STR_IN_PREFLIGHT, False),
    "h-property": (PROPERTY_BOMB, True),
    "h-getattr": (GETATTR_BOMB, True),
    "h-dir": (DIR_BOMB, True),
    "h-priority-word": (MANIFEST_PRIORITY_WORD, False),
    "h-priority-none": (MANIFEST_PRIORITY_NONE, False),
    "h-commands": (ADD_COMMANDS_RAISES, False),
}


def install_boot_hostiles(plugin_dist: Any) -> list[str]:
    """Install every boot-time hostile plugin next to a good one (``plugin_dist`` is the
    fixture); returns their names, the good one first."""
    plugin_dist("h-good", GOOD)
    for name, (source, is_object) in BOOT_HOSTILES.items():
        plugin_dist(name, source, entry_points=object_entry_point(name) if is_object else None)
    return ["h-good", *BOOT_HOSTILES]


def object_entry_point(name: str) -> dict[str, dict[str, str]]:
    """The entry point of a plugin whose module defines ``plugin = ...`` (an object)."""
    module = name.replace("-", "_")
    return {ENTRY_POINT_GROUP: {name: f"{module}:plugin"}}
