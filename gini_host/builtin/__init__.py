"""The host's own plugins, written on the same hooks third parties use."""

from __future__ import annotations

from gini_host.kernel.loading import Builtin

__all__ = ["DEFAULT_BUILTINS"]

#: Registered first, in this order. ``core`` contributes the boot pipeline.
DEFAULT_BUILTINS: tuple[Builtin, ...] = (
    Builtin("core", "gini_host.builtin.core", essential=True),
    # Silent (and free) until the CLI attaches it to the terminal; -p no:reporter turns it off.
    Builtin("reporter", "gini_host.builtin.reporter:ReporterPlugin"),
    # Records every run in SQLite ([history] in gini.toml; -p no:history turns it off).
    Builtin("history", "gini_host.builtin.history:HistoryPlugin"),
)
