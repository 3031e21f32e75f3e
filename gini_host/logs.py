"""The console log sink the command line installs: loguru to stderr, for people or as JSON.

One sink, whose id the CLI publishes as ``host.log_handler_id`` so a logging plugin may replace
it. While a command runs the CLI owns the console, so loguru's default handler is removed, and
put back when the command ends (a test or an embedder may run the CLI in-process). ``diagnose``
stays off on every sink: it prints the local variables of each traceback frame, and those may
hold passwords or tokens. The sink looks ``sys.stderr`` up on every line instead of
binding the stream once, so a live progress display (which swaps ``sys.stderr`` for a proxy
that prints above it) and click's test runner both see the lines.

loguru itself is imported on first use (:data:`logger`): its import costs 35-55 ms of CPU (it
imports asyncio, ssl and multiprocessing), which ``from gini_host import hookimpl, stage`` in
every plugin module, ``gini-host --version`` and every pytest run with gini-host installed
would otherwise pay (issue 13).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Final, cast, final

if TYPE_CHECKING:
    from loguru import Logger, Message, Record

__all__ = [
    "LEVELS",
    "add_console_sink",
    "color_enabled",
    "console_level",
    "level_for",
    "logger",
    "remove_default_handler",
    "remove_sink",
    "restore_default_handler",
]

#: Verbosity (``-v`` count minus ``-q`` count) -> loguru level; clamped at both ends.
LEVELS: Final = ("ERROR", "WARNING", "INFO", "DEBUG", "TRACE")
_DEFAULT_INDEX: Final = 2  # INFO
_END: Final = " {message}\n{exception}"
#: Id of loguru's default stderr handler: 0 as loguru's import adds it, a new id once
#: :func:`restore_default_handler` put it back, None once someone else removed it.
_default_handler_id: int | None = 0
#: The console sink the CLI added (:func:`add_console_sink`) and its level, while it is there.
_console: tuple[int, str] | None = None


@final
class _LazyLogger:
    """Stands for loguru's ``logger`` and imports loguru on the first attribute access.

    Only attribute access is forwarded: ``logger.debug(...)`` calls loguru's own bound method
    from the caller's frame, so loguru's caller information (module, function, line) is right.
    """

    __slots__ = ("_real",)

    def __init__(self) -> None:
        self._real: Logger | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called for loguru's names (``_real`` is a slot): import once, then keep the
        # logger, so a plugin that meddles with ``sys.modules`` later cannot take it away.
        real = self._real
        if real is None:
            from loguru import logger as real

            self._real = real
        return getattr(real, name)

    def __repr__(self) -> str:
        return "<gini_host.logs.logger: loguru's logger, imported on first use>"


#: loguru's logger for every module of gini-host: ``from gini_host.logs import logger``.
logger: Final = cast("Logger", _LazyLogger())


def level_for(verbosity: int) -> str:
    """``-q -q`` is ERROR, ``-q`` WARNING, nothing INFO, ``-v`` DEBUG, ``-v -v`` TRACE."""
    index = min(max(_DEFAULT_INDEX + verbosity, 0), len(LEVELS) - 1)
    return LEVELS[index]


def color_enabled(stream: object) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR", ""):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def _human(record: Record) -> str:
    """``12:00:01 WARNING  [env-check::cpu] message``: the stage only when the line has one."""
    stage = " <cyan>[{extra[stage]}]</cyan>" if record["extra"].get("stage") else ""
    return "<green>{time:HH:mm:ss}</green> <level>{level: <8}</level>" + stage + _END


def _write_stderr(message: Message) -> None:
    sys.stderr.write(message)


def remove_default_handler() -> bool:
    """Remove loguru's default stderr handler; True when it was there to remove."""
    global _default_handler_id
    if _default_handler_id is None:
        return False
    try:
        logger.remove(_default_handler_id)
    except ValueError:  # removed by the application: not ours to put back
        _default_handler_id = None
        return False
    return True


def restore_default_handler() -> None:
    """Put back what :func:`remove_default_handler` removed: a handler as loguru's import adds
    it (loguru's default level and format), on the process's stderr.

    ``sys.__stderr__`` rather than ``sys.stderr``: loguru binds the stream when the handler is
    added, and an in-process caller (click's ``CliRunner``) has swapped ``sys.stderr`` for a
    buffer it drops when the command ends.
    """
    global _default_handler_id
    stream = sys.__stderr__
    _default_handler_id = logger.add(stream) if stream is not None else None


def console_level() -> str | None:
    """The level of the operator's console (the sink :func:`add_console_sink` added), or
    None outside the command line. Log lines the host does not write itself (a Dask
    cluster's workers) are held to it."""
    return _console[1] if _console is not None else None


def add_console_sink(verbosity: int = 0, *, json: bool = False) -> int:
    """Add the host's stderr sink (after :func:`remove_default_handler`); return its id."""
    global _console
    level = level_for(verbosity)
    if json:
        # One JSON object per line (loguru's serialize): record, bound extra, exception.
        handler_id = logger.add(
            _write_stderr, level=level, serialize=True, diagnose=False, backtrace=False
        )
    else:
        handler_id = _add_human_sink(level)
    _console = (handler_id, level)
    return handler_id


def _add_human_sink(level: str) -> int:
    return logger.add(
        _write_stderr,
        level=level,
        format=_human,
        colorize=color_enabled(sys.stderr),
        diagnose=False,
        backtrace=False,
    )


def remove_sink(handler_id: int | None) -> None:
    """Remove a sink if it is still there (a logging plugin may have removed it already)."""
    global _console
    if handler_id is None:
        return
    if _console is not None and _console[0] == handler_id:
        _console = None
    with contextlib.suppress(ValueError):
        logger.remove(handler_id)
