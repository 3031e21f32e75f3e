"""The documented bounds of operator input, checked before anything uses it.

A number out of range (``retry_delay = inf`` overflowed ``time.sleep``; ``timeout = inf``
passed and then failed every stage at once), a value nested 1,000 deep (a RecursionError in
the TOML parser) or an environment variable read too loosely (``...AUTOLOAD=false`` turned
autoload *off*) are bad input: one message naming where, exit code 2, never a traceback.
docs/operators.md lists these limits; keep the two in step.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any, Final

from gini_host.errors import EnvironmentVariableError

__all__ = [
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_JOBS",
    "MAX_RETRIES",
    "MAX_SECONDS",
    "env_flag",
    "nesting_depth",
    "seconds_in_range",
]

#: Deepest nesting of tables and arrays a config file or a ``--set`` value may have.
MAX_DEPTH: Final = 32
#: Longest delay or time limit, in seconds: one week. Beyond, ``time.sleep`` and lock waits
#: overflow, and no stage or hook is meant to be waited on that long.
MAX_SECONDS: Final = 7 * 24 * 3600
MAX_RETRIES: Final = 1000
MAX_JOBS: Final = 1024
#: Largest per-tag concurrency limit (``[run.limits]``).
MAX_COUNT: Final = 1_000_000

_ON: Final = frozenset({"1", "true", "yes", "y", "t", "on"})
_OFF: Final = frozenset({"0", "false", "no", "n", "f", "off"})


def env_flag(name: str) -> bool:
    """A boolean environment variable, read as pytest reads them: unset or empty is off;
    1/true/yes/y/t/on (any case) on; 0/false/no/n/f/off off; anything else is bad input."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return False
    value = raw.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise EnvironmentVariableError(name, raw, "1/true/yes/on or 0/false/no/off")


def seconds_in_range(value: float, *, zero: bool = True) -> bool:
    """A finite number of seconds from 0 (or above 0 when ``zero`` is False) to a week."""
    if not math.isfinite(value):
        return False
    return (value >= 0 if zero else value > 0) and value <= MAX_SECONDS


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply tables and arrays nest in ``value`` (a scalar is 0), counted without
    recursion; stops counting past ``limit`` (returns ``limit + 1``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return limit + 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest
