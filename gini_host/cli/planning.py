"""``gini-host show | validate | graph``: plans, without running anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from gini_host.cli import output
from gini_host.cli.listing import json_option
from gini_host.cli.session import CliSession, pass_session

if TYPE_CHECKING:
    from gini_host.stages.pipeline import Pipeline

__all__ = ["COMMANDS", "to_dot", "to_mermaid"]

#: Formats one edge: (required stage, stage that requires it) -> a line.
EdgeFormat = Callable[[str, str], str]

targets_argument = click.argument("targets", metavar="TARGET...", nargs=-1, required=True)


@click.command("show", short_help="The plan: order, parallel layers, why each stage.")
@targets_argument
@json_option
@pass_session
def show_command(session: CliSession, targets: tuple[str, ...], as_json: bool) -> None:
    """The plan: stages in order, in layers that may run in parallel, and why each is in."""
    pipeline = session.open_host().plan(targets)
    if as_json:
        output.emit_json(output.plan_json(pipeline))
        return
    head = output.styled(pipeline.name, bold=True)
    output.echo(f"{head}: {pipeline.description}" if pipeline.description else head)
    layers = len(pipeline.layers)
    output.echo(
        f"{len(pipeline)} stage(s) in {layers} layer(s); stages in one layer may run in parallel"
    )
    for number, layer in enumerate(pipeline.layers, start=1):
        output.echo()
        output.echo(output.styled(f"layer {number}", bold=True))
        rows = [[sid, pipeline.stages[sid].plugin or "-", pipeline.why(sid)] for sid in layer]
        output.echo(output.table([], rows, indent=2))


@click.command("validate", short_help="Check a plan; exit 2 listing every problem.")
@targets_argument
@pass_session
def validate_command(session: CliSession, targets: tuple[str, ...]) -> None:
    """Check that the targets make a valid plan; exit 2 listing every problem found."""
    from gini_host.errors import PipelineError, UsageError

    host = session.open_host()
    problems: list[str] = []
    # Each target alone first: one unknown target must not hide another target's cycle.
    for target in targets:
        try:
            host.plan([target])
        except PipelineError as exc:
            problems.extend(f"{target}: {p}" for p in exc.problems)
        except UsageError as exc:
            problems.append(f"{target}: {exc}")
    if not problems:
        try:
            pipeline = host.plan(targets)
        except PipelineError as exc:
            problems.extend(str(p) for p in exc.problems)
        else:
            output.echo(
                f"ok: {' '.join(targets)}: {len(pipeline)} stage(s) in "
                f"{len(pipeline.layers)} layer(s)"
            )
            return
    problems = list(dict.fromkeys(problems))
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  - {p}" for p in problems)
    raise UsageError(f"{' '.join(targets)}: {len(problems)} {noun}:\n{lines}")


@click.command("graph", short_help="The plan's graph as Mermaid or Graphviz dot.")
@targets_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid (paste into a Markdown file or mermaid.live) or Graphviz dot.",
)
@pass_session
def graph_command(session: CliSession, targets: tuple[str, ...], fmt: str) -> None:
    """The plan's dependency graph as text a renderer accepts; arrows point to dependents."""
    pipeline = session.open_host().plan(targets)
    click.echo(to_dot(pipeline) if fmt == "dot" else to_mermaid(pipeline))


def to_mermaid(pipeline: Pipeline) -> str:
    """A ``flowchart LR``; node ids are generated since stage ids hold ``::`` and dashes."""
    node = {sid: f"s{i}" for i, sid in enumerate(pipeline.stages)}
    lines = ["flowchart LR"]
    for sid in pipeline.stages:
        label = sid.replace('"', "#quot;")
        lines.append(f'    {node[sid]}["{label}"]')
    lines.extend(_edges(pipeline, lambda a, b: f"    {node[a]} --> {node[b]}"))
    targets = ",".join(node[t] for t in pipeline.targets if t in node)
    if targets:
        lines.append("    classDef target stroke-width:3px")
        lines.append(f"    class {targets} target")
    return "\n".join(lines)


def to_dot(pipeline: Pipeline) -> str:
    """A Graphviz ``digraph``; targets drawn with a double border."""
    lines = [f"digraph {_dot_id(pipeline.name)} {{", "    rankdir=LR;", "    node [shape=box];"]
    for sid in pipeline.stages:
        extra = " peripheries=2" if sid in pipeline.targets else ""
        lines.append(f"    {_dot_id(sid)} [label={_dot_id(sid)}{extra}];")
    lines.extend(_edges(pipeline, lambda a, b: f"    {_dot_id(a)} -> {_dot_id(b)};"))
    lines.append("}")
    return "\n".join(lines)


def _edges(pipeline: Pipeline, line: EdgeFormat) -> list[str]:
    """One line per requirement, from the required stage to the one that requires it."""
    return [line(dep, sid) for sid, deps in pipeline.requires.items() for dep in deps]


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


COMMANDS: Sequence[click.Command] = (show_command, validate_command, graph_command)
