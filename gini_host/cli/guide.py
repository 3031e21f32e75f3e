"""``gini-host help [TOPIC]``: the guides that ship inside the package.

The ``--help`` footer has to point somewhere that exists wherever gini-host is installed;
``docs/`` is only in the repository, so the operator guide is package data too
(``gini_host/guides/``, kept equal to ``docs/operators.md`` by a test).
"""

from __future__ import annotations

from importlib import resources

import click

__all__ = ["COMMANDS", "GUIDES", "read_guide"]

#: Topic -> file in ``gini_host/guides`` (the source is ``docs/<file>`` in the repository).
GUIDES: dict[str, str] = {"operators": "operators.md"}


def read_guide(topic: str) -> str:
    """The text of the guide for ``topic`` as installed with the package."""
    return resources.files("gini_host").joinpath("guides", GUIDES[topic]).read_text("utf-8")


@click.command("help")
@click.argument("topic", type=click.Choice(sorted(GUIDES)), default="operators")
def help_command(topic: str) -> None:
    """Print a guide shipped with gini-host (Markdown); TOPIC defaults to operators.

    operators: install, gini.toml, every command, JSON shapes, exit codes, executors.
    """
    click.echo(read_guide(topic), nl=False)


COMMANDS = (help_command,)
