"""The run report: one self-contained HTML page from a run document.

Everything the page needs is inline (stylesheet, script, SVG), so it opens from a file, a mail
attachment or an air-gapped machine. Every string taken from the document passes through
:func:`html.escape` (stage names, messages and log lines are plugin output: a stage named
``<script>`` is shown as text). The sections, top to bottom, answer an operator's questions in
the order they come: what ran and how it ended, what depends on what, where the time went,
each stage's outcome, why the failures failed, and what the stages said.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from gini_host._version import __version__
from gini_host.report.assets import SCRIPT, STYLESHEET
from gini_host.report.dag import dag_svg
from gini_host.report.document import (
    STATUSES,
    UNKNOWN,
    RunView,
    StageView,
    format_duration,
    format_time,
    read_run,
    shorten,
    status_class,
)
from gini_host.report.timeline import timeline_svg

__all__ = ["render_report"]

_RUN_STATUSES = ("succeeded", "failed", "cancelled", "interrupted", "running")
_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
#: A value longer than this is cut in the table (its tooltip holds more).
_VALUE_CHARS = 80


def render_report(doc: Mapping[str, Any]) -> str:
    """The report page for ``doc`` (the RUN_DOC contract, as ``runs show RUN --json`` prints).

    Malformed fields read as unknown rather than failing: a report of a damaged record is
    still more useful than none.
    """
    run = read_run(doc)
    anchors = {stage.stage_id: f"stage-{i}" for i, stage in enumerate(run.stages, start=1)}
    title = f"{run.run_id} · {run.status} · gini-host run report"
    body = "".join(
        [
            _header(run),
            _graph_section(run, anchors),
            _timeline_section(run),
            _summary_section(run, anchors),
            _errors_section(run, anchors),
            _logs_section(run, anchors),
            _footer(run),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="generator" content="gini-host {escape(__version__)}">'
        f"<title>{escape(title)}</title><style>{STYLESHEET}</style></head>"
        f"<body><main>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )


def _badge(status: str, css: str | None = None) -> str:
    return (
        f'<span class="badge st-{css or status_class(status)}" data-status="{escape(status)}">'
        f"{escape(status.replace('_', ' '))}</span>"
    )


def _header(run: RunView) -> str:
    run_css = run.status if run.status in _RUN_STATUSES else "other"
    executor = run.executor or UNKNOWN
    if run.jobs:
        executor += f" ({run.jobs} jobs)" if run.jobs > 1 else " (1 job)"
    facts = [
        ("Targets", ", ".join(run.targets) or UNKNOWN),
        ("Started", format_time(run.started_at)),
        ("Duration", format_duration(run.duration)),
        ("Executor", executor),
        ("Resumed from", run.resumed_from or UNKNOWN),
    ]
    if run.dry_run:
        facts.append(("Mode", "dry run (no stage body executed)"))
    items = "".join(
        f'<div><dt>{escape(k)}</dt><dd data-fact="{escape(k.lower())}">{escape(v)}</dd></div>'
        for k, v in facts
    )
    return (
        '<header class="run"><div class="eyebrow">gini-host run report</div>'
        f'<h1><span class="run-id">{escape(run.run_id)}</span>'
        f'<span id="run-status">{_badge(run.status, run_css)}</span></h1>'
        f'<dl class="facts">{items}</dl>{_legend(run)}</header>'
    )


def _legend(run: RunView) -> str:
    """One entry per status present (counts included); clicking one dims the others."""
    present = [s for s in STATUSES if run.count(s)]
    others = sorted({s.status for s in run.stages} - set(STATUSES))
    entries = []
    for status in present + others:
        css = status_class(status)
        entries.append(
            f'<li><button type="button" class="st-{css}" data-status="{css}" '
            f'aria-pressed="false" title="Show only {escape(status)} stages">'
            f'<span class="swatch"></span>{escape(status.replace("_", " "))} '
            f"<b>{run.count(status)}</b></button></li>"
        )
    return f'<ul class="legend" aria-label="stage statuses">{"".join(entries)}</ul>'


def _graph_section(run: RunView, anchors: dict[str, str]) -> str:
    if not run.stages:
        return '<section id="graph"><h2>Stage graph</h2><p class="empty">No stages.</p></section>'
    return (
        '<section id="graph"><h2>Stage graph</h2>'
        f'<p class="hint">{_plural(len(run.stages), "stage")}, '
        f'{_plural(len(run.edges), "dependency", "dependencies")}; requirements on the left. '
        "Click a stage for its row below.</p>"
        f'<div class="scroll">{dag_svg(run, anchors)}</div></section>'
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _timeline_section(run: RunView) -> str:
    chart = timeline_svg(run)
    if chart is None:
        inner = '<p class="empty">No stage attempt has a start time (nothing ran).</p>'
    else:
        inner = (
            '<p class="hint">One bar per attempt, on the worker that ran it; time from the '
            "start of the run. Hover a bar for details.</p>" + chart
        )
    return f'<section id="timeline"><h2>Timeline</h2>{inner}</section>'


def _summary_section(run: RunView, anchors: dict[str, str]) -> str:
    head = (
        '<colgroup><col style="width:22%"><col style="width:10%"><col style="width:8%">'
        '<col style="width:8%"><col style="width:8%"><col style="width:17%">'
        '<col style="width:27%"></colgroup><thead><tr><th>Stage</th><th>Status</th>'
        "<th>Attempts</th><th>Started</th><th>Duration</th><th>Worker</th><th>Outcome</th>"
        "</tr></thead>"
    )
    rows = "".join(_summary_row(stage, anchors[stage.stage_id], run) for stage in run.stages)
    return (
        '<section id="stages"><h2>Stages</h2><p class="hint">In plan order.</p>'
        f'<table class="summary">{head}<tbody>{rows}</tbody></table></section>'
    )


def _summary_row(stage: StageView, anchor: str, run: RunView) -> str:
    started = UNKNOWN
    if stage.started_at is not None and run.started_at is not None:
        started = f"+{format_duration(max(stage.started_at - run.started_at, 0.0))}"
    attempts = UNKNOWN if stage.attempts is None else str(stage.attempts)
    return (
        f'<tr id="{anchor}" class="focusable st-{status_class(stage.status)}" '
        f'data-stage="{escape(stage.stage_id)}" data-status="{escape(stage.status)}">'
        f'<td><span class="stage-id">{escape(stage.stage_id)}</span></td>'
        f"<td>{_badge(stage.status)}</td><td class=\"num\">{attempts}</td>"
        f'<td class="num">{escape(started)}</td>'
        f'<td class="num">{escape(format_duration(stage.duration) if stage.ran else UNKNOWN)}</td>'
        f'<td><span class="mono">{escape(stage.worker or UNKNOWN)}</span></td>'
        f"<td>{_outcome(stage, anchor)}</td></tr>"
    )


def _outcome(stage: StageView, anchor: str) -> str:
    """The one line that says how the stage ended: its error, reason or value."""
    if stage.error is not None:
        line = f"{stage.error.type}: {stage.error.message}".splitlines()[0]
        return f'<a href="#{anchor}-error">{escape(shorten(line, 160))}</a>'
    if stage.reused_from is not None:
        return f'<span class="subtle">reused from run {escape(stage.reused_from)}</span>'
    if stage.reason:
        return f'<span class="subtle">{escape(shorten(stage.reason, 200))}</span>'
    if stage.value is not None:
        return (
            f'<code title="{escape(shorten(stage.value, 2000))}">'
            f"{escape(shorten(stage.value, _VALUE_CHARS))}</code>"
        )
    if stage.value_note:
        return f'<span class="subtle">value not stored: {escape(stage.value_note)}</span>'
    return ""


def _errors_section(run: RunView, anchors: dict[str, str]) -> str:
    """Each failed stage's error, and the failed attempts of stages that were retried."""
    cards = [_error_card(s, anchors[s.stage_id]) for s in run.stages if _has_errors(s)]
    if not cards:
        return ""
    return (
        '<section id="errors"><h2>Errors</h2><p class="hint">Tracebacks are folded: '
        f'click to open.</p>{"".join(cards)}</section>'
    )


