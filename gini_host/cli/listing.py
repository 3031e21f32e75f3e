"""``gini-host plugins | stages | pipelines``: what is installed, and what became of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from gini_host.cli import output
from gini_host.cli.session import CliSession, pass_session
from gini_host.naming import printable

__all__ = ["COMMANDS", "json_option"]

F = TypeVar("F", bound=Callable[..., Any])


def json_option(function: F) -> F:
    """``--json``: machine-readable output with the shape documented in docs/operators.md."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (shape: gini-host help operators)."
    )(function)


@click.command("plugins", short_help="Discovered plugins in load order: status and why.")
@json_option
@pass_session
def plugins_command(session: CliSession, as_json: bool) -> None:
    """Every discovered plugin in load order, with its status and why.

    With -v: the hooks each implements, its entry point, and a failed import's traceback.
    """
    host = session.open_host()
    if as_json:
        output.emit_json([output.plugin_json(p) for p in host.plugins])
        return
    rows = [
        [
            printable(p.name),
            printable(p.version or "-"),
            printable(p.distribution or "-"),
            output.styled(p.status.value, p.status.value),
            printable(p.reason or ""),
        ]
        for p in host.plugins
    ]
    headers = ["name", "version", "distribution", "status", "reason"]
    if not session.verbose:
        output.echo(output.table(headers, rows))
        return
    lines = output.table_lines(headers, rows)
    output.echo(lines[0])
    for p, line in zip(host.plugins, lines[1:], strict=True):
        output.echo(line)
        output.echo(f"    entry point: {p.entry_point or '-'}")
        output.echo(f"    hooks: {', '.join(p.hooks) or '-'}")
        if p.traceback:
            output.echo("    " + p.traceback.rstrip().replace("\n", "\n    "))


@click.command("stages", short_help="Registered stages; filter with --tag, --plugin.")
@click.option("--tag", metavar="T", help="Only stages with tag T.")
@click.option("--plugin", metavar="P", help="Only stages of plugin P.")
@json_option
@pass_session
def stages_command(session: CliSession, tag: str | None, plugin: str | None, as_json: bool) -> None:
    """Every registered stage (id plugin::name), optionally filtered by tag or plugin."""
    host = session.open_host()
    stages = host.stages
    if plugin is not None:
        _check_known(plugin, [p.name for p in host.plugins], "plugin")
        stages = [s for s in stages if s.plugin == plugin]
    if tag is not None:
        _check_known(tag, sorted({t for s in host.stages for t in s.tags}), "tag")
        stages = [s for s in stages if tag in s.tags]
    if as_json:
        output.emit_json([output.stage_json(s) for s in stages])
        return
    rows = [[s.id, printable(", ".join(s.tags) or "-"), printable(s.description)] for s in stages]
    output.echo(output.table(["id", "tags", "description"], rows))
    if session.verbose:
        output.echo()
        for s in stages:
            output.echo(f"{s.id} requires: {', '.join(s.requires) or '-'}")


@click.command("pipelines", short_help="Named pipelines, from plugins and the config.")
@json_option
@pass_session
def pipelines_command(session: CliSession, as_json: bool) -> None:
    """Named pipelines, from plugins and from the config file."""
    host = session.open_host()
    specs = host.pipelines
    if as_json:
        output.emit_json([output.pipeline_json(s) for s in specs])
        return
    rows = [
        [
            printable(s.name),
            s.source or "-",
            printable(", ".join(s.stages)),
            printable(s.description),
        ]
        for s in specs
    ]
    output.echo(output.table(["name", "source", "stages", "description"], rows))


def _check_known(name: str, known: list[str], what: str) -> None:
    """An unknown filter value is a typo until proven otherwise: exit 2 with suggestions."""
    if name in known:
        return
    from gini_host.errors import UsageError
    from gini_host.naming import did_you_mean, suggest

    close = suggest(name, known)
    # Nothing close: the names there are, so the operator need not list them to find out.
    shown = ", ".join(printable(k) for k in sorted(set(known)))  # a plugin's text, escaped
    listed = "" if close or not known else f" (known: {shown})"
    raise UsageError(f"unknown {what} {name!r}{listed}{did_you_mean(close)}")


COMMANDS = (plugins_command, stages_command, pipelines_command)
