"""The ``gini-host`` command line: a thin layer over :class:`gini_host.Host`.

``cli`` is the root click group (plugins add commands to it through ``gini_add_commands``);
``main`` is the console script; :func:`current_host` gives a plugin's command the booted host.
The operator guide is ``docs/operators.md``.
"""

from gini_host.cli.app import cli, main
from gini_host.cli.session import current_host

__all__ = ["cli", "current_host", "main"]
