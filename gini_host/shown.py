"""Showing what plugin code made, safely: the one bounded ``repr`` of a value and the one
one-line description of an exception, for the kernel and the engine alike.

Plugin code may hand the host anything: an exception whose ``__str__`` raises, a value whose
``__repr__`` raises, a self-referential or 100,000-deep structure, a message the size of a
file. What the host prints or stores goes through here, so nothing it shows can raise or
grow without bound, and what cannot be shown gets one placeholder spelling:
``<unprintable TYPE: HOW raised ERROR>``.
"""

from __future__ import annotations

import functools
import reprlib
import traceback
from collections.abc import Callable
from typing import Any

__all__ = [
    "MESSAGE_LIMIT",
    "REPR_LIMIT",
    "TRACEBACK_LIMIT",
    "exception_line",
    "safe_message",
    "safe_repr",
    "safe_traceback",
    "type_name",
]

#: How many characters :func:`safe_repr` shows by default.
REPR_LIMIT = 2_000
#: An error message is cut beyond this (plugin code may put a whole file in one).
MESSAGE_LIMIT = 10_000
#: A formatted traceback is cut beyond this (a deep recursion can format to megabytes).
TRACEBACK_LIMIT = 100_000


def _interrupt(exc: BaseException) -> bool:
    """The run's own interrupt goes through every guard; what plugin code raised does not
    (a ``KeyboardInterrupt`` raised by a ``__str__`` is that plugin's fault, not Ctrl-C)."""
    # Imported here: errors uses this module to describe what plugins raise.
    from gini_host.errors import RunInterrupted

    return isinstance(exc, RunInterrupted)


def type_name(obj: object) -> str:
    """The qualified name of ``obj``'s type (never hostile: Python insists it is a str)."""
    return type(obj).__qualname__


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _unprintable(obj: object, how: str, exc: BaseException) -> str:
    """The placeholder for what cannot be shown: what it is, and why not."""
    return f"<unprintable {type_name(obj)}: {how} raised {type_name(exc)}>"


def _shown(obj: object, how: str, show: Callable[[], str]) -> str:
    """``show()``, or the placeholder saying that ``how`` failed on ``obj``: whatever plugin
    code raises (``KeyboardInterrupt`` too), only the run's own interrupt goes through."""
    try:
        return show()
    except BaseException as exc:
        if _interrupt(exc):
            raise
        return _unprintable(obj, how, exc)


class _BoundedRepr(reprlib.Repr):
    """``reprlib`` with room for real values, which also survives what ``repr`` cannot:
    a ``__repr__`` that raises, an int too long to convert; depth and size stay bounded, so
    self-referential and 100,000-deep values print too."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel = 8
        self.maxtuple = self.maxlist = self.maxarray = 50
        self.maxdict = self.maxset = self.maxfrozenset = self.maxdeque = 50
        self.maxstring = self.maxother = self.maxlong = limit

    def repr1(self, x: Any, level: int) -> str:
        return _shown(x, "repr()", functools.partial(reprlib.Repr.repr1, self, x, level))

    def repr_int(self, x: int, level: int) -> str:
        try:
            return super().repr_int(x, level)
        except ValueError:  # past sys.get_int_max_str_digits()
            return f"<int of {x.bit_length()} bits>"

    def repr_instance(self, x: Any, level: int) -> str:
        return _cut(_shown(x, "repr()", functools.partial(repr, x)), self.maxother)


def safe_repr(value: object, limit: int = REPR_LIMIT) -> str:
    """``repr(value)`` that never raises and never grows past about ``limit`` characters.

    The one way the host shows a value it did not make (a stage's return value, a store
    entry): containers are shown to a bounded depth and length (``...`` for the rest), and
    what cannot be shown at all gets a placeholder, ``<unprintable T: repr() raised E>``.
    """
    # The outer guard is for reprlib's own bookkeeping meeting something stranger still.
    text = _shown(value, "repr()", functools.partial(_BoundedRepr(limit).repr, value))
    return _cut(text, limit)


def safe_message(exc: BaseException) -> str:
    """``str(exc)``, bounded, or a placeholder when it raises."""
    return _cut(_shown(exc, "str()", functools.partial(str, exc)), MESSAGE_LIMIT)


def safe_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc``, bounded, or a placeholder."""
    def formatted() -> str:
        return "".join(traceback.format_exception(exc))

    text = _shown(exc, "formatting its traceback", formatted)
    return _cut(text, TRACEBACK_LIMIT)


def exception_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (the type alone when the message is empty or is
    the type's name): how every one-line reason and error names an exception."""
    name = type_name(exc)
    message = safe_message(exc)
    first = message.splitlines()[0] if message else ""
    return f"{name}: {first}" if first and first != name else name
