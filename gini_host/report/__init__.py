"""The run report: one self-contained HTML page (``gini-host report RUN``).

:func:`render_report` takes the run document that ``gini-host runs show RUN --json`` prints
(the contract is in docs/operators.md) and returns the page: header, stage graph, timeline,
summary table, errors and logs, with inline CSS, JS and SVG so it opens with no network.
"""

from __future__ import annotations

from gini_host.report.html import render_report

__all__ = ["render_report"]