def _has_errors(stage: StageView) -> bool:
    return stage.error is not None or any(a.error for a in stage.attempt_log)


def _error_card(stage: StageView, anchor: str) -> str:
    parts = [
        f'<article class="error focusable st-{status_class(stage.status)}" id="{anchor}-error" '
        f'data-stage="{escape(stage.stage_id)}"><h3><a class="stage-id" href="#{anchor}">'
        f"{escape(stage.stage_id)}</a>{_badge(stage.status)}</h3>"
    ]
    failed_attempts = [a for a in stage.attempt_log if a.error]
    if stage.error is None and stage.attempt_log:
        parts.append(
            f'<p class="subtle">{escape(stage.status.replace("_", " "))} on attempt '
            f"{stage.attempt_log[-1].number} after "
            f"{_plural(len(failed_attempts), 'failed attempt')}:</p>"
        )
    if failed_attempts and (len(failed_attempts) > 1 or stage.error is None):
        items = "".join(
            f"<li>attempt {a.number}: <span class=\"mono\">{escape(a.error or '')}</span></li>"
            for a in failed_attempts
        )
        parts.append(f'<ol class="attempts">{items}</ol>')
    if stage.error is not None:
        parts.append(
            f'<p class="message"><b>{escape(stage.error.type)}</b>: '
            f"{escape(stage.error.message)}</p>"
        )
        if stage.error.traceback:
            parts.append(
                '<details class="traceback"><summary>Traceback</summary>'
                f"<pre>{escape(stage.error.traceback)}</pre></details>"
            )
    parts.append("</article>")
    return "".join(parts)


