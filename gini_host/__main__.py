"""``python -m gini_host``: the same as the ``gini-host`` console script.

``python -m`` puts the working directory first on ``sys.path``; the console script does not.
Left there, any package in the working directory would be imported as if installed, and a
distribution there would be discovered as a plugin: the same command would load different code
depending on where it was typed. So it goes, unless the operator put it there on purpose
(``PYTHONPATH`` entries come after it and are kept).
"""

import os
import sys


def _drop_working_directory() -> None:
    if sys.flags.safe_path or not sys.path:  # python -P already left it out
        return
    first = sys.path[0]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    if first == "" or (cwd is not None and os.path.abspath(first) == cwd):
        del sys.path[0]


if __name__ == "__main__":
    _drop_working_directory()
    from gini_host.cli import main

    main()
