"""``gini-host check | new-plugin``: commands for plugin authors (``docs/plugin-guide.md``)."""

from __future__ import annotations

from pathlib import Path

import click

from gini_host.cli import output
from gini_host.errors import ExitCode

__all__ = ["COMMANDS"]


@click.command("check")
@click.argument("target", metavar="PLUGIN|DISTRIBUTION|MODULE")
def check_command(target: str) -> None:
    """Problems gini-host can find in a plugin, one per line; exit 1 when there are any.

    The target is an installed plugin's name, its distribution's name or an importable
    module (module:attr too). Checked: hooks not marked with @hookimpl, unknown hook names,
    arguments a hook does not pass, stage requires that point nowhere (a host of the
    installed plugins is booted to know), and the distribution's gini-host requirement. An
    unknown name exits 2.
    """
    # No session host: the check boots its own, with the plugin and what -p, --no-autoload
    # and the config select (a plugin they leave out is not imported, not even to check it).
    from gini_host.authoring.checks import PluginChoices, check_plugin
    from gini_host.cli.session import CliSession

    session = click.get_current_context().find_object(CliSession)
    options = session.options if session is not None else None
    choices = PluginChoices(
        config_path=options.config if options else None,
        enable=options.enable if options else (),
        disable=options.disable if options else (),
        autoload=options.autoload if options else None,
    )
    problems = check_plugin(target, choices=choices)
    for line in problems:
        output.echo(line)
    if problems:
        click.get_current_context().exit(ExitCode.FAILED)
    output.echo(f"{target}: no problems found", err=True)


@click.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder to create (default: ./gini-NAME).",
)
def new_plugin_command(name: str, directory: Path | None) -> None:
    """Write a ready plugin project NAME: pyproject, a module with stages and a preflight,
    and tests using gini-host's harness. Then: pip install -e DIR && pytest DIR."""
    from gini_host.authoring.scaffold import new_plugin, project_names

    root = directory if directory is not None else Path(project_names(name)[0])
    for path in new_plugin(name, root):
        output.echo(str(path))
    output.echo(f"next: pip install -e {root} && python -m pytest {root}", err=True)


COMMANDS = (check_command, new_plugin_command)