def _logs_section(run: RunView, anchors: dict[str, str]) -> str:
    with_logs = [s for s in run.stages if s.logs]
    if not with_logs:
        inner = '<p class="empty">No log lines were recorded for this run.</p>'
    else:
        inner = "".join(_stage_logs(s, anchors[s.stage_id], run) for s in with_logs)
    return (
        '<section id="logs"><h2>Logs</h2><p class="hint">What each stage logged at INFO and '
        f"above; a failed stage's lines are open.</p>{inner}</section>"
    )


def _stage_logs(stage: StageView, anchor: str, run: RunView) -> str:
    warnings = sum(1 for line in stage.logs if line.level in ("WARNING", "ERROR", "CRITICAL"))
    note = f" · {_plural(warnings, 'warning')} or worse" if warnings else ""
    rows = []
    for line in stage.logs:
        when = UNKNOWN
        if line.time is not None and run.started_at is not None:
            when = f"+{format_duration(max(line.time - run.started_at, 0.0))}"
        level = line.level if line.level in _LEVELS else "OTHER"
        rows.append(
            f'<tr><td class="num subtle" style="width:90px">{escape(when)}</td>'
            f'<td style="width:90px"><span class="level level-{level}">{escape(line.level)}'
            f'</span></td><td class="msg">{escape(line.message)}</td></tr>'
        )
    if stage.logs_omitted:
        rows.append(f'<tr><td></td><td></td><td class="subtle">… {stage.logs_omitted} more '
                    "lines not shown</td></tr>")
    is_open = " open" if stage.status == "failed" else ""
    return (
        f'<details class="logs" id="{anchor}-logs" data-stage="{escape(stage.stage_id)}"{is_open}>'
        f'<summary><span class="stage-id">{escape(stage.stage_id)}</span> · '
        f'{_plural(len(stage.logs), "line")}{note}</summary><table>{"".join(rows)}</table>'
        "</details>"
    )


def _footer(run: RunView) -> str:
    plugins = ", ".join(f"{name} {version}" for name, version in run.plugins) or UNKNOWN
    host = run.host_version or "?"
    return (
        f"<footer>Recorded by gini-host {escape(host)} · plugins: {escape(plugins)} · "
        f"report made by gini-host {escape(__version__)}</footer>"
    )
