"""The end-of-run summary as plain text, for logs and CI rather than a terminal.

One line per stage (stage, status, duration, attempts, and the error or reason when it fits
in :data:`WIDTH` columns); a longer error or reason goes whole on the next line, indented,
never folded into a narrow column. The last line says how the run ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from gini_host.naming import printable

if TYPE_CHECKING:
    from gini_host.stages.results import PipelineResult

__all__ = ["WIDTH", "plain_summary", "seconds", "title"]

#: A row longer than this puts its error or reason on the next line.
WIDTH: Final = 100
_INDENT: Final = "    "
_HEADERS: Final = ("stage", "status", "duration", "attempts", "error / reason")


def seconds(value: float) -> str:
    """``0.25s``, ``1m04.2s``: a stage's duration."""
    if value >= 60:
        minutes, secs = divmod(value, 60)
        return f"{int(minutes)}m{secs:04.1f}s"
    return f"{value:.2f}s"


def title(result: PipelineResult) -> str:
    """``NAME: STATUS (counts) in TIME, run ID``."""
    counts = ", ".join(f"{n} {status}" for status, n in result.counts().items())
    return (
        f"{printable(result.pipeline)}: {result.status} ({counts}) in {seconds(result.duration)}, "
        f"run {result.run_id}"
    )


def plain_summary(result: PipelineResult) -> str:
    """The summary of ``result`` as aligned lines without colour."""
    rows = [
        (
            printable(sid),  # what a plugin wrote is shown, never obeyed (escape sequences)
            r.status.value,
            seconds(r.duration) if r.attempts else "-",
            str(r.attempts) if r.attempts else "-",
            printable(r.detail) if r.detail else "",
        )
        for sid, r in result.items()
    ]
    widths = [max(len(row[i]) for row in [_HEADERS, *rows]) for i in range(4)]

    def cells(row: tuple[str, ...]) -> str:
        left = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        right = [row[2].rjust(widths[2]), row[3].rjust(widths[3])]
        return "  ".join(left + right)

    lines = [f"{cells(_HEADERS)}  {_HEADERS[4]}"]
    for row in rows:
        line, detail = cells(row), row[4]
        if not detail:
            lines.append(line.rstrip())
        elif len(line) + 2 + len(detail) <= WIDTH:
            lines.append(f"{line}  {detail}")
        else:
            lines.append(line.rstrip())
            lines.append(_INDENT + detail)
    lines.append(title(result))
    return "\n".join(lines)
