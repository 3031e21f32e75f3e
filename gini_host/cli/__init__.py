"""The ``gini-host`` command line: a thin layer over :class:`gini_host.Host`.

``cli`` is the root click group (plugins add commands to it through ``gini_add_commands``);
``main`` is the console script; :func:`current_host` gives a plugin's command the booted host.
The operator guide ships with the package: ``gini-host help operators``.

The names resolve on first use (PEP 562), and ``main`` lives in a module that imports neither
click nor the commands, so ``gini-host --version`` imports almost nothing (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gini_host._lazy import lazy_names

if TYPE_CHECKING:
    from gini_host.cli.app import cli
    from gini_host.cli.console import main
    from gini_host.cli.session import current_host

#: Public name -> the module that defines it (imported when the name is first used).
_LAZY: dict[str, str] = {
    "cli": "gini_host.cli.app",
    "main": "gini_host.cli.console",
    "current_host": "gini_host.cli.session",
}

__all__ = ["cli", "current_host", "main"]

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
