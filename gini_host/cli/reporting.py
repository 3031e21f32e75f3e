"""``gini-host report RUN [-o FILE]``: a recorded run as one self-contained HTML page.

It reads the run document from the history (as ``runs show RUN --json`` does, without booting
a plugin) and renders it with :func:`gini_host.report.render_report`, imported only here: the
renderer costs nothing to commands that do not report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import click

from gini_host.cli import output
from gini_host.cli.session import CliSession, pass_session

__all__ = ["COMMANDS", "default_report_path", "write_page"]

#: Characters kept from a run id in the default file name; anything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@click.command("report", short_help="Write a recorded run's report as one HTML file.")
@click.argument("run_ref", metavar="RUN")
@click.option(
    "-o",
    "--output",
    "target",
    metavar="FILE",
    help="Where to write the page (default: ./gini-report-<run_id>.html).",
)
@pass_session
def report_command(session: CliSession, run_ref: str, target: str | None) -> None:
    """Write the report of run RUN (a run id, a unique prefix of one, or 'last') and print
    the file's path.

    One self-contained HTML file (no network needed to view it): the stage graph coloured by
    status, a timeline of every attempt, the summary table, each error with its traceback and
    each stage's log lines.
    """
    from gini_host.cli.history import run_document
    from gini_host.report import render_report

    doc = run_document(session, run_ref)
    path = Path(target) if target is not None else default_report_path(str(doc["run_id"]))
    write_page(path, render_report(doc))
    output.echo(str(path))


def default_report_path(run_id: str) -> Path:
    """``gini-report-<run_id>.html`` in the working directory."""
    return Path(f"gini-report-{_UNSAFE.sub('_', run_id)}.html")


def write_page(path: Path, page: str) -> None:
    """Write ``page`` to ``path`` whole or not at all: into a temporary file beside it, then
    renamed over it, so a failure (disk full, no permission) leaves no half page and an
    existing file as it was. A path that cannot be written is bad input (exit 2)."""
    import tempfile  # here: the command line's start-up does not pay for it

    from gini_host.errors import OutputPathError

    if path.is_dir():
        raise OutputPathError(path, "it is a directory")
    directory = path.parent
    try:
        handle, scratch = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputPathError(path, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), 0o644)  # a report is for sharing, unlike mkstemp's 0600
            stream.write(page)
        os.replace(scratch, path)
    except OSError as exc:
        Path(scratch).unlink(missing_ok=True)
        raise OutputPathError(path, exc.strerror or str(exc)) from None


COMMANDS: Sequence[click.Command] = (report_command,)
