"""The floor of a ``gini-host plugins --json`` process, run as a script.

Scan every ``sys.path`` entry for ``entry_points.txt``, import each plugin module, register
it in a bare pluggy PluginManager, print the names as JSON: what any plugin host must do.
The plugins import ``gini_host`` themselves, so its import is part of the floor too.
"""

from __future__ import annotations

import json
import sys

import pluggy
from _startup_probe import floor_scan, resolve


def main() -> None:
    pm = pluggy.PluginManager("gini_host")
    for name, value in floor_scan(sys.path):
        pm.register(resolve(value), name=name)
    print(json.dumps(sorted(name for name, _ in pm.list_name_plugin())))


if __name__ == "__main__":
    main()
