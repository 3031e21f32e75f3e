"""The operating system: distribution from os-release, kernel release from /proc."""

from __future__ import annotations

import platform
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, TypedDict

from gini_env_check.facts import ROOT, FactUnavailable, Unknown, read_text, unknown

__all__ = [
    "KERNEL_RELEASE",
    "OS_RELEASE_FILES",
    "OsReleaseFacts",
    "parse_os_release",
    "read_os_release",
]

#: os-release(5): /etc/os-release wins; /usr/lib/os-release is the vendor's fallback.
OS_RELEASE_FILES: Final = ("/etc/os-release", "/usr/lib/os-release")
KERNEL_RELEASE: Final = "/proc/sys/kernel/osrelease"


class OsReleaseFacts(TypedDict):
    status: Literal["ok"]
    name: str | Unknown
    version_id: str | Unknown
    pretty_name: str | Unknown
    kernel_release: str | Unknown


def parse_os_release(text: str) -> dict[str, str]:
    """Split os-release lines into raw ``KEY -> value`` (still quoted); skip other lines."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def _field(values: Mapping[str, str], key: str, source: str) -> str | Unknown:
    if key not in values:
        return unknown(f"{key} not set in {source}")
    try:
        # Values use shell quoting (os-release(5)); shlex undoes it exactly.
        return " ".join(shlex.split(values[key]))
    except ValueError:
        return unknown(f"{source}: {key} has unbalanced quotes: {values[key]!r}")


def _read_os_release_file(root: Path) -> tuple[str, dict[str, str]]:
    reasons: list[str] = []
    for logical in OS_RELEASE_FILES:
        try:
            return logical, parse_os_release(read_text(root, logical))
        except FactUnavailable as exc:
            reasons.append(exc.reason)
    raise FactUnavailable("; ".join(reasons))


def _kernel_release(root: Path) -> str | Unknown:
    try:
        release = read_text(root, KERNEL_RELEASE).strip()
    except FactUnavailable as exc:
        # uname describes the running kernel, which is the inspected one only for the real root.
        if root == ROOT and platform.release():
            return platform.release()
        return unknown(exc.reason)
    return release or unknown(f"{KERNEL_RELEASE} is empty")


def read_os_release(root: Path = ROOT) -> OsReleaseFacts:
    """Read NAME, VERSION_ID, PRETTY_NAME and the kernel release; each may be unknown."""
    try:
        source, values = _read_os_release_file(root)
    except FactUnavailable as exc:
        missing = unknown(exc.reason)
        name: str | Unknown = missing
        version_id: str | Unknown = missing
        pretty_name: str | Unknown = missing
    else:
        name = _field(values, "NAME", source)
        version_id = _field(values, "VERSION_ID", source)
        pretty_name = _field(values, "PRETTY_NAME", source)
    return {
        "status": "ok",
        "name": name,
        "version_id": version_id,
        "pretty_name": pretty_name,
        "kernel_release": _kernel_release(root),
    }
