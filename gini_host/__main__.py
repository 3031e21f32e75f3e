"""``python -m gini_host``: the same as the ``gini-host`` console script."""

from gini_host.cli import main

if __name__ == "__main__":
    main()
