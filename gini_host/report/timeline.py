"""The timeline (a Gantt chart) as inline SVG: one bar per attempt, on its worker's lane.

Attempts come from a stage's ``attempt_log``; a stage without one but with a start time gets one
bar from its start and duration. A worker that ran several attempts at once (the async executor
runs every stage on the main thread) gets as many rows as it needed, so bars never hide each
other. An attempt with no end (the run was killed) runs to the end of the run, drawn open.
"""

from __future__ import annotations

import math
from html import escape

import attrs

from gini_host.report.document import (
    RunView,
    StageView,
    format_duration,
    shorten,
    status_class,
)

__all__ = ["Bar", "bars", "timeline_svg"]

WIDTH = 1180.0
LABEL_WIDTH = 180.0
RIGHT_PAD = 16.0
AXIS_HEIGHT = 30.0
ROW_HEIGHT = 24.0
BAR_HEIGHT = 17.0
LANE_GAP = 10.0
#: Average glyph width of the 11 px bar labels, to decide whether a label fits its bar.
GLYPH = 6.6
UNKNOWN_WORKER = "(worker unknown)"


@attrs.frozen
class Bar:
    """One attempt: where it ran, when, and how it ended."""

    stage_id: str
    number: int
    of: int
    status: str
    start: float
    end: float
    worker: str
    error: str | None
    open_end: bool


def bars(run: RunView) -> list[Bar]:
    """Every attempt with a known start, in start order."""
    last = max(
        [t for t in (run.finished_at, *_known_ends(run)) if t is not None], default=None
    )
    found: list[Bar] = []
    for stage in run.stages:
        found += _stage_bars(stage, last)
    return sorted(found, key=lambda bar: (bar.start, bar.stage_id, bar.number))


def _known_ends(run: RunView) -> list[float | None]:
    ends: list[float | None] = []
    for stage in run.stages:
        ends.append(stage.finished_at)
        ends.extend(a.finished_at for a in stage.attempt_log)
    return ends


def _stage_bars(stage: StageView, last: float | None) -> list[Bar]:
    if stage.reused_from is not None:
        return []  # it ran in an earlier run: its times are that run's
    started = [a for a in stage.attempt_log if a.started_at is not None]
    if started:
        return [
            _bar(stage, a.number, len(stage.attempt_log), a.status, a.started_at, a.finished_at,
                 a.worker or stage.worker, a.error, last)
            for a in started
            if a.started_at is not None
        ]
    if stage.started_at is None:
        return []
    end = stage.finished_at
    if end is None and stage.duration is not None:
        end = stage.started_at + stage.duration
    error = f"{stage.error.type}: {stage.error.message}" if stage.error else None
    return [_bar(stage, 1, 1, stage.status, stage.started_at, end, stage.worker, error, last)]


def _bar(
    stage: StageView, number: int, of: int, status: str, start: float, end: float | None,
    worker: str | None, error: str | None, last: float | None,
) -> Bar:
    open_end = end is None
    if end is None:
        end = max(last if last is not None else start, start)
    return Bar(stage.stage_id, number, of, status, start, max(end, start), worker or UNKNOWN_WORKER,
               error, open_end)


def _lanes(found: list[Bar]) -> list[tuple[str, list[list[Bar]]]]:
    """Workers in order of first use, each with its rows of non-overlapping bars."""
    lanes: dict[str, list[list[Bar]]] = {}
    for bar in found:  # in start order
        rows = lanes.setdefault(bar.worker, [])
        for row in rows:
            if row[-1].end <= bar.start:
                row.append(bar)
                break
        else:
            rows.append([bar])
    return list(lanes.items())


@attrs.frozen
class _Scale:
    """Times to x pixels: the plot spans the attempts (``t0`` to ``t0 + span``); ticks count
    from ``origin``, the start of the run, as the table's "started" column does."""

    t0: float
    span: float
    origin: float

    def x(self, t: float) -> float:
        return LABEL_WIDTH + (t - self.t0) / self.span * (WIDTH - LABEL_WIDTH - RIGHT_PAD)


