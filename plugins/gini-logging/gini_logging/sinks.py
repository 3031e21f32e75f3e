"""Adding the plugin's loguru sinks, all or none.

Every sink keeps ``diagnose=False``: diagnose prints the local variables of each frame of a
traceback, and those may hold passwords or tokens. ``enqueue`` stays off, so a line is written
before the call that logged it returns and there is no background thread to stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from loguru import logger

from gini_logging.formats import template
from gini_logging.settings import LoggingSettings

__all__ = ["add_sinks"]


def _add_file_sink(settings: LoggingSettings, path: Path) -> int:
    try:
        return logger.add(
            path,
            level=settings.level,
            format=template(settings.format),
            serialize=settings.format == "json",
            rotation=settings.rotation,
            retention=settings.retention,
            colorize=False,
            diagnose=False,
            enqueue=False,
        )
    except (TypeError, ValueError) as exc:
        # Loguru parses rotation and retention itself; its message says which one it rejected.
        message = str(exc)
        key = next((k for k in ("rotation", "retention") if k in message), "file")
        raise ValueError(f"plugin.logging.{key}: {message}") from exc
    except OSError as exc:
        raise ValueError(
            f"plugin.logging.file: cannot open {str(path)!r}: {exc.strerror or exc}"
        ) from exc


def _add_console_sink(settings: LoggingSettings, console: TextIO) -> int:
    return logger.add(
        console,
        level=settings.level,
        format=template(settings.format),
        serialize=settings.format == "json",
        # None: colour only when the stream is a terminal.
        colorize=None,
        diagnose=False,
        enqueue=False,
    )


def add_sinks(settings: LoggingSettings, console: TextIO | None) -> list[int]:
    """Add the file sink (when configured) and, given a ``console``, a console sink.

    Returns the handler ids. If one sink cannot be added, the ones already added are removed
    before the error propagates, so a failed configure leaves loguru as it found it.
    """
    ids: list[int] = []
    try:
        if settings.file is not None:
            ids.append(_add_file_sink(settings, settings.file))
        if console is not None:
            ids.append(_add_console_sink(settings, console))
    except BaseException:
        for handler_id in ids:
            logger.remove(handler_id)
        raise
    return ids
