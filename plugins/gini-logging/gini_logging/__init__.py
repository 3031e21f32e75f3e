"""gini-logging: loguru set up from gini.toml's ``[plugin.logging]``. A gini-host plugin.

``gini_logging.settings`` validates the table and ``gini_logging.sinks`` adds the sinks; neither
imports gini-host. ``gini_logging.plugin`` holds the hooks the ``logging`` entry point names.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
