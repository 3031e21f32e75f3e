"""The programs a QEMU/KVM host needs on PATH."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from typing import Final, Literal, TypedDict

__all__ = ["DEFAULT_REQUIRED", "ExecutablesFacts", "find_executables", "required_executables"]

DEFAULT_REQUIRED: Final = ("qemu-system-x86_64", "qemu-img")
_CONFIG_KEY: Final = 'stages."env-check::executables".config.required'


class ExecutablesFacts(TypedDict):
    status: Literal["ok"]
    found: dict[str, str]
    missing: list[str]


def required_executables(config: Mapping[str, object]) -> list[str]:
    """The names to look for: the stage config's ``required`` list, else the QEMU defaults."""
    names = config.get("required", list(DEFAULT_REQUIRED))
    # A bare string would be iterated letter by letter, so reject it rather than "find" "q".
    if not isinstance(names, list | tuple) or not all(
        isinstance(name, str) and name for name in names
    ):
        raise ValueError(f"{_CONFIG_KEY}: expected a list of executable names, got {names!r}")
    return [str(name) for name in names]


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
