"""The ``[plugin.logging]`` table, validated into :class:`LoggingSettings`.

Validation happens before any sink is touched, so a bad table changes nothing. Each error is a
``ValueError`` whose message starts with the full key (``plugin.logging.format: ...``), which is
what the operator has to find in gini.toml.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

from loguru import logger

__all__ = [
    "FORMATS",
    "KEYS",
    "LEVEL_ENV",
    "Format",
    "LoggingSettings",
    "parse_settings",
]

Format = Literal["compact", "pretty", "json"]
FORMATS: Final[tuple[Format, ...]] = ("compact", "pretty", "json")
KEYS: Final = ("level", "format", "file", "rotation", "retention", "replace_console")
#: Overrides ``level`` from the config: the operator's quick switch for one run.
LEVEL_ENV: Final = "GINI_LOG_LEVEL"
_TABLE: Final = "plugin.logging"


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """How the plugin sets up loguru; the defaults are what an empty table means."""

    level: str | int = "INFO"
    format: Format = "compact"
    file: Path | None = None
    #: Passed to loguru: a size ("10 MB"), an interval ("1 day"), a time ("00:00") or bytes.
    rotation: str | int = "10 MB"
    #: Passed to loguru: a number of rotated files to keep, or an age ("1 week").
    retention: str | int = 5
    #: Take over the console from the host's own stderr sink.
    replace_console: bool = True


def _fail(key: str, problem: str) -> ValueError:
    return ValueError(f"{_TABLE}.{key}: {problem}")


def _check_keys(table: Mapping[str, object]) -> None:
    for key in sorted(table):
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _fail(key, f"unknown key (known: {', '.join(KEYS)}){hint}")


def _level(value: object, source: str) -> str | int:
    # bool is an int subclass: "level = true" is a mistake, not severity 1.
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{source}: expected a level >= 0, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{source}: expected a level name, got {value!r}")
    # Loguru's names are case-sensitive; accept "debug" for "DEBUG" but keep custom levels exact.
    for name in (value, value.upper()):
        try:
            logger.level(name)
        except ValueError:
            continue
        return name
    raise ValueError(
        f"{source}: unknown level {value!r} "
        "(expected TRACE, DEBUG, INFO, SUCCESS, WARNING, ERROR, CRITICAL or a custom level)"
    )


def _size_or_count(table: Mapping[str, object], key: str, default: str | int) -> str | int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(key, f"expected a string or a whole number, got {value!r}")
    if isinstance(value, int) and value < 0:
        raise _fail(key, f"expected a number >= 0, got {value!r}")
    return value


def parse_settings(table: object, environ: Mapping[str, str]) -> LoggingSettings:
    """Validate the plugin's config table; ``environ`` may override the level."""
    if not isinstance(table, Mapping):
        raise ValueError(f"{_TABLE}: expected a table, got {table!r}")
    _check_keys(table)
    defaults = LoggingSettings()

    env_level = environ.get(LEVEL_ENV, "").strip()
    if env_level:
        level = _level(env_level, LEVEL_ENV)
    else:
        level = _level(table.get("level", defaults.level), f"{_TABLE}.level")

    format_ = table.get("format", defaults.format)
    if format_ not in FORMATS:
        raise _fail("format", f"expected one of {', '.join(FORMATS)}, got {format_!r}")

    file = table.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise _fail("file", f"expected a file path, got {file!r}")
    for key in ("rotation", "retention"):
        if key in table and file is None:
            raise _fail(key, f"only used with {_TABLE}.file, which is not set")

    replace_console = table.get("replace_console", defaults.replace_console)
    if not isinstance(replace_console, bool):
        raise _fail("replace_console", f"expected true or false, got {replace_console!r}")

    return LoggingSettings(
        level=level,
        format=cast(Format, format_),
        file=Path(file).expanduser() if file is not None else None,
        rotation=_size_or_count(table, "rotation", defaults.rotation),
        retention=_size_or_count(table, "retention", defaults.retention),
        replace_console=replace_console,
    )
