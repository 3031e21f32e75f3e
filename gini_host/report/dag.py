"""The stage graph as inline SVG: one box per stage coloured by status, edges as curved paths.

Boxes link to the stage's row in the summary table. Stage ids are untrusted text: every piece of
the document goes through :func:`html.escape`, and a name too long for its box is cut with an
ellipsis (the full id is in the box's tooltip).
"""

from __future__ import annotations

from html import escape

from gini_host.report.document import RunView, StageView, format_duration, shorten, status_class
from gini_host.report.layout import NODE_HEIGHT, NODE_WIDTH, PlacedEdge, layout

__all__ = ["dag_svg"]

MARGIN = 12.0
MIN_SCALE = 0.75
#: Characters that fit a box at the fonts the stylesheet sets (13 px name, 11 px plugin); a
#: wider font is clipped at the box's edge.
NAME_CHARS = 22
PLUGIN_CHARS = 29


def dag_svg(run: RunView, anchors: dict[str, str]) -> str:
    """The graph of ``run``'s stages; ``anchors`` maps a stage id to its table row's id."""
    placed = layout([s.stage_id for s in run.stages], run.edges)
    by_id = {s.stage_id: s for s in run.stages}
    width = placed.width + 2 * MARGIN
    height = placed.height + 2 * MARGIN
    parts = [
        # Wider than its box, it shrinks to at most MIN_SCALE (text stays readable), then scrolls.
        f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'style="min-width:{width * MIN_SCALE:.0f}px" '
        f'height="{height:.0f}" viewBox="{-MARGIN:.0f} {-MARGIN:.0f} {width:.0f} {height:.0f}" '
        f'role="img" aria-label="stage graph" data-crossings="{placed.crossings}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L9,5 L0,9 z" '
        'class="arrowhead"/></marker></defs>',
        '<g class="edges">',
    ]
    parts += [_edge(edge, status_class(by_id[edge.source].status)) for edge in placed.edges]
    parts.append('</g><g class="nodes">')
    for node in placed.nodes:
        stage = by_id[node.id]
        plugin, _, name = node.id.rpartition("::")
        css = status_class(stage.status)
        title = f"{node.id}: {stage.status}" + (f" ({stage.reason})" if stage.reason else "")
        retried = stage.attempts is not None and stage.attempts > 1
        tries = ""
        if retried:
            title += f", {stage.attempts} attempts"
            tries = (
                f'<text class="tries" x="{node.x + NODE_WIDTH - 8:.1f}" y="{node.y + 18:.1f}">'
                f"&#215;{stage.attempts}</text>"  # a multiplication sign
            )
        parts.append(
            f'<a href="#{anchors[node.id]}" class="node focusable st-{css}" '
            f'data-stage="{escape(node.id)}" '
            f'data-status="{escape(stage.status)}"><title>{escape(title)}</title>'
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{NODE_WIDTH:.0f}" '
            f'height="{NODE_HEIGHT:.0f}" rx="7"/>'
            f'<rect class="stripe" x="{node.x:.1f}" y="{node.y:.1f}" width="5" '
            f'height="{NODE_HEIGHT:.0f}" rx="2"/>'
            # A nested viewport clips the text to the box whatever the font's widths.
            f'<svg x="{node.x + 14:.1f}" y="{node.y:.1f}" width="{NODE_WIDTH - 20:.0f}" '
            f'height="{NODE_HEIGHT:.0f}" overflow="hidden">'
            f'<text class="name" x="0" y="18">'
            f"{escape(shorten(name or node.id, NAME_CHARS - 4 * retried))}"
            f'</text><text class="plugin" x="0" y="33">'
            f"{escape(shorten(_subtitle(plugin, stage), PLUGIN_CHARS))}</text></svg>{tries}</a>"
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _subtitle(plugin: str, stage: StageView) -> str:
    """The small line under a stage's name: its plugin, and what the colour alone does not say
    (the status unless it succeeded, or that it was reused), and how long it ran."""
    parts = [plugin] if plugin else []
    if stage.reused_from is not None:
        parts.append("reused")
    elif stage.status != "succeeded":
        parts.append(stage.status.replace("_", " "))
    if stage.ran:
        parts.append(format_duration(stage.duration))
    return " · ".join(parts)


def _edge(edge: PlacedEdge, source_status: str) -> str:
    """A path through the edge's points, curved between columns, straight across dummy ones."""
    (x0, y0), *rest = edge.points
    d = [f"M{x0:.1f},{y0:.1f}"]
    for index, (x1, y1) in enumerate(rest):
        if index % 2 == 0:  # between columns: a smooth S-curve
            bend = (x1 - x0) / 2
            d.append(f"C{x0 + bend:.1f},{y0:.1f} {x1 - bend:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        else:  # across a column, beside its stages
            d.append(f"L{x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return (
        f'<path class="edge from-{source_status}" d="{" ".join(d)}" marker-end="url(#arrow)" '
        f'data-source="{escape(edge.source)}" data-target="{escape(edge.target)}"/>'
    )