def timeline_svg(run: RunView) -> str | None:
    """The chart, or None when no attempt has a start time (a dry run, or nothing started)."""
    found = bars(run)
    if not found:
        return None
    # The plot spans the attempts, not the run: the host's start-up before the first stage
    # would otherwise squeeze a quick run's bars into a corner.
    t0 = min(b.start for b in found)
    t1 = max(b.end for b in found)
    origin = run.started_at if run.started_at is not None and run.started_at <= t0 else t0
    scale = _Scale(t0, max(t1 - t0, 1e-4), origin)
    lanes = _lanes(found)
    height = AXIS_HEIGHT + sum(len(rows) * ROW_HEIGHT + LANE_GAP for _, rows in lanes) + 6
    backgrounds, labels, drawn = [], [], []
    y = AXIS_HEIGHT
    for index, (worker, rows) in enumerate(lanes):
        lane_height = len(rows) * ROW_HEIGHT + LANE_GAP
        backgrounds.append(
            f'<rect class="lane-bg{" alt" * (index % 2)}" x="0" y="{y:.1f}" width="{WIDTH:.0f}" '
            f'height="{lane_height:.1f}"/>'
        )
        labels.append(
            f'<text class="lane-label" data-worker="{escape(worker)}" x="10" '
            f'y="{y + lane_height / 2 + 4:.1f}"><title>{escape(worker)}</title>'
            f"{escape(shorten(worker, 26))}</text>"
        )
        for row_index, row in enumerate(rows):
            top = y + LANE_GAP / 2 + row_index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
            drawn += [_bar_svg(bar, scale.x(bar.start), scale.x(bar.end), top) for bar in row]
        y += lane_height
    # Lanes under the grid, the grid under the bars: each stays visible.
    return "".join(
        [
            f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} '
            f'{height:.0f}" role="img" aria-label="timeline of attempts">',
            *backgrounds,
            *_axis(scale, height),
            *labels,
            *drawn,
            "</svg>",
        ]
    )


def _axis(scale: _Scale, height: float) -> list[str]:
    """Vertical grid lines at round offsets from the start of the run, labelled with them."""
    step = _nice_step(scale.span / 8)
    parts = ['<g class="axis">']
    first = scale.t0 - scale.origin
    tick = math.ceil(first / step - 1e-9) * step
    while tick <= first + scale.span * 1.0001:
        px = scale.x(scale.origin + tick)
        last = ' class="last"' if px > WIDTH - RIGHT_PAD - 24 else ""  # keep it inside
        parts.append(
            f'<line x1="{px:.1f}" y1="{AXIS_HEIGHT - 6:.1f}" x2="{px:.1f}" y2="{height:.1f}"/>'
            f'<text{last} x="{px:.1f}" y="{AXIS_HEIGHT - 11:.1f}">{_tick_label(tick, step)}</text>'
        )
        tick += step
    parts.append("</g>")
    return parts


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten: grid lines a person can read."""
    power: float = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return 10.0 * power


def _tick_label(tick: float, step: float) -> str:
    """``+250 ms``, ``+2 s``, ``+5 min``: the unit the step is counted in."""
    if step < 1:
        decimals = max(0, -math.floor(math.log10(step * 1000)))
        return f"+{tick * 1000:.{decimals}f} ms"
    if step >= 60 and step % 60 == 0:
        return f"+{tick / 60:.0f} min"
    return f"+{tick:.0f} s"


def _bar_svg(bar: Bar, left: float, right: float, top: float) -> str:
    width = max(right - left, 2.0)
    name = bar.stage_id.rpartition("::")[2] or bar.stage_id
    label = f"{name} #{bar.number}" if bar.of > 1 else name
    title = (
        f"{bar.stage_id}, attempt {bar.number} of {bar.of}: {bar.status}, "
        f"{format_duration(bar.end - bar.start)}{' (no end recorded)' if bar.open_end else ''}"
        f" on {bar.worker}" + (f"\n{bar.error}" if bar.error else "")
    )
    classes = f"bar focusable st-{status_class(bar.status)}" + (" open" if bar.open_end else "")
    shown = ""
    if width > len(label) * GLYPH + 10:
        shown = (
            f'<text class="bar-label" x="{left + 5:.1f}" y="{top + BAR_HEIGHT / 2 + 4:.1f}">'
            f"{escape(label)}</text>"
        )
    return (
        f'<g class="{classes}" data-stage="{escape(bar.stage_id)}" data-attempt="{bar.number}" '
        f'data-status="{escape(bar.status)}"><title>{escape(title)}</title>'
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{BAR_HEIGHT:.0f}" '
        f'rx="3"/>{shown}</g>'
    )

