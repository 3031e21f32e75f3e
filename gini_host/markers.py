"""The pluggy markers of gini-host: plugins mark their hook functions with ``hookimpl``."""

from __future__ import annotations

from typing import Final

import pluggy

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

#: pluggy project name; hook implementations are found by this marker.
PROJECT_NAME: Final = "gini_host"

hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)
