"""``gini-host report RUN [-o FILE]``: a recorded run as one self-contained HTML page.

It reads the run document from the history (as ``runs show RUN --json`` does, without booting
a plugin) and renders it with :func:`gini_host.report.render_report`, imported only here: the
renderer costs nothing to commands that do not report.
"""

from __future__ import annotations

import errno
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
    if write_page(path, render_report(doc)):
        output.echo(str(path))


def default_report_path(run_id: str) -> Path:
    """``gini-report-<run_id>.html`` in the working directory."""
    return Path(f"gini-report-{_UNSAFE.sub('_', run_id)}.html")


def write_page(path: Path, page: str) -> bool:
    """Write ``page`` to ``path`` whole or not at all: into a temporary file beside it, then
    renamed over it, so a failure (disk full, no permission) leaves no half page and an
    existing file as it was. A path that cannot be written is bad input (exit 2).

    Only a regular file (or a new one) is replaced, and through a symbolic link it is the file
    the link points at: renaming over ``/dev/null``, ``/dev/stdout`` or a FIFO would put a
    plain file in its place (as root, in ``/dev`` too). Those are written through instead, and
    False is returned: there is no file whose path is worth printing.
    """
    import stat

    from gini_host.errors import OutputPathError

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputPathError(path, exc.strerror or str(exc)) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputPathError(path, "it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        _write_through(path, page)
        return False
    _replace(Path(os.path.realpath(path)), page, shown=path)
    return True


def _replace(path: Path, page: str, shown: Path) -> None:
    """The page into a temporary file in ``path``'s directory, then renamed over ``path``."""
    import tempfile  # here: the command line's start-up does not pay for it

    from gini_host.errors import OutputPathError

    try:
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputPathError(shown, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), 0o644)  # a report is for sharing, unlike mkstemp's 0600
            stream.write(page)
        os.replace(scratch, path)
    except OSError as exc:
        Path(scratch).unlink(missing_ok=True)
        raise OutputPathError(shown, exc.strerror or str(exc)) from None


def _write_through(path: Path, page: str) -> None:
    """The page written into a device, FIFO or socket as it is. Opened without blocking, so
    a FIFO nobody reads is an error rather than a host that waits forever; written blocking."""
    from gini_host.errors import OutputPathError

    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        reason = "nothing reads from it" if exc.errno == errno.ENXIO else exc.strerror
        raise OutputPathError(path, reason or str(exc)) from None
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "wb", closefd=False) as stream:
            stream.write(page.encode("utf-8"))
    except OSError as exc:
        raise OutputPathError(path, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


COMMANDS: Sequence[click.Command] = (report_command,)
