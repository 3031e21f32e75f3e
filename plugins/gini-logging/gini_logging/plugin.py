"""The logging plugin object: configures loguru from ``[plugin.logging]`` and undoes it.

The host keeps its own stderr sink and publishes its id as ``host.log_handler_id`` only while
the console is up for grabs: when the operator chose console options (``-v``, ``-q``,
``--log-json``) the host publishes None and this plugin leaves the console alone, adding only
its file sink. It never calls ``logger.remove()`` with no argument, which would also drop
sinks that the host or other plugins added.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from typing import Final, TextIO, final

from loguru import logger

from gini_host import Host, hookimpl
from gini_logging.settings import LoggingSettings, parse_settings
from gini_logging.sinks import add_sinks

__all__ = ["LoggingPlugin", "plugin"]


@final
class LoggingPlugin:
    """Holds the ids of the sinks it added; nothing else about logging is global to it."""

    def __init__(self, console: TextIO | None = None) -> None:
        #: Where the console sink writes; None means sys.stderr as it is at configure time.
        self._console = console
        self._handler_ids: list[int] = []
        self.settings: LoggingSettings | None = None

    @property
    def handler_ids(self) -> tuple[int, ...]:
        """The loguru handler ids this plugin added and has not removed yet."""
        return tuple(self._handler_ids)

    @hookimpl
    def gini_configure(self, host: Host, config: Mapping[str, object]) -> None:
        """Validate the table, add the sinks, then retire the host's console sink if asked."""
        settings = parse_settings(config, os.environ)
        # Configuring again replaces the previous setup instead of stacking sinks.
        self._remove_sinks()
        take_console = (
            settings.replace_console and getattr(host, "log_handler_id", None) is not None
        )
        console = (self._console or sys.stderr) if take_console else None
        self._handler_ids = add_sinks(settings, console)
        self.settings = settings
        # Removed only after ours are in place, so no line goes to no sink in between.
        if take_console:
            self._remove_host_console(host)
        logger.debug(
            "logging configured: level {}, format {}, file {}",
            settings.level,
            settings.format,
            settings.file or "none",
        )

    @hookimpl
    def gini_shutdown(self, host: Host) -> None:
        """Remove the sinks this plugin added (closing the log file); leave all others."""
        self._remove_sinks()

    def _remove_host_console(self, host: Host) -> None:
        handler_id = getattr(host, "log_handler_id", None)
        if handler_id is None:
            return
        # Already removed (by the host, or by an earlier configure): nothing to take over.
        with contextlib.suppress(ValueError):
            logger.remove(handler_id)

    def _remove_sinks(self) -> None:
        while self._handler_ids:
            handler_id = self._handler_ids.pop()
            # Someone removed it already; the goal, that it is gone, is met.
            with contextlib.suppress(ValueError):
                logger.remove(handler_id)


#: The object the ``logging`` entry point names.
plugin: Final = LoggingPlugin()
