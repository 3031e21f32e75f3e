"""Console and file formats: ``compact`` for terminals, ``pretty`` with source locations.

``json`` is not a template: it is loguru's ``serialize=True``, one JSON object per line with the
compact text in its ``text`` field. Formats are functions so a line names its stage only when
the record has one (the host binds ``stage`` on ``ctx.log``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from loguru import Record

    from gini_logging.settings import Format

__all__ = ["compact", "pretty", "template"]

# A callable format gets no automatic exception suffix from loguru, hence "{exception}".
_END: Final = " {message}\n{exception}"


def _stage(record: Record) -> str:
    return " <cyan>[{extra[stage]}]</cyan>" if record["extra"].get("stage") else ""


def compact(record: Record) -> str:
    """``12:00:01 INFO     [env-check::cpu] message``."""
    return "<green>{time:HH:mm:ss}</green> <level>{level: <8}</level>" + _stage(record) + _END


def pretty(record: Record) -> str:
    """Date, level, stage and the source location of the call."""
    return (
        "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> |"
        + _stage(record)
        + " <cyan>{name}</cyan>:<cyan>{function}</cyan>:<cyan>{line}</cyan> -"
        + _END
    )


def template(name: Format) -> Callable[[Record], str]:
    """The format function for a setting; ``json`` uses compact text inside its JSON."""
    return pretty if name == "pretty" else compact
