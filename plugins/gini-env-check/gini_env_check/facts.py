"""How a fact that cannot be read is reported: as unknown, with the reason.

Every reader in this package is best-effort and honest. When a file is missing, unreadable or
malformed, the value becomes ``{"status": "unknown", "reason": ...}`` instead of a guess, so the
verdict turns it into a warning rather than a silent pass. Readers take a ``root`` so tests can
point them at a fake tree; paths in reasons are the paths on the inspected machine
("/proc/cpuinfo"), not wherever that tree happens to live.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypedDict

if TYPE_CHECKING:
    # TypeIs narrows both ways (unlike TypeGuard); it is in typing only from 3.13, and the
    # annotation is never evaluated at run time, so typing_extensions is not a dependency.
    from typing_extensions import TypeIs

__all__ = [
    "ROOT",
    "FactUnavailable",
    "Unknown",
    "host_path",
    "is_unknown",
    "read_text",
    "unknown",
]

#: The root of the machine the stages inspect.
ROOT: Final = Path("/")


class Unknown(TypedDict):
    """A fact that could not be established, and why."""

    status: Literal["unknown"]
    reason: str


def unknown(reason: str) -> Unknown:
    """Build the unknown marker for a fact that could not be read."""
    return {"status": "unknown", "reason": reason}


def is_unknown(value: object) -> TypeIs[Unknown]:
    """Tell whether ``value`` is an unknown marker (a whole fact or one field of it)."""
    return isinstance(value, dict) and value.get("status") == "unknown"


class FactUnavailable(Exception):
    """A source could not be read; readers catch it and report ``unknown(reason)``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def host_path(root: Path, logical: str) -> Path:
    """Map an absolute path of the inspected machine (``/proc/cpuinfo``) into ``root``."""
    return root / logical.lstrip("/")


def read_text(root: Path, logical: str) -> str:
    """Read a text file of the inspected machine, or raise :class:`FactUnavailable` saying why."""
    path = host_path(root, logical)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FactUnavailable(f"{logical} not found") from None
    except PermissionError:
        raise FactUnavailable(f"{logical} is not readable by this user") from None
    except UnicodeDecodeError:
        raise FactUnavailable(f"{logical} is not UTF-8 text") from None
    except OSError as exc:
        raise FactUnavailable(f"{logical} could not be read: {exc.strerror or exc}") from None
