"""The ``gini-host`` console script: answer ``--version`` alone without loading the CLI.

``gini-host --version`` is what scripts and package managers run to probe an install; with
click and the command modules loaded it costs ~2.8x an empty interpreter (as ``--help`` does),
without them 1.14x (issue 13, docs/performance.md). Everything else goes to the click group.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from gini_host._version import __version__

__all__ = ["PROG_NAME", "main", "version_line"]

PROG_NAME = "gini-host"


def version_line() -> str:
    """What ``--version`` prints: click's ``version_option`` format, used by both paths."""
    return f"{PROG_NAME}, version {__version__}"


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``gini-host`` console script and ``python -m gini_host``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        sys.exit(0)
    from gini_host.cli.app import run

    run(args)
