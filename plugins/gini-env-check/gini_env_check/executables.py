"""The programs a QEMU/KVM host needs on PATH."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Final, Literal, TypedDict

__all__ = ["DEFAULT_REQUIRED", "ExecutablesFacts", "find_executables"]

DEFAULT_REQUIRED: Final = ("qemu-system-x86_64", "qemu-img")


class ExecutablesFacts(TypedDict):
    status: Literal["ok"]
    found: dict[str, str]
    missing: list[str]


def find_executables(names: Sequence[str], search_path: str | None = None) -> ExecutablesFacts:
    """Look each name up like the shell would; ``search_path`` replaces $PATH (for tests)."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        location = shutil.which(name, path=search_path)
        if location is None:
            missing.append(name)
        else:
            found[name] = location
    return {"status": "ok", "found": found, "missing": missing}
